/* SPDX-License-Identifier: MIT */
/* spill.c: record streams in a temporary file (see spill.h). */
#define _GNU_SOURCE
#include "predict/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tg__spill_open(struct tg__spill *sp)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    sp->size = 0;
    sp->err[0] = 0;
    sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (sp->fd < 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tangle-predict-XXXXXX", dir);
        sp->fd = mkstemp(path);
        if (sp->fd >= 0)
            unlink(path);
    }
    if (sp->fd < 0) {
        snprintf(sp->err, sizeof sp->err, "cannot create a temporary file in %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void tg__spill_close(struct tg__spill *sp)
{
    if (sp->fd >= 0)
        close(sp->fd);
    sp->fd = -1;
}

static int io_error(struct tg__spill *sp, const char *what)
{
    snprintf(sp->err, sizeof sp->err, "cannot %s the temporary file: %s", what,
             errno ? strerror(errno) : "short transfer");
    return -1;
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const char *c = p;
    while (n) {
        ssize_t k = pwrite(fd, c, n, (off_t)off);
        if (k <= 0) {
            if (k < 0 && errno == EINTR)
                continue;
            return -1;
        }
        c += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

int tg__stream_append(struct tg__spill *sp, struct tg__stream *st, const void *rec)
{
    size_t bsz = (size_t)st->per_block * st->recsz;
    if (!st->tail && !(st->tail = malloc(bsz))) {
        snprintf(sp->err, sizeof sp->err, "out of memory");
        return -1;
    }
    uint32_t in = (uint32_t)(st->n % st->per_block);
    memcpy(st->tail + (size_t)in * st->recsz, rec, st->recsz);
    st->n++;
    if (in + 1 < st->per_block)
        return 0;
    if (st->n_blocks == st->cap_blocks) {
        uint32_t cap = st->cap_blocks ? st->cap_blocks * 2 : 8;
        uint64_t *b = realloc(st->blocks, cap * sizeof *b);
        if (!b) {
            snprintf(sp->err, sizeof sp->err, "out of memory");
            return -1;
        }
        st->blocks = b;
        st->cap_blocks = cap;
    }
    errno = 0;
    if (pwrite_all(sp->fd, st->tail, bsz, sp->size) < 0)
        return io_error(sp, "write");
    st->blocks[st->n_blocks++] = sp->size;
    sp->size += bsz;
    return 0;
}

int tg__stream_patch(struct tg__spill *sp, struct tg__stream *st, uint64_t idx, size_t off,
                     const void *p, size_t n)
{
    uint64_t b = idx / st->per_block;
    size_t at = (size_t)(idx % st->per_block) * st->recsz + off;
    if (b == st->n_blocks) {
        memcpy(st->tail + at, p, n);
        return 0;
    }
    errno = 0;
    return pwrite_all(sp->fd, p, n, st->blocks[b] + at) < 0 ? io_error(sp, "write") : 0;
}

void tg__stream_free(struct tg__stream *st)
{
    free(st->blocks);
    free(st->tail);
    st->blocks = NULL;
    st->tail = NULL;
}

void tg__cursor_init(struct tg__cursor *c, const struct tg__stream *st)
{
    c->st = st;
    c->first = UINT64_MAX;
}

void tg__cursor_free(struct tg__cursor *c)
{
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
}

const void *tg__cursor_at(struct tg__spill *sp, struct tg__cursor *c, uint64_t idx)
{
    const struct tg__stream *st = c->st;
    uint64_t b = idx / st->per_block;
    size_t in = (size_t)(idx % st->per_block) * st->recsz;
    if (b == st->n_blocks)
        return st->tail + in;
    if (c->first != b * st->per_block) {
        size_t bsz = (size_t)st->per_block * st->recsz;
        if (c->cap < bsz) {
            free(c->buf);
            c->cap = 0;
            if (!(c->buf = malloc(bsz))) {
                snprintf(sp->err, sizeof sp->err, "out of memory");
                return NULL;
            }
            c->cap = (uint32_t)bsz;
        }
        size_t got = 0;
        while (got < bsz) {
            ssize_t k = pread(sp->fd, c->buf + got, bsz - got, (off_t)(st->blocks[b] + got));
            if (k <= 0) {
                if (k < 0 && errno == EINTR)
                    continue;
                io_error(sp, "read");
                c->first = UINT64_MAX;
                return NULL;
            }
            got += (size_t)k;
        }
        c->first = b * st->per_block;
    }
    return c->buf + in;
}
