/* SPDX-License-Identifier: MIT */
/* reader.c: opening a trace, detecting its format, buffering and messages. */
#include "trace/reader_impl.h"
#include "trace/binary_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const op_names[TG_EV__COUNT] = {
    [TG_EV_ACQUIRE] = "acq", [TG_EV_RELEASE] = "rel", [TG_EV_READ] = "r",
    [TG_EV_WRITE] = "w",     [TG_EV_FORK] = "fork",   [TG_EV_JOIN] = "join",
    [TG_EV_REQUEST] = "req", [TG_EV_BEGIN] = "begin", [TG_EV_END] = "end",
    [TG_EV_WAIT] = "wait",   [TG_EV_NOTIFY] = "notify",
};

const char *tg__trace_op_name(int op)
{
    return op > 0 && op < TG_EV__COUNT ? op_names[op] : "?";
}

/* A small file gets a small buffer; it grows to the full window if the
 * file turns out longer (or is a pipe). */
static int grow(struct tg_trace_reader *r)
{
    if (r->cap >= TG__READ_BUF) {
        tg__reader_error(r, "internal error: the read window is full");
        return -1;
    }
    char *b = realloc(r->buf, TG__READ_BUF + TG__READ_PAD);
    if (!b) {
        tg__reader_error(r, "out of memory reading the trace");
        return -1;
    }
    memset(b + r->cap, 0, TG__READ_BUF + TG__READ_PAD - r->cap);
    r->buf = b;
    r->cap = TG__READ_BUF;
    return 0;
}

long tg__reader_fill(struct tg_trace_reader *r, size_t want)
{
    if (r->end - r->start >= want || r->eof)
        return (long)(r->end - r->start);
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->consumed += r->start;
        r->end -= r->start;
        r->start = 0;
    }
    while (r->end < want && !r->eof) {
        if (r->end == r->cap && grow(r) < 0)
            return -1;
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            tg__reader_error(r, "cannot read the trace: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
    }
    return (long)(r->end - r->start);
}

void tg__reader_error(struct tg_trace_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

void tg__trace_warn(struct tg_trace_reader *r, const char *fmt, ...)
{
    if (r->warnings++ >= r->warn_limit)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tangle: warning: %s\n", msg);
    if (r->warnings == r->warn_limit)
        fprintf(stderr, "tangle: further warnings about this trace are counted, not shown.\n");
}

struct tg_trace_reader *tg__trace_open(const char *path, char *errbuf, size_t errlen)
{
    struct tg_trace_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(errbuf, errlen, "out of memory opening %s", path);
        return NULL;
    }
    r->warn_limit = 20;
    if (strcmp(path, "-") == 0) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            snprintf(errbuf, errlen, "cannot open the trace %s: %s", path, strerror(errno));
            free(r);
            return NULL;
        }
        r->own_fd = 1;
    }
    struct stat sb;
    r->cap = TG__READ_BUF;
    if (fstat(r->fd, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < TG__READ_BUF)
        r->cap = (size_t)sb.st_size + 1 < 4096 ? 4096 : (size_t)sb.st_size + 1;
    r->buf = calloc(1, r->cap + TG__READ_PAD);
    if (!r->buf) {
        snprintf(errbuf, errlen, "out of memory opening %s", path);
        tg__trace_close(r);
        return NULL;
    }
    if (tg__reader_fill(r, TG__MAGIC_LEN) < 0) {
        snprintf(errbuf, errlen, "%s: %s", path, r->err);
        tg__trace_close(r);
        return NULL;
    }
    if (r->end == r->start) {
        snprintf(errbuf, errlen, "%s: the trace is empty (0 bytes): nothing was recorded in "
                 "it; record the program again", path);
        tg__trace_close(r);
        return NULL;
    }
    if (r->end - r->start >= TG__MAGIC_LEN &&
        memcmp(r->buf + r->start, TG__MAGIC, TG__MAGIC_LEN) == 0) {
        r->format = "binary";
        r->next = tg__binary_next;
        r->reset = tg__binary_reset;
        if (tg__binary_start(r) < 0) {
            snprintf(errbuf, errlen, "%s: %s", path, r->err);
            tg__trace_close(r);
            return NULL;
        }
    } else {
        r->format = "text";
        r->next = tg__text_next;
    }
    return r;
}

int tg__trace_rewind(struct tg_trace_reader *r)
{
    if (lseek(r->fd, 0, SEEK_SET) != 0) {
        tg__reader_error(r, "the trace cannot be read twice (is it a pipe?): %s",
                         strerror(errno));
        return -1;
    }
    r->start = r->end = 0;
    r->consumed = 0;
    r->eof = 0;
    r->line = 0;
    r->err[0] = 0;
    if (r->reset) {
        r->reset(r);
        if (tg__reader_fill(r, TG__MAGIC_LEN) < 0 || tg__binary_start(r) < 0)
            return -1;
    }
    return 0;
}

int tg__trace_next(struct tg_trace_reader *r, struct tg_trace_event *ev)
{
    return r->next(r, ev);
}

void tg__trace_close(struct tg_trace_reader *r)
{
    if (!r)
        return;
    if (r->own_fd)
        close(r->fd);
    tg__binary_free(r);
    tg__intern_free(&r->threads);
    tg__intern_free(&r->objects);
    free(r->buf);
    free(r);
}

const char *tg__trace_format(const struct tg_trace_reader *r) { return r->format; }
const char *tg__trace_error(const struct tg_trace_reader *r) { return r->err; }
void tg__trace_set_warning_limit(struct tg_trace_reader *r, unsigned long limit) { r->warn_limit = limit; }
unsigned long tg__trace_warnings(const struct tg_trace_reader *r) { return r->warnings; }
int tg__trace_damaged(const struct tg_trace_reader *r) { return r->damaged; }
uint32_t tg__trace_n_threads(const struct tg_trace_reader *r) { return r->threads.count; }
uint32_t tg__trace_n_objects(const struct tg_trace_reader *r) { return r->objects.count; }

const char *tg__trace_thread_name(const struct tg_trace_reader *r, uint32_t id)
{
    return tg__intern_name(&r->threads, id);
}

const char *tg__trace_object_name(const struct tg_trace_reader *r, uint32_t id)
{
    return tg__intern_name(&r->objects, id);
}

const char *tg__trace_site_text(const struct tg_trace_reader *r, uint32_t site)
{
    if (site >= r->n_sites || r->sites[site].n_texts == 0)
        return NULL;
    return r->sites[site].texts[r->sites[site].n_texts - 1];
}

int tg__trace_site_texts(const struct tg_trace_reader *r, uint32_t site,
                         const char *const **texts)
{
    if (site >= r->n_sites) {
        *texts = NULL;
        return 0;
    }
    *texts = (const char *const *)r->sites[site].texts;
    return r->sites[site].n_texts;
}

int tg__trace_site_frames(const struct tg_trace_reader *r, uint32_t site, const uint64_t **pcs)
{
    if (site >= r->n_sites)
        return 0;
    *pcs = r->sites[site].pcs;
    return r->sites[site].n;
}
