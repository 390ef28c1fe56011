/* SPDX-License-Identifier: MIT */
/* detect.c: deciding who is deadlocked.
 *
 * A consistent snapshot of every blocked actor (its wait and its holds,
 * read under its seqlock) is reduced like a resource-allocation graph: an
 * actor can progress if it runs, or if what it waits for can be given up by
 * actors that can progress. Lock and join waits need their specific holders
 * (every reader, for a writer; queued writers too, for a reader of a
 * writer-preferring rwlock); condition, semaphore, barrier, channel and
 * event waits can be satisfied by anyone who progresses. Whoever is left is
 * deadlocked. Two reductions are run:
 *  - "definite": anyone-can-wake waits count as satisfiable, so what is left
 *    is stuck on locks and joins alone; reported as soon as it is seen;
 *  - "full": anyone-can-wake waits need a live waker; what is left is a
 *    stall, reported by the watchdog only once it has stayed unchanged.
 * Timed waits always progress; a set left only when they are treated as
 * untimed is a "timed-cycle" hazard. An "any of" wait (a select)
 * progresses when any one of its alternatives would, as a single wait of
 * that kind: a select of lock arms is stuck only when every arm's holder
 * is. */
#define _GNU_SOURCE
#include "core/internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/procstat.h"

enum { ST_RUNNING, ST_BLOCKED, ST_EXITED, ST_STUCK };
enum { M_DEFINITE = 1, M_TIMED_BLOCKS = 2 };

struct snap {
    struct tg_actor *a;
    int st;
    uint64_t seq;
    struct tg_wait_desc w;    /* w.any points at alts, the snapshot's copy */
    struct tg_wait_alt *alts;
    uint32_t wait_stack;
    int n_held;
    struct tg_held *held;
    int prog;
    int blocker;     /* index of who it waits for, -1 for "anyone" */
    int host_runner; /* ST_STUCK: the task that blocks its host thread */
    int raw;         /* asleep on a lock inside the C library (libcwait.c) */
};

/* One hold of a snapshot actor, in an index sorted by lock address. */
struct hold_ref {
    uintptr_t addr;
    int idx, k;
};

struct snapshot {
    int n;
    struct snap *v;
    int n_refs;
    struct hold_ref *refs; /* every copied hold, sorted by address */
    int wakers;            /* actors that progress and could wake a waiter */
    int signals;           /* tg__signal_may_post(), -1 until asked */
    int futex_grace;       /* a moved futex word lets a waiter through for now */
};

static void copy_held(struct snap *s, const struct tg_actor *a)
{
    int n;
    s->held = tg__held_copy(a, &n);
    s->n_held = n;
    for (int i = 0; i < n; i++)
        if (!s->held[i].res)
            s->held[i].res = tg__held_res(&s->held[i]);
}

/* The alternatives of an "any of" wait, copied before the seqlock check
 * (the actor's buffer is reused by its next wait). A select too large to
 * copy is taken as a wait anyone may end: no false report. */
static void copy_alts(struct snap *s)
{
    int n = s->w.n_any;
    if (n <= 0 || !s->w.any) {
        s->w.n_any = 0;
        return;
    }
    s->alts = tg__alloc((size_t)n * sizeof *s->alts);
    if (s->alts)
        memcpy(s->alts, s->w.any, (size_t)n * sizeof *s->alts);
    else
        s->w.kind = TG_RES_EVENT;
    s->w.any = s->alts;
    s->w.n_any = s->alts ? n : 0;
}

static int index_of(const struct snapshot *ss, const struct tg_actor *a)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i].a == a)
            return i;
    return -1;
}

uint32_t (*tg__res_flags_hook)(uintptr_t addr, enum tg_res_kind kind);
int (*tg__sem_count_hook)(uintptr_t addr);
long (*tg__mutex_owner_hook)(uintptr_t addr);

/* In a fork child, a hold copied from a thread of the parent stands only
 * while the lock was not reset since: a mutex whose memory names another
 * owner (none, after a static re-initialisation) is not held by it. A lock
 * its user describes names no owner: its holds stand. */
static int reset_since_fork(const struct snap *h, const struct tg_res *r)
{
    if (!(h->a->aflags & TG_AF_FORKED_AWAY) || tg__res_kind_of(r) != TG_RES_MUTEX || !tg__mutex_owner_hook ||
        (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & TG_RF_DESCRIBED))
        return 0;
    long owner = tg__mutex_owner_hook(r->addr);
    return owner >= 0 && owner != h->a->tid;
}

/* A thread inside a published lock call that the watchdog has seen
 * unchanged over two ticks is blocked in it (see tg_actor.pending). */
static void stuck_in_pending_call(struct snap *s, struct tg_actor *a)
{
    uintptr_t p = __atomic_load_n(&a->pending, __ATOMIC_ACQUIRE);
    /* Two ticks: the first asks the actor for its stack, the second sees
     * the answer (or later ones: watch_pending_call). */
    if (!p || !(a->watch_flags & TG_WATCH_BLOCKED) || p != a->watch_pending ||
        __atomic_load_n(&a->pending_seq, __ATOMIC_RELAXED) != a->watch_seq)
        return;
    struct tg_res *r = tg__res_lookup(p);
    unsigned as = __atomic_load_n(&a->pending_as, __ATOMIC_RELAXED);
    if (as)
        r = tg__res_described(p, tg__as_kind(as), tg__as_flags(as), a->pending_pc, r);
    else if (!r)
        r = tg__res_get(p, TG_RES_MUTEX, tg__res_flags_hook ? tg__res_flags_hook(p, TG_RES_MUTEX) : 0,
                        a->pending_pc);
    if (!r)
        return;
    /* A relock of a recursive mutex the thread holds never waits: seen
     * here, the thread was only descheduled between publishing the call
     * and glibc's return (GLib's rec-mutex test under a loaded make check
     * was reported as waiting for itself). */
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    if (tg__res_kind_in(f) == TG_RES_MUTEX && (f & TG_RF_RECURSIVE) && tg__holds(a, r, NULL))
        return;
    s->st = ST_BLOCKED;
    s->w = (struct tg_wait_desc){.res = r, .kind = tg__res_kind_of(r), .mode = a->pending_mode, .pc = a->pending_pc};
    s->wait_stack = 0;
    if (__atomic_load_n(&a->pending_stack_seq, __ATOMIC_ACQUIRE) == a->watch_seq && a->pending_n > 0)
        s->wait_stack = tg__stack_intern_locked(a->pending_pcs, a->pending_n);
    s->seq = (1ull << 63) | a->watch_seq;
    copy_held(s, a);
}

/* A thread asleep on one of the C library's own locks, seen by the
 * watchdog on two ticks (libcwait.c): blocked on that futex word, a wait
 * anyone may end. */
