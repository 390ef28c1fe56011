/* SPDX-License-Identifier: MIT */
/* lockorder.c: online deadlock prediction from the order locks are taken.
 *
 * Every time an actor takes a lock L while holding H1..Hn, the edges
 * Hi -> L join a graph whose nodes are lock instances (or, with
 * lock_classes=1, the places locks were created, like lockdep's classes).
 * Each edge keeps a few occurrences: which actor, the stacks of both
 * acquisitions, the modes, the other locks held at the time (gates) and the
 * actor's vector clock over creates and joins. Each distinct chain of held
 * locks is validated once per actor (the chain cache), so a program that
 * repeats its nestings pays a hash compare per nested acquisition.
 *
 * When an edge or an occurrence is new, the graph is searched for a cycle
 * through it, and the cycle is reported as a potential deadlock only if
 * occurrences can be chosen, one per edge, that could all be waiting at
 * once: different actors, no lock held by all of them (a gate), no two
 * ordered by create/join, and each wanted lock held in a conflicting mode
 * (two reads of a reader-preferring rwlock do not block each other).
 * Trylocks add no edges. All of it runs under the engine lock. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg__lockorder_on = 1;

/* ---- vector clocks ------------------------------------------------------- */

struct tg_vc {
    int n, cap;
    struct { uint64_t actor; uint64_t clock; } *e;
};

static uint64_t vc_get(const struct tg_vc *vc, uint64_t actor)
{
    for (int i = 0; vc && i < vc->n; i++)
        if (vc->e[i].actor == actor)
            return vc->e[i].clock;
    return 0;
}

static void vc_set(struct tg_vc *vc, uint64_t actor, uint64_t clock)
{
    for (int i = 0; i < vc->n; i++) {
        if (vc->e[i].actor == actor) {
            vc->e[i].clock = clock;
            return;
        }
    }
    if (vc->n == vc->cap) {
        int cap = vc->cap ? vc->cap * 2 : 4;
        void *p = tg__realloc(vc->e, (size_t)cap * sizeof *vc->e);
        if (!p)
            return;
        vc->e = p;
        vc->cap = cap;
    }
    vc->e[vc->n].actor = actor;
    vc->e[vc->n++].clock = clock;
}

static struct tg_vc *vc_of(struct tg_actor *a)
{
    if (!a->vc) {
        a->vc = tg__alloc(sizeof *a->vc);
        if (a->vc)
            vc_set(a->vc, a->id, 1);
    }
    return a->vc;
}

static void vc_copy(struct tg_vc *dst, const struct tg_vc *src)
{
    dst->n = 0;
    for (int i = 0; src && i < src->n; i++)
        vc_set(dst, src->e[i].actor, src->e[i].clock);
}

void tg__hb_fork(struct tg_actor *parent, struct tg_actor *child)
{
    if (!parent || !child)
        return;
    tg__guard++;
    tg__lock();
    struct tg_vc *pv = vc_of(parent), *cv = vc_of(child);
    if (pv && cv) {
        vc_copy(cv, pv);
        vc_set(cv, child->id, 1);
        vc_set(pv, parent->id, vc_get(pv, parent->id) + 1);
    }
    tg__unlock();
    tg__guard--;
}

void tg__hb_join(struct tg_actor *joiner, struct tg_actor *joined)
{
    if (!joiner || !joined)
        return;
    tg__guard++;
    tg__lock();
    struct tg_vc *jv = vc_of(joiner), *tv = joined->vc;
    for (int i = 0; jv && tv && i < tv->n; i++)
        if (vc_get(jv, tv->e[i].actor) < tv->e[i].clock)
            vc_set(jv, tv->e[i].actor, tv->e[i].clock);
    tg__unlock();
    tg__guard--;
}

/* ---- the graph ---------------------------------------------------------- */

#define MAX_OCC 4
#define MAX_GATES 16

struct occ {
    uint64_t actor;
    long tid;
    char name[32];
    uintptr_t from_pc, to_pc;
    uint32_t from_stack, to_stack;
    uint8_t from_mode, to_mode;
    int n_gates;
    uint64_t gates[MAX_GATES];
    struct tg_vc vc;
};

