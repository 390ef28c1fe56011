/* SPDX-License-Identifier: MIT */
/* options.c: TANGLE_OPTIONS parsing (see options.h). */
#include "core/options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tg_options tg__opt;

enum opt_type { OPT_INT, OPT_BOOL, OPT_PATH, OPT_ENUM };

struct opt_def {
    const char *key;
    enum opt_type type;
    size_t off;
    long lo, hi;
    const char *choices; /* OPT_ENUM: "a|b|c", index is the value */
    const char *help;
};

#define OFF(f) offsetof(struct tg_options, f)
static const struct opt_def defs[] = {
    {"json", OPT_PATH, OFF(json), 0, 1024, NULL, "write findings as JSON to this file (%p: pid)"},
    {"log", OPT_PATH, OFF(log), 0, 1024, NULL, "write the text report to this file, not stderr (%p: pid)"},
    {"on_deadlock", OPT_ENUM, OFF(on_deadlock), 0, 0, "exit|abort|hang",
     "after a deadlock report: exit with exitcode, abort (core dump), or hang for a debugger"},
    {"exitcode", OPT_INT, OFF(exitcode), 0, 255, NULL, "exit status of a run that reported anything"},
    {"stall_ms", OPT_INT, OFF(stall_ms), 0, 3600000, NULL,
     "report a global stall after every thread has been blocked this long (0: off)"},
    {"check_ms", OPT_INT, OFF(check_ms), 0, 60000, NULL,
     "a blocked thread looks for a cycle after waiting this long"},
    {"watchdog_ms", OPT_INT, OFF(watchdog_ms), 10, 60000, NULL, "watchdog period"},
    {"hazards", OPT_BOOL, OFF(hazards), 0, 1, NULL, "report hazards (misuse, timed cycles, ...)"},
    {"exit_holding", OPT_BOOL, OFF(exit_holding), 0, 1, NULL,
     "report threads that exit holding locks"},
    {"timed_cycles", OPT_BOOL, OFF(timed_cycles), 0, 1, NULL,
     "report cycles closed only through timed waits"},
    {"max_locks", OPT_INT, OFF(max_locks), 64, 1 << 28, NULL, "most locks watched at once (the table grows)"},
    {"max_threads", OPT_INT, OFF(max_threads), 16, 1 << 22, NULL, "capacity of the thread table"},
    {"stack_depth", OPT_INT, OFF(stack_depth), 1, 256, NULL, "frames kept per stack"},
    {"symbolize", OPT_BOOL, OFF(symbolize), 0, 1, NULL, "resolve function, file and line"},
    {"color", OPT_ENUM, OFF(color), 0, 0, "auto|always|never", "colour the text report"},
    {"quiet", OPT_BOOL, OFF(quiet), 0, 1, NULL, "no text report (JSON only)"},
    {"hazards_off", OPT_PATH, OFF(hazards_off), 0, 512, NULL,
     "hazard sub-kinds not to report, comma-separated (docs/report-schema.md)"},
    {"suppress", OPT_PATH, OFF(suppress), 0, 1024, NULL,
     "file of suppressions, one 'sub-kind:function' or 'sub-kind:file[:line]' per line"},
    {"hold_ms", OPT_INT, OFF(hold_ms), 0, 3600000, NULL,
     "report a lock held longer than this many ms (0: off)"},
    {"lock_order", OPT_BOOL, OFF(lock_order), 0, 1, NULL,
     "predict deadlocks from the order locks are taken (potential-deadlock reports)"},
    {"record", OPT_PATH, OFF(record), 0, 1024, NULL,
     "write a binary trace of the run for 'tangle predict' (%p: pid)"},
    {"symbolizer", OPT_ENUM, OFF(symbolizer), 0, 0, "auto|addr2line",
     "how stacks are symbolized: libdw if it can be loaded, else addr2line; or addr2line only"},
    {"strip_path_prefix", OPT_PATH, OFF(strip_path_prefix), 0, 512, NULL,
     "remove this prefix from source file paths in reports"},
    {"long_wait_ms", OPT_INT, OFF(long_wait_ms), 0, 3600000, NULL,
     "report a wait longer than this many ms once, with what its holder is doing (0: off)"},
    {"dump_signal", OPT_INT, OFF(dump_signal), 0, 64, NULL,
     "this signal (a number, e.g. 10 for SIGUSR1) prints every thread: holds, waits, for how long"},
    {"lock_classes", OPT_BOOL, OFF(lock_classes), 0, 1, NULL,
     "lock order by where locks were created, to find inversions spread over instances"},
};
#undef OFF

