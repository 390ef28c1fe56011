/* patterns.c: abstract deadlock patterns.
 *
 * An abstract pattern is a cycle of components c_0..c_{k-1} (k >= 2) where
 * c_i's thread waits for the lock c_{i+1} holds (in a conflicting mode:
 * read against read does not block), the threads are distinct, the waited
 * locks are distinct, and no lock is held by two components unless both
 * hold it for reading (a lock held exclusively by two of them is a gate that
 * keeps them apart). Each cycle is enumerated once, starting from its
 * smallest component id, by a depth-first search with an explicit stack, so
 * a cycle of thousands of locks costs no recursion depth. */
#include "predict/spd_impl.h"

#include <stdlib.h>
#include <string.h>

struct adj {
    uint32_t comp;
    uint8_t mode;        /* mode in which comp holds the lock */
};

struct search {
    struct tg__spd *s;
    uint32_t *off;       /* per lock: start of its holders in `hold` */
    struct adj *hold;
    uint32_t *path, *cursor;
    uint8_t *thread_used, *lock_used;
    uint32_t *held_n;    /* per lock: components on the path holding it */
    uint8_t *held_w;     /* per lock: one of them holds it exclusively */
};

static int conflict(uint8_t a, uint8_t b)
{
    return !(a == TG_MODE_READ && b == TG_MODE_READ);
}

static const struct tg__hlock *hset_of(struct tg__spd *s, uint32_t c, uint32_t *n)
{
    const struct tg__hset *h = &s->hsets[s->comps[c].hset];
    *n = h->n;
    return &s->hlocks[h->off];
}

/* Whether component c can join the path: new thread, new waited lock, and
 * no lock held in conflict with a lock the path already holds. */
static int compatible(struct search *q, uint32_t c)
{
    struct tg__comp *cp = &q->s->comps[c];
    if (q->thread_used[cp->thread] || q->lock_used[cp->lock])
        return 0;
    uint32_t n;
    const struct tg__hlock *h = hset_of(q->s, c, &n);
    for (uint32_t i = 0; i < n; i++)
        if (q->held_n[h[i].lock] && (q->held_w[h[i].lock] || h[i].mode != TG_MODE_READ))
            return 0;
    return 1;
}

static void mark(struct search *q, uint32_t c, int on)
{
    struct tg__comp *cp = &q->s->comps[c];
    q->thread_used[cp->thread] = (uint8_t)on;
    q->lock_used[cp->lock] = (uint8_t)on;
    uint32_t n;
    const struct tg__hlock *h = hset_of(q->s, c, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = h[i].lock;
        if (on) {
            q->held_n[l]++;
            if (h[i].mode != TG_MODE_READ)
                q->held_w[l] = 1;
        } else {
            q->held_n[l]--;
            if (h[i].mode != TG_MODE_READ)
                q->held_w[l] = 0;
        }
    }
}

/* The mode in which component c holds lock l, or 0 if it does not. */
static uint8_t holds(struct tg__spd *s, uint32_t c, uint32_t l)
{
    uint32_t n;
    const struct tg__hlock *h = hset_of(s, c, &n);
    for (uint32_t i = 0; i < n; i++)
        if (h[i].lock == l)
            return h[i].mode;
    return 0;
}

static int build_index(struct search *q)
{
    struct tg__spd *s = q->s;
    uint32_t nl = s->jbase + s->n_th; /* real locks, then one join lock per thread */
    q->off = calloc((size_t)nl + 1, sizeof *q->off);
    if (!q->off)
        return -1;
    for (uint32_t c = 0; c < s->n_comps; c++) {
        uint32_t n;
        const struct tg__hlock *h = hset_of(s, c, &n);
        for (uint32_t i = 0; i < n; i++)
            q->off[h[i].lock + 1]++;
    }
    for (uint32_t l = 0; l < nl; l++)
        q->off[l + 1] += q->off[l];
    q->hold = malloc(((size_t)q->off[nl] + 1) * sizeof *q->hold);
    uint32_t *fill = calloc((size_t)nl + 1, sizeof *fill);
    if (!q->hold || !fill) {
        free(fill);
        return -1;
    }
    for (uint32_t c = 0; c < s->n_comps; c++) {
        uint32_t n;
        const struct tg__hlock *h = hset_of(s, c, &n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t l = h[i].lock;
            q->hold[q->off[l] + fill[l]++] = (struct adj){c, h[i].mode};
        }
    }
    free(fill);
    return 0;
}

/* Enumerates the cycles whose smallest component is c0. Returns 0 to go on,
 * 1 to stop (limit reached or the checker asked to stop). */
static int from(struct search *q, uint32_t c0, int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    struct tg__spd *s = q->s;
    uint32_t depth = 0;
    q->path[0] = c0;
    q->cursor[0] = q->off[s->comps[c0].lock];
    mark(q, c0, 1);
    for (;;) {
        uint32_t c = q->path[depth], l = s->comps[c].lock;
        uint8_t m = s->comps[c].mode;
        if (q->cursor[depth] == q->off[l + 1]) {
            mark(q, c, 0);
            if (depth == 0)
                return 0;
            depth--;
            continue;
        }
        struct adj a = q->hold[q->cursor[depth]++];
        /* The search is exponential in the worst case: bound its steps. */
        if (++s->st.search_steps > s->opt.max_steps) {
            s->st.pattern_limit_hit = 1;
            for (uint32_t i = 0; i <= depth; i++)
                mark(q, q->path[i], 0);
            return 1;
        }
        if (a.comp <= c0 || !conflict(m, a.mode))
            continue;
        if (!compatible(q, a.comp))
            continue;
        /* Does the cycle close through a.comp back to c0? */
        uint32_t la = s->comps[a.comp].lock;
        uint8_t h0 = holds(s, c0, la);
        q->path[depth + 1] = a.comp;
        if (h0 && conflict(s->comps[a.comp].mode, h0)) {
            s->st.patterns++;
            if (check(s, q->path, depth + 2) < 0 ||
                s->st.patterns >= s->opt.max_patterns) {
                s->st.pattern_limit_hit = s->st.patterns >= s->opt.max_patterns;
                for (uint32_t i = 0; i <= depth; i++)
                    mark(q, q->path[i], 0);
                return 1;
            }
        }
        depth++;
        q->cursor[depth] = q->off[la];
        mark(q, a.comp, 1);
    }
}

int tg__spd_patterns(struct tg__spd *s, int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    struct search q = {.s = s};
    int rc = -1;
    if (s->n_comps < 2)
        return 0;
    if (build_index(&q) < 0)
        goto out;
    q.path = malloc(((size_t)s->n_comps + 1) * sizeof *q.path);
    q.cursor = malloc(((size_t)s->n_comps + 1) * sizeof *q.cursor);
    q.thread_used = calloc(s->n_th + 1, 1);
    size_t nl = (size_t)s->jbase + s->n_th + 1;
    q.lock_used = calloc(nl, 1);
    q.held_n = calloc(nl, sizeof *q.held_n);
    q.held_w = calloc(nl, 1);
    if (!q.path || !q.cursor || !q.thread_used || !q.lock_used || !q.held_n || !q.held_w)
        goto out;
    rc = 0;
    for (uint32_t c0 = 0; c0 < s->n_comps; c0++)
        if (from(&q, c0, check))
            break;
out:
    free(q.off);
    free(q.hold);
    free(q.path);
    free(q.cursor);
    free(q.thread_used);
    free(q.lock_used);
    free(q.held_n);
    free(q.held_w);
    return rc;
}
