/* SPDX-License-Identifier: MIT */
/* options.h: tangle's run-time options, one table for the CLI and the
 * library. They arrive as TANGLE_OPTIONS="key=value:key=value" (the
 * sanitizer convention); `tangle run` flags are translated into it. */
#ifndef TG_CORE_OPTIONS_H
#define TG_CORE_OPTIONS_H

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

enum tg_on_deadlock { TG_ON_DEADLOCK_EXIT, TG_ON_DEADLOCK_ABORT, TG_ON_DEADLOCK_HANG };
enum tg_color { TG_COLOR_AUTO, TG_COLOR_ALWAYS, TG_COLOR_NEVER };

struct tg_options {
    char json[1024];        /* JSON report file, "" for none; %p becomes the pid */
    char log[1024];         /* text report file, "" for stderr; %p becomes the pid */
    int on_deadlock;        /* enum tg_on_deadlock */
    int exitcode;           /* status of a run that reported anything */
    int stall_ms;           /* how long a global stall must last; 0 turns it off */
    int check_ms;           /* how long a wait lasts before its cycle check */
    int watchdog_ms;        /* watchdog period */
    int hazards;            /* report hazards at all */
    int exit_holding;       /* report threads that exit holding locks */
    int timed_cycles;       /* report cycles closed only through timed waits */
    int max_locks;          /* resource table capacity */
    int max_threads;        /* actor registry capacity */
    int stack_depth;        /* frames captured per stack */
    int symbolize;          /* run the symbolizer for reports */
    int color;              /* enum tg_color */
    int quiet;              /* no text report (JSON only) */
    char hazards_off[512];  /* comma-separated hazard sub-kinds not to report */
    char suppress[1024];    /* file of suppressions ("sub-kind:pattern" lines) */
    int hold_ms;            /* report locks held longer than this (0: off) */
    int lock_order;         /* predict deadlocks from the order locks are taken */
    int lock_classes;       /* lock order by creation site instead of instance */
    char record[1024];      /* binary trace of the run ("" for none); %p: pid */
    int symbolizer;         /* 0 auto (libdw, else addr2line), 1 addr2line only */
    char strip_path_prefix[512]; /* removed from the front of source paths in reports */
    int long_wait_ms;       /* report a wait longer than this once (0: off) */
    int dump_signal;        /* this signal prints what every thread does (0: none) */
};

extern struct tg_options tg__opt;

void tg__options_defaults(struct tg_options *o);
/* Parses `spec` into o. On error returns -1 and writes one sentence naming
 * the bad key or value and what is accepted into err. */
int tg__options_parse(struct tg_options *o, const char *spec, char *err, size_t errlen);
/* The option table as help text (one line per key, with its default). */
void tg__options_help(char *out, size_t outlen);
/* Whether to colour output going to fd: color=always or never as set; auto
 * colours a terminal unless NO_COLOR is set (and not empty). */
static inline int tg__options_color(int setting, int fd)
{
    if (setting != TG_COLOR_AUTO)
        return setting == TG_COLOR_ALWAYS;
    const char *no = getenv("NO_COLOR"); /* no-color.org: set and not empty */
    return !(no && *no) && isatty(fd);
}

#endif
