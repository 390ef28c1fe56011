/* SPDX-License-Identifier: MIT */
/* text_reader.c: the `THREAD|op(ARG)|LOC` format of published
 * deadlock-prediction benchmarks (RAPID, DeadDetector, SUnhang).
 *
 * One event per line. Names are any bytes other than controls, spaces, '|',
 * '(' and ')'. A thread named by digits alone ("12", as in fork(12)) is the
 * thread "T12", so both spellings of the benchmark variants agree. Blank
 * lines are skipped; a missing newline at the end of the file is accepted.
 * Everything else that does not fit is a fatal error naming the line and
 * column, except an unknown operation, which is a warning and skipped. */
#include "trace/reader_impl.h"

#include <string.h>

/* 1 for bytes allowed in a name: printable ASCII except '(' (0x28), ')'
 * (0x29) and '|' (0x7c), and any byte from 0x80 (UTF-8). */
static const unsigned char name_ok[256] = {
    [0x21 ... 0x27] = 1, [0x2a ... 0x7b] = 1, [0x7d ... 0x7e] = 1, [0x80 ... 0xff] = 1,
};

static const char *scan_name(const char *p, const char *e)
{
    while (p < e && name_ok[(unsigned char)*p])
        p++;
    return p;
}

static int bad(struct tg_trace_reader *r, const char *line, const char *at, const char *what)
{
    unsigned char c = (unsigned char)*at;
    if (c < 0x20 || c >= 0x7f)
        tg__reader_error(r, "line %llu, column %ld: %s, found byte 0x%02x",
                         (unsigned long long)r->line, (long)(at - line) + 1, what, c);
    else
        tg__reader_error(r, "line %llu, column %ld: %s, found '%c'",
                         (unsigned long long)r->line, (long)(at - line) + 1, what, c);
    return TG_TRACE_ERR;
}

/* Besides the benchmark ops, tangle's own extensions: racq (read lock of
 * an rwlock), wacq (write lock) and tacq (a trylock that succeeded). */
