/* SPDX-License-Identifier: MIT */
/* findings.c: one finding per deadlock found, and one per lock-order
 * inversion seen in one thread.
 *
 * Pass one kept every stored event's position, so the witness's cut lines
 * and the positions of the blocking acquires and of the acquires of the
 * locks they hold are known. Only their location text is fetched from the
 * trace afterwards (tg__trace_fetch_locs: a scan for line ends up to the
 * last position needed, no parsing). */
#include "predict/spd_impl.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A lock held at a blocking acquire, found from the stored events. */
struct snap_hold {
    uint32_t lock;
    uint8_t mode;
    uint64_t pos, off;
};

/* An event whose location a report shows. */
struct place {
    uint64_t pos, off;
};

#define TG__NAME_BUF 1100

struct ctx {
    struct tg__spd *s;
    struct tg_trace_reader *r;
    struct tg__cursor cur;       /* reads stored events */
    struct place *want;          /* events whose location we fetch, sorted */
    struct tg_trace_loc *locs;
    size_t n_want, cap_want;
    int binary;
};

/* Where stored event k of thread t is ({0, 0} after an I/O error, which
 * tg__spd_findings reports). */
static struct place place_of(struct ctx *c, uint32_t t, uint32_t k)
{
    const struct tg__sev *e = tg__spd_ev(c->s, &c->cur, t, k);
    return e ? (struct place){e->pos, e->off} : (struct place){0, 0};
}

static uint64_t pos_of(struct ctx *c, uint32_t t, uint32_t k)
{
    return place_of(c, t, k).pos;
}

/* The locks thread t holds just before its stored event k: the acquires
 * before k whose release came after it. Returns how many (at most max are
 * written to out), or -1 on an I/O error. */
static int64_t holds_at(struct ctx *c, uint32_t t, uint32_t k, struct snap_hold *out,
                        uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t j = 0; j < k; j++) {
        const struct tg__sev *e = tg__spd_ev(c->s, &c->cur, t, j);
        if (!e)
            return -1;
        uint32_t kind = SEV_KIND(*e);
        if ((kind == SEV_ACQ_X || kind == SEV_ACQ_R) && e->y > k) {
            if (out && n < max)
                out[n] = (struct snap_hold){SEV_OBJ(*e),
                                            kind == SEV_ACQ_R ? TG_MODE_READ : TG_MODE_WRITE,
                                            e->pos, e->off};
            n++;
        }
    }
    return n;
}

/* Where thread t was forked, if it was: its parent's fork event. */
static int fork_place(struct ctx *c, uint32_t t, struct place *p)
{
    const struct tg__sev *e = tg__spd_ev(c->s, &c->cur, t, 0);
    if (!e || SEV_KIND(*e) != SEV_BEGIN || SEV_OBJ(*e) == SEV_NONE)
        return 0;
    *p = place_of(c, SEV_OBJ(*e), e->x);
    return 1;
}

static int want(struct ctx *c, struct place p)
{
    if (c->n_want == c->cap_want) {
        size_t cap = c->cap_want ? c->cap_want * 2 : 64;
        struct place *w = realloc(c->want, cap * sizeof *w);
        if (!w)
            return -1;
        c->want = w;
        c->cap_want = cap;
    }
    c->want[c->n_want++] = p;
    return 0;
}

static int place_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct place *)a)->pos, y = ((const struct place *)b)->pos;
    return x < y ? -1 : x > y;
}

/* Asks for the positions a cycle shows: each step's event (its head, or
 * with heads NULL its component's first candidate), its thread's fork,
 * and the acquires of the locks held there. */
static int want_cycle(struct ctx *c, const uint32_t *comps, const uint32_t *heads, uint32_t n)
{
    struct tg__spd *s = c->s;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = s->comps[comps[i]].thread, k = heads ? heads[i] : s->comps[comps[i]].first;
        struct place fp;
        if (want(c, place_of(c, t, k)) < 0 || (fork_place(c, t, &fp) && want(c, fp) < 0))
            return -1;
        int64_t nh = holds_at(c, t, k, NULL, 0);
        struct snap_hold *h = nh < 0 ? NULL : malloc(((size_t)nh + 1) * sizeof *h);
        if (!h || holds_at(c, t, k, h, (uint32_t)nh) < 0) {
            free(h);
            return -1;
        }
        for (int64_t j = 0; j < nh; j++)
            if (want(c, (struct place){h[j].pos, h[j].off}) < 0) {
                free(h);
                return -1;
            }
        free(h);
    }
    return 0;
}

