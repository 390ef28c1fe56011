/* SPDX-License-Identifier: MIT */
/* store.c: the one pass over the trace. Turns trace events into the stored
 * events of each thread (see spd_impl.h), the held sets, and the abstract
 * components (nested acquires grouped by thread, lock and held set). */
#include "predict/spd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARN(s, ...) do { if ((s)->rd) tg__trace_warn((s)->rd, __VA_ARGS__); } while (0)

/* "line" for text traces, "event" for binary ones, naming ev->pos. */
static const char *unit(const struct tg__spd *s)
{
    return s->rd && tg__trace_format(s->rd)[0] == 't' ? "line" : "event";
}

int tg__spd_grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > 0xffffffffu)
        n = 0xffffffffu;
    if (n < need)
        return -1;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return -1;
    memset((char *)q + (size_t)*cap * size, 0, (size_t)(n - *cap) * size);
    *p = q;
    *cap = (uint32_t)n;
    return 0;
}

static int oom(struct tg__spd *s)
{
    snprintf(s->err, sizeof s->err, "out of memory after %llu events",
             (unsigned long long)s->st.events);
    return -1;
}

static int spill_error(struct tg__spd *s)
{
    snprintf(s->err, sizeof s->err, "%s", s->sp.err);
    return -1;
}

const struct tg__sev *tg__spd_ev(struct tg__spd *s, struct tg__cursor *c, uint32_t t, uint32_t k)
{
    if (c->st != &s->th[t].ev)
        tg__cursor_init(c, &s->th[t].ev);
    const struct tg__sev *e = tg__cursor_at(&s->sp, c, k);
    if (!e)
        spill_error(s);
    return e;
}

/* Appends a stored event at the current position. */
static int push(struct tg__spd *s, struct tg__thread *t, uint32_t kind, uint32_t obj,
                uint32_t x, uint32_t y, uint32_t hs)
{
    if (t->n >= TG__MAX_DENSE) {
        snprintf(s->err, sizeof s->err, "a thread has more than %u synchronisation events; "
                 "split the trace", TG__MAX_DENSE);
        return -1;
    }
    struct tg__sev e = {SEV_MAKE(kind, obj), x, y, hs, s->cur_pos, s->cur_off};
    if (!t->ev.per_block) {
        t->ev.per_block = s->n_streams++ < TG__MANY_THREADS ? TG__SEV_PER_BLOCK
                                                            : TG__SEV_PER_BLOCK_MANY;
        t->ev.recsz = sizeof e;
    }
    if (tg__stream_append(&s->sp, &t->ev, &e) < 0)
        return spill_error(s);
    t->n++;
    s->st.stored++;
    return 0;
}

static struct tg__thread *thread(struct tg__spd *s, uint32_t id)
{
    if (id >= TG__MAX_DENSE)
        return NULL;
    if (id >= s->n_th) {
        if (tg__spd_grow((void **)&s->th, &s->cap_th, id + 1, sizeof *s->th) < 0)
            return NULL;
        s->n_th = id + 1;
    }
    return &s->th[id];
}

/* Grows the per-object arrays to cover `obj`. */
static int object(struct tg__spd *s, uint32_t obj)
{
    if (obj >= TG__MAX_DENSE)
        return -1;
    if (obj < s->n_lk)
        return 0;
    uint32_t cap = s->n_lk, c2 = s->n_var, c3 = s->n_cond;
    if (tg__spd_grow((void **)&s->lk, &cap, obj + 1, sizeof *s->lk) < 0 ||
        tg__spd_grow((void **)&s->var, &c2, obj + 1, sizeof *s->var) < 0 ||
        tg__spd_grow((void **)&s->cond, &c3, obj + 1, sizeof *s->cond) < 0)
        return -1;
    s->n_lk = cap;
    s->n_var = c2;
    s->n_cond = c3;
    return 0;
}

/* ---- held sets and candidates ------------------------------------------ */

