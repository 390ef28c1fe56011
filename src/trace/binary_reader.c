/* SPDX-License-Identifier: MIT */
/* binary_reader.c: reads tangle's binary trace format.
 *
 * Blocks are verified by their CRC before any record in them is used. A
 * block that is cut short, fails its checksum or does not parse is skipped:
 * the reader scans forward for the next block header, marks the trace as
 * damaged, and says where (byte offset, block number) once. A file without
 * its end marker was cut short; everything before the cut is still read.
 * Blocks whose record count differs from their header, records after the
 * end marker, and a total of events that differs from the one the end
 * marker gives (a block duplicated or lost) are damage too. */
#include "trace/binary_format.h"
#include "trace/reader_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t get_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int tg__binary_start(struct tg_trace_reader *r)
{
    if (tg__reader_fill(r, TG__FILE_HEADER_LEN) < TG__FILE_HEADER_LEN) {
        if (!r->err[0])
            tg__reader_error(r, "the trace is cut short inside its 16-byte file header");
        return -1;
    }
    const unsigned char *h = (const unsigned char *)r->buf + r->start;
    unsigned major = h[8] | h[9] << 8;
    if (major != TG__FORMAT_MAJOR) {
        tg__reader_error(r, "the trace uses binary format version %u; this tangle reads "
                         "version %d (record it again with this tangle)", major,
                         TG__FORMAT_MAJOR);
        return -1;
    }
    r->minor = h[10] | h[11] << 8;
    r->start += TG__FILE_HEADER_LEN;
    r->block = 0;
    r->bp = r->bend = NULL;
    r->saw_end = 0;
    r->end_count = 0;
    r->block_want = r->block_got = 0;
    r->nevents = 0;
    r->nrecords = 0;
    return 0;
}

void tg__binary_reset(struct tg_trace_reader *r)
{
    r->bp = r->bend = NULL;
    r->rewound = 1;
}

void tg__binary_free(struct tg_trace_reader *r)
{
    for (uint32_t i = 0; i < r->n_sites; i++) {
        free(r->sites[i].pcs);
        for (int j = 0; j < r->sites[i].n_texts; j++)
            free(r->sites[i].texts[j]);
        free(r->sites[i].texts);
    }
    free(r->sites);
    free(r->tid_map);
    free(r->obj_map);
}

/* Records the first damage with its position (block numbers count from 1,
 * the file header excluded); later damage is only counted. */
static void damage(struct tg_trace_reader *r, const char *what, uint32_t block)
{
    if (!r->damaged)
        tg__reader_error(r, "%s at byte %llu (block %u); %llu events before it were read",
                         what, (unsigned long long)(r->consumed + r->start), block,
                         (unsigned long long)r->nevents);
    r->damaged++;
}

static int get_var(const unsigned char **pp, const unsigned char *e, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p == e)
            return -1;
        unsigned char c = *p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (shift == 63 && c > 1)
                return -1;
            *pp = p;
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Whether an id is plausible: recorders number threads, objects and sites
 * densely from 0, so an id is never far beyond the number of records read.
 * This keeps a small corrupt file from making the reader allocate tables
 * for ids it will never see. */
static int plausible(const struct tg_trace_reader *r, uint64_t id)
{
    return id < TG__MAX_ID && id <= 2 * r->nrecords + 65536;
}

/* Maps a recorded id to a dense id, interning "<prefix><id>" the first time. */
static int64_t dense(struct tg_trace_reader *r, int thread, uint64_t id, const char *name,
                     size_t nlen)
{
    uint32_t **map = thread ? &r->tid_map : &r->obj_map;
    uint32_t *cap = thread ? &r->tid_cap : &r->obj_cap;
    if (!plausible(r, id))
        return -1;
    if (id >= *cap) {
        uint32_t nc = *cap ? *cap : 64;
        while (nc <= id)
            nc *= 2;
        uint32_t *m = realloc(*map, nc * sizeof *m);
        if (!m)
            return -1;
        memset(m + *cap, 0, (nc - *cap) * sizeof *m);
        *map = m;
        *cap = nc;
    }
    if ((*map)[id])
        return (*map)[id] - 1;
    char tmp[TG__MAX_TEXT + 32];
    int n;
    if (name && nlen)
        n = snprintf(tmp, sizeof tmp, "%.*s (%c%llu)", (int)nlen, name, thread ? 'T' : 'L',
                     (unsigned long long)id);
    else
        n = snprintf(tmp, sizeof tmp, "%c%llu", thread ? 'T' : 'L', (unsigned long long)id);
    int64_t d = tg__intern(thread ? &r->threads : &r->objects, tmp, (size_t)n);
    if (d < 0)
        return -1;
    (*map)[id] = (uint32_t)d + 1;
    return d;
}

