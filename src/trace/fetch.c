/* SPDX-License-Identifier: MIT */
/* fetch.c: recovering the locations of a few events after the analysis, so
 * the analysis itself never stores location strings. */
#include "trace/reader_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Reads each wanted line at its offset: no scan of the lines between. */
static int fetch_text(struct tg_trace_reader *r, const uint64_t *offset, size_t n,
                      struct tg_trace_loc *locs)
{
    char *line = malloc(TG__MAX_LINE + 1);
    if (!line) {
        tg__reader_error(r, "out of memory fetching locations");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* Lines are short: read 4 KiB, and the longest line only if needed. */
        ssize_t k = pread(r->fd, line, 4096, (off_t)offset[i]);
        if (k == 4096 && !memchr(line, '\n', 4096))
            k = pread(r->fd, line, TG__MAX_LINE + 1, (off_t)offset[i]);
        if (k < 0) {
            tg__reader_error(r, "cannot read the trace again: %s", strerror(errno));
            free(line);
            return -1;
        }
        const char *nl = memchr(line, '\n', (size_t)k);
        locs[i].text = loc_of_line(line, nl ? nl : line + k);
        if (!locs[i].text) {
            tg__reader_error(r, "out of memory fetching locations");
            free(line);
            return -1;
        }
    }
    free(line);
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

int tg__trace_fetch_locs(struct tg_trace_reader *r, const uint64_t *pos,
                         const uint64_t *offset, size_t n, struct tg_trace_loc *locs)
{
    for (size_t i = 0; i < n; i++)
        locs[i] = (struct tg_trace_loc){NULL, TG_NO_OBJ};
    int damaged = r->damaged;
    char err[sizeof r->err];
    memcpy(err, r->err, sizeof err);
    int rc;
    if (!r->reset) {
        rc = fetch_text(r, offset, n, locs);
    } else {
        if (tg__trace_rewind(r) < 0)
            return -1;
        rc = fetch_binary(r, pos, n, locs);
    }
    /* The first pass's verdict on damage stands. */
    r->damaged = damaged;
    if (rc == 0)
        memcpy(r->err, err, sizeof err);
    return rc;
}
