/* SPDX-License-Identifier: MIT */
/* writer.h: streaming writer of tangle's binary trace format.
 *
 * Made for the preload library: the caller owns the struct (about 66 KiB;
 * it can be static), the writer never calls malloc, and it writes to a
 * plain file descriptor with write(2) whenever a block fills, so memory does
 * not grow with the length of the trace. A writer is not thread-safe: the
 * recorder serialises calls (one lock, a leaf).
 *
 * Every call returns 0 or a negative errno value; after the first error the
 * writer stays failed and later calls return the same error, so a recorder
 * can check once at the end. Ids are the recorder's own: small integers it
 * assigns to threads, lock instances and sites (each below 2^24). */
#ifndef TG_TRACE_WRITER_H
#define TG_TRACE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "trace/binary_format.h"

struct tg__trace_writer {
    int fd;
    int err;               /* 0 or the first negative errno */
    uint32_t nrec;         /* records in the current block */
    uint64_t nevents;      /* events written in total */
    size_t len;            /* payload bytes in the current block */
    unsigned char block[TG__BLOCK_HEADER_LEN + TG__WRITER_BLOCK + 64];
};

/* Object kinds of TG__REC_OBJECT. */
enum { TG_OBJ_MUTEX = 0, TG_OBJ_RWLOCK = 1, TG_OBJ_COND = 2, TG_OBJ_OTHER = 3 };

/* Writes the file header. */
int tg__trace_writer_open(struct tg__trace_writer *w, int fd);
/* Names a thread or object; call before its first event so readers show
 * the name (a later name is ignored by readers). */
int tg__trace_writer_thread(struct tg__trace_writer *w, uint32_t tid, const char *name);
int tg__trace_writer_object(struct tg__trace_writer *w, uint32_t obj, int kind, const char *name);
/* Declares a site: an interned stack of return addresses (at most 256). */
int tg__trace_writer_site(struct tg__trace_writer *w, uint32_t site, const uintptr_t *pcs, int n);
/* Declares a site by text, e.g. "file.c:12" (tests, converted traces), or
 * one frame of it: a site's text records are its frames, outermost first,
 * so that the last one written is the innermost (the one a reader of
 * format 1.0 keeps). */
int tg__trace_writer_site_text(struct tg__trace_writer *w, uint32_t site, const char *text);
/* One event; op is enum tg_trace_op, flags TG_EVF_*, mode enum tg_lock_mode.
 * site and aux may be TG_NO_OBJ. */
int tg__trace_writer_event(struct tg__trace_writer *w, int op, int mode, int flags,
                           uint32_t thread, uint32_t obj, uint32_t site, uint32_t aux);
/* Writes the current block, even if not full. */
int tg__trace_writer_flush(struct tg__trace_writer *w);
/* Writes the end marker and flushes; the fd stays open. A trace without an
 * end marker is reported as cut short by readers. */
int tg__trace_writer_close(struct tg__trace_writer *w);

#endif