static struct tg__site *site_slot(struct tg_trace_reader *r, uint64_t id)
{
    if (!plausible(r, id))
        return NULL;
    if (id >= r->n_sites) {
        uint32_t n = r->n_sites ? r->n_sites : 64;
        while (n <= id)
            n *= 2;
        struct tg__site *s = realloc(r->sites, n * sizeof *s);
        if (!s)
            return NULL;
        memset(s + r->n_sites, 0, (n - r->n_sites) * sizeof *s);
        r->sites = s;
        r->n_sites = n;
    }
    return &r->sites[id];
}

/* A site's text record. Since version 1.1 a site may have several, its
 * frames from the outermost in; a 1.0 trace has one, and a later one
 * replaced it (which is also what a 1.0 reader does with a 1.1 trace: it
 * keeps the last, the innermost frame). A rewound reader keeps the texts
 * of its first pass (the recorder writes them last, and a second pass may
 * stop before). */
static int site_text(struct tg_trace_reader *r, uint64_t id, const char *text, uint64_t n)
{
    if (r->rewound)
        return 0; /* read again: the texts of the first pass stand */
    struct tg__site *s = site_slot(r, id);
    if (!s)
        return -1;
    if (r->minor == 0)
        while (s->n_texts > 0)
            free(s->texts[--s->n_texts]);
    if (s->n_texts >= TG__MAX_SITE_TEXTS)
        return 0; /* deeper than any report shows */
    if ((s->n_texts & (s->n_texts - 1)) == 0) {
        char **t = realloc(s->texts, (s->n_texts ? 2 * (size_t)s->n_texts : 1) * sizeof *t);
        if (!t)
            return -1;
        s->texts = t;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, text, n);
    copy[n] = 0;
    s->texts[s->n_texts++] = copy;
    return 0;
}

/* Decodes one non-event record; 0, or -1 if it is malformed. */
static int meta_record(struct tg_trace_reader *r, int tag, const unsigned char **pp,
                       const unsigned char *e)
{
    uint64_t id, kind = 0, n;
    if (tag == TG__REC_END) {
        if (get_var(pp, e, &n) < 0)
            return -1;
        r->saw_end = 1;
        r->end_count = n;
        return 0;
    }
    if (get_var(pp, e, &id) < 0 || id >= TG__MAX_ID)
        return -1;
    if (tag == TG__REC_OBJECT && get_var(pp, e, &kind) < 0)
        return -1;
    if (get_var(pp, e, &n) < 0)
        return -1;
    if (tag == TG__REC_SITE) {
        if (n > TG__MAX_FRAMES)
            return -1;
        uint64_t pcs[TG__MAX_FRAMES];
        for (uint64_t i = 0; i < n; i++)
            if (get_var(pp, e, &pcs[i]) < 0)
                return -1;
        struct tg__site *s = site_slot(r, id);
        if (!s)
            return -1;
        free(s->pcs);
        s->pcs = n ? malloc(n * sizeof *pcs) : NULL;
        if (n && !s->pcs)
            return -1;
        if (n)
            memcpy(s->pcs, pcs, n * sizeof *pcs);
        s->n = (int)n;
        return 0;
    }
    if (n > TG__MAX_TEXT || n > (uint64_t)(e - *pp))
        return -1;
    const char *text = (const char *)*pp;
    *pp += n;
    if (tag == TG__REC_SITE_TEXT)
        return site_text(r, id, text, n);
    return dense(r, tag == TG__REC_THREAD, id, text, n) < 0 ? -1 : 0;
}

static int event_record(struct tg_trace_reader *r, int op, const unsigned char **pp,
                        const unsigned char *e, struct tg_trace_event *ev)
{
    uint64_t th, obj, site, aux;
    if (*pp == e)
        return -1;
    unsigned char fm = *(*pp)++;
    if (get_var(pp, e, &th) < 0 || get_var(pp, e, &obj) < 0 || get_var(pp, e, &site) < 0 ||
        get_var(pp, e, &aux) < 0)
        return -1;
    if ((fm & 3) == 3 || th >= TG__MAX_ID || obj > TG__MAX_ID || site > TG__MAX_ID ||
        aux > TG__MAX_ID)
        return -1;
    int64_t t = dense(r, 1, th, NULL, 0), o = TG_NO_OBJ;
    if (t < 0)
        return -1;
    if (obj) {
        o = dense(r, op == TG_EV_FORK || op == TG_EV_JOIN, obj - 1, NULL, 0);
        if (o < 0)
            return -1;
    }
    if (aux) {
        int64_t a = dense(r, 0, aux - 1, NULL, 0);
        if (a < 0)
            return -1;
        aux = (uint64_t)a + 1;
    }
    ev->op = (uint8_t)op;
    ev->mode = fm & 3;
    ev->flags = fm >> 2;
    ev->thread = (uint32_t)t;
    ev->obj = (uint32_t)o;
    ev->aux = aux ? (uint32_t)(aux - 1) : TG_NO_OBJ;
    ev->site = site ? (uint32_t)(site - 1) : TG_NO_OBJ;
    ev->loc = NULL;
    ev->loc_len = 0;
    ev->pos = ++r->nevents;
    ev->offset = 0;
    return 0;
}