/* Collects every position a report shows, then fetches their locations. */
static int fetch(struct ctx *c)
{
    struct tg__spd *s = c->s;
    for (uint32_t f = 0; f < s->n_found + s->n_one; f++) {
        const struct tg__pattern_result *r = f < s->n_found ? &s->found[f] : &s->one[f - s->n_found];
        if (want_cycle(c, r->comps, r->heads, r->k) < 0)
            return -1;
        for (uint32_t m = 0; m < r->n_more && m < TG__ONE_THREAD_PLACES; m++)
            if (want_cycle(c, r->more + (size_t)m * r->k, NULL, r->k) < 0)
                return -1;
    }
    qsort(c->want, c->n_want, sizeof *c->want, place_cmp);
    c->locs = calloc(c->n_want + 1, sizeof *c->locs);
    uint64_t *pos = malloc((c->n_want + 1) * sizeof *pos);
    uint64_t *off = malloc((c->n_want + 1) * sizeof *off);
    if (!c->locs || !pos || !off) {
        free(pos);
        free(off);
        return -1;
    }
    for (size_t i = 0; i < c->n_want; i++) {
        pos[i] = c->want[i].pos;
        off[i] = c->want[i].off;
    }
    int rc = tg__trace_fetch_locs(c->r, pos, off, c->n_want, c->locs);
    free(pos);
    free(off);
    if (rc < 0) {
        snprintf(s->err, sizeof s->err, "%s", tg__trace_error(c->r));
        return -1;
    }
    return 0;
}