static void asleep_in_libc(struct snap *s, struct tg_actor *a)
{
    s->st = ST_BLOCKED;
    s->raw = 1;
    s->w = (struct tg_wait_desc){.res = &a->side->raw_word, .kind = TG_RES_EVENT,
                                 .mode = TG_MODE_EXCL, .pc = a->side->raw_pc};
    s->wait_stack = a->side->raw_stack;
    s->seq = (1ull << 62) | a->side->raw_seq;
    copy_held(s, a);
}

/* When a snapshot actor's wait began, as far as known. */
static uint64_t wait_since(const struct snap *s)
{
    return s->raw ? s->a->side->raw_since_ns : s->a->wait_since_ns;
}

/* One actor's pending lock call at this tick; 1 if whether it counts as
 * blocked changed. It does once the call is seen unchanged over two ticks
 * and the stack asked for at the first has come: a thread asked for its
 * stack answers at once on a quiet machine, but on a loaded one it may not
 * run for a while, and a report made without the answer showed only the
 * frame of the lock call (frame #1 missing: 8 of 1,140 runs of three live
 * cases at load 6-50, tests/stress/stress.py). So it waits for the answer, up to TG_STACK_WAIT_MS: a request
 * that cannot be answered (the signal blocked meanwhile, or ignored) does
 * not hold a report back for longer. */
static int watch_pending_call(struct tg_actor *a)
{
    int was = (a->watch_flags & TG_WATCH_BLOCKED) != 0;
    uintptr_t p = __atomic_load_n(&a->pending, __ATOMIC_ACQUIRE);
    uint64_t q = __atomic_load_n(&a->pending_seq, __ATOMIC_RELAXED);
    if (p && p == a->watch_pending && q == a->watch_seq) {
        if (a->watch_stuck < 1000 && ++a->watch_stuck == 1 && tg__stuck_hook &&
            tg__stuck_hook(a) == 0)
            a->watch_flags |= TG_WATCH_ASKED;
    } else {
        a->watch_stuck = 0;
        a->watch_flags = 0;
    }
    a->watch_pending = p;
    a->watch_seq = q;
    int wait_ticks = TG_STACK_WAIT_MS / (tg__opt.watchdog_ms > 0 ? tg__opt.watchdog_ms : 1);
    if (a->watch_stuck >= 2 &&
        (!(a->watch_flags & TG_WATCH_ASKED) || a->watch_stuck >= 2 + wait_ticks ||
         __atomic_load_n(&a->pending_stack_seq, __ATOMIC_ACQUIRE) == q))
        a->watch_flags |= TG_WATCH_BLOCKED;
    return was != ((a->watch_flags & TG_WATCH_BLOCKED) != 0);
}

/* The watchdog's tick: which published lock calls have not moved since
 * the last one; 1 if any started or stopped counting as blocked. Only
 * threads, and the task each runs, can be inside one (a task blocked in a
 * pthread call blocks its host with it), so tasks that are not running are
 * not visited. Caller holds the engine lock. */
static int watch_pending_calls(void)
{
    int changed = 0;
    for (int i = 0; i < tg__n_threads; i++) {
        struct tg_actor *a = tg__threads[i], *task = __atomic_load_n(&a->running, __ATOMIC_ACQUIRE);
        changed |= watch_pending_call(a);
        if (task && task != a)
            changed |= watch_pending_call(task);
    }
    return changed;
}

static int ref_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const struct hold_ref *)a)->addr, y = ((const struct hold_ref *)b)->addr;
    return x < y ? -1 : x > y;
}

/* Indexes every copied hold by address, so that finding a lock's holders
 * costs a binary search, not a walk over every actor. */
static void index_holds(struct snapshot *ss)
{
    int n = 0;
    for (int i = 0; i < ss->n; i++)
        n += ss->v[i].n_held;
    ss->refs = n ? tg__alloc((size_t)n * sizeof *ss->refs) : NULL;
    ss->n_refs = 0;
    for (int i = 0; ss->refs && i < ss->n; i++)
        for (int k = 0; k < ss->v[i].n_held; k++)
            ss->refs[ss->n_refs++] = (struct hold_ref){ss->v[i].held[k].addr, i, k};
    if (ss->n_refs > 1) /* qsort wants a real array even for none (UBSan) */
        qsort(ss->refs, (size_t)ss->n_refs, sizeof *ss->refs, ref_cmp);
}

/* The first index entry for addr (or n_refs). */
static int first_ref(const struct snapshot *ss, uintptr_t addr)
{
    int lo = 0, hi = ss->n_refs;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ss->refs[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Takes the snapshot; the caller holds the engine lock. */
static int take(struct snapshot *ss)
{
    ss->n = 0;
    ss->signals = -1;
    ss->futex_grace = 0;
    ss->v = tg__alloc(((size_t)tg__actor_slots + 1) * sizeof *ss->v);
    if (!ss->v)
        return -1;
    for (int i = 0; i < tg__actor_slots; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || (a->aflags & TG_AF_INTERNAL))
            continue;
        struct snap *s = &ss->v[ss->n++];
        s->a = a;
        s->alts = NULL;
        s->raw = 0;
        s->blocker = s->host_runner = -1;
        int st = (int)__atomic_load_n(&a->state, __ATOMIC_ACQUIRE);
        if (st == TG_ST_EXITED) {
            s->st = ST_EXITED;
            copy_held(s, a);
            continue;
        }
        uint64_t s1 = __atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE);
        if (!(s1 & 1)) {
            s->st = ST_RUNNING;
            stuck_in_pending_call(s, a);
            if (s->st == ST_RUNNING && a->kind == TG_ACTOR_THREAD && a->side &&
                a->side->raw_ticks >= 2)
                asleep_in_libc(s, a);
            continue;
        }
        s->w = a->wait;
        s->wait_stack = a->wait_stack;
        copy_held(s, a);
        copy_alts(s);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t s2 = __atomic_load_n(&a->wait_seq, __ATOMIC_RELAXED);
        /* A parked wait another thread ended (tg__actor_woken): the task
         * is about to run, blocked only if its host is (below). */
        if (s1 != s2 || ((s->w.flags & TG_WF_PARKED) &&
                         __atomic_load_n(&a->woken_seq, __ATOMIC_ACQUIRE) == s1)) {
            tg__free(s->held);
            tg__free(s->alts);
            s->held = NULL;
            s->alts = NULL;
            s->n_held = 0;
            s->st = ST_RUNNING;
            continue;
        }
        s->st = ST_BLOCKED;
        s->seq = s1;
    }
    /* A ready task cannot run while another task blocks its host thread in
     * a thread-level wait. */
    for (int i = 0; i < ss->n; i++) {
        struct snap *s = &ss->v[i];
        if (s->st != ST_RUNNING || s->a->kind != TG_ACTOR_TASK || !s->a->host)
            continue;
        struct tg_actor *r = __atomic_load_n(&s->a->host->running, __ATOMIC_ACQUIRE);
        int k = r && r != s->a ? index_of(ss, r) : -1;
        if (k >= 0 && ss->v[k].st == ST_BLOCKED && !(ss->v[k].w.flags & TG_WF_PARKED)) {
            s->st = ST_STUCK;
            s->host_runner = k;
            copy_held(s, s->a);
        }
    }
    index_holds(ss);
    return 0;
}

