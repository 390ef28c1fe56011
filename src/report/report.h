/* SPDX-License-Identifier: MIT */
/* report.h: renderings of findings. Reporters read only struct tg_finding.
 *
 * Every reporter appends to a tg_buf; callers decide where it goes. Frames
 * are rendered as they are: run tg__symbolize_finding first for raw ones. */
#ifndef TG_REPORT_REPORT_H
#define TG_REPORT_REPORT_H

#include "core/buf.h"
#include "core/finding.h"

struct tg_report_meta {
    const char *tool_version;
    long pid;            /* 0 when not a live run (traces) */
    const char *program; /* command or trace file name; may be NULL */
    int watched;         /* 1: a run tangle watched (pid, start, end are its) */
    const char *start;   /* ISO 8601 UTC times the watch began and ended; */
    const char *end;     /* NULL when unknown (end: still running or killed) */
};


/* Human-readable text, as printed on stderr. `color` adds ANSI colours. */
void tg__render_text(struct tg_buf *out, const struct tg_finding *f, int color);
/* The whole JSON document: {"tool":"tangle", ..., "reports":[...]}. The
 * schema is documented in docs/report-schema.md. */
void tg__render_json(struct tg_buf *out, struct tg_finding *const *fs, int n,
                     const struct tg_report_meta *meta);
/* One report object (for streaming). */
void tg__render_json_one(struct tg_buf *out, const struct tg_finding *f);

/* Fills module/function/file/line of every raw frame, running addr2line at
 * most once per module and never waiting more than a few seconds. Frames it
 * cannot resolve keep module+offset. Safe in a process whose other threads
 * are deadlocked (posix_spawn, no fork of the whole process). */
void tg__symbolize_findings(struct tg_finding **fs, int n);

/* The global variable at addr, as "name" or "name+offset" (malloc'd), from
 * the symbol table of the module that contains it; NULL if none. */
char *tg__data_symbol(uintptr_t addr);
/* The same as tg__symbolize_findings, for one stack. */
void tg__symbolize_stack(struct tg_stack *s);

#endif