static const struct tg_trace_loc *loc_at(struct ctx *c, uint64_t pos)
{
    size_t lo = 0, hi = c->n_want;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->want[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_want && c->want[lo].pos == pos ? &c->locs[lo] : NULL;
}

/* ---- building findings -------------------------------------------------- */

static const char *mode_name(struct ctx *c, uint32_t lock, uint8_t m)
{
    if (m == TG_MODE_READ)
        return "read";
    return lock < c->s->jbase && c->s->lk[lock].rw ? "write" : NULL; /* schema: rwlocks only */
}

/* The line number ending "FILE:LINE" (the colon's position in *colon), or 0. */
static int file_line(const char *text, size_t *colon)
{
    const char *c = strrchr(text, ':');
    if (!c || c == text || !c[1] || strspn(c + 1, "0123456789") != strlen(c + 1))
        return 0;
    long n = strtol(c + 1, NULL, 10);
    *colon = (size_t)(c - text);
    return n > 0 && n < 0x7fffffff ? (int)n : 0;
}

/* A frame from a location text: "FUNCTION FILE:LINE" (binary traces) or
 * "FILE:LINE" (text traces) become function, file and line as the schema
 * has them; any other text stays whole as the function. */
static int text_frame(struct tg_stack *st, const char *text, int with_function)
{
    const char *sp = with_function ? strrchr(text, ' ') : NULL;
    const char *loc = sp ? sp + 1 : text;
    size_t colon = 0;
    int line = (!with_function || sp) ? file_line(loc, &colon) : 0;
    if (!line)
        return tg__stack_symbolic(st, text, NULL, 0);
    char *fn = sp ? tg__sprintf("%.*s", (int)(sp - text), text) : NULL;
    char *file = tg__sprintf("%.*s", (int)colon, loc);
    int rc = file && (fn || !sp) ? tg__stack_symbolic(st, fn, file, line) : -1;
    free(fn);
    free(file);
    return rc;
}

/* The stack of an event: for a text trace one frame, its LOC (a source
 * FILE:LINE, else "loc LOC"); for a binary trace the recorded site, its
 * frames as text (innermost first), else its raw return addresses. */
static int loc_stack(struct ctx *c, struct tg_stack *st, uint64_t pos, const char *path)
{
    const struct tg_trace_loc *l = loc_at(c, pos);
    (void)path;
    if (c->binary) {
        uint32_t site = l ? l->site : TG_NO_OBJ;
        const uint64_t *pcs;
        const char *const *texts;
        int n = tg__trace_site_texts(c->r, site, &texts);
        if (n > 0) {
            for (int i = n - 1; i >= 0; i--)
                if (text_frame(st, texts[i], 1) < 0)
                    return -1;
            return 0;
        }
        n = tg__trace_site_frames(c->r, site, &pcs);
        if (n > 0) {
            uintptr_t tmp[TG__MAX_FRAMES_COPY];
            if (n > TG__MAX_FRAMES_COPY)
                n = TG__MAX_FRAMES_COPY;
            for (int i = 0; i < n; i++)
                tmp[i] = (uintptr_t)pcs[i];
            return tg__stack_from_pcs(st, tmp, n);
        }
        char *fn = tg__sprintf("event %llu", (unsigned long long)pos);
        int rc = fn ? tg__stack_symbolic(st, fn, NULL, 0) : -1;
        free(fn);
        return rc;
    }
    const char *text = l && l->text ? l->text : "";
    size_t colon;
    if (file_line(text, &colon))
        return text_frame(st, text, 0);
    char *fn = text[0] ? tg__sprintf("loc %s", text)
                       : tg__sprintf("event at trace line %llu", (unsigned long long)pos);
    int rc = fn ? tg__stack_symbolic(st, fn, NULL, 0) : -1;
    free(fn);
    return rc;
}


/* A lock's name, in buf; a join lock (joins.c) is named after its thread. */
static const char *lock_name(struct ctx *c, uint32_t lock, char buf[TG__NAME_BUF])
{
    if (lock < c->s->jbase)
        snprintf(buf, TG__NAME_BUF, "%s", tg__trace_object_name(c->r, lock));
    else
        snprintf(buf, TG__NAME_BUF, "the end of thread %s",
                 tg__trace_thread_name(c->r, lock - c->s->jbase));
    return buf;
}

static int lock_info(struct ctx *c, struct tg_res_info *ri, uint32_t lock)
{
    ri->id = (uint64_t)lock + 1;
    ri->kind = lock >= c->s->jbase ? "thread" : c->s->lk[lock].rw ? "rwlock" : "lock";
    char buf[TG__NAME_BUF];
    ri->name = tg__strdup(lock_name(c, lock, buf));
    return ri->name ? 0 : -1;
}

/* The actor of step k (event index) of a cycle: thread cp->thread, in the
 * given state, waiting for cp's lock where it took it; NULL if out of
 * memory. */
static struct tg_actor_info *cycle_actor(struct ctx *c, struct tg_finding *f,
                                         const struct tg__comp *cp, uint32_t k,
                                         const char *state, const char *path)
{
    uint32_t t = cp->thread;
    struct tg_actor_info *a = tg__finding_add_actor(f);
    if (!a)
        return NULL;
    a->id = (uint64_t)t + 1;
    a->kind = "thread";
    a->state = state;
    a->name = tg__strdup(tg__trace_thread_name(c->r, t));
    a->wait.present = 1;
    a->wait.mode = mode_name(c, cp->lock, cp->mode);
    if (!a->name || lock_info(c, &a->wait.res, cp->lock) < 0 ||
        loc_stack(c, &a->wait.stack, pos_of(c, t, k), path) < 0)
        return NULL;
    return a;
}

#define ALL_HOLDS UINT32_MAX
/* Adds to a the locks thread t holds at its event k (only lock `only`,
 * unless ALL_HOLDS), each where it was taken; 0, or -1 if out of memory. */
static int add_holds(struct ctx *c, struct tg_actor_info *a, uint32_t t, uint32_t k,
                     uint32_t only, const char *path)
{
    int64_t nh = holds_at(c, t, k, NULL, 0);
    struct snap_hold *hs = nh < 0 ? NULL : malloc(((size_t)nh + 1) * sizeof *hs);
    if (!hs || holds_at(c, t, k, hs, (uint32_t)nh) < 0) {
        free(hs);
        return -1;
    }
    int rc = 0;
    for (int64_t j = 0; j < nh && rc == 0; j++) {
        if (only != ALL_HOLDS && hs[j].lock != only)
            continue;
        struct tg_hold *h = tg__actor_info_add_hold(a);
        if (!h || lock_info(c, &h->res, hs[j].lock) < 0 ||
            loc_stack(c, &h->acquired, hs[j].pos, path) < 0) {
            rc = -1;
            break;
        }
        h->mode = mode_name(c, hs[j].lock, hs[j].mode);
        h->count = 1;
        if (only != ALL_HOLDS)
            break;
    }
    free(hs);
    return rc;
}

static char *witness_text(struct ctx *c, const struct tg__pattern_result *r)
{
    struct tg__spd *s = c->s;
    const char *unit = c->binary ? "event" : "line";
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
#define APPEND(...)                                                         \
    do {                                                                    \
        int n_ = snprintf(out + len, cap - len, __VA_ARGS__);               \
        if (n_ < 0)                                                         \
            break;                                                          \
        if ((size_t)n_ >= cap - len) {                                      \
            while ((size_t)n_ >= cap - len)                                 \
                cap *= 2;                                                   \
            char *o_ = realloc(out, cap);                                   \
            if (!o_) {                                                      \
                free(out);                                                  \
                return NULL;                                                \
            }                                                               \
            out = o_;                                                       \
            snprintf(out + len, cap - len, __VA_ARGS__);                    \
        }                                                                   \
        len += (size_t)n_;                                                  \
    } while (0)
    APPEND("Witness: replay the trace keeping, in their observed order, ");
    int first = 1;
    for (uint32_t i = 0; i < r->n_cut; i++) {
        uint32_t t = r->cut[i].thread, k = r->cut[i].count;
        const char *name = tg__trace_thread_name(c->r, t);
        if (k >= s->th[t].n)
            APPEND("%sall events of %s", first ? "" : ", ", name);
        else
            APPEND("%sthe events of %s before %s %llu", first ? "" : ", ", name, unit,
                   (unsigned long long)pos_of(c, t, k));
        first = 0;
    }
    APPEND("; then ");
    for (uint32_t i = 0; i < r->k; i++) {
        const struct tg__comp *cp = &s->comps[r->comps[i]];
        int join = cp->lock >= s->jbase;
        APPEND("%s%s blocks %s %s (%s %llu)", i ? ", " : "",
               tg__trace_thread_name(c->r, cp->thread), join ? "joining" : "acquiring",
               join ? tg__trace_thread_name(c->r, cp->lock - s->jbase)
                    : tg__trace_object_name(c->r, cp->lock),
               unit, (unsigned long long)pos_of(c, cp->thread, r->heads[i]));
    }
    APPEND(".");
#undef APPEND
    return out;
}

static char *summary_text(struct ctx *c, const struct tg__pattern_result *r)
{
    struct tg__spd *s = c->s;
    struct tg_trace_reader *rd = c->r;
    const struct tg__comp *a = &s->comps[r->comps[0]], *b = &s->comps[r->comps[1 % r->k]];
    char la[TG__NAME_BUF], lb[TG__NAME_BUF];
    lock_name(c, a->lock, la);
    lock_name(c, b->lock, lb);
    if (r->k == 2 && (a->lock >= s->jbase || b->lock >= s->jbase)) {
        if (b->lock >= s->jbase) { /* name the joiner first */
            const struct tg__comp *x = a;
            a = b;
            b = x;
            lock_name(c, b->lock, lb);
        }
        return tg__sprintf("Threads %s and %s can deadlock in another interleaving: %s joins "
                           "%s while holding %s, and %s waits for %s.",
                           tg__trace_thread_name(rd, a->thread),
                           tg__trace_thread_name(rd, b->thread),
                           tg__trace_thread_name(rd, a->thread),
                           tg__trace_thread_name(rd, b->thread), lb,
                           tg__trace_thread_name(rd, b->thread), lb);
    }
    if (r->k == 2)
        return tg__sprintf("Threads %s and %s can deadlock in another interleaving: %s waits "
                           "for %s while holding %s, and %s waits for %s while holding %s.",
                           tg__trace_thread_name(rd, a->thread),
                           tg__trace_thread_name(rd, b->thread),
                           tg__trace_thread_name(rd, a->thread), la, lb,
                           tg__trace_thread_name(rd, b->thread), lb, la);
    return tg__sprintf("%u threads can deadlock in another interleaving, each waiting for a "
                       "lock the next one holds, in a cycle over %u locks starting with %s "
                       "waiting for %s.", r->k, r->k, tg__trace_thread_name(rd, a->thread), la);
}

static struct tg_finding *build(struct ctx *c, const struct tg__pattern_result *r,
                                const char *path)
{
    struct tg__spd *s = c->s;
    struct tg_finding *f = tg__finding_new(TG_FINDING_POTENTIAL_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return NULL;
    char *wit = witness_text(c, r);
    f->summary = summary_text(c, r);
    f->advice = wit ? tg__sprintf("Take these locks in one global order in every thread, or "
                                  "under one common lock. It is reachable from the observed "
                                  "run. %s", wit)
                    : NULL;
    free(wit);
    f->repeats = r->repeats;
    f->cycle_length = (int)r->k; /* the actors below, each waiting for the next */
    if (!f->summary || !f->advice)
        goto fail;
    for (uint32_t i = 0; i < r->k; i++) {
        const struct tg__comp *cp = &s->comps[r->comps[i]];
        const struct tg__comp *next = &s->comps[r->comps[(i + 1) % r->k]];
        uint32_t t = cp->thread, k = r->heads[i];
        struct tg_actor_info *a = cycle_actor(c, f, cp, k, "blocked", path);
        if (!a)
            goto fail;
        a->wait.holder = (uint64_t)next->thread + 1;
        struct place fp;
        if (fork_place(c, t, &fp) && loc_stack(c, &a->created, fp.pos, path) < 0)
            goto fail;
        if (add_holds(c, a, t, k, ALL_HOLDS, path) < 0)
            goto fail;
    }
    return f;
fail:
    tg__finding_free(f);
    return NULL;
}

/* An inversion seen in one thread, shaped as the live lock-order graph
 * shapes it: one entry per step of the cycle, all of the same thread, each
 * would wait for its lock where it took it, holding the lock the step
 * before waits for, where it took that one. Heads NULL: each step at its
 * component's first candidate. */
static struct tg_finding *one_cycle(struct ctx *c, const uint32_t *comps, const uint32_t *heads,
                                    uint32_t n, const char *path)
{
    struct tg__spd *s = c->s;
    struct tg_finding *f = tg__finding_new_one_thread((int)n);
    if (!f || !f->summary || !f->advice)
        goto fail;
    for (uint32_t i = 0; i < n; i++) {
        const struct tg__comp *cp = &s->comps[comps[i]];
        uint32_t held = s->comps[comps[(i + n - 1) % n]].lock;
        uint32_t k = heads ? heads[i] : cp->first;
        struct tg_actor_info *a = cycle_actor(c, f, cp, k, "running", path);
        if (!a || add_holds(c, a, cp->thread, k, held, path) < 0)
            goto fail;
    }
    return f;
fail:
    tg__finding_free(f);
    return NULL;
}

/* The hazard of one set of locks: its first cycle, with the first few
 * other cycles over the same locks as further places (bug.c keeps those
 * whose call sites differ), and all of them counted. */
static struct tg_finding *build_one(struct ctx *c, const struct tg__pattern_result *r,
                                    const char *path)
{
    struct tg_finding *f = one_cycle(c, r->comps, r->heads, r->k, path);
    for (uint32_t m = 0; f && m < r->n_more && m < TG__ONE_THREAD_PLACES; m++) {
        struct tg_finding *g = one_cycle(c, r->more + (size_t)m * r->k, NULL, r->k, path);
        if (!g) {
            tg__finding_free(f);
            return NULL;
        }
        tg__bug_fold(f, g);
        tg__finding_free(g);
    }
    if (f)
        f->repeats = r->repeats;
    return f;
}

long tg__spd_findings(struct tg__spd *s, struct tg_trace_reader *r, const char *path,
                      struct tg_finding ***out)
{
    struct ctx c = {.s = s, .r = r, .binary = strcmp(tg__trace_format(r), "binary") == 0};
    long n = -1;
    uint32_t total = s->n_found + s->n_one;
    *out = NULL;
    if (total == 0)
        return 0;
    struct tg_finding **fs = calloc(total, sizeof *fs);
    tg__cursor_init(&c.cur, NULL);
    if (!fs || fetch(&c) < 0) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "out of memory reporting deadlocks");
        free(fs);
        goto out;
    }
    for (uint32_t i = 0; i < total; i++) {
        fs[i] = i < s->n_found ? build(&c, &s->found[i], path)
                               : build_one(&c, &s->one[i - s->n_found], path);
        if (!fs[i]) {
            for (uint32_t j = 0; j < i; j++)
                tg__finding_free(fs[j]);
            free(fs);
            snprintf(s->err, sizeof s->err, "out of memory reporting deadlocks");
            goto out;
        }
    }
    if (s->err[0]) { /* a temporary-file error while building */
        for (uint32_t j = 0; j < total; j++)
            tg__finding_free(fs[j]);
        free(fs);
        goto out;
    }
    *out = fs;
    n = total;
out:
    tg__cursor_free(&c.cur);
    for (size_t i = 0; i < c.n_want; i++)
        free(c.locs ? c.locs[i].text : NULL);
    free(c.locs);
    free(c.want);
    return n;
}
