/* SPDX-License-Identifier: MIT */
/* trace.h: recorded traces, read one event at a time.
 *
 * Two formats produce the same events: tangle's binary format (written by
 * `tangle record`, see docs/trace-format.md) and the text format of published
 * deadlock-prediction benchmarks (`THREAD|op(ARG)|LOC`). Readers stream: they
 * hold one buffer and the name tables, never the whole trace, so reading
 * costs memory in the number of distinct names, not in trace length.
 *
 * Threads and objects (locks, condition variables, memory locations) get
 * dense ids 0, 1, 2, ... in order of first appearance; the same name always
 * gets the same id. Lock and variable names share one id space, which is
 * harmless: an analysis keeps separate state per role. */
#ifndef TG_TRACE_TRACE_H
#define TG_TRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "trace/ops.h"

enum tg_lock_mode {
    TG_MODE_EXCLUSIVE = 0, /* a mutex, or a monitor */
    TG_MODE_READ = 1,      /* rwlock read (shared) lock */
    TG_MODE_WRITE = 2      /* rwlock write lock */
};


struct tg_trace_event {
    uint8_t op;          /* enum tg_trace_op */
    uint8_t mode;        /* enum tg_lock_mode, for acquire */
    uint8_t flags;       /* TG_EVF_* */
    uint32_t thread;
    uint32_t obj;
    uint32_t aux;        /* TG_NO_OBJ unless stated for the op */
    uint32_t site;       /* binary traces: site id; text: TG_NO_OBJ */
    const char *loc;     /* text traces: the LOC field (not NUL-terminated), */
    uint32_t loc_len;    /* valid until the next call; NULL for binary */
    uint64_t pos;        /* text: line number (from 1); binary: event index */
    uint64_t offset;     /* text: byte offset of the line in the file; binary: 0 */
};

struct tg_trace_reader;

/* Result codes. Errors leave a message in tg__trace_error(). */
#define TG_TRACE_OK 1       /* an event was returned */
#define TG_TRACE_EOF 0
#define TG_TRACE_ERR (-1)   /* fatal: nothing more can be read */

/* Opens a file (or "-" for stdin), detecting the format from its first
 * bytes. Returns NULL and fills errbuf when the file cannot be opened. */
struct tg_trace_reader *tg__trace_open(const char *path, char *errbuf, size_t errlen);
/* Rewinds to the first event; names keep their ids. Fails (-1) on a pipe. */
int tg__trace_rewind(struct tg_trace_reader *r);
int tg__trace_next(struct tg_trace_reader *r, struct tg_trace_event *ev);
void tg__trace_close(struct tg_trace_reader *r);

const char *tg__trace_format(const struct tg_trace_reader *r); /* "text" or "binary" */
const char *tg__trace_error(const struct tg_trace_reader *r);
/* Non-fatal problems (unknown ops, a corrupted block that was skipped) are
 * printed to stderr as warnings, at most `limit` of them, then counted. */
void tg__trace_set_warning_limit(struct tg_trace_reader *r, unsigned long limit);
unsigned long tg__trace_warnings(const struct tg_trace_reader *r);
/* Prints (or counts, past the limit) a warning about the trace. */
void tg__trace_warn(struct tg_trace_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set when the binary reader skipped data: the analysis saw only part of
 * the run and says so. */
int tg__trace_damaged(const struct tg_trace_reader *r);

uint32_t tg__trace_n_threads(const struct tg_trace_reader *r);
uint32_t tg__trace_n_objects(const struct tg_trace_reader *r);
const char *tg__trace_thread_name(const struct tg_trace_reader *r, uint32_t id);
const char *tg__trace_object_name(const struct tg_trace_reader *r, uint32_t id);
/* A site's location as text (binary traces with symbolic sites, e.g.
 * "file.c:12"; its innermost frame), or NULL. */
const char *tg__trace_site_text(const struct tg_trace_reader *r, uint32_t site);
/* A site's frames as text, outermost first (*texts[n - 1] is the innermost,
 * the one tg__trace_site_text gives); returns n, 0 if it has none. */
int tg__trace_site_texts(const struct tg_trace_reader *r, uint32_t site,
                         const char *const **texts);
/* A site's raw frames; returns the number of frames (0 if unknown). */
int tg__trace_site_frames(const struct tg_trace_reader *r, uint32_t site,
                          const uint64_t **pcs);

const char *tg__trace_op_name(int op);

/* Where an event happened, fetched after the fact (tg__trace_fetch_locs). */
struct tg_trace_loc {
    char *text;          /* text traces: the LOC field (owned, "" if none) */
    uint32_t site;       /* binary traces: the site id, or TG_NO_OBJ */
};

/* Fetches the locations of n events, given their positions (ev.pos) and
 * offsets (ev.offset), sorted by position (repeats allowed). A text trace
 * reads just those lines at their offsets; a binary trace is read again up
 * to the last position. Entries that cannot be found get text NULL and
 * site TG_NO_OBJ. Returns 0, or -1 with the reader's message set (a pipe
 * cannot be read twice; out of memory). */
int tg__trace_fetch_locs(struct tg_trace_reader *r, const uint64_t *pos,
                         const uint64_t *offset, size_t n, struct tg_trace_loc *locs);

#endif