static void release(struct snapshot *ss)
{
    for (int i = 0; i < ss->n; i++) {
        tg__free(ss->v[i].held);
        tg__free(ss->v[i].alts);
    }
    tg__free(ss->refs);
    tg__free(ss->v);
    ss->v = NULL;
    ss->n = 0;
}

static int live_holder(const struct tg_held *h, const struct tg_res *r)
{
    return tg__held_is(h, r);
}

/* 1 if every holder of r (writers only, if write_only) can progress;
 * otherwise 0 with *blocker set to one that cannot. */
static int holders_prog(struct snapshot *ss, const struct tg_res *r, int write_only, int *blocker)
{
    if (!r)
        return 1;
    uint32_t flags = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    for (int x = first_ref(ss, r->addr); x < ss->n_refs && ss->refs[x].addr == r->addr; x++) {
        int j = ss->refs[x].idx;
        struct snap *h = &ss->v[j];
        const struct tg_held *hd = &h->held[ss->refs[x].k];
        if (h->st == ST_RUNNING || h->prog)
            continue;
        if (h->st == ST_EXITED && (flags & TG_RF_ROBUST))
            continue; /* the waiter will get EOWNERDEAD */
        if (h->st == ST_EXITED && reset_since_fork(h, r))
            continue;
        if (live_holder(hd, r) && (!write_only || hd->mode != TG_MODE_READ)) {
            *blocker = j;
            return 0;
        }
    }
    return 1;
}

static int any_holder_prog(struct snapshot *ss, const struct tg_res *r, int *blocker)
{
    /* A running actor's holds are not in the snapshot: it may hold a
     * permit. Hosts hold none (their tasks do). */
    for (int j = 0; j < ss->n; j++)
        if (ss->v[j].st == ST_RUNNING && !(ss->v[j].a->aflags & TG_AF_HOST))
            return 1;
    int seen = 0;
    for (int x = first_ref(ss, r->addr); x < ss->n_refs && ss->refs[x].addr == r->addr; x++) {
        struct snap *h = &ss->v[ss->refs[x].idx];
        if (!live_holder(&h->held[ss->refs[x].k], r))
            continue;
        if (h->prog)
            return 1;
        seen = 1;
        *blocker = ss->refs[x].idx;
    }
    return !seen;
}

static int counts_as_waker(const struct snap *s)
{
    return s->prog && s->st != ST_EXITED && !(s->a->aflags & TG_AF_HOST);
}

/* Someone who progresses and might wake a waiter (the waiter asking does
 * not progress itself, so it is never counted). */
static uint64_t any_holder_id(struct snapshot *ss, const struct tg_res *r);

static int any_waker(const struct snapshot *ss)
{
    return ss->wakers > 0;
}

/* 1 if a bare futex word no longer holds the value its waiter sleeps on,
 * seen so for less than a grace period: whoever changed it is expected to
 * wake the waiter, which may simply not have run yet on a loaded machine
 * (without this, such a waiter and a thread joining it made a false
 * stall). Past the grace, a word changed without a wake-up (a lost
 * wake-up: the kernel will not end that wait) counts as blocked again. */
static int futex_moved_on(struct snapshot *ss, struct tg_res *r)
{
    uint32_t now_value;
    if (tg__peek(__atomic_load_n(&r->addr, __ATOMIC_RELAXED), &now_value, sizeof now_value) != 0 ||
        now_value == r->futex_value) {
        r->futex_moved_ns = 0;
        return 0;
    }
    uint64_t now = tg__now_ns();
    uint64_t grace = (uint64_t)(tg__opt.stall_ms > 2000 ? tg__opt.stall_ms : 2000) * 1000000ull;
    if (!r->futex_moved_ns)
        r->futex_moved_ns = now;
    if (now - r->futex_moved_ns >= grace)
        return 0;
    ss->futex_grace = 1; /* look again when the grace is over */
    return 1;
}

/* 1 if actor i, waiting as w says (one wait, or one alternative of an
 * "any of" wait), can progress; otherwise 0 with *blocker set to whom it
 * waits for (-1: anyone). */
static int eval_one(struct snapshot *ss, int i, const struct tg_wait_desc *w, int mode, int *blocker)
{
    *blocker = -1;
    uint32_t rflags = w->res ? __atomic_load_n(&w->res->flags, __ATOMIC_RELAXED) : 0;
    if (rflags & TG_RF_PSHARED)
        return 1; /* another process may release or wake it */
    int definite = mode & M_DEFINITE;
    switch (w->kind) {
    case TG_RES_MUTEX:
    case TG_RES_SPIN:
        return holders_prog(ss, w->res, 0, blocker);
    case TG_RES_RWLOCK:
        if (w->mode != TG_MODE_READ)
            return holders_prog(ss, w->res, 0, blocker);
        if (!holders_prog(ss, w->res, 1, blocker))
            return 0;
        if (rflags & TG_RF_WRITER_PREF) {
            for (int j = 0; j < ss->n; j++) {
                struct snap *q = &ss->v[j];
                if (j != i && q->st == ST_BLOCKED && !q->prog && q->w.res == w->res &&
                    q->w.mode == TG_MODE_WRITE) {
                    *blocker = j;
                    return 0;
                }
            }
        }
        return 1;
    case TG_RES_SEM:
        if ((w->flags & TG_WF_COUNTED) && tg__sem_count_hook && tg__sem_count_hook(w->res->addr) > 0)
            return 1; /* posted already: the waiter passes once it runs */
        if (rflags & TG_RF_OWNED_PERMITS)
            return any_holder_prog(ss, w->res, blocker);
        if (definite || any_waker(ss))
            return 1;
        /* A signal handler may post it, unless it is a binary semaphore
         * taken as a lock and still held: its holder is what it waits for. */
        if ((rflags & TG_RF_LOCKLIKE) && any_holder_id(ss, w->res))
            return 0;
        if (ss->signals < 0)
            ss->signals = tg__signal_may_post();
        return ss->signals;
    case TG_RES_COND:
        if (w->mutex && !holders_prog(ss, w->mutex, 0, blocker))
            return 0;
        return definite || any_waker(ss);
    case TG_RES_JOIN: {
        int t = index_of(ss, w->target);
        if (t < 0 || ss->v[t].st == ST_EXITED)
            return 1;
        *blocker = t;
        return ss->v[t].prog;
    }
    default:
        if (definite || any_waker(ss))
            return 1;
        return (rflags & TG_RF_FUTEX) && futex_moved_on(ss, w->res);
    }
}