struct edge {
    uint64_t from, to;           /* node keys */
    struct tg_res *from_res, *to_res;
    uint64_t from_id, to_id;     /* instance serials, to describe them */
    int next_out;                /* next edge leaving `from`, -1 at the end */
    int n_occ;
    struct occ occ[MAX_OCC];
};

static struct edge *edges;
static int n_edges, cap_edges;
/* key -> index, open addressing; slot value index+1, 0 empty */
static int *edge_index, *node_first;
static uint64_t *node_keys;
static size_t edge_cap, node_cap;
static int n_nodes;
static uint64_t *reported;      /* cycle signatures already reported */
static int n_reported, cap_reported;
static int full_warned;

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static int grow_table(int **idx, size_t *cap, size_t need)
{
    if (need * 2 < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 1024;
    int *n = tg__alloc(ncap * sizeof *n);
    if (!n)
        return -1;
    tg__free(*idx);
    *idx = n;
    *cap = ncap;
    return 1; /* caller rehashes */
}

static int node_find(uint64_t key, int create)
{
    if (create && n_nodes * 2 + 2 >= (int)node_cap) {
        size_t old_cap = node_cap;
        int *old_first = node_first;
        uint64_t *old_keys = node_keys;
        size_t ncap = node_cap ? node_cap * 2 : 1024;
        int *nf = tg__alloc(ncap * sizeof *nf);
        uint64_t *nk = tg__alloc(ncap * sizeof *nk);
        if (!nf || !nk) {
            tg__free(nf);
            tg__free(nk);
            return -1;
        }
        for (size_t i = 0; i < ncap; i++)
            nf[i] = -2; /* empty */
        node_first = nf;
        node_keys = nk;
        node_cap = ncap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old_first[i] == -2)
                continue;
            size_t j = mix(old_keys[i], 1) & (ncap - 1);
            while (nf[j] != -2)
                j = (j + 1) & (ncap - 1);
            nf[j] = old_first[i];
            nk[j] = old_keys[i];
        }
        tg__free(old_first);
        tg__free(old_keys);
    }
    if (!node_cap)
        return -1;
    size_t j = mix(key, 1) & (node_cap - 1);
    while (node_first[j] != -2) {
        if (node_keys[j] == key)
            return (int)j;
        j = (j + 1) & (node_cap - 1);
    }
    if (!create)
        return -1;
    node_keys[j] = key;
    node_first[j] = -1;
    n_nodes++;
    return (int)j;
}

static int edge_find(uint64_t from, uint64_t to)
{
    if (!edge_cap)
        return -1;
    size_t j = mix(from, to) & (edge_cap - 1);
    while (edge_index[j]) {
        struct edge *e = &edges[edge_index[j] - 1];
        if (e->from == from && e->to == to)
            return edge_index[j] - 1;
        j = (j + 1) & (edge_cap - 1);
    }
    return -1;
}

static void edge_index_put(int i)
{
    size_t j = mix(edges[i].from, edges[i].to) & (edge_cap - 1);
    while (edge_index[j])
        j = (j + 1) & (edge_cap - 1);
    edge_index[j] = i + 1;
}

static int edge_new(uint64_t from, uint64_t to)
{
    if (n_edges == cap_edges) {
        int cap = cap_edges ? cap_edges * 2 : 256;
        struct edge *e = tg__realloc(edges, (size_t)cap * sizeof *e);
        if (!e)
            return -1;
        edges = e;
        cap_edges = cap;
    }
    int g = grow_table(&edge_index, &edge_cap, (size_t)n_edges + 1);
    if (g < 0)
        return -1;
    if (g > 0)
        for (int i = 0; i < n_edges; i++)
            edge_index_put(i);
    int from_node = node_find(from, 1);
    if (from_node < 0 || node_find(to, 1) < 0)
        return -1;
    from_node = node_find(from, 0); /* the table may have grown */
    struct edge *e = &edges[n_edges];
    memset(e, 0, sizeof *e);
    e->from = from;
    e->to = to;
    e->next_out = node_first[from_node];
    node_first[from_node] = n_edges;
    edge_index_put(n_edges);
    return n_edges++;
}

