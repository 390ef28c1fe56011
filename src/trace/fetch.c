/* fetch.c: recovering the locations of a few events after the analysis, so
 * the analysis itself never stores location strings. */
#include "trace/reader_impl.h"

#include <stdlib.h>
#include <string.h>

/* The LOC field of a text line: what follows "|" after the first ")". */
static char *loc_of_line(const char *s, const char *e)
{
    const char *p = memchr(s, ')', (size_t)(e - s));
    if (e > s && e[-1] == '\r')
        e--;
    if (!p || p + 1 >= e || p[1] != '|')
        p = e;
    else
        p += 2;
    size_t n = (size_t)(e - p);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, p, n);
        out[n] = 0;
    }
    return out;
}

static int fetch_text(struct tg_trace_reader *r, const uint64_t *pos, size_t n,
                      struct tg_trace_loc *locs)
{
    uint64_t line = 0;
    size_t i = 0;
    while (i < n) {
        const char *s = r->buf + r->start, *e = r->buf + r->end;
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        const char *le = nl;
        if (!nl) {
            if (!r->eof && (size_t)(e - s) <= TG__MAX_LINE) {
                if (tg__reader_fill(r, (size_t)(e - s) + 1) < 0)
                    return -1;
                continue;
            }
            if (s == e)
                break;
            le = e; /* the last line, or an over-long one: take what is there */
        }
        r->start = nl ? (size_t)(nl + 1 - r->buf) : r->end;
        line++;
        for (; i < n && pos[i] == line; i++) {
            locs[i].text = loc_of_line(s, le);
            if (!locs[i].text) {
                tg__reader_error(r, "out of memory fetching locations");
                return -1;
            }
        }
        while (i < n && pos[i] < line)
            i++;
    }
    return 0;
}

static int fetch_binary(struct tg_trace_reader *r, const uint64_t *pos, size_t n,
                        struct tg_trace_loc *locs)
{
    struct tg_trace_event ev;
    size_t i = 0;
    unsigned long saved = r->warn_limit;
    r->warn_limit = 0;
    while (i < n && tg__trace_next(r, &ev) == TG_TRACE_OK) {
        for (; i < n && pos[i] == ev.pos; i++)
            locs[i].site = ev.site;
        while (i < n && pos[i] < ev.pos)
            i++;
    }
    r->warn_limit = saved;
    return r->err[0] && !r->damaged ? -1 : 0;
}

int tg__trace_fetch_locs(struct tg_trace_reader *r, const uint64_t *pos, size_t n,
                         struct tg_trace_loc *locs)
{
    for (size_t i = 0; i < n; i++)
        locs[i] = (struct tg_trace_loc){NULL, TG_NO_OBJ};
    int damaged = r->damaged;
    char err[sizeof r->err];
    memcpy(err, r->err, sizeof err);
    if (tg__trace_rewind(r) < 0)
        return -1;
    int rc = r->reset ? fetch_binary(r, pos, n, locs) : fetch_text(r, pos, n, locs);
    /* The first pass's verdict on damage stands. */
    r->damaged = damaged;
    if (rc == 0)
        memcpy(r->err, err, sizeof err);
    return rc;
}