/* Loads the next intact block into bp..bend; 0 on success, 1 at the end. */
static int next_block(struct tg_trace_reader *r)
{
    for (;;) {
        long have = tg__reader_fill(r, TG__BLOCK_HEADER_LEN);
        if (have < 0)
            return -1;
        if (have == 0) {
            if (!r->saw_end && r->block == 0)
                damage(r, "the trace has no block at all: the recording was cut short before "
                       "it wrote any event", 1);
            else if (!r->saw_end)
                damage(r, "the trace ends without its end marker (the recording was cut short)",
                       r->block + 1);
            else if (r->end_count != r->nevents) {
                char what[200];
                snprintf(what, sizeof what, "the trace holds %llu events but its end marker "
                         "counts %llu (a block is duplicated or missing)",
                         (unsigned long long)r->nevents, (unsigned long long)r->end_count);
                damage(r, what, r->block);
            }
            return 1;
        }
        const unsigned char *h = (const unsigned char *)r->buf + r->start;
        if (have < TG__BLOCK_HEADER_LEN) {
            damage(r, "the trace is cut short inside a block header", r->block + 1);
            r->start = r->end;
            continue;
        }
        uint32_t len = get_u32le(h + 4);
        if (get_u32le(h) != TG__BLOCK_MAGIC || len > TG__BLOCK_MAX_PAYLOAD) {
            damage(r, "a corrupted block header", r->block + 1);
            r->start++;
            continue;
        }
        have = tg__reader_fill(r, TG__BLOCK_HEADER_LEN + len);
        if (have < 0)
            return -1;
        h = (const unsigned char *)r->buf + r->start;
        if ((size_t)have < TG__BLOCK_HEADER_LEN + len) {
            damage(r, "the trace is cut short inside a block", r->block + 1);
            r->start = r->end;
            continue;
        }
        if (tg__block_crc(h, h + TG__BLOCK_HEADER_LEN, len) != get_u32le(h + 12)) {
            damage(r, "a block fails its checksum", r->block + 1);
            r->start++;
            continue;
        }
        r->bp = h + TG__BLOCK_HEADER_LEN;
        r->bend = r->bp + len;
        r->block_want = get_u32le(h + 8);
        r->block_got = 0;
        r->start += TG__BLOCK_HEADER_LEN + len;
        r->block++;
        return 0;
    }
}

int tg__binary_next(struct tg_trace_reader *r, struct tg_trace_event *ev)
{
    for (;;) {
        if (r->bp >= r->bend) {
            if (r->bp && r->block_got != r->block_want) {
                char what[120];
                snprintf(what, sizeof what, "a block holds %u records but its header "
                         "announces %u", r->block_got, r->block_want);
                damage(r, what, r->block);
                r->block_got = r->block_want; /* said once per block */
            }
            int rc = next_block(r);
            if (rc < 0)
                return TG_TRACE_ERR;
            if (rc > 0)
                return TG_TRACE_EOF;
            continue; /* the new block may be empty (found by the fuzzer) */
        }
        int tag = *r->bp++;
        int rc;
        r->nrecords++;
        r->block_got++;
        if (r->saw_end) {
            damage(r, "records after the end marker (a block is duplicated, or two traces "
                   "were joined)", r->block);
            r->bp = r->bend;
            r->block_got = r->block_want;
            continue;
        }
        if (tag > TG__REC_EVENT && tag < TG__REC_EVENT + TG_EV__COUNT)
            rc = event_record(r, tag - TG__REC_EVENT, &r->bp, r->bend, ev);
        else if (tag >= TG__REC_THREAD && tag <= TG__REC_END)
            rc = meta_record(r, tag, &r->bp, r->bend);
        else
            rc = -1;
        if (rc < 0) {
            damage(r, "a malformed record inside a block with a valid checksum", r->block);
            r->bp = r->bend;
            r->block_got = r->block_want;
            continue;
        }
        if (tag > TG__REC_EVENT)
            return TG_TRACE_OK;
    }
}