/* ---- feasibility of a cycle ------------------------------------------------ */

static int conflicts(const struct edge *want, uint8_t want_mode, uint8_t held_mode)
{
    if (want_mode != TG_MODE_READ || held_mode != TG_MODE_READ)
        return 1;
    const struct tg_res *r = want->to_res;
    return r && (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & TG_RF_WRITER_PREF);
}

static int happens_before(const struct occ *a, const struct occ *b)
{
    return vc_get(&b->vc, a->actor) >= vc_get(&a->vc, a->actor) && vc_get(&a->vc, a->actor) > 0;
}

static int gated(const struct occ *const *chosen, int n)
{
    for (int g = 0; g < chosen[0]->n_gates; g++) {
        uint64_t gate = chosen[0]->gates[g];
        int all = 1;
        for (int k = 1; k < n && all; k++) {
            int has = 0;
            for (int j = 0; j < chosen[k]->n_gates; j++)
                has |= chosen[k]->gates[j] == gate;
            all = has;
        }
        if (all)
            return 1;
    }
    return 0;
}

/* Can occurrence o of cycle edge k join the ones chosen for edges 0..k-1? */
static int compatible(const struct occ *const *chosen, int k, const struct occ *o)
{
    for (int j = 0; j < k; j++) {
        if (chosen[j]->actor == o->actor)
            return 0;
        if (happens_before(chosen[j], o) || happens_before(o, chosen[j]))
            return 0;
    }
    return 1;
}

/* Picks one occurrence per edge of the cycle (edges[path[i]]), greedily
 * with one step of backtracking per edge; 1 if a feasible choice exists. */
static int choose(const int *path, int n, const struct occ **chosen)
{
    for (int k = 0; k < n; k++) {
        const struct edge *e = &edges[path[k]];
        chosen[k] = NULL;
        for (int i = 0; i < e->n_occ && !chosen[k]; i++)
            if (compatible(chosen, k, &e->occ[i]))
                chosen[k] = &e->occ[i];
        if (!chosen[k])
            return 0;
    }
    /* Each wanted lock must be held by the next actor in a mode that
     * blocks the want. */
    for (int k = 0; k < n; k++) {
        const struct edge *e = &edges[path[k]];
        const struct occ *next = chosen[(k + 1) % n];
        if (!conflicts(e, chosen[k]->to_mode, next->from_mode))
            return 0;
    }
    return !gated(chosen, n);
}

/* ---- reporting -------------------------------------------------------------- */

static uint64_t cycle_signature(const int *path, int n)
{
    uint64_t sum = 0, x = 0;
    for (int k = 0; k < n; k++) {
        sum += mix(edges[path[k]].from, 7);
        x ^= mix(edges[path[k]].to, 11);
    }
    return mix(sum, x);
}

static int already_reported(uint64_t sig)
{
    for (int i = 0; i < n_reported; i++)
        if (reported[i] == sig)
            return 1;
    if (n_reported == cap_reported) {
        int cap = cap_reported ? cap_reported * 2 : 16;
        uint64_t *r = tg__realloc(reported, (size_t)cap * sizeof *r);
        if (!r)
            return 1;
        reported = r;
        cap_reported = cap;
    }
    reported[n_reported++] = sig;
    return 0;
}

/* A cycle copied out of the graph, so that the finding can be built after
 * the engine lock is released. */
struct cycle_step {
    struct tg_res *from_res, *to_res;
    uint64_t from_id, to_id;
    struct occ o;      /* its vc is not copied */
    uint64_t next_actor;
};
struct cycle {
    int n;
    struct cycle_step step[];
};

static struct cycle *copy_cycle(const int *path, int n, const struct occ **chosen)
{
    struct cycle *c = tg__alloc(sizeof *c + (size_t)n * sizeof c->step[0]);
    if (!c)
        return NULL;
    c->n = n;
    for (int k = 0; k < n; k++) {
        const struct edge *e = &edges[path[k]];
        struct cycle_step *st = &c->step[k];
        st->from_res = e->from_res;
        st->to_res = e->to_res;
        st->from_id = e->from_id;
        st->to_id = e->to_id;
        st->o = *chosen[k];
        memset(&st->o.vc, 0, sizeof st->o.vc);
        st->next_actor = chosen[(k + 1) % n]->actor;
    }
    return c;
}

