/* SPDX-License-Identifier: MIT */
/* spill.h: append-only record streams kept in one unlinked temporary file.
 *
 * The analysis keeps every thread's stored events (see spd_impl.h) in a
 * stream; only the block being filled lives in memory, so the process's
 * memory does not grow with the trace (the kernel's page cache holds the
 * file while there is room, and drops it when there is not). Readers use
 * cursors, each with one block of buffer; the analysis reads each stream
 * forward, so a cursor reads every block once. */
#ifndef TG_PREDICT_SPILL_H
#define TG_PREDICT_SPILL_H

#include <stddef.h>
#include <stdint.h>

struct tg__spill {
    int fd;
    uint64_t size;        /* bytes written */
    char err[160];
};

struct tg__stream {
    uint32_t per_block;   /* records per block */
    uint32_t recsz;       /* bytes per record */
    uint64_t n;           /* records appended */
    uint64_t *blocks;     /* file offset of each full block */
    uint32_t n_blocks, cap_blocks;
    unsigned char *tail;  /* the block being filled (per_block records) */
};

struct tg__cursor {
    const struct tg__stream *st;
    uint64_t first;       /* index of buf's first record; UINT64_MAX if none */
    unsigned char *buf;   /* one block */
    uint32_t cap;         /* bytes allocated in buf */
};

/* Opens the temporary file in $TMPDIR (or /tmp). 0 or -1 (err set). */
int tg__spill_open(struct tg__spill *sp);
void tg__spill_close(struct tg__spill *sp);

/* A zeroed stream is empty; set per_block and recsz before the first append. */
int tg__stream_append(struct tg__spill *sp, struct tg__stream *st, const void *rec);
/* Overwrites n bytes at offset off of record idx (idx < st->n). */
int tg__stream_patch(struct tg__spill *sp, struct tg__stream *st, uint64_t idx, size_t off,
                     const void *p, size_t n);
void tg__stream_free(struct tg__stream *st);

/* Record idx of the cursor's stream (idx < n), valid until the cursor's
 * next call; NULL on an I/O or memory error (sp->err set). */
const void *tg__cursor_at(struct tg__spill *sp, struct tg__cursor *c, uint64_t idx);
/* Points c at st, keeping its buffer for reuse. A new cursor must start
 * zeroed ({0}) before its first tg__cursor_init. */
void tg__cursor_init(struct tg__cursor *c, const struct tg__stream *st);
void tg__cursor_free(struct tg__cursor *c);

#endif