static int eval(struct snapshot *ss, int i, int mode)
{
    struct snap *s = &ss->v[i];
    s->blocker = -1;
    if (s->st == ST_STUCK) {
        s->blocker = s->host_runner;
        return ss->v[s->host_runner].prog;
    }
    const struct tg_wait_desc *w = &s->w;
    if ((w->flags & TG_WF_TIMED) && !(mode & M_TIMED_BLOCKS))
        return 1;
    if (TG_LIKELY(w->n_any == 0))
        return eval_one(ss, i, w, mode, &s->blocker);
    /* Any one alternative that can complete ends the wait; if none can,
     * the first alternative's blocker stands for them in the report. */
    for (int k = 0; k < w->n_any; k++) {
        const struct tg_wait_alt *alt = &w->any[k];
        struct tg_wait_desc one = {.res = alt->res, .kind = alt->kind, .mode = alt->mode,
                                   .target = alt->target, .flags = w->flags};
        int b;
        if (eval_one(ss, i, &one, mode, &b))
            return 1;
        if (s->blocker < 0)
            s->blocker = b;
    }
    return 0;
}

/* Runs the reduction; afterwards prog==0 marks the deadlocked. */
static void reduce(struct snapshot *ss, int mode)
{
    ss->wakers = 0;
    for (int i = 0; i < ss->n; i++) {
        ss->v[i].prog = ss->v[i].st == ST_RUNNING;
        ss->wakers += counts_as_waker(&ss->v[i]);
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < ss->n; i++) {
            struct snap *s = &ss->v[i];
            if (s->prog || (s->st != ST_BLOCKED && s->st != ST_STUCK))
                continue;
            if (eval(ss, i, mode)) {
                s->prog = 1;
                ss->wakers += counts_as_waker(s);
                changed = 1;
            }
        }
    }
    for (int i = 0; i < ss->n; i++)
        if (!ss->v[i].prog && (ss->v[i].st == ST_BLOCKED || ss->v[i].st == ST_STUCK))
            eval(ss, i, mode); /* final blockers, for the report */
}

static int stuck(const struct snap *s)
{
    return !s->prog && (s->st == ST_BLOCKED || s->st == ST_STUCK);
}

/* 1 if some wait of the snapshot has a deadline. Without one, a reduction
 * that counts timed waits as blocking finds what the one before it found,
 * so it is skipped (with a million blocked tasks, a reduction is most of a
 * scan). */
static int any_timed(const struct snapshot *ss)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i].st == ST_BLOCKED && (ss->v[i].w.flags & TG_WF_TIMED))
            return 1;
    return 0;
}

/* The members of the deadlock that `start` is part of: the cycle its chain
 * of blockers runs into, in wait order, then the rest of that chain, then
 * everyone else stuck behind them. Returns the count; order[] gets indices;
 * *cycle_len is the length of the cycle (0 if the chain ends at an exited
 * holder or an anyone-can-wake wait). */
static int component(struct snapshot *ss, int start, int *order, int *cycle_len)
{
    char *in = tg__alloc((size_t)ss->n);
    int n = 0;
    if (!in)
        return 0;
    int *cycle_start = cycle_len;
    *cycle_start = -1;
    for (int i = start; i >= 0;) {
        if (in[i]) {
            for (int k = 0; k < n; k++)
                if (order[k] == i)
                    *cycle_start = k;
            break;
        }
        in[i] = 1;
        order[n++] = i;
        i = ss->v[i].st == ST_EXITED ? -1 : ss->v[i].blocker;
    }
    /* The cycle first, then whoever led into it. */
    if (*cycle_start > 0) {
        int *tmp = tg__alloc((size_t)n * sizeof *tmp);
        if (tmp) {
            int k = 0;
            for (int j = *cycle_start; j < n; j++)
                tmp[k++] = order[j];
            for (int j = 0; j < *cycle_start; j++)
                tmp[k++] = order[j];
            memcpy(order, tmp, (size_t)n * sizeof *tmp);
            tg__free(tmp);
            *cycle_start = n - *cycle_start; /* now: the cycle's length */
        }
    } else if (*cycle_start == 0) {
        *cycle_start = n;
    } else {
        *cycle_start = 0;
    }
    /* Everyone stuck that waits on a member, or on anyone (stalls). */
    for (int grew = 1; grew;) {
        grew = 0;
        for (int j = 0; j < ss->n; j++) {
            if (in[j] || !stuck(&ss->v[j]))
                continue;
            int b = ss->v[j].blocker;
            if (b < 0 || in[b]) {
                in[j] = 1;
                order[n++] = j;
                grew = 1;
            }
        }
    }
    tg__free(in);
    return n;
}

/* For the report: who holds r, if anyone we know of (a binary semaphore's
 * taker, say), even when the wait does not depend on it alone. */
static uint64_t any_holder_id(struct snapshot *ss, const struct tg_res *r)
{
    for (int x = r ? first_ref(ss, r->addr) : ss->n_refs;
         x < ss->n_refs && ss->refs[x].addr == r->addr; x++)
        if (live_holder(&ss->v[ss->refs[x].idx].held[ss->refs[x].k], r))
            return ss->v[ss->refs[x].idx].a->id;
    return 0;
}

static int forked_away(const struct snapshot *ss, const int *order, int n)
{
    for (int k = 0; k < n; k++)
        if (ss->v[order[k]].st == ST_EXITED && (ss->v[order[k]].a->aflags & TG_AF_FORKED_AWAY))
            return 1;
    return 0;
}

static const char *mode_name(const struct tg_wait_desc *w)
{
    if (w->kind == TG_RES_RWLOCK)
        return w->mode == TG_MODE_READ ? "read" : "write";
    return NULL;
}

/* The call a thread-level wait of this kind is made in, for reports. */
static const char *blocking_call(uint32_t kind)
{
    switch (kind) {
    case TG_RES_MUTEX: return "pthread_mutex_lock";
    case TG_RES_RWLOCK: return "a pthread rwlock lock";
    case TG_RES_SEM: return "sem_wait";
    case TG_RES_COND: return "pthread_cond_wait";
    case TG_RES_BARRIER: return "pthread_barrier_wait";
    case TG_RES_JOIN: return "pthread_join";
    default: return "a blocking call";
    }
}

/* How long a snapshot actor has waited so far, in ms; 0 if not known. A
 * lock call seen unchanged by the watchdog has waited about that many of
 * its ticks. */