/* The id of the set of locks thread t holds now (computed once per change).
 * Each nested acquire stores its held set, so a thread nesting N locks
 * stores N^2/2 entries (100,000 nested locks: 40 GB). Up to a budget of
 * entries the sets are whole; past it, a set keeps its thread's
 * TG__HOLD_WINDOW newest holds, as the online lock order does, and memory
 * grows linearly. A lock held below the window then gives no edge to the
 * locks taken above it (a deadlock through it can be missed), never a
 * false report: the closure check, not the held set, proves each
 * deadlock reachable. */
static int32_t held_set(struct tg__spd *s, struct tg__thread *t)
{
    if (t->hset >= 0)
        return t->hset;
    struct tg__hlock tmp[TG__HOLD_WINDOW], *h = tmp;
    uint32_t n = t->n_held, first = 0;
    if (n > TG__HOLD_WINDOW && s->n_hlocks + n > TG__HSET_BUDGET) {
        first = n - TG__HOLD_WINDOW;
        if (!s->hsets_windowed++)
            WARN(s, "%s %llu: thread %s holds %u locks at once; from here on a nested acquire "
                 "remembers only the %d newest as held (memory would grow with the square of "
                 "the nesting), so a deadlock through a lock held deeper can be missed",
                 unit(s), (unsigned long long)s->cur_pos,
                 tg__trace_thread_name(s->rd, (uint32_t)(t - s->th)), n, TG__HOLD_WINDOW);
    } else if (n > TG__HOLD_WINDOW && !(h = malloc(n * sizeof *h))) {
        return -1;
    }
    for (uint32_t i = first; i < n; i++)
        h[i - first] = (struct tg__hlock){t->held[i].lock, t->held[i].mode};
    int64_t id = tg__spd_intern_hset(s, h, n - first);
    if (h != tmp)
        free(h);
    t->hset = id < 0 ? -1 : (int32_t)id;
    return id < 0 ? -1 : t->hset;
}

/* Records a blocking acquire made while holding other locks; returns the
 * id of its held set, or -1 on out-of-memory. */
static int64_t add_candidate(struct tg__spd *s, uint32_t tid, struct tg__thread *t,
                             uint32_t lock, uint8_t mode)
{
    int32_t hs = held_set(s, t);
    if (hs < 0)
        return oom(s);
    uint32_t ko = SEV_MAKE(mode == TG_MODE_READ ? SEV_ACQ_R : SEV_ACQ_X, lock);
    struct tg__comp *c = tg__spd_comp(s, tid, lock, (uint32_t)hs, mode, ko, (uint32_t)hs + 1);
    if (!c)
        return oom(s);
    if (c->n++ == 0)
        c->first = t->n; /* the stored index this acquire gets */
    return hs;
}

/* ---- announcements: a notify under a lock, before a join ---------------- */

static uint32_t ann_slot(uint64_t key, uint32_t mask)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int ann_rehash(struct tg__spd *s)
{
    uint32_t cap = s->ann_mask ? (s->ann_mask + 1) * 2 : 64;
    struct tg__announce *na = calloc(cap, sizeof *na);
    if (!na)
        return -1;
    for (uint32_t i = 0; s->ann && i <= s->ann_mask; i++) {
        if (!s->ann[i].key)
            continue;
        uint32_t j = ann_slot(s->ann[i].key, cap - 1);
        while (na[j].key)
            j = (j + 1) & (cap - 1);
        na[j] = s->ann[i];
    }
    free(s->ann);
    s->ann = na;
    s->ann_mask = cap - 1;
    return 0;
}

/* Remembers that thread tid's critical section on lock l, which ended at
 * its stored count `count`, notified a condition (the latest such wins). */
static int announce(struct tg__spd *s, uint32_t tid, uint32_t l, uint32_t count)
{
    uint64_t key = (uint64_t)(tid + 1) << 32 | l;
    if ((s->n_ann + 1) * 2 > s->ann_mask + 1 && ann_rehash(s) < 0)
        return -1;
    uint32_t j = ann_slot(key, s->ann_mask);
    while (s->ann[j].key && s->ann[j].key != key)
        j = (j + 1) & s->ann_mask;
    s->n_ann += !s->ann[j].key;
    s->ann[j] = (struct tg__announce){key, count};
    return 0;
}

