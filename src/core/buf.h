/* SPDX-License-Identifier: MIT */
/* buf.h: a growable byte buffer for building reports without stdio.
 *
 * Reports are built in memory and written with one write(2), so a report
 * never takes a stdio lock that a blocked thread of the watched program
 * might hold. On out-of-memory the buffer keeps what fit and sets `failed`. */
#ifndef TG_CORE_BUF_H
#define TG_CORE_BUF_H

#include <stddef.h>

struct tg_buf {
    char *data;   /* NUL-terminated while len < cap */
    size_t len, cap;
    int failed;
};

void tg__buf_put(struct tg_buf *b, const char *s, size_t n);
void tg__buf_puts(struct tg_buf *b, const char *s);
void tg__buf_printf(struct tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, quotes included; NULL becomes null. */
void tg__buf_json_str(struct tg_buf *b, const char *s);
/* Writes everything to fd, retrying on EINTR and short writes; 0 or -1. */
int tg__buf_write_fd(const struct tg_buf *b, int fd);
void tg__buf_free(struct tg_buf *b);

#endif
