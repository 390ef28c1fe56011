/* SPDX-License-Identifier: MIT */
/* report.h: renderings of findings. Reporters read only struct tg_finding.
 *
 * Every reporter appends to a tg_buf; callers decide where it goes. Frames
 * are rendered as they are: run tg__symbolize_finding first for raw ones. */
#ifndef TG_REPORT_REPORT_H
#define TG_REPORT_REPORT_H

#include "core/buf.h"
#include "core/finding.h"

/* The version of the JSON report's schema (docs/report-schema.json). */
#define TG_REPORT_SCHEMA_STR "3"

struct tg_report_meta {
    const char *tool_version;
    long pid;            /* 0 when not a live run (traces) */
    const char *program; /* command or trace file name; may be NULL */
    int watched;         /* 1: a run tangle watched (pid, start, end are its) */
    const char *start;   /* ISO 8601 UTC times the watch began and ended; */
    const char *end;     /* NULL when unknown (end: still running or killed) */
};


/* One bug, one report (bug.c). tg__bug_key: the bug a lock cycle (a
 * deadlock or potential deadlock over locks) is, as a nonzero key; 0 for
 * any other finding. Two findings with one key are the same lock-order bug.
 * tg__bug_fold: counts `from` as another sighting of `into` (repeats) and
 * keeps its call sites as a place of into's when they are new; returns 1
 * if a place was added. tg__findings_merge: folds every potential deadlock
 * into the first one with its key, frees the folded ones, and returns how
 * many findings are left in fs (in their order). */
uint64_t tg__bug_key(const struct tg_finding *f);
int tg__bug_fold(struct tg_finding *into, const struct tg_finding *from);
int tg__findings_merge(struct tg_finding **fs, int n);

/* The loaded object of this process that holds addr, by the loader's list
 * (dl_iterate_phdr): its name as listed ("" for the executable) and, if
 * bias is not NULL, its load bias; NULL if no object holds addr. */
const char *tg__module_of(uintptr_t addr, uintptr_t *bias);
/* Whether a frame is the C library's, the loader's or tangle's own. */
int tg__system_frame(const struct tg_frame *fr);
/* Whether h, named as the one a wait on rwlock r waits for, does not hold
 * r but is queued for write access to it (ahead of a reader). */
int tg__queued_ahead(const struct tg_actor_info *h, const struct tg_res_info *r);

/* Human-readable text, as printed on stderr. `color` adds ANSI colours. */
void tg__render_text(struct tg_buf *out, const struct tg_finding *f, int color);
/* The whole JSON document: {"tool":"tangle", ..., "reports":[...]}. The
 * schema is documented in docs/report-schema.md. */
void tg__render_json(struct tg_buf *out, struct tg_finding *const *fs, int n,
                     const struct tg_report_meta *meta);
/* One report object (for streaming). */
void tg__render_json_one(struct tg_buf *out, const struct tg_finding *f);
/* SARIF 2.1.0: one run, a rule per kind, a result per finding with its
 * threads' waits and acquisitions as related locations and their stacks. */
void tg__render_sarif(struct tg_buf *out, struct tg_finding *const *fs, int n,
                      const struct tg_report_meta *meta);
/* One self-contained HTML page (no network, no external assets): each
 * report with its stacks folded, and its cycle as an inline SVG graph. */
void tg__render_html(struct tg_buf *out, struct tg_finding *const *fs, int n,
                     const struct tg_report_meta *meta);
/* Graphviz DOT: per finding, who waits for which lock and who holds it. */
void tg__render_dot(struct tg_buf *out, struct tg_finding *const *fs, int n);
/* Suppression lines (docs/suppressions.md) that would silence each finding. */
void tg__render_suppressions(struct tg_buf *out, struct tg_finding *const *fs, int n);

/* Suppressions (docs/suppressions.md): whether KIND (a line's part before
 * the colon, len bytes) names a kind of finding; whether it covers f; and
 * whether PATTERN matches a frame of f. */
int tg__suppress_kind_known(const char *kind, size_t len);
int tg__suppress_kind_matches(const char *kind, const struct tg_finding *f);
int tg__suppress_matches(const char *pattern, const struct tg_finding *f);

/* Reads a JSON report (any schema version so far) back into findings:
 * *out (n of them) and meta's fields, all malloc'd. 0, or -1 with a
 * sentence in err. */
int tg__report_read_json(const char *text, struct tg_finding ***out, int *n,
                         struct tg_report_meta *meta, char *err, size_t errlen);

/* ---- symbolization --------------------------------------------------------
 *
 * A symbolizer turns return addresses of one process into frames: function
 * (demangled), file (full path, as the debug information has it), line,
 * module and offset, with each inlined call a frame of its own (flagged
 * `inlined`, same pc). It uses libdw when libdw.so.1 can be loaded, else
 * addr2line, and caches answers per address; frames it cannot resolve keep
 * module+offset, and a function name is given only by a symbol that covers
 * the address. It never forks the whole process and never waits without a
 * deadline. Not thread-safe: one caller at a time per symbolizer. */
struct tg_symbolizer;
/* For process pid, or 0 for this one. NULL only when out of memory. */
struct tg_symbolizer *tg__symbolizer_open(long pid);
void tg__symbolizer_close(struct tg_symbolizer *s);
/* Symbolizes the return addresses pcs[0..n) (innermost first) into *out,
 * which the caller frees like any finding stack. 0, or -1 out of memory. */
int tg__symbolizer_stack(struct tg_symbolizer *s, const uintptr_t *pcs, int n,
                         struct tg_stack *out);

/* This process: fills every raw frame of the findings, inlined callers
 * expanded. Thread-safe. */
void tg__symbolize_findings(struct tg_finding **fs, int n);
/* The same for one stack, one frame per address (no inline expansion), so
 * that frame i still stands for pcs[i]. */
void tg__symbolize_stack(struct tg_stack *s);
/* The same with inlined callers expanded: an address's frames stay
 * together, innermost first, all but the last of them flagged inlined. */
void tg__symbolize_stack_inlined(struct tg_stack *s);
/* 0: this process symbolizes with addr2line only (option symbolizer). */
void tg__symbolize_use_libdw(int on);
/* In a fork child: forget a lock another thread of the parent held. */
void tg__symbolize_after_fork(void);
/* Reads TANGLE_ADDR2LINE, once: the library calls it as it starts, before
 * the program can change its environment. */
void tg__a2l_read_env(void);

/* Paths as printed: the prefix (strip_path_prefix) removed. */
void tg__report_set_path_prefix(const char *prefix);
const char *tg__report_path(const char *file);

/* The global variable at addr, as "name" or "name+offset" (malloc'd), from
 * the symbol table of the module that contains it; NULL if none. */
char *tg__data_symbol(uintptr_t addr);
#endif