/* The stored count at the end of thread tid's latest announcing section on
 * lock l, or 0 if it had none. */
static uint32_t announced(const struct tg__spd *s, uint32_t tid, uint32_t l)
{
    uint64_t key = (uint64_t)(tid + 1) << 32 | l;
    if (!s->ann)
        return 0;
    for (uint32_t j = ann_slot(key, s->ann_mask); s->ann[j].key; j = (j + 1) & s->ann_mask)
        if (s->ann[j].key == key)
            return s->ann[j].count;
    return 0;
}

/* ---- events ------------------------------------------------------------- */

static int acquire(struct tg__spd *s, const struct tg_trace_event *ev, uint32_t tid,
                   struct tg__thread *t)
{
    uint32_t l = ev->obj;
    uint8_t mode = ev->mode == TG_MODE_READ ? TG_MODE_READ : TG_MODE_WRITE;
    struct tg__lock *lk = &s->lk[l];
    /* Only a lock someone holds can be a re-entry: a thread nesting N
     * locks then costs O(N), not O(N^2), in these scans. */
    for (uint32_t i = t->n_held; (lk->holder || lk->readers) && i-- > 0;) {
        if (t->held[i].lock == l) {
            /* A re-entry (monitor, recursive mutex, recursive read) is not a
             * new critical section. */
            t->held[i].count++;
            return 0;
        }
    }
    if (ev->mode != TG_MODE_EXCLUSIVE)
        lk->rw = 1;
    if ((lk->holder && lk->holder != tid + 1) || (mode == TG_MODE_WRITE && lk->readers)) {
        WARN(s, "%s %llu: thread %s acquires lock %s while another thread holds it; the "
             "trace is inconsistent and predictions may be imprecise",
             unit(s), (unsigned long long)ev->pos, tg__trace_thread_name(s->rd, tid),
             tg__trace_object_name(s->rd, l));
    }
    if (lk->seq == 0xfffffffeu) {
        snprintf(s->err, sizeof s->err, "lock %u is acquired more than 4 billion times", l);
        return -1;
    }
    uint32_t seq = ++lk->seq, idx = t->n;
    uint32_t tag = 0; /* a trylock cannot block: never a candidate */
    if (!(ev->flags & TG_EVF_TRY)) {
        int64_t hs = TG__HS_TOP - 1;
        if (t->n_held && (hs = add_candidate(s, tid, t, l, mode)) < 0)
            return -1;
        tag = (uint32_t)(hs + 1);
    }
    if (push(s, t, mode == TG_MODE_READ ? SEV_ACQ_R : SEV_ACQ_X, l, seq, TG__NEVER, tag) < 0)
        return -1;
    if (mode == TG_MODE_READ)
        lk->readers++;
    else
        lk->holder = tid + 1;
    if (tg__spd_grow((void **)&t->held, &t->cap_held, t->n_held + 1, sizeof *t->held) < 0)
        return oom(s);
    t->held[t->n_held++] = (struct tg__held){l, idx, 1, mode, 0};
    t->hset = -1;
    s->st.acquires++;
    return 0;
}