static const char *mode_name(const struct tg_res *r, uint8_t mode)
{
    if (!r || r->kind != TG_RES_RWLOCK)
        return NULL;
    return mode == TG_MODE_READ ? "read" : "write";
}

static void describe_lock(struct tg_res_info *info, struct tg_res *r, uint64_t id)
{
    if (r && r->id == id) {
        tg__res_describe(r, info);
    } else {
        memset(info, 0, sizeof *info);
        info->id = id;
        info->kind = r ? tg__res_kind_name((enum tg_res_kind)r->kind) : "mutex";
    }
}

static struct tg_finding *build(const struct cycle *c)
{
    int n = c->n;
    struct tg_finding *f = tg__finding_new(TG_FINDING_POTENTIAL_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return NULL;
    f->cycle_length = n;
    for (int k = 0; k < n; k++) {
        const struct cycle_step *e = &c->step[k];
        const struct occ *o = &e->o;
        struct tg_actor_info *info = tg__finding_add_actor(f);
        if (!info)
            break;
        info->id = o->actor;
        info->tid = o->tid;
        info->kind = "thread";
        info->name = tg__strdup(o->name[0] ? o->name : NULL);
        info->state = "running";
        info->wait.present = 1;
        describe_lock(&info->wait.res, e->to_res, e->to_id);
        info->wait.mode = mode_name(e->to_res, o->to_mode);
        info->wait.holder = e->next_actor;
        tg__stack_to_info(&info->wait.stack, o->to_stack, o->to_pc);
        struct tg_hold *h = tg__actor_info_add_hold(info);
        if (h) {
            describe_lock(&h->res, e->from_res, e->from_id);
            h->mode = mode_name(e->from_res, o->from_mode);
            h->count = 1;
            tg__stack_to_info(&h->acquired, o->from_stack, o->from_pc);
        }
    }
    f->summary = tg__sprintf("%d threads take %d locks in an order that can deadlock (it did "
                             "not happen in this run)", n, n);
    f->advice = tg__strdup("each thread below took the lock it holds, then the next one; run "
                           "in another interleaving they wait for each other forever. Take "
                           "these locks in one agreed order everywhere.");
    return f;
}

/* Depth-first search for paths from `start` back to `goal`, checking each
 * cycle found; stops at the first reportable one. Bounded in steps. */
static struct cycle *search(int first_edge)
{
    uint64_t goal = edges[first_edge].from;
    int cap = 64, depth = 0;
    int *stack = tg__alloc((size_t)cap * sizeof *stack); /* edge on the path at each depth */
    int *cursor = tg__alloc((size_t)cap * sizeof *cursor);
    char *seen = tg__alloc(node_cap ? node_cap : 1);
    struct cycle *found = NULL;
    long steps = 0;
    if (!stack || !cursor || !seen)
        goto out;
    stack[0] = first_edge;
    int nd = node_find(edges[first_edge].to, 0);
    cursor[0] = nd >= 0 ? node_first[nd] : -1;
    if (nd >= 0)
        seen[nd] = 1;
    while (depth >= 0 && steps++ < 1000000) {
        int e = cursor[depth];
        if (e < 0) {
            depth--;
            continue;
        }
        cursor[depth] = edges[e].next_out;
        if (edges[e].to == goal) {
            stack[depth + 1] = e;
            int n = depth + 2;
            const struct occ **chosen = tg__alloc((size_t)n * sizeof *chosen);
            if (chosen && choose(stack, n, chosen) &&
                !already_reported(cycle_signature(stack, n)))
                found = copy_cycle(stack, n, chosen);
            tg__free(chosen);
            if (found)
                break;
            continue;
        }
        int to = node_find(edges[e].to, 0);
        if (to < 0 || seen[to])
            continue;
        seen[to] = 1;
        if (depth + 2 >= cap) {
            cap *= 2;
            int *ns = tg__realloc(stack, (size_t)cap * sizeof *ns);
            int *nc = ns ? tg__realloc(cursor, (size_t)cap * sizeof *nc) : NULL;
            if (ns)
                stack = ns;
            if (!nc)
                break;
            cursor = nc;
        }
        stack[++depth] = e;
        cursor[depth] = node_first[to];
    }
out:
    tg__free(stack);
    tg__free(cursor);
    tg__free(seen);
    return found;
}

/* ---- the slow path ---------------------------------------------------------- */

static uint64_t node_key(struct tg_res *r, const struct tg_held *h)
{
    if (!r)
        return h->addr;
    return tg__opt.lock_classes && r->created_pc ? (r->created_pc | 1ull << 63) : r->id;
}

/* Adds the occurrence for `a` taking `top` while holding `h`; returns the
 * edge if it or the occurrence is new, else -1. */
static int add_edge(struct tg_actor *a, const struct tg_held *h, struct tg_res *hr,
                    const struct tg_held *top, struct tg_res *tr, uint32_t to_stack)
{
    uint64_t from = node_key(hr, h), to = node_key(tr, top);
    if (from == to)
        return -1; /* a class taken twice, or a recursive relock */
    int i = edge_find(from, to);
    if (i < 0) {
        i = edge_new(from, to);
        if (i < 0) {
            tg__warn_once(&full_warned, "out of memory for the lock-order graph; lock-order "
                          "prediction stops here.");
            tg__lockorder_on = 0;
            return -1;
        }
        edges[i].from_res = hr;
        edges[i].to_res = tr;
        edges[i].from_id = hr ? hr->id : 0;
        edges[i].to_id = tr ? tr->id : 0;
    }
    struct edge *e = &edges[i];
    for (int k = 0; k < e->n_occ; k++)
        if (e->occ[k].actor == a->id)
            return -1;
    if (e->n_occ == MAX_OCC)
        return -1;
    struct occ *o = &e->occ[e->n_occ++];
    memset(o, 0, sizeof *o);
    o->actor = a->id;
    o->tid = a->tid;
    snprintf(o->name, sizeof o->name, "%s", a->name);
    o->from_pc = h->pc;
    o->from_stack = h->stack;
    o->to_pc = top->pc;
    o->to_stack = to_stack;
    o->from_mode = h->mode;
    o->to_mode = top->mode;
    for (int k = 0; k < a->n_held - 1 && o->n_gates < MAX_GATES; k++) {
        const struct tg_held *g = &a->held[k];
        if (g != h && g->addr != h->addr && !g->released_by_other)
            o->gates[o->n_gates++] = node_key(tg__held_res(g), g);
    }
    vc_copy(&o->vc, vc_of(a));
    return i;
}

void tg__lockorder_slow(struct tg_actor *a)
{
    int n = a->n_held;
    const struct tg_held *top = &a->held[n - 1];
    uint64_t key = top->chain;
    uint32_t to_stack = top->stack ? top->stack : tg__stack_capture(2);
    struct cycle *c = NULL;
    tg__guard++;
    tg__lock();
    struct tg_res *tr = tg__held_res(top);
    for (int i = 0; i < n - 1 && !c; i++) {
        const struct tg_held *h = &a->held[i];
        if (h->released_by_other || h->addr == top->addr)
            continue;
        int e = add_edge(a, h, tg__held_res(h), top, tr, to_stack);
        if (e >= 0)
            c = search(e);
    }
    if (!a->chain_cache && (a->chain_cache = tg__alloc(256 * sizeof *a->chain_cache)))
        memset(a->chain_cache, 0, 256 * sizeof *a->chain_cache); /* 0 never matches a salted key */
    if (a->chain_cache) /* as in tg__lockorder_note */
        a->chain_cache[(key * 0x9E3779B97F4A7C15ull) >> 56] = key ^ a->chain_salt;
    tg__unlock();
    if (c) {
        struct tg_finding *f = build(c); /* with the program's malloc: no engine lock */
        tg__free(c);
        tg__report(f);
    }
    tg__guard--;
}