static long waited_ms(const struct snap *s, uint64_t now)
{
    if (s->st != ST_BLOCKED)
        return 0;
    if (s->seq >> 63)
        return (long)s->a->watch_stuck * tg__opt.watchdog_ms;
    uint64_t since = wait_since(s);
    return since && now > since ? (long)((now - since) / 1000000u) : 0;
}

/* The system call a thread sleeps in, from /proc/self/task/TID/syscall
 * (its first field is the call's number); NULL if not known. */
static const char *syscall_name(long tid)
{
    static const struct {
        long nr;
        const char *name;
    } calls[] = {
        {SYS_read, "read"}, {SYS_write, "write"}, {SYS_readv, "readv"}, {SYS_writev, "writev"},
        {SYS_pread64, "pread"}, {SYS_pwrite64, "pwrite"}, {SYS_ppoll, "ppoll"},
        {SYS_pselect6, "pselect"}, {SYS_epoll_pwait, "epoll_pwait"}, {SYS_futex, "futex"},
        {SYS_nanosleep, "nanosleep"}, {SYS_clock_nanosleep, "clock_nanosleep"},
        {SYS_accept4, "accept4"}, {SYS_connect, "connect"}, {SYS_recvfrom, "recvfrom"},
        {SYS_recvmsg, "recvmsg"}, {SYS_sendto, "sendto"}, {SYS_sendmsg, "sendmsg"},
        {SYS_wait4, "wait4"}, {SYS_waitid, "waitid"}, {SYS_flock, "flock"}, {SYS_fcntl, "fcntl"},
        {SYS_ioctl, "ioctl"}, {SYS_openat, "openat"}, {SYS_fsync, "fsync"},
        {SYS_rt_sigsuspend, "sigsuspend"}, {SYS_rt_sigtimedwait, "sigtimedwait"},
        {SYS_msgrcv, "msgrcv"}, {SYS_semtimedop, "semtimedop"},
#ifdef SYS_poll
        {SYS_poll, "poll"},
#endif
#ifdef SYS_select
        {SYS_select, "select"},
#endif
#ifdef SYS_epoll_wait
        {SYS_epoll_wait, "epoll_wait"},
#endif
#ifdef SYS_accept
        {SYS_accept, "accept"},
#endif
#ifdef SYS_pause
        {SYS_pause, "pause"},
#endif
    };
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    if (buf[0] < '0' || buf[0] > '9')
        return NULL; /* "running", or -1 for none */
    long nr = strtol(buf, NULL, 10);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (calls[i].nr == nr)
            return calls[i].name;
    return "a system call";
}

/* A thread tangle sees running: running indeed, or asleep in the kernel. */
static void running_state(struct tg_actor_info *info, const struct tg_actor *a)
{
    char st = a->tid && a->kind == TG_ACTOR_THREAD ? tg__proc_thread_state(a->tid) : 'R';
    info->state = "running";
    if (st == 'S' || st == 'D') {
        info->state = "in-syscall";
        info->syscall = tg__strdup(syscall_name(a->tid));
    }
}

