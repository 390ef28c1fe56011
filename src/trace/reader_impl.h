/* SPDX-License-Identifier: MIT */
/* reader_impl.h: the state shared by the text and binary readers.
 *
 * Both readers consume a byte window [start, end) of one buffer that
 * tg__reader_fill refills from the file descriptor, so neither ever holds
 * more than one buffer of the trace. */
#ifndef TG_TRACE_READER_IMPL_H
#define TG_TRACE_READER_IMPL_H

#include "trace/intern.h"
#include "trace/trace.h"

#include <stdarg.h>

#define TG__READ_BUF (4u << 20)       /* bytes per read(2) window (smaller for small files) */
#define TG__READ_PAD 16u              /* zeroed bytes after it (tg__intern_padded) */
#define TG__MAX_LINE (64u << 10)      /* longest text line accepted */
#define TG__MAX_NAME 1024u            /* longest thread/lock/variable name */

struct tg__site {
    uint64_t *pcs;     /* owned, n entries */
    int n;
    char **texts;      /* owned: its frames as text, outermost first */
    int n_texts;
};

struct tg_trace_reader {
    int fd, own_fd;
    const char *format;
    int (*next)(struct tg_trace_reader *r, struct tg_trace_event *ev);
    void (*reset)(struct tg_trace_reader *r);

    char *buf;
    size_t cap;            /* bytes in buf before its padding */
    size_t start, end;     /* unread bytes are buf[start..end) */
    uint64_t consumed;     /* file offset of buf[0] */
    int eof;

    struct tg__intern threads, objects;
    char err[512];
    unsigned long warnings, warn_limit;
    int damaged;
    uint64_t line;         /* text: current line number */

    /* binary only */
    uint64_t nevents;      /* events returned so far */
    uint64_t nrecords;     /* records decoded so far */
    uint32_t block;        /* index of the current block */
    const unsigned char *bp, *bend; /* records of the current block */
    unsigned minor;        /* the trace's minor format version */
    int rewound;           /* read again: site texts are not collected twice */
    int saw_end;
    uint64_t end_count;    /* events the end marker says were written */
    uint32_t block_want, block_got; /* records the block header announces, and decoded */
    uint32_t *tid_map, tid_cap;    /* binary thread id -> dense id + 1 */
    uint32_t *obj_map, obj_cap;
    struct tg__site *sites;
    uint32_t n_sites;
};

/* Makes at least `want` bytes available at buf[start..) unless the file
 * ends first; moves unread bytes to the front. Returns the number of bytes
 * now available, or -1 on a read error (message set). */
long tg__reader_fill(struct tg_trace_reader *r, size_t want);
void tg__reader_error(struct tg_trace_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int tg__text_next(struct tg_trace_reader *r, struct tg_trace_event *ev);
int tg__binary_next(struct tg_trace_reader *r, struct tg_trace_event *ev);
/* Checks the binary header at buf[start..); 0 or -1 (message set). */
int tg__binary_start(struct tg_trace_reader *r);
void tg__binary_reset(struct tg_trace_reader *r);
void tg__binary_free(struct tg_trace_reader *r);

#endif