void tg__options_defaults(struct tg_options *o)
{
    memset(o, 0, sizeof *o);
    o->on_deadlock = TG_ON_DEADLOCK_EXIT;
    o->exitcode = 66;
    o->stall_ms = 1000;
    o->check_ms = 10;
    o->watchdog_ms = 100;
    o->hazards = 1;
    o->exit_holding = 1;
    o->timed_cycles = 1;
    o->max_locks = 1 << 26; /* a limit, not a reservation: the table grows */
    o->max_threads = 1 << 20; /* tasks count; the table grows to it as actors live at once */
    o->stack_depth = 32;
    o->symbolize = 1;
    o->color = TG_COLOR_AUTO;
    o->lock_order = 1;
}

static int set_one(struct tg_options *o, const struct opt_def *d, const char *val, size_t vlen,
                   char *err, size_t errlen)
{
    char *field = (char *)o + d->off;
    char tmp[1024];
    if (vlen >= sizeof tmp) {
        snprintf(err, errlen, "the value of '%s' is too long (at most %zu characters)", d->key,
                 sizeof tmp - 1);
        return -1;
    }
    memcpy(tmp, val, vlen);
    tmp[vlen] = '\0';
    switch (d->type) {
    case OPT_PATH:
        if (vlen >= (size_t)d->hi) { /* hi: the field's size */
            snprintf(err, errlen, "the value of '%s' is too long (at most %ld characters)",
                     d->key, d->hi - 1);
            return -1;
        }
        memcpy(field, tmp, vlen + 1);
        return 0;
    case OPT_BOOL:
        if (!strcmp(tmp, "1") || !strcmp(tmp, "true") || !strcmp(tmp, "yes")) {
            *(int *)field = 1;
            return 0;
        }
        if (!strcmp(tmp, "0") || !strcmp(tmp, "false") || !strcmp(tmp, "no")) {
            *(int *)field = 0;
            return 0;
        }
        snprintf(err, errlen, "option '%s' takes 0 or 1, not '%s'", d->key, tmp);
        return -1;
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(tmp, &end, 10);
        if (errno || end == tmp || *end || v < d->lo || v > d->hi) {
            snprintf(err, errlen, "option '%s' takes a whole number from %ld to %ld, not '%s'",
                     d->key, d->lo, d->hi, tmp);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case OPT_ENUM: {
        const char *c = d->choices;
        for (int idx = 0; *c; idx++) {
            const char *bar = strchr(c, '|');
            size_t n = bar ? (size_t)(bar - c) : strlen(c);
            if (n == vlen && !strncmp(c, tmp, n)) {
                *(int *)field = idx;
                return 0;
            }
            c += n + (bar ? 1 : 0);
        }
        snprintf(err, errlen, "option '%s' takes one of %s, not '%s'", d->key, d->choices, tmp);
        return -1;
    }
    }
    return -1;
}

int tg__options_parse(struct tg_options *o, const char *spec, char *err, size_t errlen)
{
    const char *p = spec ? spec : "";
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            if (!eq) {
                snprintf(err, errlen, "'%.*s' is not key=value (TANGLE_OPTIONS separates "
                         "options with ':', e.g. json=out.json:stall_ms=500)", (int)len, p);
                return -1;
            }
            size_t klen = (size_t)(eq - p);
            const struct opt_def *d = NULL;
            for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
                if (strlen(defs[i].key) == klen && !strncmp(defs[i].key, p, klen))
                    d = &defs[i];
            if (!d) {
                snprintf(err, errlen, "unknown option '%.*s' (run 'tangle --help' for the list)",
                         (int)klen, p);
                return -1;
            }
            if (set_one(o, d, eq + 1, len - klen - 1, err, errlen) != 0)
                return -1;
        }
        p += len + (end ? 1 : 0);
    }
    return 0;
}

/* The default of d as text: a number, a choice, or "none" for a file. */
static void default_text(const struct opt_def *d, const struct tg_options *dflt, char *out,
                         size_t n)
{
    const char *field = (const char *)dflt + d->off;
    if (d->type == OPT_PATH) {
        snprintf(out, n, "%s", *field ? field : "none");
    } else if (d->type == OPT_ENUM) {
        const char *c = d->choices;
        for (int idx = *(const int *)field; idx > 0 && strchr(c, '|'); idx--)
            c = strchr(c, '|') + 1;
        snprintf(out, n, "%.*s", (int)strcspn(c, "|"), c);
    } else {
        snprintf(out, n, "%d", *(const int *)field);
    }
}

void tg__options_help(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    struct tg_options dflt;
    tg__options_defaults(&dflt);
    for (size_t i = 0; i < sizeof defs / sizeof defs[0] && used < outlen; i++) {
        char dv[64];
        default_text(&defs[i], &dflt, dv, sizeof dv);
        int n = snprintf(out + used, outlen - used, "  %-13s %s (default: %s)\n", defs[i].key,
                         defs[i].help, dv);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