static int release(struct tg__spd *s, const struct tg_trace_event *ev, uint32_t tid,
                   struct tg__thread *t)
{
    uint32_t l = ev->obj, i = t->n_held;
    while (i > 0 && t->held[i - 1].lock != l)
        i--;
    if (i == 0) {
        WARN(s, "%s %llu: thread %s releases lock %s, which it does not hold; ignored",
             unit(s), (unsigned long long)ev->pos, tg__trace_thread_name(s->rd, tid),
             tg__trace_object_name(s->rd, l));
        return 0;
    }
    struct tg__held *h = &t->held[i - 1];
    if (--h->count)
        return 0;
    uint32_t count = t->n;
    if (tg__stream_patch(&s->sp, &t->ev, h->idx, TG__SEV_Y_OFFSET, &count, sizeof count) < 0)
        return spill_error(s);
    if (h->notified && announce(s, tid, l, count) < 0)
        return oom(s);
    struct tg__lock *lk = &s->lk[l];
    if (h->mode == TG_MODE_READ) {
        if (lk->readers)
            lk->readers--;
    } else if (lk->holder == tid + 1) {
        lk->holder = 0;
    }
    memmove(h, h + 1, (t->n_held - i) * sizeof *h);
    t->n_held--;
    t->hset = -1;
    return 0;
}

static int read_var(struct tg__spd *s, uint32_t tid, struct tg__thread *t, uint32_t x)
{
    struct tg__var *v = &s->var[x];
    if (!v->writer || v->writer == tid + 1)
        return 0;
    uint32_t w = v->writer - 1, slot = w & 7;
    if (t->xr_writer[slot] == v->writer && t->xr_count[slot] >= v->wcount)
        return 0;
    t->xr_writer[slot] = v->writer;
    t->xr_count[slot] = v->wcount;
    return push(s, t, SEV_XREAD, w, v->wcount, 0, 0);
}

static int fork_thread(struct tg__spd *s, const struct tg_trace_event *ev, uint32_t tid)
{
    struct tg__thread *c = thread(s, ev->obj);
    if (!c)
        return oom(s);
    struct tg__thread *t = &s->th[tid];
    if (c->started || c->forked || ev->obj == tid) {
        WARN(s, "%s %llu: thread %s forks %s, which already started or was forked; ignored",
             unit(s), (unsigned long long)ev->pos, tg__trace_thread_name(s->rd, tid),
             tg__trace_thread_name(s->rd, ev->obj));
        return 0;
    }
    c->forked = 1;
    c->parent = tid;
    c->fork_idx = t->n;
    return push(s, t, SEV_FORK, ev->obj, 0, 0, 0);
}

/* A join made while holding locks can close a cycle through the joined
 * thread (joins.c); it is remembered, and tagged with the held set.
 *
 * Before it, the join is ordered after the joined thread's latest
 * critical section, on a lock the joiner holds, in which the joined thread
 * notified a condition (a cross-thread read of that section's end). That is
 * the "announce, then be joined" idiom: a worker takes the pool lock,
 * marks itself done, signals and leaves; the reaper holds the pool lock,
 * finds (or waits on the condition for) a done worker and joins it while
 * still holding the lock (pigz's join_all). The joiner holds the lock
 * because of what it read there, but a trace records no memory accesses,
 * so without this order the join could be moved before the announcement
 * and every reaped worker would be a false "joins T while holding L, and T
 * waits for L". The section ended before the joiner took the lock it
 * holds (the joiner holds it from then to the join, and the joined thread
 * is over by then), so the order only says the joiner read what was
 * written under the lock it took. What it gives up: a worker whose last
 * act on the lock was such a notify, joined by a thread that never looked
 * at what it announced, is not predicted (a run where it happens is
 * still reported live). A worker that takes the lock again after its
 * announcement is predicted as before: its later acquire is not ordered. */
static int join_thread(struct tg__spd *s, uint32_t tid, uint32_t u)
{
    struct tg__thread *c = thread(s, u);
    if (!c)
        return oom(s);
    struct tg__thread *t = &s->th[tid];
    if (u == tid)
        return 0;
    uint32_t tag = 0;
    if (t->n_held) {
        int32_t hs = held_set(s, t);
        if (hs < 0 || tg__spd_grow((void **)&s->joins, &s->cap_joins, s->n_joins + 1,
                                   sizeof *s->joins) < 0)
            return oom(s);
        s->joins[s->n_joins++] = (struct tg__held_join){tid, u, (uint32_t)hs};
        tag = (uint32_t)hs + 1;
        uint32_t upto = 0;
        for (uint32_t i = 0; i < t->n_held; i++) {
            uint32_t n = announced(s, u, t->held[i].lock);
            upto = n > upto ? n : upto;
        }
        if (upto && push(s, t, SEV_XREAD, u, upto, 0, 0) < 0)
            return -1;
    }
    return push(s, t, SEV_JOIN, u, s->th[u].n, 0, tag);
}