static struct tg_finding *build(struct snapshot *ss, const int *order, int n, int cycle_len,
                                enum tg_finding_kind kind, enum tg_hazard hz, int stall)
{
    struct tg_finding *f = tg__finding_new(kind, hz);
    if (!f)
        return NULL;
    uint64_t now = tg__now_ns();
    f->cycle_length = stall ? 0 : cycle_len;
    for (int k = 0; k < n; k++) {
        struct snap *s = &ss->v[order[k]];
        struct tg_actor_info *info = tg__finding_add_actor(f);
        if (!info)
            break;
        int waiting = s->st == ST_BLOCKED;
        tg__describe_actor(info, s->a, waiting ? &s->w : NULL, s->wait_stack, s->held, s->n_held);
        info->state = s->st == ST_EXITED
                          ? ((s->a->aflags & TG_AF_FORKED_AWAY) ? "parent-only" : "exited")
                          : s->st == ST_STUCK ? "runnable" : "blocked";
        if (s->st == ST_RUNNING)
            running_state(info, s->a);
        if (s->raw && s->a->side->raw_detail[0]) {
            free((char *)info->wait.res.detail);
            info->wait.res.detail = tg__strdup(s->a->side->raw_detail);
        }
        if (waiting) {
            info->wait.waited_ms = waited_ms(s, now);
            info->wait.mode = mode_name(&s->w);
            if (s->blocker >= 0)
                info->wait.holder = ss->v[s->blocker].a->id;
            else
                info->wait.holder = any_holder_id(ss, s->w.res);
            for (int x = 0; x < info->wait.n_any; x++) { /* who blocks each alternative */
                const struct tg_wait_alt *alt = &s->w.any[x];
                struct tg_wait_desc one = {.res = alt->res, .kind = alt->kind, .mode = alt->mode,
                                           .target = alt->target};
                int b;
                eval_one(ss, order[k], &one, M_DEFINITE, &b);
                info->wait.any[x].holder = b >= 0 ? ss->v[b].a->id : any_holder_id(ss, alt->res);
            }
        }
    }
    const struct snap *first = &ss->v[order[0]];
    int any_in_cycle = 0; /* 1 + the position of a select in the cycle */
    for (int k = 0; k < cycle_len && !any_in_cycle; k++)
        if (ss->v[order[k]].st == ST_BLOCKED && ss->v[order[k]].w.n_any > 0)
            any_in_cycle = k + 1;
    const char *what = first->a->kind == TG_ACTOR_TASK ? "task" : "thread";
    int live = 0, exited = 0;
    for (int k = 0; k < n; k++)
        if (ss->v[order[k]].st == ST_EXITED)
            exited++;
        else
            live++;
    int stuck = -1; /* a runnable task whose host another task blocks */
    for (int k = 0; k < n && stuck < 0; k++)
        if (ss->v[order[k]].st == ST_STUCK)
            stuck = order[k];
    if (stuck >= 0) {
        const struct snap *b = &ss->v[ss->v[stuck].host_runner];
        char names[256];
        int len = 0, many = 0;
        names[0] = 0;
        for (int k = 0; k < n; k++) {
            const struct snap *s = &ss->v[order[k]];
            if (s->st != ST_STUCK || s->host_runner != ss->v[stuck].host_runner ||
                len >= (int)sizeof names - 1)
                continue;
            len += snprintf(names + len, sizeof names - (size_t)len, "%s%s", many ? ", " : "",
                            TG_LABEL(s->a));
            many++;
        }
        f->summary = tg__sprintf("%s blocks its scheduler thread (tid %ld) inside %s, so %s, "
                                 "which %s runnable, cannot run", TG_LABEL(b->a), b->a->tid,
                                 blocking_call(b->w.kind), names, many > 1 ? "are" : "is");
        f->advice = tg__strdup("a task that makes a blocking call (a pthread lock, a join, read, "
                               "sleep) stops every task of its scheduler thread, including the "
                               "one that would end the wait; use the task primitives (tg_mutex, "
                               "tg_join, tg_fd_wait, tg_sleep), which park only the task, or "
                               "release thread-level locks before anything that can switch "
                               "tasks.");
    } else if (stall) {
        int tasks = 0;
        for (int k = 0; k < n; k++)
            tasks += ss->v[order[k]].a->kind == TG_ACTOR_TASK;
        f->summary = tg__sprintf("every %s is blocked and none of them can wake another "
                                 "(global stall: %d blocked)",
                                 tasks == 0 ? "thread" : tasks == n ? "task" : "thread and task",
                                 live);
        const struct snap *in_libc = NULL; /* one asleep on a C library lock, a handler's first */
        for (int k = 0; k < n; k++) {
            const struct snap *s = &ss->v[order[k]];
            if (s->raw && s->a->side->raw_advice &&
                (!in_libc || (strstr(s->a->side->raw_detail, "signal handler") &&
                              !strstr(in_libc->a->side->raw_detail, "signal handler"))))
                in_libc = s;
        }
        if (in_libc) {
            char *sum = tg__sprintf("%s; %s is %s", f->summary, TG_LABEL(in_libc->a),
                                    in_libc->a->side->raw_detail);
            if (sum) {
                free(f->summary);
                f->summary = sum;
            }
        }
        f->advice = tg__strdup(in_libc ? in_libc->a->side->raw_advice
                                       : "each one below waits for something only another of "
                                         "them could provide (a signal, a post, a send, a "
                                         "release, an exit); find the one that should have "
                                         "come first.");
    } else if (first->w.kind == TG_RES_SEM && first->w.res &&
               (__atomic_load_n(&first->w.res->flags, __ATOMIC_RELAXED) & TG_RF_OWNED_PERMITS)) {
        f->summary = tg__sprintf("%d %ss each hold permits of semaphore #%llu and wait for "
                                 "another; none is left", live, what,
                                 (unsigned long long)first->w.res->id);
        f->advice = tg__strdup("each waits for a permit only the others could return; take "
                               "all the permits a task needs at once, or release before "
                               "asking for more.");
    } else if (cycle_len == 1) {
        f->summary = tg__sprintf("%s waits for a %s it already holds", TG_LABEL(first->a),
                                 tg__res_kind_name((enum tg_res_kind)first->w.kind));
        f->advice = tg__strdup("a non-recursive lock taken twice by the same thread or task "
                               "never opens; release it before calling code that takes it "
                               "again, or make that code expect the lock to be held.");
    } else if (exited && forked_away(ss, order, n)) {
        f->summary = tg__sprintf("%d %s%s of this fork child wait%s for a lock that another thread "
                                 "held when fork() was called; that thread was not copied into "
                                 "the child, so nothing here can ever release the lock",
                                 live, what, live > 1 ? "s" : "", live > 1 ? "" : "s");
        f->advice = tg__strdup("a child of a threaded program inherits every lock the other "
                               "threads held at fork(), but not those threads: re-initialise "
                               "such locks in the child, take them around fork() in "
                               "pthread_atfork handlers, or call only async-signal-safe "
                               "functions in the child until exec.");
    } else if (exited) {
        const struct tg_actor *gone = NULL;
        for (int k = 0; k < n && !gone; k++)
            if (ss->v[order[k]].st == ST_EXITED)
                gone = ss->v[order[k]].a;
        if (gone->kind == TG_ACTOR_TASK) {
            f->summary = tg__sprintf("%d %s%s wait%s for a lock held by %s, which ended without "
                                     "releasing it", live, what, live > 1 ? "s" : "",
                                     live > 1 ? "" : "s", TG_LABEL(gone));
            f->advice = tg__strdup("the task returned (on an error path, or after a failed or "
                                   "cancelled wait) without unlocking; unlock on every path out "
                                   "of it.");
        } else {
            f->summary = tg__sprintf("%d %s%s wait%s for a lock held by a thread that has exited",
                                     live, what, live > 1 ? "s" : "", live > 1 ? "" : "s");
            f->advice = tg__strdup("the exited thread returned (or called pthread_exit, or was "
                                   "cancelled) without unlocking; unlock on every path out of it.");
        }
    } else if (hz == TG_HAZARD_TIMED_CYCLE) {
        f->summary = tg__sprintf("%d %ss wait for each other; only a timeout breaks the cycle",
                                 cycle_len, what);
        f->advice = tg__strdup("the waits below will time out and fail; take the locks in one "
                               "agreed order so that no timeout is needed.");
    } else if (any_in_cycle) {
        f->summary = tg__sprintf("%d %ss wait for each other in a cycle, through a select "
                                 "none of whose %d arms can complete", cycle_len, what,
                                 ss->v[order[any_in_cycle - 1]].w.n_any);
        f->advice = tg__strdup("each holds what the next one waits for, and every arm of the "
                               "select waits for a task stuck the same way; take the locks in "
                               "one agreed order everywhere (or release before waiting).");
    } else {
        int joins = 0;
        for (int k = 0; k < cycle_len; k++)
            joins += ss->v[order[k]].w.kind == TG_RES_JOIN;
        f->summary = tg__sprintf("%d %ss wait for each other in a cycle%s", cycle_len, what,
                                 joins == cycle_len ? " of joins"
                                 : joins            ? " of locks and joins"
                                                    : "");
        f->advice = tg__strdup(
            joins == cycle_len
                ? "each waits for the next one to finish, and none can: join in one direction "
                  "only (a thread never joins one that may join it, directly or through others)."
            : joins ? "a thread joins one that needs a lock it holds: release locks before "
                      "joining, or let the joined thread finish without them."
                    : "each holds what the next one waits for; take the locks in one agreed "
                      "order everywhere (or release before waiting).");
    }
    return f;
}

/* Reports the deadlock containing `start` unless its cycle was reported at
 * these same waits. Caller holds the engine lock. */
static int report_component(struct snapshot *ss, int start, enum tg_finding_kind kind,
                            enum tg_hazard hz, int stall)
{
    int *order = tg__alloc((size_t)ss->n * sizeof *order);
    if (!order)
        return 0;
    int cycle_len = 0;
    int n = component(ss, start, order, &cycle_len);
    int fresh = 0;
    for (int k = 0; k < (cycle_len ? cycle_len : n); k++) {
        struct snap *s = &ss->v[order[k]];
        if (s->st != ST_EXITED && s->a->reported_seq != s->seq + (uint64_t)hz)
            fresh = 1;
    }
    int made = 0;
    if (fresh && n > 0) {
        for (int k = 0; k < n; k++)
            ss->v[order[k]].a->reported_seq = ss->v[order[k]].seq + (uint64_t)hz;
        /* The finding is built outside the engine lock (it allocates with
         * the program's malloc), from the snapshot, which is ours. */
        tg__report_hold(); /* before the engine lock goes: see internal.h */
        tg__unlock();
        struct tg_finding *f = build(ss, order, n, cycle_len, kind, hz, stall);
        made = f ? tg__report_locked(f) : 0;
        tg__report_release();
        tg__lock();
    }
    tg__free(order);
    return made;
}