static int op_of(const char *s, size_t n, uint8_t *flags, uint8_t *mode)
{
    *flags = 0;
    *mode = TG_MODE_EXCLUSIVE;
    switch (n) {
    case 1: return s[0] == 'r' ? TG_EV_READ : s[0] == 'w' ? TG_EV_WRITE : 0;
    case 3:
        if (!memcmp(s, "acq", 3)) return TG_EV_ACQUIRE;
        if (!memcmp(s, "rel", 3)) return TG_EV_RELEASE;
        if (!memcmp(s, "req", 3)) return TG_EV_REQUEST;
        if (!memcmp(s, "end", 3)) return TG_EV_END;
        return 0;
    case 4:
        if (!memcmp(s, "fork", 4)) return TG_EV_FORK;
        if (!memcmp(s, "join", 4)) return TG_EV_JOIN;
        if (!memcmp(s, "wait", 4)) return TG_EV_WAIT;
        if (!memcmp(s, "racq", 4)) { *mode = TG_MODE_READ; return TG_EV_ACQUIRE; }
        if (!memcmp(s, "wacq", 4)) { *mode = TG_MODE_WRITE; return TG_EV_ACQUIRE; }
        if (!memcmp(s, "tacq", 4)) { *flags = TG_EVF_TRY; return TG_EV_ACQUIRE; }
        return 0;
    case 5: return !memcmp(s, "begin", 5) ? TG_EV_BEGIN : 0;
    case 6: return !memcmp(s, "notify", 6) ? TG_EV_NOTIFY : 0;
    case 9:
        if (!memcmp(s, "notifyAll", 9) || !memcmp(s, "notifyall", 9)) {
            *flags = TG_EVF_BROADCAST;
            return TG_EV_NOTIFY;
        }
        return 0;
    default: return 0;
    }
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Interns a thread name, spelling "12" as "T12". */
static int64_t intern_thread(struct tg_trace_reader *r, const char *s, size_t n)
{
    if (n && all_digits(s, n)) {
        char tmp[TG__MAX_NAME + 2];
        tmp[0] = 'T';
        memcpy(tmp + 1, s, n);
        return tg__intern(&r->threads, tmp, n + 1);
    }
    return tg__intern_padded(&r->threads, s, n);
}

static int check_name(struct tg_trace_reader *r, const char *line, const char *s,
                      const char *e, const char *what)
{
    if (s == e)
        return bad(r, line, s, what);
    if ((size_t)(e - s) > TG__MAX_NAME) {
        tg__reader_error(r, "line %llu, column %ld: a name is longer than %u bytes",
                         (unsigned long long)r->line, (long)(s - line) + 1, TG__MAX_NAME);
        return TG_TRACE_ERR;
    }
    return 0;
}

/* Parses one line [p, e); returns TG_TRACE_OK, 0 to skip it, or an error. */
static int parse_line(struct tg_trace_reader *r, const char *p, const char *e,
                      struct tg_trace_event *ev)
{
    const char *line = p, *q;
    q = scan_name(p, e);
    if (check_name(r, line, p, q, "expected a thread name") < 0)
        return TG_TRACE_ERR;
    const char *th = p;
    size_t thn = (size_t)(q - p);
    if (q == e || *q != '|')
        return bad(r, line, q == e ? q - 1 : q, "expected '|' after the thread name");
    p = q + 1;
    q = p;
    while (q < e && *q >= 'a' && *q <= 'z')
        q++;
    while (q < e && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_'))
        q++;
    const char *op = p;
    size_t opn = (size_t)(q - p);
    if (opn == 0)
        return bad(r, line, q == e ? q - 1 : q, "expected an operation such as acq or rel");
    if (q == e || *q != '(')
        return bad(r, line, q == e ? q - 1 : q, "expected '(' after the operation");
    p = q + 1;
    q = scan_name(p, e);
    const char *arg = p;
    size_t argn = (size_t)(q - p);
    if (argn > TG__MAX_NAME)
        return check_name(r, line, p, q, "");
    if (q == e || *q != ')')
        return bad(r, line, q == e ? q - 1 : q, "expected ')' after the argument");
    p = q + 1;
    ev->loc = p;
    ev->loc_len = 0;
    if (p < e) {
        if (*p != '|')
            return bad(r, line, p, "expected '|' before the location");
        p++;
        for (q = p; q < e; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return bad(r, line, q, "unexpected control byte in the location");
        ev->loc = p;
        ev->loc_len = (uint32_t)(e - p);
    }
    uint8_t mode;
    int o = op_of(op, opn, &ev->flags, &mode);
    if (!o) {
        tg__trace_warn(r, "line %llu: unknown operation '%.*s'; the event is ignored",
                        (unsigned long long)r->line, (int)(opn > 40 ? 40 : opn), op);
        return 0;
    }
    if (argn == 0 && o != TG_EV_BEGIN && o != TG_EV_END)
        return bad(r, line, arg, "expected an argument inside the parentheses");
    int64_t t = intern_thread(r, th, thn);
    int64_t a = (int64_t)TG_NO_OBJ;
    if (o == TG_EV_FORK || o == TG_EV_JOIN)
        a = intern_thread(r, arg, argn);
    else if (argn)
        a = tg__intern_padded(&r->objects, arg, argn);
    if (t < 0 || a < 0) {
        tg__reader_error(r, "line %llu: out of memory interning names",
                         (unsigned long long)r->line);
        return TG_TRACE_ERR;
    }
    ev->op = (uint8_t)o;
    ev->mode = mode;
    ev->thread = (uint32_t)t;
    ev->obj = (uint32_t)a;
    ev->aux = TG_NO_OBJ;
    ev->site = TG_NO_OBJ;
    ev->pos = r->line;
    return TG_TRACE_OK;
}

/* The first '\n' in [s, e), or NULL. Lines are short, so a word-at-a-time
 * scan beats a call to memchr; it may look at up to 7 bytes past e, which
 * the reader's buffer pads (TG__READ_PAD), but never returns a match there. */
static const char *find_newline(const char *s, const char *e)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    return memchr(s, '\n', (size_t)(e - s));
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (const char *p = s; p < e; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= ones * '\n';
        uint64_t z = (w - ones) & ~w & highs;
        if (z) {
            const char *hit = p + (__builtin_ctzll(z) >> 3);
            return hit < e ? hit : NULL;
        }
    }
    return NULL;
}

int tg__text_next(struct tg_trace_reader *r, struct tg_trace_event *ev)
{
    for (;;) {
        const char *s = r->buf + r->start, *e = r->buf + r->end;
        const char *nl = find_newline(s, e);
        const char *le;
        if (nl) {
            le = nl;
            r->start = (size_t)(nl + 1 - r->buf);
        } else if (r->eof) {
            if (s == e)
                return TG_TRACE_EOF;
            le = e;
            r->start = r->end;
        } else {
            if ((size_t)(e - s) > TG__MAX_LINE) {
                tg__reader_error(r, "line %llu is longer than %u bytes; this is not a "
                                 "trace in the THREAD|op(ARG)|LOC format",
                                 (unsigned long long)r->line + 1, TG__MAX_LINE);
                return TG_TRACE_ERR;
            }
            if (tg__reader_fill(r, (size_t)(e - s) + 1) < 0)
                return TG_TRACE_ERR;
            continue;
        }
        r->line++;
        if ((size_t)(le - s) > TG__MAX_LINE) {
            tg__reader_error(r, "line %llu is longer than %u bytes; this is not a "
                             "trace in the THREAD|op(ARG)|LOC format",
                             (unsigned long long)r->line, TG__MAX_LINE);
            return TG_TRACE_ERR;
        }
        if (le > s && le[-1] == '\r')
            le--;
        if (le == s)
            continue;
        int rc = parse_line(r, s, le, ev);
        if (rc != 0) {
            ev->offset = r->consumed + (uint64_t)(s - r->buf);
            return rc;
        }
    }
}
