/* SPDX-License-Identifier: MIT */
/* patterns.c: abstract deadlock patterns.
 *
 * An abstract pattern is a cycle of components c_0..c_{k-1} (k >= 2) where
 * c_i's thread waits for the lock c_{i+1} holds (in a conflicting mode:
 * read against read does not block), the threads are distinct, the waited
 * locks are distinct, and no lock is held by two components unless both
 * hold it for reading (a lock held exclusively by two of them is a gate that
 * keeps them apart). Each cycle is enumerated once, starting from its
 * smallest component id, by a depth-first search with an explicit stack, so
 * a cycle of thousands of locks costs no recursion depth.
 *
 * As in Johnson's algorithm, the search from c0 only visits the strongly
 * connected component of c0 in the graph of components >= c0 (every cycle
 * lies inside one), and starts are taken only from such components: one
 * cycle over n locks costs two linear passes, not n searches of length n.
 *
 * The same search, restricted to the components of one thread at a time,
 * finds lock-order inversions seen within one thread (tg__spd_one_thread_
 * patterns): cycles over locks, no join pseudo-locks, with the same rules
 * on waited and held locks, so a lock held across every nesting (a gate)
 * still keeps them apart. It takes one cycle from each start, the
 * shortest (an iterative-deepening search, pruned by each component's
 * distance back to the start), so a thread that took a few dozen locks in
 * every order costs a short cycle per component, not every one of its
 * exponentially many cycles, nor the first long one a depth-first search
 * happens upon. */
#include "predict/spd_impl.h"

#include <stdlib.h>
#include <string.h>

struct adj {
    uint32_t comp;
    uint8_t mode;        /* mode in which comp holds the lock */
};