/* 1 if t runs as the snapshot would see it: not waiting, not seen by the
 * watchdog inside a lock call or asleep on the C library's own lock. */
static int seen_running(const struct tg_actor *t)
{
    if (__atomic_load_n(&t->wait_seq, __ATOMIC_ACQUIRE) & 1)
        return 0;
    if (__atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) && (t->watch_flags & TG_WATCH_BLOCKED))
        return 0;
    return !(t->side && t->side->raw_ticks >= 2);
}

#define JOIN_CHAIN_MAX 16

/* 1 if a's wait cannot be stuck in the definite reduction, judged from
 * its own wait and, for a join, from the chain of threads joined: a wait
 * anyone may end (a semaphore without owned permits, a barrier, an
 * event) always progresses there, and a join progresses when the chain
 * of joins it starts ends at a thread that runs or has ended. Whoever
 * closes a cycle through a later finds a's wait published (see
 * tg__wait_begin), so deciding from this chain alone misses nothing, and
 * a blocking join with thousands of threads alive costs O(chain), not a
 * snapshot of every actor. Anything else (locks, conditions, tasks, a
 * select, a long chain or one that comes back) is left to the snapshot.
 * Caller holds the engine lock, which keeps the records in place. */
static int wait_clear(const struct tg_actor *a)
{
    const struct tg_actor *me = a;
    for (int step = 0; step < JOIN_CHAIN_MAX; step++) {
        uint64_t s1 = __atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE);
        struct tg_wait_desc w = a->wait;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!(s1 & 1) || __atomic_load_n(&a->wait_seq, __ATOMIC_RELAXED) != s1 || w.n_any)
            return 0;
        uint32_t rflags = w.res ? __atomic_load_n(&w.res->flags, __ATOMIC_RELAXED) : 0;
        switch (w.kind) {
        case TG_RES_SEM:
            return !(rflags & TG_RF_OWNED_PERMITS);
        case TG_RES_BARRIER:
        case TG_RES_CHANNEL:
        case TG_RES_EVENT:
        case TG_RES_IDLE:
            return 1;
        case TG_RES_JOIN:
            break;
        default:
            return 0;
        }
        const struct tg_actor *t = w.target;
        if (!t || t == me || t->kind != TG_ACTOR_THREAD || (t->aflags & TG_AF_INTERNAL))
            return 0;
        if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TG_ST_EXITED)
            return !(t->aflags & TG_AF_FORKED_AWAY);
        if (seen_running(t))
            return 1;
        a = t;
    }
    return 0;
}

int tg__wait_check(struct tg_actor *a)
{
    /* Its queued nestings first: a deadlock they predicted is reported
     * before the one it turns into. */
    if (a == tg__current && a->lo_queued)
        tg__lockorder_drain(a);
    if (!a->wait_stack)
        a->wait_stack = tg__stack_capture(1);
    int result = TG_CHECK_CLEAR;
    tg__guard++;
    tg__lock();
    struct snapshot ss;
    if (!wait_clear(a) && take(&ss) == 0) {
        int me = index_of(&ss, a);
        if (me >= 0 && ss.v[me].st == ST_BLOCKED) {
            reduce(&ss, M_DEFINITE);
            if (stuck(&ss.v[me])) {
                report_component(&ss, me, TG_FINDING_DEADLOCK, TG_HAZARD_NONE, 0);
                result = TG_CHECK_DEADLOCK;
            } else if (tg__opt.timed_cycles && tg__hazard_on(TG_HAZARD_TIMED_CYCLE) &&
                       any_timed(&ss)) {
                reduce(&ss, M_DEFINITE | M_TIMED_BLOCKS);
                if (stuck(&ss.v[me]) &&
                    report_component(&ss, me, TG_FINDING_HAZARD, TG_HAZARD_TIMED_CYCLE, 0))
                    result = TG_CHECK_HAZARD;
            }
        }
        release(&ss);
    }
    tg__unlock();
    tg__guard--;
    return result;
}

/* ---- what every thread does (dump_signal) and long waits ---------------- */

/* Running actors' holds too, as they were a moment ago: their owners
 * change them without a lock, but the memory stays readable. */
static void copy_running_holds(struct snapshot *ss)
{
    int copied = 0;
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i].st == ST_RUNNING && !ss->v[i].held) {
            copy_held(&ss->v[i], ss->v[i].a);
            copied = 1;
        }
    if (copied) {
        tg__free(ss->refs);
        index_holds(ss);
    }
}

struct tg_finding *tg__snapshot_all(void)
{
    struct tg_finding *f = NULL;
    tg__guard++;
    tg__lock();
    struct snapshot ss;
    if (take(&ss) == 0) {
        copy_running_holds(&ss);
        reduce(&ss, M_DEFINITE);
        int *order = ss.n ? tg__alloc((size_t)ss.n * sizeof *order) : NULL;
        for (int i = 0; order && i < ss.n; i++)
            order[i] = i;
        if (order) {
            tg__unlock(); /* built with the program's malloc: not under the engine lock */
            f = build(&ss, order, ss.n, 0, TG_FINDING_THREADS, TG_HAZARD_NONE, 0);
            tg__lock();
            tg__free(order);
        }
        release(&ss);
    }
    tg__unlock();
    tg__guard--;
    if (f) {
        int blocked = 0;
        for (int i = 0; i < f->n_actors; i++)
            blocked += f->actors[i].wait.present;
        free(f->summary);
        free(f->advice);
        f->advice = NULL;
        f->summary = tg__sprintf("what every thread and task is doing: %d of %d waiting", blocked,
                                 f->n_actors);
    }
    return f;
}

/* A wait of ss->v[i] longer than long_wait_ms that no deadlock explains,
 * reported once per wait: the waiter, whoever holds what it waits for, and
 * so on along the chain of holders (running, asleep in a system call, or
 * waiting themselves). Caller holds the engine lock. */
