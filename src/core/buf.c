/* SPDX-License-Identifier: MIT */
/* buf.c: growable byte buffer (see buf.h). */
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int reserve(struct tg_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void tg__buf_put(struct tg_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tg__buf_puts(struct tg_buf *b, const char *s)
{
    tg__buf_put(b, s, strlen(s));
}

void tg__buf_printf(struct tg_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        tg__buf_put(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The length of the well-formed UTF-8 sequence at p (1-4), or 0 when the
 * bytes there are not one (stray continuation, overlong form, surrogate,
 * beyond U+10FFFF, or cut short). */
static int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
        return 0;
    if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

void tg__buf_json_str(struct tg_buf *b, const char *s)
{
    if (!s) {
        tg__buf_puts(b, "null");
        return;
    }
    tg__buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = 1;
        switch (*p) {
        case '"': tg__buf_puts(b, "\\\""); break;
        case '\\': tg__buf_puts(b, "\\\\"); break;
        case '\n': tg__buf_puts(b, "\\n"); break;
        case '\t': tg__buf_puts(b, "\\t"); break;
        case '\r': tg__buf_puts(b, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                tg__buf_printf(b, "\\u%04x", *p);
            } else if ((n = utf8_len(p)) > 0) {
                tg__buf_put(b, (const char *)p, (size_t)n);
            } else {
                /* Not UTF-8 (a thread named with Latin-1 bytes, say): the
                 * replacement character keeps the document valid. */
                tg__buf_puts(b, "\\ufffd");
                n = 1;
            }
        }
        p += n;
    }
    tg__buf_put(b, "\"", 1);
}

int tg__buf_write_fd(const struct tg_buf *b, int fd)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

void tg__buf_free(struct tg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