static int cond_wait(struct tg__spd *s, uint32_t tid, uint32_t c)
{
    struct tg__cond *cv = &s->cond[c];
    for (uint32_t i = 0; i < cv->n; i++)
        if (cv->waiting[i] == tid)
            return 0;
    if (tg__spd_grow((void **)&cv->waiting, &cv->cap, cv->n + 1, sizeof *cv->waiting) < 0)
        return oom(s);
    cv->waiting[cv->n++] = tid;
    return 0;
}

/* A notify orders every current waiter's wake-up after it: the waiters
 * continue only after this point (a conservative choice: it can only hide
 * reorderings, never invent one). */
static int cond_notify(struct tg__spd *s, uint32_t tid, uint32_t c)
{
    struct tg__cond *cv = &s->cond[c];
    struct tg__thread *t = &s->th[tid];
    uint32_t count = t->n;
    /* Announcements, for a later join (join_thread): exclusive holds only,
     * as a shared hold can overlap the joiner's. */
    for (uint32_t i = 0; i < t->n_held; i++)
        t->held[i].notified |= t->held[i].mode != TG_MODE_READ;
    for (uint32_t i = 0; i < cv->n; i++) {
        uint32_t w = cv->waiting[i];
        if (w != tid && push(s, &s->th[w], SEV_XREAD, tid, count, 0, 0) < 0)
            return -1;
    }
    cv->n = 0;
    return 0;
}

int tg__spd_event(struct tg__spd *s, const struct tg_trace_event *ev)
{
    uint32_t tid = ev->thread;
    struct tg__thread *t = thread(s, tid);
    if (!t)
        return oom(s);
    s->st.events++;
    s->cur_pos = ev->pos;
    s->cur_off = ev->offset;
    if (!t->started) {
        t->started = 1;
        if (push(s, t, SEV_BEGIN, t->forked ? t->parent : SEV_NONE, t->fork_idx, 0, 0) < 0)
            return -1;
    }
    int needs_obj = ev->op == TG_EV_ACQUIRE || ev->op == TG_EV_RELEASE || ev->op == TG_EV_READ ||
                    ev->op == TG_EV_WRITE || ev->op == TG_EV_WAIT || ev->op == TG_EV_NOTIFY;
    if (needs_obj && ev->obj == TG_NO_OBJ) {
        /* Only a damaged binary trace gets here (found by the fuzzer). */
        WARN(s, "%s %llu: an event that needs an object has none; it is ignored", unit(s),
             (unsigned long long)ev->pos);
        return 0;
    }
    if (ev->obj != TG_NO_OBJ && ev->op != TG_EV_FORK && ev->op != TG_EV_JOIN &&
        object(s, ev->obj) < 0)
        return oom(s);
    switch (ev->op) {
    case TG_EV_ACQUIRE:
        return acquire(s, ev, tid, t);
    case TG_EV_RELEASE:
        return release(s, ev, tid, t);
    case TG_EV_WRITE:
        s->var[ev->obj].writer = tid + 1;
        s->var[ev->obj].wcount = t->n;
        return 0;
    case TG_EV_READ:
        return read_var(s, tid, t, ev->obj);
    case TG_EV_FORK:
        return fork_thread(s, ev, tid);
    case TG_EV_JOIN:
        return join_thread(s, tid, ev->obj);
    case TG_EV_WAIT:
        return cond_wait(s, tid, ev->obj);
    case TG_EV_NOTIFY:
        return cond_notify(s, tid, ev->obj);
    default:
        return 0; /* req, begin, end: no effect on reorderings */
    }
}