static void report_long_wait(struct snapshot *ss, int i, long ms)
{
    struct snap *s = &ss->v[i];
    s->a->long_wait_seq = s->seq;
    if (tg__hazard_repeat(TG_HAZARD_LONG_WAIT, s->w.pc))
        return;
    copy_running_holds(ss);
    int order[8], n = 0;
    for (int k = i; k >= 0 && n < 8;) {
        int dup = 0;
        for (int j = 0; j < n; j++)
            dup |= order[j] == k;
        if (dup)
            break;
        order[n++] = k;
        struct snap *c = &ss->v[k];
        uint64_t holder = c->st == ST_BLOCKED && c->w.kind != TG_RES_JOIN ? any_holder_id(ss, c->w.res) : 0;
        if (c->st == ST_BLOCKED && c->w.kind == TG_RES_JOIN && c->w.target)
            holder = c->w.target->id;
        k = -1;
        for (int j = 0; holder && j < ss->n; j++)
            if (ss->v[j].a->id == holder)
                k = j;
    }
    tg__report_hold(); /* before the engine lock goes: see internal.h */
    tg__unlock();
    struct tg_finding *f = build(ss, order, n, 0, TG_FINDING_HAZARD, TG_HAZARD_LONG_WAIT, 0);
    if (f) {
        char what[200] = "";
        if (n > 1) {
            const struct tg_actor_info *h = &f->actors[1];
            const char *how = !strcmp(h->state, "in-syscall") ? "is asleep in a system call"
                              : h->wait.present               ? "waits itself (see below)"
                              : !strcmp(h->state, "exited")   ? "has exited"
                                                              : "is running";
            snprintf(what, sizeof what, "; its holder, %s %llu, %s%s%s%s", h->kind,
                     (unsigned long long)h->id, how, h->syscall ? " (" : "",
                     h->syscall ? h->syscall : "", h->syscall ? ")" : "");
        }
        free(f->summary);
        free(f->advice);
        const struct tg_actor_info *w = &f->actors[0];
        f->summary = tg__sprintf("%s %llu has waited %ld ms for %s #%llu (long_wait_ms=%d)%s",
                                 w->kind, (unsigned long long)w->id, ms,
                                 w->wait.res.kind ? w->wait.res.kind : "something",
                                 (unsigned long long)w->wait.res.id, tg__opt.long_wait_ms, what);
        f->advice = tg__strdup("not a deadlock tangle can prove: find out why the holder does not "
                               "release (a read or a network call that does not return, a lock "
                               "held across slow work); a timeout on that call, or releasing "
                               "the lock before it, keeps the waiters moving.");
    }
    int fresh = f && tg__report_locked(f);
    tg__report_release();
    if (fresh)
        tg__hazard_site(TG_HAZARD_LONG_WAIT, s->w.pc, f);
    tg__lock();
}

/* Long waits of this snapshot (after a reduction): 1 if some wait is
 * still under watch (so the watchdog must keep looking). */
static int long_waits(struct snapshot *ss)
{
    if (tg__opt.long_wait_ms <= 0 || !tg__hazard_on(TG_HAZARD_LONG_WAIT))
        return 0;
    uint64_t now = tg__now_ns();
    int watching = 0;
    for (int i = 0; i < ss->n; i++) {
        struct snap *s = &ss->v[i];
        if (s->st != ST_BLOCKED || s->raw || stuck(s) || s->a->long_wait_seq == s->seq)
            continue;
        long ms = waited_ms(s, now);
        if (ms >= tg__opt.long_wait_ms)
            report_long_wait(ss, i, ms);
        else
            watching = 1;
    }
    return watching;
}

/* The stall the watchdog saw last time, to confirm it is unchanged. */
static uint64_t stall_sig;

/* 1 while the last scan left nothing stuck, nothing awaiting its settle
 * time and no stall to confirm: until tg__changed is set again, another
 * scan would find the same. */
static int scan_quiet;

int tg__scan(int stall_only)
{
    int found = 0;
    tg__guard++;
    tg__lock();
    int changed = watch_pending_calls();
    changed |= tg__libc_wait_watch();
    /* Cleared before the snapshot is read: a change made after this is
     * either in the snapshot or sets the flag again (tg__wait_begin and
     * tg__actor_exit fence between their store and their check). */
    changed |= __atomic_exchange_n(&tg__changed, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (scan_quiet && !changed) {
        tg__unlock();
        tg__guard--;
        return 0;
    }
    int any_stuck = 0;
    struct snapshot ss;
    if (take(&ss) == 0) {
        if (!stall_only) {
            reduce(&ss, M_DEFINITE);
            uint64_t settle = tg__now_ns() - 500000000ull;
            for (int i = 0; i < ss.n; i++) {
                any_stuck |= stuck(&ss.v[i]);
                if (stuck(&ss.v[i]) && (ss.v[i].wait_stack || (ss.v[i].seq >> 63) ||
                                        ss.v[i].a->wait_since_ns < settle))
                    found |= report_component(&ss, i, TG_FINDING_DEADLOCK, TG_HAZARD_NONE, 0);
            }
            if (!found && tg__opt.timed_cycles && tg__hazard_on(TG_HAZARD_TIMED_CYCLE) &&
                any_timed(&ss)) {
                reduce(&ss, M_DEFINITE | M_TIMED_BLOCKS);
                for (int i = 0; i < ss.n; i++)
                    if (stuck(&ss.v[i]) && (ss.v[i].w.flags & TG_WF_TIMED))
                        report_component(&ss, i, TG_FINDING_HAZARD, TG_HAZARD_TIMED_CYCLE, 0);
            }
        }
        int watching = !stall_only && long_waits(&ss);
        reduce(&ss, 0);
        uint64_t sig = 1469598103934665603ull, now = tg__now_ns();
        int live = 0, stuck_n = 0, old = 1, first = -1;
        for (int i = 0; i < ss.n; i++) {
            struct snap *s = &ss.v[i];
            if (s->st == ST_EXITED || (s->a->aflags & TG_AF_HOST))
                continue;
            live++;
            if (!stuck(s))
                continue;
            stuck_n++;
            if (first < 0)
                first = i;
            sig = (sig ^ (s->a->id * 31 + s->seq)) * 1099511628211ull;
            if (now - wait_since(s) < (uint64_t)tg__opt.stall_ms * 1000000ull)
                old = 0;
        }
        if (live > 0 && stuck_n == live && tg__opt.stall_ms > 0) {
            /* Last, as it costs system calls: a thread tangle never saw
             * (a libc helper, a raw clone) may be the waker. */
            if (old && sig == stall_sig && !tg__threads_unseen())
                found |= report_component(&ss, first, TG_FINDING_DEADLOCK, TG_HAZARD_NONE, 1);
            stall_sig = sig;
        } else {
            stall_sig = 0;
        }
        scan_quiet = !stall_only && !found && !any_stuck && stuck_n == 0 && !watching && !ss.futex_grace;
        release(&ss);
    } else {
        scan_quiet = 0;
    }
    tg__unlock();
    tg__guard--;
    return found;
}
