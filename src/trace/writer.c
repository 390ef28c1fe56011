/* SPDX-License-Identifier: MIT */
/* writer.c: the binary trace writer (see writer.h, docs/trace-format.md). */
#include "trace/writer.h"
#include "trace/trace.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static int write_all(struct tg__trace_writer *w, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->err = -errno;
            return w->err;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int tg__trace_writer_open(struct tg__trace_writer *w, int fd)
{
    unsigned char h[TG__FILE_HEADER_LEN] = {0};
    w->fd = fd;
    w->err = 0;
    w->nrec = 0;
    w->nevents = 0;
    w->len = 0;
    memcpy(h, TG__MAGIC, TG__MAGIC_LEN);
    h[8] = TG__FORMAT_MAJOR;
    h[10] = TG__FORMAT_MINOR;
    return write_all(w, h, sizeof h);
}

int tg__trace_writer_flush(struct tg__trace_writer *w)
{
    if (w->err)
        return w->err;
    if (w->nrec == 0)
        return 0;
    unsigned char *h = w->block;
    put_u32le(h, TG__BLOCK_MAGIC);
    put_u32le(h + 4, (uint32_t)w->len);
    put_u32le(h + 8, w->nrec);
    put_u32le(h + 12, tg__block_crc(h, h + TG__BLOCK_HEADER_LEN, w->len));
    int rc = write_all(w, h, TG__BLOCK_HEADER_LEN + w->len);
    w->len = 0;
    w->nrec = 0;
    return rc;
}

/* Guarantees room for a record of up to `need` bytes, flushing if the block
 * would grow past TG__WRITER_BLOCK. */
static unsigned char *reserve(struct tg__trace_writer *w, size_t need)
{
    if (w->err)
        return NULL;
    if (w->len + need > TG__WRITER_BLOCK && tg__trace_writer_flush(w) < 0)
        return NULL;
    return w->block + TG__BLOCK_HEADER_LEN + w->len;
}

static unsigned char *put_var(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static void commit(struct tg__trace_writer *w, unsigned char *end)
{
    w->len = (size_t)(end - (w->block + TG__BLOCK_HEADER_LEN));
    w->nrec++;
}

static int named(struct tg__trace_writer *w, int tag, uint32_t id, int kind, const char *name,
                 size_t max)
{
    size_t n = name ? strnlen(name, max) : 0;
    if (id >= TG__MAX_ID)
        return -EINVAL;
    unsigned char *p = reserve(w, 32 + n);
    if (!p)
        return w->err;
    *p++ = (unsigned char)tag;
    p = put_var(p, id);
    if (kind >= 0)
        p = put_var(p, (uint64_t)kind);
    p = put_var(p, n);
    memcpy(p, name ? name : "", n);
    commit(w, p + n);
    return 0;
}

int tg__trace_writer_thread(struct tg__trace_writer *w, uint32_t tid, const char *name)
{
    return named(w, TG__REC_THREAD, tid, -1, name, TG__MAX_TEXT);
}

int tg__trace_writer_object(struct tg__trace_writer *w, uint32_t obj, int kind, const char *name)
{
    return named(w, TG__REC_OBJECT, obj, kind, name, TG__MAX_TEXT);
}

int tg__trace_writer_site_text(struct tg__trace_writer *w, uint32_t site, const char *text)
{
    return named(w, TG__REC_SITE_TEXT, site, -1, text, TG__MAX_TEXT);
}

int tg__trace_writer_site(struct tg__trace_writer *w, uint32_t site, const uintptr_t *pcs, int n)
{
    if (site >= TG__MAX_ID || n < 0)
        return -EINVAL;
    if (n > TG__MAX_FRAMES)
        n = TG__MAX_FRAMES;
    unsigned char *p = reserve(w, 16 + (size_t)n * 10);
    if (!p)
        return w->err;
    *p++ = TG__REC_SITE;
    p = put_var(p, site);
    p = put_var(p, (uint64_t)n);
    for (int i = 0; i < n; i++)
        p = put_var(p, pcs[i]);
    commit(w, p);
    return 0;
}

int tg__trace_writer_event(struct tg__trace_writer *w, int op, int mode, int flags,
                           uint32_t thread, uint32_t obj, uint32_t site, uint32_t aux)
{
    if (op <= 0 || op >= TG_EV__COUNT || thread >= TG__MAX_ID ||
        (obj != TG_NO_OBJ && obj >= TG__MAX_ID))
        return -EINVAL;
    unsigned char *p = reserve(w, 32);
    if (!p)
        return w->err;
    *p++ = (unsigned char)(TG__REC_EVENT + op);
    *p++ = (unsigned char)((mode & 3) | ((flags & 0x3f) << 2));
    p = put_var(p, thread);
    p = put_var(p, obj == TG_NO_OBJ ? 0 : (uint64_t)obj + 1);
    p = put_var(p, site == TG_NO_OBJ ? 0 : (uint64_t)site + 1);
    p = put_var(p, aux == TG_NO_OBJ ? 0 : (uint64_t)aux + 1);
    commit(w, p);
    w->nevents++;
    return 0;
}

int tg__trace_writer_close(struct tg__trace_writer *w)
{
    unsigned char *p = reserve(w, 16);
    if (!p)
        return w->err;
    *p++ = TG__REC_END;
    p = put_var(p, w->nevents);
    commit(w, p);
    return tg__trace_writer_flush(w);
}