struct search {
    struct tg__spd *s;
    int one_thread;      /* cycles of one thread's components, not of distinct threads */
    /* Tarjan's algorithm over the components in the current subset */
    uint32_t *in;        /* subset tag per component */
    uint32_t *index, *low, *stack, *call, *ccur, *scc;
    uint8_t *on_stack;
    uint32_t tag;
    uint32_t *off;       /* per lock: start of its holders in `hold` */
    struct adj *hold;
    uint32_t *woff;      /* per lock: start of its waiters in `waiter` (one-thread search) */
    uint32_t *waiter;
    uint32_t *dist;      /* edges from a component back to the start, UINT32_MAX: none */
    uint32_t *queue;
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

/* Whether component c can join the path: new thread (unless the search
 * is of one thread), new waited lock, and no lock held in conflict with a
 * lock the path already holds. */
static int compatible(struct search *q, uint32_t c)
{
    struct tg__comp *cp = &q->s->comps[c];
    if ((q->thread_used[cp->thread] && !q->one_thread) || q->lock_used[cp->lock])
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

/* Per lock, the components that wait for it (for the one-thread search's
 * distances back to its start). */
static int build_waiters(struct search *q)
{
    struct tg__spd *s = q->s;
    uint32_t nl = s->jbase + s->n_th;
    q->woff = calloc((size_t)nl + 2, sizeof *q->woff);
    q->waiter = malloc(((size_t)s->n_comps + 1) * sizeof *q->waiter);
    q->dist = malloc(((size_t)s->n_comps + 1) * sizeof *q->dist);
    q->queue = malloc(((size_t)s->n_comps + 1) * sizeof *q->queue);
    if (!q->woff || !q->waiter || !q->dist || !q->queue)
        return -1;
    for (uint32_t c = 0; c < s->n_comps; c++)
        q->woff[s->comps[c].lock + 2]++;
    for (uint32_t l = 0; l < nl; l++)
        q->woff[l + 2] += q->woff[l + 1];
    for (uint32_t c = 0; c < s->n_comps; c++)
        q->waiter[q->woff[s->comps[c].lock + 1]++] = c;
    for (uint32_t c = 0; c < s->n_comps; c++)
        q->dist[c] = UINT32_MAX;
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
        if (a.comp <= c0 || !conflict(m, a.mode) || q->scc[a.comp] != q->scc[c0] ||
            q->in[a.comp] != q->tag)
            continue;
        if (!compatible(q, a.comp))
            continue;
        /* Does the cycle close through a.comp back to c0? */
        uint32_t la = s->comps[a.comp].lock;
        uint8_t h0 = holds(s, c0, la);
        q->path[depth + 1] = a.comp;
        if (h0 && conflict(s->comps[a.comp].mode, h0)) {
            s->st.patterns++;
            int rc = check(s, q->path, depth + 2);
            if (rc < 0 || s->st.patterns >= s->opt.max_patterns) {
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

/* One depth-first search of shortest_from: cycles through c0 of at most
 * `limit` components. A component whose distance back to c0 cannot close
 * the cycle within the limit is skipped (*pruned set); so is one not yet
 * reached by the backward search (farther than limit - 1 edges), unless
 * that search is complete (it cannot get back to c0 at all). Returns 0 if
 * no cycle was found, 2 when check was called with one, 1 to stop. */
static int bounded_from(struct search *q, uint32_t c0, uint32_t limit, int complete,
                        int *pruned, int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    struct tg__spd *s = q->s;
    uint32_t depth = 0;
    q->path[0] = c0;
    q->cursor[0] = q->off[s->comps[c0].lock];
    mark(q, c0, 1);
    for (;;) {
        uint32_t c = q->path[depth], l = s->comps[c].lock;
        if (q->cursor[depth] == q->off[l + 1]) {
            mark(q, c, 0);
            if (depth == 0)
                return 0;
            depth--;
            continue;
        }
        struct adj a = q->hold[q->cursor[depth]++];
        int rc = 0;
        if (++s->st.search_steps > s->opt.max_steps) {
            s->st.pattern_limit_hit = 1;
            rc = 1;
        } else if (a.comp == c0 || !conflict(s->comps[c].mode, a.mode) ||
                   q->scc[a.comp] != q->scc[c0] || q->in[a.comp] != q->tag) {
            continue;
        } else if (q->dist[a.comp] == UINT32_MAX) {
            *pruned |= !complete;
            continue;
        } else if (depth + 1 + q->dist[a.comp] > limit) {
            *pruned = 1;
            continue;
        } else if (!compatible(q, a.comp)) {
            continue;
        } else if (q->dist[a.comp] == 1) { /* c0 holds its lock: the cycle closes */
            q->path[depth + 1] = a.comp;
            s->st.patterns++;
            rc = check(s, q->path, depth + 2) < 0 ? 1 : 2;
            if (s->st.patterns >= s->opt.max_patterns)
                s->st.pattern_limit_hit = rc = 1;
        }
        if (rc) {
            for (uint32_t i = 0; i <= depth; i++)
                mark(q, q->path[i], 0);
            return rc;
        }
        depth++;
        q->path[depth] = a.comp;
        q->cursor[depth] = q->off[s->comps[a.comp].lock];
        mark(q, a.comp, 1);
    }
}

/* The backward search of shortest_from, one component further: labels the
 * components with an edge to queue[head] (whose locks it holds) that have
 * no distance yet. */
static void back_step(struct search *q, uint32_t c0, uint32_t head, uint32_t *nq)
{
    struct tg__spd *s = q->s;
    uint32_t w = q->queue[head], n;
    const struct tg__hlock *h = hset_of(s, w, &n);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = q->woff[h[i].lock]; j < q->woff[h[i].lock + 1]; j++) {
            uint32_t v = q->waiter[j];
            if (++s->st.search_steps > s->opt.max_steps) {
                s->st.pattern_limit_hit = 1;
                return;
            }
            if (q->in[v] != q->tag || q->scc[v] != q->scc[c0] || q->dist[v] != UINT32_MAX ||
                !conflict(s->comps[v].mode, h[i].mode))
                continue;
            q->dist[v] = q->dist[w] + 1;
            q->queue[(*nq)++] = v;
        }
    }
}

/* The shortest cycle through c0 among the components of its strongly
 * connected component (the one-thread search), given to check.
 * Depth-first searches bounded by a growing length, each pruned by the
 * components' distances back to c0 (edges, ignoring the rules on threads
 * and held locks), which a breadth-first search backwards from c0 finds
 * one layer ahead of the bound: the first cycle found is a shortest one the
 * rules allow, and a component with a cycle of two costs the locks around
 * it, not the whole strongly connected component. Returns 0 to go on, 1
 * to stop. */
static int shortest_from(struct search *q, uint32_t c0,
                         int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    struct tg__spd *s = q->s;
    uint32_t nq = 0, head = 0;
    q->dist[c0] = 0;
    q->queue[nq++] = c0;
    int rc = 0;
    for (uint32_t limit = 2; !rc; limit++) {
        while (head < nq && q->dist[q->queue[head]] + 1 < limit && !s->st.pattern_limit_hit)
            back_step(q, c0, head++, &nq);
        int complete = head == nq, pruned = 0;
        if (s->st.pattern_limit_hit || (complete && limit > nq))
            break;
        rc = bounded_from(q, c0, limit, complete, &pruned, check);
        if (!pruned)
            break;
    }
    for (uint32_t i = 0; i < nq; i++)
        q->dist[q->queue[i]] = UINT32_MAX;
    return rc == 1 || s->st.pattern_limit_hit;
}

/* Strongly connected components of the components tagged q->tag (edges:
 * c -> c' when c' holds c's lock in a conflicting mode and runs in another
 * thread, or in the same thread for a one-thread search). Sets scc[] to the
 * root of each one's component; returns the smallest tagged component in a
 * component of two or more, or UINT32_MAX. Iterative: no recursion. */
static uint32_t tarjan(struct search *q, const uint32_t *nodes, uint32_t n)
{
    struct tg__spd *s = q->s;
    uint32_t next = 1, sp = 0, best = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        q->index[nodes[i]] = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t root = nodes[i];
        if (q->index[root])
            continue;
        uint32_t depth = 0;
        q->call[0] = root;
        q->ccur[0] = q->off[s->comps[root].lock];
        q->index[root] = q->low[root] = next++;
        q->stack[sp++] = root;
        q->on_stack[root] = 1;
        for (;;) {
            uint32_t v = q->call[depth], l = s->comps[v].lock;
            if (q->ccur[depth] < q->off[l + 1]) {
                struct adj a = q->hold[q->ccur[depth]++];
                uint32_t w = a.comp;
                if (q->in[w] != q->tag || !conflict(s->comps[v].mode, a.mode) ||
                    (s->comps[w].thread == s->comps[v].thread) != q->one_thread)
                    continue; /* a deadlock never uses two components of one thread */
                if (!q->index[w]) {
                    q->index[w] = q->low[w] = next++;
                    q->stack[sp++] = w;
                    q->on_stack[w] = 1;
                    depth++;
                    q->call[depth] = w;
                    q->ccur[depth] = q->off[s->comps[w].lock];
                } else if (q->on_stack[w] && q->index[w] < q->low[v]) {
                    q->low[v] = q->index[w];
                }
                continue;
            }
            if (q->low[v] == q->index[v]) {
                uint32_t size = 0, least = UINT32_MAX, w;
                do {
                    w = q->stack[--sp];
                    q->on_stack[w] = 0;
                    q->scc[w] = v;
                    least = w < least ? w : least;
                    size++;
                } while (w != v);
                if (size >= 2 && least < best)
                    best = least;
            }
            if (depth == 0)
                break;
            depth--;
            uint32_t p = q->call[depth];
            if (q->low[v] < q->low[p])
                q->low[p] = q->low[v];
        }
    }
    return best;
}

/* Whether a one-thread search may use component c: a lock, not a join,
 * waited for under locks only (join pseudo-locks give no inversion). Held
 * sets are sorted by lock, and pseudo-locks come after every lock. */
static int plain_locks(const struct tg__spd *s, uint32_t c)
{
    const struct tg__comp *cp = &s->comps[c];
    const struct tg__hset *h = &s->hsets[cp->hset];
    return cp->lock < s->jbase && (h->n == 0 || s->hlocks[h->off + h->n - 1].lock < s->jbase);
}

static int patterns(struct tg__spd *s, int one_thread,
                    int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    struct search q = {.s = s, .one_thread = one_thread};
    int rc = -1;
    if (s->n_comps < 2)
        return 0;
    if (build_index(&q) < 0 || (one_thread && build_waiters(&q) < 0))
        goto out;
    q.path = malloc(((size_t)s->n_comps + 1) * sizeof *q.path);
    q.cursor = malloc(((size_t)s->n_comps + 1) * sizeof *q.cursor);
    q.thread_used = calloc(s->n_th + 1, 1);
    size_t nl = (size_t)s->jbase + s->n_th + 1;
    q.lock_used = calloc(nl, 1);
    q.held_n = calloc(nl, sizeof *q.held_n);
    q.held_w = calloc(nl, 1);
    uint32_t n = s->n_comps;
    q.in = calloc(n, sizeof *q.in);
    q.index = malloc(n * sizeof *q.index);
    q.low = malloc(n * sizeof *q.low);
    q.stack = malloc(n * sizeof *q.stack);
    q.call = malloc(n * sizeof *q.call);
    q.ccur = malloc(n * sizeof *q.ccur);
    q.scc = malloc(n * sizeof *q.scc);
    q.on_stack = calloc(n, 1);
    uint32_t *nodes = malloc(n * sizeof *nodes);
    if (!q.path || !q.cursor || !q.thread_used || !q.lock_used || !q.held_n || !q.held_w ||
        !q.in || !q.index || !q.low || !q.stack || !q.call || !q.ccur || !q.scc ||
        !q.on_stack || !nodes) {
        free(nodes);
        goto out;
    }
    rc = 0;
    /* Johnson's outer loop, run separately in each strongly connected
     * component of the whole graph: the least start whose component (among
     * the components >= it) is a real cycle, then the next start after it. */
    q.tag++;
    uint32_t m0 = 0;
    for (uint32_t c = 0; c < n; c++) {
        q.scc[c] = c; /* components left out are alone */
        if (!one_thread || plain_locks(s, c)) {
            q.in[c] = q.tag;
            nodes[m0++] = c;
        }
    }
    if (tarjan(&q, nodes, m0) == UINT32_MAX)
        goto done;
    uint32_t *group = malloc(((size_t)n + 1) * sizeof *group);
    uint32_t *first = calloc((size_t)n + 1, sizeof *first);
    if (!group || !first) {
        free(group);
        free(first);
        rc = -1;
        goto done;
    }
    for (uint32_t c = 0; c < n; c++) /* members of each component, ascending */
        first[q.scc[c] + 1]++;
    for (uint32_t c = 0; c < n; c++)
        first[c + 1] += first[c];
    for (uint32_t c = 0; c < n; c++)
        group[first[q.scc[c]]++] = c;
    int stop = 0;
    for (uint32_t g = 0; g < n && !stop;) {
        uint32_t root = q.scc[group[g]], end = g;
        while (end < n && q.scc[group[end]] == root)
            end++;
        /* One thread: the shortest cycle through each component, among
         * all the components of its strongly connected component. */
        for (uint32_t i = g; one_thread && end - g >= 2 && i < end && !stop; i++)
            stop = shortest_from(&q, group[i], check);
        for (uint32_t from_i = g; !one_thread && end - g >= 2 && from_i < end && !stop;) {
            uint32_t m = 0;
            q.tag++;
            for (uint32_t i = from_i; i < end; i++) {
                q.in[group[i]] = q.tag;
                nodes[m++] = group[i];
            }
            uint32_t c0 = tarjan(&q, nodes, m);
            if (c0 == UINT32_MAX)
                break;
            stop = from(&q, c0, check);
            while (from_i < end && group[from_i] <= c0)
                from_i++;
        }
        g = end;
    }
    free(group);
    free(first);
done:
    free(nodes);
out:
    free(q.in);
    free(q.index);
    free(q.low);
    free(q.stack);
    free(q.call);
    free(q.ccur);
    free(q.scc);
    free(q.on_stack);
    free(q.off);
    free(q.hold);
    free(q.woff);
    free(q.waiter);
    free(q.dist);
    free(q.queue);
    free(q.path);
    free(q.cursor);
    free(q.thread_used);
    free(q.lock_used);
    free(q.held_n);
    free(q.held_w);
    return rc;
}

int tg__spd_patterns(struct tg__spd *s, int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    return patterns(s, 0, check);
}

int tg__spd_one_thread_patterns(struct tg__spd *s,
                                int (*check)(struct tg__spd *, const uint32_t *, uint32_t))
{
    return patterns(s, 1, check);
}
