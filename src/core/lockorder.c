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
 * Trylocks add no edges. A cycle whose every edge one actor showed (in
 * both orders, in one thread), and nothing else, is not yet a deadlock:
 * it is a hazard ("inversion-one-thread"), reported once; when a second
 * actor shows one of its edges, the same cycle becomes a potential
 * deadlock. All of it runs under the engine lock, and not at the nesting:
 * a chain not validated yet is queued by its actor and handled once the
 * actor holds no lock (the queue of first nestings, at the end). */
#include "core/internal.h"
#include "core/stack_memo.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int tg__lockorder_on = 1;

/* ---- happens-before ------------------------------------------------------
 *
 * Vector clocks over clock slots, kept sorted by slot. A thread's slot is
 * reused for a later thread once someone has joined it: the joiner keeps
 * the slot on its free list and gives it to its next child, whose clock
 * starts past everything the joiner knows of the slot. Whoever learns the
 * new clock therefore comes after the join too, so an old occurrence's
 * (slot, clock) still orders correctly; and the clocks stay as long as the
 * threads alive, not as the threads ever made.
 *
 * A create costs the same however many threads its creator knows of: the
 * child does not copy its creator's entries but shares them (struct
 * hb_arr, counted references), and holds apart the two entries it differs
 * in, its own and its creator's at the create. An actor's clock is the
 * entry-wise maximum of the shared entries and those held apart. Shared
 * entries never change: an actor that learns of others (a join, a wait)
 * while its entries are shared copies them first, once; its own entry it
 * changes in place, so a creator that ticks after every create, and
 * whose children share its entries, copies nothing. A creator that holds
 * its own creator's entry apart folds it into entries of its own at its
 * first create (a child holds one creator entry only).
 *
 * A thread nobody joins (detached) gives its slot back when its record is
 * reused (vc_own): the slot goes to a shared pool with two numbers, the
 * newest clock of it that an occurrence recorded (`need`: 0 if it never
 * nested locks) and the clock the next user starts at (`start`, past every
 * clock it ever had: clocks of one slot only grow, so an older user's
 * epoch is never confused with a newer one's). A creator takes a slot from
 * the pool only if it knows the old user's clock up to `need`: then
 * whoever learns the child's clock comes after every recorded event of the
 * old user too, as with a join. A detached thread whose creator waited for
 * its last post, or that never nested locks, is reused at once; one whose
 * recorded events no creator has seen keeps its slot out of use (the pool
 * is bounded and forgets the oldest), which costs nothing but a number,
 * except in the clocks that learned part of it. */

struct hb_entry {
    uint32_t slot, clock;
};

/* Entries shared by clocks: read-only while more than one holds them. */
struct hb_arr {
    _Atomic int refs;
    struct hb_entry e[];
};

struct tg_vc {
    uint64_t owner;        /* actor id (resource instance for semaphores) */
    uint32_t slot;         /* actors: their own slot */
    int n, cap;
    struct hb_entry *e;    /* sorted by slot: arr's, or borrowed (arr NULL) */
    struct hb_arr *arr;    /* the holder of e, maybe shared with other clocks */
    uint32_t own;          /* actors: their own entry, held apart from e
                            * and never below e's entry for their slot */
    uint32_t up_slot, up_clock; /* the creator's entry at the create, held
                                 * apart while e is the creator's (slot 0: none) */
    int n_free, cap_free;
    struct hb_entry *free_slots; /* slots whose last user's end this actor
                                  * knows, with that user's last clock */
    _Atomic int busy;      /* semaphores: posters and waiters take turns */
    uint32_t version;      /* bumped by every change of the entries */
    uint32_t renewed;      /* actors: the newest own clock a renewal recorded */
    struct who *snap;      /* actors: the latest snapshot of this clock, or NULL */
    struct who *renew_snap; /* actors: the latest of a renewal's clock (who_now), or NULL */
    uint64_t forked_by;    /* threads: the creator whose clock this one copied,
                            * 0 once it learned of anyone else (vc_merge) */
};

static _Atomic uint32_t next_slot;

/* The pool of slots given back (see above): a ring, oldest first, under
 * its own lock, which is a leaf (taken under the engine lock too). */
struct slot_back {
    uint32_t slot, need, start;
};
#define POOL_CAP 1024  /* slots waiting for a creator that knows their past */
#define POOL_LOOK 8    /* entries a creator looks at, oldest first */
static struct slot_back *pool;
static int pool_head, pool_n;
static tg_lock_t pool_lock = TG_LOCK_INIT;

/* The newest clock of vc's own slot that an occurrence recorded (0 if
 * none); defined with the occurrences below. */
static uint32_t recorded_clock(const struct tg_vc *vc);

static int vc_find(const struct hb_entry *e, int n, uint32_t slot)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (e[mid].slot < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t clock_at(const struct hb_entry *e, int n, uint32_t slot)
{
    int i = vc_find(e, n, slot);
    return i < n && e[i].slot == slot ? e[i].clock : 0;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* vc's entry for slot (0 if it has none), its held-apart entries included. */
static uint32_t vc_at(const struct tg_vc *vc, uint32_t slot)
{
    if (slot && slot == vc->slot && vc->own)
        return vc->own;
    uint32_t c = clock_at(vc->e, vc->n, slot);
    if (slot && slot == vc->up_slot)
        c = max32(c, vc->up_clock);
    return c;
}

/* vc no longer holds its entries (they are freed with their last holder). */
static void vc_drop(struct tg_vc *vc)
{
    struct hb_arr *arr = vc->arr;
    if (arr && __atomic_sub_fetch(&arr->refs, 1, __ATOMIC_ACQ_REL) == 0)
        tg__free(arr);
    vc->arr = NULL;
    vc->e = NULL;
    vc->n = vc->cap = 0;
}

/* vc's entries are its own, with room for `need`: copied if shared. */
static int vc_reserve(struct tg_vc *vc, int need)
{
    int shared = vc->arr && __atomic_load_n(&vc->arr->refs, __ATOMIC_ACQUIRE) > 1;
    if (need <= vc->cap && !shared)
        return 0;
    int cap = vc->cap > 4 ? vc->cap : 4;
    while (cap < need)
        cap *= 2;
    struct hb_arr *arr = tg__alloc_uninit(sizeof *arr + (size_t)cap * sizeof arr->e[0]);
    if (!arr)
        return -1;
    __atomic_store_n(&arr->refs, 1, __ATOMIC_RELAXED);
    int n = vc->n;
    if (n)
        memcpy(arr->e, vc->e, (size_t)n * sizeof arr->e[0]);
    vc_drop(vc);
    vc->arr = arr;
    vc->e = arr->e;
    vc->n = n;
    vc->cap = cap;
    return 0;
}

/* vc's entry for slot becomes at least clock (clocks only grow). */
static void vc_set(struct tg_vc *vc, uint32_t slot, uint32_t clock)
{
    if (slot == vc->slot && vc->own) {
        if (vc->own < clock) {
            vc->own = clock;
            vc->version++;
        }
        return;
    }
    int i = vc_find(vc->e, vc->n, slot);
    if (i < vc->n && vc->e[i].slot == slot) {
        if (vc->e[i].clock < clock && vc_reserve(vc, vc->n) == 0) {
            vc->e[i].clock = clock;
            vc->version++;
        }
        return;
    }
    vc->version++;
    if (vc_reserve(vc, vc->n + 1) != 0)
        return; /* out of memory: an ordering is forgotten (one report too many at worst) */
    memmove(&vc->e[i + 1], &vc->e[i], (size_t)(vc->n - i) * sizeof *vc->e);
    vc->e[i].slot = slot;
    vc->e[i].clock = clock;
    vc->n++;
}

/* dst = max(dst, src), in O(dst->n + src->n). */
static void vc_merge_entries(struct tg_vc *dst, const struct hb_entry *src, int n_src)
{
    if (n_src == 0 || vc_reserve(dst, dst->n + n_src) != 0)
        return;
    dst->version++;
    dst->forked_by = 0;
    int i = dst->n - 1, j = n_src - 1, k = dst->n + n_src - 1;
    while (j >= 0) { /* merged from the back, leaving a gap at the front */
        if (i >= 0 && dst->e[i].slot > src[j].slot) {
            dst->e[k--] = dst->e[i--];
        } else if (i >= 0 && dst->e[i].slot == src[j].slot) {
            struct hb_entry m = dst->e[i--];
            if (src[j].clock > m.clock)
                m.clock = src[j].clock;
            dst->e[k--] = m;
            j--;
        } else {
            dst->e[k--] = src[j--];
        }
    }
    /* dst's entries below src's are in place at [0, i]: the merged ones
     * close the gap from above (it was closed at 0, which lost or
     * duplicated entries when i >= 0 and a slot was in both). */
    int n = dst->n + n_src - 1 - k;
    memmove(&dst->e[i + 1], &dst->e[k + 1], (size_t)n * sizeof *dst->e);
    dst->n = i + 1 + n;
}

/* dst = max(dst, src), src's held-apart entries included. */
static void vc_merge(struct tg_vc *dst, const struct tg_vc *src)
{
    vc_merge_entries(dst, src->e, src->n);
    if (dst->own) /* never below the entries' (see struct tg_vc) */
        dst->own = max32(dst->own, clock_at(dst->e, dst->n, dst->slot));
    if (src->up_slot)
        vc_set(dst, src->up_slot, src->up_clock);
    if (src->own)
        vc_set(dst, src->slot, src->own);
    dst->forked_by = 0;
}

/* A walk over vc's entries in slot order, held-apart ones in their place. */
struct vc_walk {
    const struct hb_entry *e;
    int n, i, nx, j;
    struct hb_entry x[2];
};

static void walk_init(struct vc_walk *w, const struct tg_vc *vc)
{
    w->e = vc->e;
    w->n = vc->n;
    w->i = w->j = w->nx = 0;
    if (vc->own)
        w->x[w->nx++] = (struct hb_entry){vc->slot, vc->own};
    if (vc->up_slot) {
        struct hb_entry up = {vc->up_slot, vc->up_clock};
        if (w->nx && w->x[0].slot == up.slot)
            w->x[0].clock = max32(w->x[0].clock, up.clock);
        else if (w->nx && w->x[0].slot > up.slot)
            w->x[1] = w->x[0], w->x[0] = up, w->nx = 2;
        else
            w->x[w->nx++] = up;
    }
}

/* The next entry in *out: 0 past the last. */
static int walk_next(struct vc_walk *w, struct hb_entry *out)
{
    int a = w->i < w->n, b = w->j < w->nx;
    if (a && (!b || w->e[w->i].slot < w->x[w->j].slot)) {
        *out = w->e[w->i++];
    } else if (b && (!a || w->x[w->j].slot < w->e[w->i].slot)) {
        *out = w->x[w->j++];
    } else if (a) { /* the same slot in both */
        *out = w->x[w->j++];
        out->clock = max32(out->clock, w->e[w->i++].clock);
    } else {
        return 0;
    }
    return 1;
}

/* vc's entries, held-apart ones in their place, into out (room for
 * vc->n + 2): their number. */
static int vc_flat(const struct tg_vc *vc, struct hb_entry *out)
{
    struct vc_walk w;
    int n = 0;
    walk_init(&w, vc);
    while (walk_next(&w, &out[n]))
        n++;
    return n;
}

static void free_push(struct tg_vc *vc, struct hb_entry last)
{
    if (vc->n_free == vc->cap_free) {
        int cap = vc->cap_free ? vc->cap_free * 2 : 8;
        struct hb_entry *f = tg__realloc(vc->free_slots, (size_t)cap * sizeof *f);
        if (!f)
            return; /* the slot is never reused: clocks grow a little */
        vc->free_slots = f;
        vc->cap_free = cap;
    }
    vc->free_slots[vc->n_free++] = last;
}

static void pool_put(uint32_t slot, uint32_t need, uint32_t start)
{
    tg__own_lock(&pool_lock);
    if (!pool)
        pool = tg__alloc(POOL_CAP * sizeof *pool);
    if (pool) {
        if (pool_n == POOL_CAP) { /* the oldest waited longest: it is retired */
            pool_head = (pool_head + 1) % POOL_CAP;
            pool_n--;
        }
        pool[(pool_head + pool_n++) % POOL_CAP] = (struct slot_back){slot, need, start};
    }
    tg__own_unlock(&pool_lock);
}

/* A slot from the pool that the creator with clock pv may give its child,
 * and the clock the child starts at there; 0 if none. */
static uint32_t pool_take(const struct tg_vc *pv, uint32_t *start)
{
    uint32_t slot = 0;
    tg__own_lock(&pool_lock);
    for (int k = 0; k < pool_n && k < POOL_LOOK && !slot; k++) {
        struct slot_back *b = &pool[(pool_head + k) % POOL_CAP];
        if (b->need && vc_at(pv, b->slot) < b->need)
            continue;
        slot = b->slot;
        *start = b->start;
        *b = pool[pool_head]; /* the oldest fills the hole */
        pool_head = (pool_head + 1) % POOL_CAP;
        pool_n--;
    }
    tg__own_unlock(&pool_lock);
    return slot;
}

/* In a fork child: another thread may have held the pool's lock. */
static void queues_after_fork(void);

void tg__hb_after_fork(void)
{
    pool_lock.state = 0;
    queues_after_fork();
}

/* vc's last owner (a thread nobody joined) has ended and its record goes
 * to another actor: its slot, and those it had from joins, go to the pool. */
static void vc_give_back(struct tg_vc *vc)
{
    if (!vc->slot)
        return; /* a semaphore's clock, or one already given to a joiner */
    uint32_t last = vc_at(vc, vc->slot);
    pool_put(vc->slot, recorded_clock(vc), last + 1);
    /* A slot from a join: its old user's events are known up to the clock
     * this actor learned, and only a creator that knows as much may
     * reuse it. */
    for (int i = 0; i < vc->n_free; i++) {
        struct hb_entry f = vc->free_slots[i];
        uint32_t c = max32(f.clock, vc_at(vc, f.slot));
        pool_put(f.slot, c, c + 1);
    }
}

/* The clock *pvc as owned by `owner`, allocated or emptied if it was not. */
static struct tg_vc *vc_own(struct tg_vc **pvc, uint64_t owner)
{
    struct tg_vc *vc = *pvc;
    if (!vc && !(vc = *pvc = tg__alloc(sizeof *vc)))
        return NULL;
    if (vc->owner != owner) {
        if (vc->owner)
            vc_give_back(vc);
        vc->owner = owner;
        vc->slot = 0;
        if (vc->arr && __atomic_load_n(&vc->arr->refs, __ATOMIC_ACQUIRE) > 1)
            vc_drop(vc); /* shared: the others' */
        vc->n = 0;
        vc->own = vc->up_slot = vc->up_clock = 0;
        vc->n_free = 0;
        vc->renewed = 0;
        vc->forked_by = 0;
        vc->version++;
    }
    return vc;
}

/* a's own clock; a thread never seen created gets a slot of its own. */
static struct tg_vc *hb_self_slow(struct tg_actor *a)
{
    struct tg_vc *vc = vc_own(&a->vc, a->id);
    if (vc && !vc->slot) {
        vc->slot = __atomic_add_fetch(&next_slot, 1, __ATOMIC_RELAXED);
        vc->own = 1;
        vc->version++;
    }
    return vc;
}

static inline struct tg_vc *hb_self(struct tg_actor *a)
{
    struct tg_vc *vc = a->vc;
    return vc && vc->owner == a->id && vc->slot ? vc : hb_self_slow(a);
}

/* vc's own entry moves on: in place, whoever shares its other entries. */
static void hb_tick(struct tg_vc *vc)
{
    vc->own = vc_at(vc, vc->slot) + 1;
    vc->version++;
}

/* 1 if a's queue holds entries, or nestings a kept take its clock now
 * (lo_queued says only that some were queued since it was last idle). */
static int queue_holds(const struct tg_actor *a);
/* 1 if queue d has renewals waiting (see the chain cache's generations). */
static int renewals_held(const struct tg_defer *d);
/* Handles a's queue, and its renewals too if `renewals`. */
static void settle_own(struct tg_actor *a, int renewals);
/* The nestings a made since its generation last changed are renewed from
 * now on (see the chain cache). */
static void chain_next_gen(struct tg_actor *a);

/* Before a's clock changes, a's queued and kept nestings are handled with
 * the clock they were made with (see lockorder's queue, at the end). Before it
 * learns of others' (a join, a wait: `merge`), its renewals are handled
 * too: they are recorded with the clock they were made at, which differs
 * from the clock then only in a's own entry while a learned nothing. */
static inline void hb_settle(struct tg_actor *a, int merge)
{
    if (a && a->defer && (queue_holds(a) || (merge && renewals_held(a->defer))))
        settle_own(a, merge);
}

void tg__hb_fork(struct tg_actor *parent, struct tg_actor *child)
{
    hb_settle(parent, 0);
    if (!tg__lockorder_on || !parent || !child)
        return;
    tg__guard++;
    struct tg_vc *pv = hb_self(parent), *cv = vc_own(&child->vc, child->id);
    if (pv && cv) {
        /* The child holds its creator's own entry apart: the one the
         * creator holds apart goes into its entries first (out of memory,
         * it stays apart and the child does not learn it). */
        if (pv->up_slot) {
            vc_set(pv, pv->up_slot, pv->up_clock);
            if (clock_at(pv->e, pv->n, pv->up_slot) >= pv->up_clock)
                pv->up_slot = pv->up_clock = 0;
        }
        vc_drop(cv);
        if (pv->arr)
            __atomic_add_fetch(&pv->arr->refs, 1, __ATOMIC_ACQ_REL);
        cv->arr = pv->arr;
        cv->e = pv->e;
        cv->n = pv->n;
        cv->cap = pv->cap;
        cv->up_slot = pv->slot;
        cv->up_clock = vc_at(pv, pv->slot);
        cv->version++;
        cv->forked_by = parent->id;
        /* The child's own entry starts past all the creator knows of
         * its slot: a slot from a join past its last user's last clock
         * (which no one can know more of), else past the creator's entry
         * for it (looked up) and the pool's start. */
        uint32_t start = 0;
        if (pv->n_free) {
            struct hb_entry f = pv->free_slots[--pv->n_free];
            cv->slot = f.slot;
            start = f.clock + 1;
        } else if ((cv->slot = pool_take(pv, &start)) != 0) {
            start = max32(start, vc_at(pv, cv->slot) + 1);
        } else {
            cv->slot = __atomic_add_fetch(&next_slot, 1, __ATOMIC_RELAXED);
            start = 1;
        }
        cv->own = start;
        hb_tick(pv);
        /* The parent's nestings so far come before the child's; the same
         * nestings from now on run at once with it, and must be recorded
         * again with the new clock though its chain cache has them. */
        chain_next_gen(parent);
    }
    tg__guard--;
}

void tg__hb_join(struct tg_actor *joiner, struct tg_actor *joined)
{
    hb_settle(joiner, 1);
    if (!tg__lockorder_on || !joiner || !joined)
        return;
    struct tg_vc *tv = joined->vc;
    if (!tv || tv->owner != joined->id || !tv->slot)
        return;
    tg__guard++;
    struct tg_vc *jv = hb_self(joiner);
    if (jv) {
        /* A child its creator joins, that learned of no one since it was
         * made, knows nothing the creator does not but its own entry:
         * clocks only grow. The join then sets that entry, in O(log n)
         * rather than a merge over every thread the two know of. Either
         * way the joiner has now learned of another thread: a join of the
         * joiner by its own creator must merge (else what the joiner
         * learned here, its child's entry, would be lost to it). */
        uint32_t last = vc_at(tv, tv->slot);
        if (tv->forked_by == joiner->id) {
            vc_drop(tv); /* first: the joiner's entries may be its own again */
            vc_set(jv, tv->slot, last);
            jv->forked_by = 0;
        } else {
            vc_merge(jv, tv);
            vc_drop(tv);
        }
        /* The joined thread has ended and the joiner knows all it knew:
         * its slot, and those it freed, may go to the joiner's children. */
        free_push(jv, (struct hb_entry){tv->slot, last});
        for (int i = 0; i < tv->n_free; i++)
            free_push(jv, tv->free_slots[i]);
        tv->owner = 0;
        tv->slot = 0; /* the joiner's now, not to be given back with the record */
    }
    tg__guard--;
}

void tg__hb_clock_free(struct tg_vc *vc)
{
    vc_drop(vc);
    tg__free(vc->free_slots);
    tg__free(vc);
}

static struct tg_vc *sem_clock(struct tg_res *r)
{
    struct tg_vc *vc = __atomic_load_n(&r->hb, __ATOMIC_ACQUIRE);
    if (vc)
        return vc;
    struct tg_vc *fresh = tg__alloc(sizeof *fresh);
    if (!fresh)
        return NULL;
    if (!__atomic_compare_exchange_n(&r->hb, &vc, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        tg__free(fresh);
        return vc;
    }
    return fresh;
}

/* Held for a merge only, never across a call out; a signal handler that
 * posts while its thread is in here is not watched (tg__guard). */
static void sem_take(struct tg_vc *vc)
{
    while (__atomic_exchange_n(&vc->busy, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

void tg__hb_post(struct tg_actor *a, struct tg_res *r)
{
    hb_settle(a, 0);
    if (!tg__lockorder_on || !a || !r || !tg__res_sem_clock_of(r))
        return; /* a binary semaphore is a lock: no ordering, as for mutexes */
    tg__guard++;
    struct tg_vc *av = hb_self(a), *sv = sem_clock(r);
    if (av && sv) {
        sem_take(sv);
        vc_merge(vc_own(&sv, r->id), av);
        __atomic_store_n(&sv->busy, 0, __ATOMIC_RELEASE);
        hb_tick(av);
        /* Its waiter comes after its nestings so far, and may run at once
         * with the same nestings from now on: as after a create. */
        chain_next_gen(a);
    }
    tg__guard--;
}

void tg__hb_wait(struct tg_actor *a, struct tg_res *r)
{
    hb_settle(a, 1);
    if (!tg__lockorder_on || !a || !r || !tg__res_sem_clock_of(r))
        return;
    struct tg_vc *sv = __atomic_load_n(&r->hb, __ATOMIC_ACQUIRE);
    if (!sv)
        return;
    tg__guard++;
    struct tg_vc *av = hb_self(a);
    sem_take(sv);
    if (av && sv->owner == r->id)
        vc_merge(av, sv);
    __atomic_store_n(&sv->busy, 0, __ATOMIC_RELEASE);
    tg__guard--;
}

/* ---- the graph ---------------------------------------------------------- */

#define MAX_OCC 4
#define MAX_GATES 16
/* An acquisition adds edges from at most this many of the newest holds: a
 * thread holding N locks costs O(N), not O(N^2), in edges and time. */
#define HOLD_WINDOW 64

/* Who took an edge, and what it knew then: an actor with its clock at
 * one moment. Occurrences an actor adds between two changes of its clock
 * share one (counted references, under the engine lock), so an occurrence
 * costs 48 bytes, not a copy of the clock each. */
struct who {
    int refs;
    uint32_t version;          /* of the clock it copies */
    uint64_t actor;
    long tid;
    char name[32];
    uint32_t name_gen;         /* the actor's tg_actor.name_gen when name was copied */
    uint32_t slot, clock;      /* the actor's epoch then (clock 0: unknown) */
    int vc_n;
    struct hb_entry vc[];      /* its clock then */
};

/* One actor's taking of an edge's two locks. */
struct occ {
    struct who *who;
    uintptr_t from_pc, to_pc;
    uint32_t from_stack, to_stack;
    union {                    /* the other locks it held, n_gates of them: */
        uint64_t one;          /* one is kept in place (the usual case), */
        uint64_t *many;        /* more in a block of their own */
    } gates;
    uint8_t from_mode, to_mode;
    uint8_t n_gates;
    uint32_t refs;             /* edges that hold it: occurrences are shared */
    uint32_t hash;             /* of everything above refs */
    uint32_t index;            /* its place (OCC), which an edge names it by */
    struct occ *next_same;     /* in its bucket of the set of occurrences */
};

/* An edge: 24 bytes. Its two locks are its nodes' (a node's key, and for
 * an instance its entry); with lock_classes, where the nodes are classes,
 * the instances it was first seen with are kept beside it (struct
 * edge_inst). Most edges are shown once, or in one way (one place nesting
 * into many locks): such an edge names its occurrence itself; one with
 * several names a list of them (struct occ_list, 16 bytes more).
 *
 * A node's edges are two singly linked lists, newest first: a new edge
 * writes itself and its two nodes' heads, never an older edge (a doubly
 * linked list wrote the old head's back link, a cold line in a large
 * graph, at each new edge, and two more at its removal). An edge whose
 * node is retired is dead: out of the index and without occurrences at
 * once, but left in the list of its other node, which drops it when it
 * retires too, or sweeps its lists when they hold many (edge_left): so a
 * dead edge costs O(1) amortized. */
struct edge {
    int from_node, to_node;
    int next_out, next_in;       /* next edge leaving `from` / entering `to`, -1 at the end */
    uint32_t occ;                /* n_occ 1: its occurrence (OCC); more: their list (LIST) */
    uint32_t acyclic_at : 27;    /* graph_version + 1 when no cycle ran through it */
    uint32_t back : 1;           /* it closed a cycle: outside the topological order */
    uint32_t dead : 1;           /* a node of it was retired; only a list still holds it */
    uint32_t n_occ : 3;
};
_Static_assert(sizeof(struct edge) == 24, "an edge is 24 bytes");

/* The occurrences of an edge that has several. */
struct occ_list {
    uint32_t occ[MAX_OCC];       /* OCC indexes; a free list links through occ[0] */
};

/* With lock_classes: the instances an edge between two classes was first
 * seen with, to describe them in a report. */
struct edge_inst {
    struct tg_res *res[2];       /* from, to; NULL for a lock without an entry */
    uint64_t id[2];
};

/* A lock (or class) in the graph. Nodes are kept in a topological order of
 * the edges that close no cycle (Pearce and Kelly's dynamic algorithm):
 * while no edge closes a cycle, a new edge or occurrence needs no search. */
struct node {
    uint64_t key;
    int first_out, first_in;
    int64_t ord;
    int live, dead;              /* edges in its two lists: live ones, dead ones (struct edge) */
    uintptr_t addr;              /* an instance's address, else 0 */
    struct tg_res *res;          /* an instance's entry, else NULL */
    /* Instances: the others whose grain falls in one bucket (node + 1, 0
     * at the ends). Other nodes: next_page is the next in their bucket of
     * node_index. */
    int next_page, prev_page;
};

/* Edges and nodes live in segments of SEG places that never move: the
 * graph grows without copying what it holds. The tables of segments double
 * (a pointer per SEG places). */
#define SEG_SHIFT 12
#define SEG (1 << SEG_SHIFT)
#define EDGE(i) (((struct edge *)edge_segs[(i) >> SEG_SHIFT])[(i) & (SEG - 1)])
/* With lock_classes, an edge segment holds the edges' struct edge_inst
 * after them. */
#define INST(i) (((struct edge_inst *)((char *)edge_segs[(i) >> SEG_SHIFT] + SEG * sizeof(struct edge)))[(i) & (SEG - 1)])
#define NODE(i) (((struct node *)node_segs[(i) >> SEG_SHIFT])[(i) & (SEG - 1)])
#define OCC(i) (((struct occ *)occ_segs[(i) >> SEG_SHIFT])[(i) & (SEG - 1)])
#define LIST(i) (((struct occ_list *)list_segs[(i) >> SEG_SHIFT])[(i) & (SEG - 1)])
static void **edge_segs;
static int n_edges, cap_edges;   /* n_edges: places used, live or retired; cap_edges: places mapped */
static int free_edge = -1;       /* retired places, linked by next_out */
static void **node_segs;
static int n_nodes, cap_nodes;   /* a retired node has key 0 */
static int free_node = -1;       /* linked by first_out */
static void **occ_segs;          /* occurrences (their free list is below) */
static int n_occs, cap_occs;
static void **list_segs;         /* the occurrences of edges with several */
static int n_lists, cap_lists;
static int free_list = -1;       /* linked by occ[0] */
static int64_t next_ord;
static int n_back;               /* edges that closed a cycle */
static uint64_t *reported;      /* cycle signatures already reported */
static int n_reported, cap_reported;
static int full_warned;
/* Bumped by every new edge and retired node: a search that found no path
 * back is valid until the graph changes. It stays below GRAPH_VERSIONS - 1
 * (edge.acyclic_at holds it plus one): when it would reach that, every
 * edge's mark is cleared and it starts again at 0. */
#define GRAPH_VERSIONS (1u << 27)
static uint32_t graph_version;

static __attribute__((noinline)) void graph_versions_reset(void)
{
    for (int i = 0; i < n_edges; i++)
        EDGE(i).acyclic_at = 0;
    graph_version = 0;
}

/* Inline: every new edge bumps it. */
static inline void graph_changed(void)
{
    if (++graph_version >= GRAPH_VERSIONS - 1)
        graph_versions_reset();
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

/* The table of segments holds a power of two of them, at least n. */
static size_t segs_room(size_t n)
{
    size_t room = 1;
    while (room < n)
        room *= 2;
    return room;
}

/* More segments of `size`-byte places in *segs (which holds *cap / SEG of
 * them); 0, or -1 if out of memory. Once the graph has SEG_GROUP of them,
 * the next SEG_GROUP or more come in one block of 2 MiB or more, which
 * the allocator maps on huge pages: a graph that grows by millions of
 * edges then takes one page fault per 2 MiB instead of one per 4 KiB
 * (512 of them, each a trap to the kernel, dearer in a virtual machine),
 * and one TLB entry. A small graph keeps small segments. */
#define SEG_GROUP 16
#define SEG_GROUP_BYTES ((size_t)2 << 20)
static int add_segment(void ***segs, int *cap, size_t size)
{
    size_t n = (size_t)*cap / SEG, k = 1;
    if (n >= SEG_GROUP)
        for (k = SEG_GROUP; k * SEG * size < SEG_GROUP_BYTES; k++)
            ;
    if (n + k > (n ? segs_room(n) : 0)) {
        void **t = tg__realloc(*segs, segs_room(n + k) * sizeof *t);
        if (!t)
            return -1;
        *segs = t;
    }
    char *seg = tg__alloc_uninit(k * SEG * size); /* each place is filled when taken */
    if (!seg)
        return -1;
    for (size_t j = 0; j < k; j++)
        (*segs)[n + j] = seg + j * SEG * size;
    *cap += (int)(k * SEG);
    return 0;
}

/* ---- indexes that grow a bucket at a time ----------------------------------
 *
 * Linear hashing (the node index): 2^k + split buckets, each a chain through its elements
 * (element + 1, 0 at the end; the link is a field of the element). Each
 * insertion that brings the elements past one per bucket splits one
 * bucket, the next in turn, into itself and its image 2^k further on. So
 * the index never stops to rehash what it holds (the pause that grew with
 * the graph), and its buckets live in segments that never move. */
#define LH_SEG 1024
struct lhash {
    int **segs;             /* LH_SEG buckets each */
    size_t n_segs;
    size_t level, split;    /* 2^k (0 until the first insertion); next to split */
    size_t n;               /* elements */
};
/* The functions below are given, and inline, the element's hash and its
 * link to the next in its bucket. */
#define LH_INLINE static inline __attribute__((always_inline))
typedef uint64_t lh_hash_fn(int);
typedef int *lh_link_fn(int);

static int *lh_bucket(const struct lhash *t, uint64_t h)
{
    size_t b = h & (t->level - 1);
    if (b < t->split)
        b = h & (2 * t->level - 1);
    return &t->segs[b / LH_SEG][b % LH_SEG];
}

/* The first element of h's bucket (element + 1, 0 if none or empty). */
static int lh_first(const struct lhash *t, uint64_t h)
{
    return t->level ? *lh_bucket(t, h) : 0;
}

static int lh_add_seg(struct lhash *t)
{
    if ((t->n_segs & (t->n_segs - 1)) == 0) {
        int **g = tg__realloc(t->segs, (t->n_segs ? t->n_segs * 2 : 1) * sizeof *g);
        if (!g)
            return -1;
        t->segs = g;
    }
    int *seg = tg__alloc(LH_SEG * sizeof *seg); /* zeroed: empty buckets */
    if (!seg)
        return -1;
    t->segs[t->n_segs++] = seg;
    return 0;
}

LH_INLINE void lh_split(struct lhash *t, lh_hash_fn *hash, lh_link_fn *link)
{
    size_t from = t->split, to = t->level + t->split;
    if (to / LH_SEG >= t->n_segs && lh_add_seg(t) != 0)
        return; /* out of memory: longer chains, no harm */
    int *a = &t->segs[from / LH_SEG][from % LH_SEG], *b = &t->segs[to / LH_SEG][to % LH_SEG];
    int e = *a;
    *a = 0;
    while (e) {
        int next = *link(e - 1);
        int *dst = (hash(e - 1) & (2 * t->level - 1)) == from ? a : b;
        *link(e - 1) = *dst;
        *dst = e;
        e = next;
    }
    if (++t->split == t->level) {
        t->level *= 2;
        t->split = 0;
    }
}

/* Adds element i; 0, or -1 if out of memory. */
LH_INLINE int lh_insert(struct lhash *t, int i, lh_hash_fn *hash, lh_link_fn *link)
{
    if (!t->level) {
        if (lh_add_seg(t) != 0)
            return -1;
        t->level = LH_SEG;
    }
    int *b = lh_bucket(t, hash(i));
    *link(i) = *b;
    *b = i + 1;
    if (++t->n > t->level + t->split)
        lh_split(t, hash, link);
    return 0;
}

/* Removes element i, which is in the index. */
LH_INLINE void lh_remove(struct lhash *t, int i, lh_hash_fn *hash, lh_link_fn *link)
{
    int *p = lh_bucket(t, hash(i));
    while (*p != i + 1)
        p = link(*p - 1);
    *p = *link(i);
    t->n--;
}

/* ---- instances by place: what free() retires --------------------------------
 *
 * Every instance node is linked into one of PAGE_BUCKETS lists by the
 * 128-byte grain of memory its lock lies in, and the bucket counts them:
 * free() of a block whose grains' buckets all count zero (read without a
 * lock) costs a few loads, and one that holds locks of the graph walks
 * the few nodes of its grains. The same nodes are also counted by the
 * 2 MiB region they lie in, so a large block (a buffer, a mapping) in
 * regions without a lock of the graph is passed over in a load or two,
 * however large it is, instead of a load per grain or a walk of every
 * node. Instances that queued first nestings name are counted in their
 * grain's bucket too (pinned), but mark their region once for good
 * (region_pinned) instead of counting in it: a lock made, nested and
 * ended over and over then writes no counter that another thread's locks
 * share, at the price of a load per grain for a large block freed in a
 * region where such a lock once was. */
#define GRAIN_SHIFT 7
#define PAGE_BITS 14
#define PAGE_BUCKETS (1 << PAGE_BITS)
#define REGION_SHIFT 21
#define REGION_BUCKETS 4096
_Atomic uint32_t tg__graph_instances;
static _Atomic uint32_t region_count[REGION_BUCKETS];
static _Atomic uint8_t region_pinned[REGION_BUCKETS]; /* once set, never cleared */
static _Atomic int pinned_once;  /* counted once in tg__graph_instances for good */
static int page_first[PAGE_BUCKETS];     /* node + 1, 0 if none */
/* A grain's bucket counts its instances by the 16-byte granule they lie
 * in within the grain: eight 32-bit counts, two to a 64-bit word, in a
 * 32-byte row of one cache line. So an instance counts (or stops
 * counting) with one locked add, where a count by grain and another by
 * granule took two (some 5 ns each, on every lock churned), and in one
 * cache line, not two. The bucket counts a lock if any count of its row
 * does (four loads of one line), and free()'s second look at a block,
 * once the kept leaves there were dropped (kept_sweep), reads only the
 * counts of the granules it swept: a neighbour's lock in the same grain
 * is not taken for one in the block. No count reaches 2^32, so
 * none carries into its neighbour: nodes are fewer than 2^31 (an int
 * numbers them), pins fewer than 2^29 (at most two an entry, an ended
 * instance's not yet given back and the next one's, and at most
 * max_locks <= 2^28 entries). Buckets b and b + 2^COUNT_BITS share a
 * row (COUNT_BITS is PAGE_BITS - 1): grains some 850 KiB apart, never
 * neighbours. The rows take 256 KiB where a row a bucket took 512 (5
 * bytes a lock at 10^5 locks, where every row is resident); a bucket's
 * list (page_first) stays as short as before, and a free() that meets
 * the other bucket's counts walks a list that holds nothing in its
 * block. */
#define FINE_SHIFT 4
#define GRANULES (1 << (GRAIN_SHIFT - FINE_SHIFT)) /* a grain's, 8 */
#define COUNT_BITS (PAGE_BITS - 1)
static _Atomic uint64_t place_count[1 << COUNT_BITS][GRANULES / 2] __attribute__((aligned(64)));
uint32_t tg__chain_gen[TG_CHAIN_GENS];

/* A slot of free()'s hint (tg_defer.hint): the granule's low bits with
 * the next ones xored in, so that neighbouring objects and power-of-two
 * strides both spread. */
#define HINTS 256
static inline size_t hint_slot(uintptr_t granule)
{
    return (size_t)(granule ^ (granule >> 8)) & (HINTS - 1);
}

/* A grain's bucket: the top PAGE_BITS bits of grain times 1.236 (2^51
 * over the golden ratio, scaled by 2^-50). Grains next to each other get
 * buckets next to each other (one or two apart), so the locks of a
 * program's few arrays and heap runs touch as many pages of place_count
 * and page_first as they span, not all of them (objects 1,000: 512 KiB
 * less resident); the bits of the grain above the table's width still
 * mix in through the constant's lower bits, so far apart places and
 * power-of-two strides spread over the buckets as before. Same cost: one
 * multiply and one shift. Its row of counts (count_row) is the top
 * COUNT_BITS bits of twice the product: the bucket's low COUNT_BITS bits. */
#define PLACE_MUL (0x9E3779B97F4A7C15ull >> (PAGE_BITS - 1))
static size_t page_bucket(uintptr_t grain)
{
    return (size_t)((grain * PLACE_MUL) >> (64 - PAGE_BITS));
}

static size_t count_row(uintptr_t grain)
{
    return (size_t)((grain * (PLACE_MUL << 1)) >> (64 - COUNT_BITS));
}

/* The word that holds granule's count, at bit *shift. */
static _Atomic uint64_t *granule_word(uintptr_t granule, unsigned *shift)
{
    *shift = (unsigned)(granule & 1) * 32;
    return &place_count[count_row(granule >> (GRAIN_SHIFT - FINE_SHIFT))][(granule >> 1) &
                                                                         (GRANULES / 2 - 1)];
}

/* An instance at addr counts (delta 1) or stops counting (-1) in the
 * bucket free() looks at. */
static void count_at(uintptr_t addr, int delta)
{
    unsigned shift;
    _Atomic uint64_t *w = granule_word(addr >> FINE_SHIFT, &shift);
    __atomic_fetch_add(w, (uint64_t)(int64_t)delta << shift, __ATOMIC_RELAXED);
}

/* 1 if bucket b's row (count_row) counts an instance. */
static int bucket_counts(size_t b)
{
    const _Atomic uint64_t *w = place_count[b & (((size_t)1 << COUNT_BITS) - 1)];
    return (__atomic_load_n(&w[0], __ATOMIC_RELAXED) | __atomic_load_n(&w[1], __ATOMIC_RELAXED) |
            __atomic_load_n(&w[2], __ATOMIC_RELAXED) | __atomic_load_n(&w[3], __ATOMIC_RELAXED)) != 0;
}

static size_t region_bucket(uintptr_t region)
{
    return (size_t)((region * 0x9E3779B97F4A7C15ull) >> 52); /* 12 bits */
}

/* Instances that left the graph so far (each bumped a chain generation). */
static _Atomic uint64_t retired_total;

static void page_link(int i)
{
    size_t b = page_bucket(NODE(i).addr >> GRAIN_SHIFT);
    NODE(i).next_page = page_first[b];
    if (page_first[b])
        NODE(page_first[b] - 1).prev_page = i + 1;
    page_first[b] = i + 1;
    count_at(NODE(i).addr, 1);
    __atomic_fetch_add(&region_count[region_bucket(NODE(i).addr >> REGION_SHIFT)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&tg__graph_instances, 1, __ATOMIC_RELAXED);
}

static void page_unlink(int i)
{
    struct node *nd = &NODE(i);
    size_t b = page_bucket(nd->addr >> GRAIN_SHIFT);
    if (nd->prev_page)
        NODE(nd->prev_page - 1).next_page = nd->next_page;
    else
        page_first[b] = nd->next_page;
    if (nd->next_page)
        NODE(nd->next_page - 1).prev_page = nd->prev_page;
    count_at(nd->addr, -1);
    __atomic_fetch_sub(&region_count[region_bucket(nd->addr >> REGION_SHIFT)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&tg__graph_instances, 1, __ATOMIC_RELAXED);
    /* Chains through this address were validated for the instance that
     * ends: a new lock there makes its own edges. */
    __atomic_fetch_add(&tg__chain_gen[TG_CHAIN_GEN_OF(nd->addr)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&retired_total, 1, __ATOMIC_RELAXED);
    nd->addr = 0;
}

static uint64_t node_hash(int i)
{
    return mix(NODE(i).key, 1);
}

static int *node_link(int i)
{
    return &NODE(i).next_page;
}

/* Nodes that are not instances (classes, locks without an entry), by key. */
static struct lhash node_index;

/* A new node for key. It takes its place in the order from `born`: a lock
 * instance's serial, so that locks nested in the order they were created
 * (a table before its objects, a parent before its children) need no
 * reordering; 0 for classes and locks without an entry, which are placed
 * in the order they are met. Instances take even places, the others odd
 * ones, so that no two nodes share one. An instance's node records its
 * entry r (else NULL) and address, so that freeing its memory retires it. */
static int node_add(uint64_t key, uint64_t born, struct tg_res *r)
{
    if (free_node < 0 && n_nodes == cap_nodes &&
        add_segment(&node_segs, &cap_nodes, sizeof(struct node)) != 0)
        return -1;
    int i = free_node >= 0 ? free_node : n_nodes++;
    if (i == free_node)
        free_node = NODE(i).first_out;
    struct node *nd = &NODE(i);
    nd->key = key;
    nd->first_out = nd->first_in = -1;
    nd->live = nd->dead = 0;
    nd->ord = born ? (int64_t)(born * 2) : (next_ord++) * 2 + 1;
    nd->addr = r ? r->addr : 0;
    nd->res = r;
    nd->next_page = nd->prev_page = 0;
    if (nd->addr)
        page_link(i);
    return i;
}

/* The node of a key that is not an instance's (a class, a lock without an
 * entry), -1 if none (or, with create, out of memory). */
static int node_find(uint64_t key, int create, uint64_t born)
{
    for (int i = lh_first(&node_index, mix(key, 1)); i; i = NODE(i - 1).next_page)
        if (NODE(i - 1).key == key)
            return i - 1;
    if (!create)
        return -1;
    int i = node_add(key, born, NULL);
    if (i >= 0 && lh_insert(&node_index, i, node_hash, node_link) != 0) {
        NODE(i).key = 0; /* out of memory: the place goes back */
        NODE(i).first_out = free_node;
        free_node = i;
        return -1;
    }
    return i;
}

/* The node of instance `id` of entry r, -1 if it has none: where the entry
 * says, or else among the nodes of its address's page. */
static int instance_node(const struct tg_res *r, uint64_t id)
{
    if (r->graph_node >= 0 && r->graph_node < n_nodes && NODE(r->graph_node).key == id)
        return r->graph_node;
    for (int i = page_first[page_bucket(r->addr >> GRAIN_SHIFT)]; i; i = NODE(i - 1).next_page)
        if (NODE(i - 1).key == id)
            return i - 1;
    return -1;
}

/* The node of key, -1 if it has none; r, if not NULL, is the entry of the
 * instance the key names. An instance's node is not in the node index: the
 * entry remembers the node of its current instance (checked by key, since
 * a node may have been retired and given to another key since), so the
 * current instance's is found at once; an earlier instance's is looked
 * for among the nodes of its page. */
static inline int node_of(uint64_t key, const struct tg_res *r, struct node **at)
{
    int i;
    if (!r) {
        i = node_find(key, 0, 0);
    } else if (r->graph_node >= 0 && r->graph_node < n_nodes &&
               (*at = &NODE(r->graph_node))->key == key) {
        return r->graph_node;
    } else {
        i = key == r->id ? -1 : instance_node(r, key);
    }
    *at = i >= 0 ? &NODE(i) : NULL;
    return i;
}

/* The node of key, created if new (see node_of). */
static int res_node(uint64_t key, struct tg_res *r)
{
    if (!r)
        return node_find(key, 1, 0);
    struct node *at;
    int i = node_of(key, r, &at);
    if (i < 0 && (i = node_add(key, key, r)) >= 0 && key == r->id) {
        r->graph_node = i;
        /* Its end takes the engine lock now (leaf_end). */
        __atomic_fetch_or(&r->flags, TG_RF_IN_GRAPH | TG_RF_LO_NODE, __ATOMIC_RELEASE);
    }
    return i;
}

/* ---- live edges by their two nodes -------------------------------------------
 *
 * Open addressing with linear probing over 8-byte slots: the edge (edge +
 * 1, in the low half) and 32 bits of its hash (the high half; their low
 * bits are the slot the edge belongs in). A look-up reads one or two cache
 * lines of slots and the edge it finds; one for an edge that does not
 * exist touches no edge at all (a chain through the edges cost a cache
 * miss for each edge passed over, and most first nestings are of edges
 * that do not exist). At most three quarters of the slots are used (11
 * to 21 bytes an edge; at most half took 16 to 32, some 20% of the peak
 * memory of a large graph, for probes about 3 slots shorter on average:
 * still one line of slots, sometimes two). When an insertion
 * would pass that, a table twice as large takes over and the slots of the
 * old one move over EIX_MOVE at a time with each later insertion (in
 * order, so that the new table is written almost in sequence): the index
 * never pauses to rehash what it holds. Look-ups read the new table, then
 * the old one's slots not moved yet; a removal from the old table leaves a
 * tombstone, one from the current table shifts its cluster back. */
#define EIX_MIN_BITS 10
#define EIX_MOVE 16
#define EIX_TOMB UINT64_MAX
struct edge_table {
    uint64_t *s;
    uint32_t bits;
    size_t moved;                /* old table: slots moved so far */
};
static struct edge_table eix, eix_old;
static size_t eix_n;             /* live edges in both tables */
size_t tg__lockorder_edges(void)
{
    return eix_n;
}

/* Bumped by every write to the current table's slots, and when another
 * table takes its place. */
static uint64_t eix_changes;

/* Where a look-up found no edge: the empty slot of the current table that
 * ended its probe, which is where the same two nodes' edge goes while the
 * table has not changed since (eix_changes); slot SIZE_MAX if none. A new
 * edge is then put in place without hashing and probing again. */
struct eix_hint {
    uint64_t changes;
    size_t slot;
    uint32_t hash;
};

static uint32_t eix_hash(int from, int to)
{
    return (uint32_t)mix((uint64_t)from, (uint64_t)to);
}

/* The edge from -> to in t, and its slot in *at; -1 if none, and *at the
 * empty slot the probe ended at. Inline in edge_find: a call cost a
 * tenth of a new edge's look-up. */
static inline __attribute__((always_inline)) int eix_probe(const struct edge_table *t, uint32_t h,
                                                           int from, int to, size_t *at)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        uint64_t v = t->s[j];
        if (!v) {
            *at = j;
            return -1;
        }
        if (v != EIX_TOMB && (uint32_t)(v >> 32) == h) {
            int e = (int)(uint32_t)v - 1;
            if (EDGE(e).from_node == from && EDGE(e).to_node == to) {
                *at = j;
                return e;
            }
        }
    }
}

/* The edge from -> to, -1 if none (then *hint says where it would go). */
static int edge_find(int from, int to, struct eix_hint *hint)
{
    uint32_t h = eix_hash(from, to);
    size_t at = SIZE_MAX;
    int e = eix.s ? eix_probe(&eix, h, from, to, &at) : -1;
    *hint = (struct eix_hint){eix_changes, at, h};
    if (e < 0 && eix_old.s)
        e = eix_probe(&eix_old, h, from, to, &at);
    return e;
}

static void eix_put(struct edge_table *t, uint64_t v)
{
    size_t mask = ((size_t)1 << t->bits) - 1, j = (uint32_t)(v >> 32) & mask;
    while (t->s[j])
        j = (j + 1) & mask;
    t->s[j] = v;
    eix_changes++;
}

/* Moves up to n slots of the old table over; lets it go when all did. */
static void eix_move(size_t n)
{
    size_t size = (size_t)1 << eix_old.bits, end = size - eix_old.moved < n ? size : eix_old.moved + n;
    size_t j = eix_old.moved;
    /* It stops at an empty slot: no slot not moved yet then holds an entry
     * whose probe starts among those moved (and cleared). */
    for (; j < size && (j < end || eix_old.s[j]); j++) {
        uint64_t v = eix_old.s[j];
        if (v && v != EIX_TOMB)
            eix_put(&eix, v);
        eix_old.s[j] = 0; /* a probe that reaches it looks for a key moved already */
    }
    eix_old.moved = j;
    if (j == size) {
        tg__free(eix_old.s);
        eix_old.s = NULL;
    }
}

/* Adds edge i (not in the index), in the slot hint names if it is still
 * the edge's (hint NULL: none); 0, or -1 if out of memory. */
static int eix_insert(int i, const struct eix_hint *hint)
{
    int grow = !eix.s || (eix_n + 1) * 4 > (size_t)3 << eix.bits;
    if (!grow && hint && hint->changes == eix_changes && hint->slot != SIZE_MAX &&
        !eix.s[hint->slot]) {
        eix.s[hint->slot] = (uint64_t)hint->hash << 32 | (uint32_t)(i + 1);
        eix_changes++;
        eix_n++;
        if (eix_old.s) /* after the put: the order of puts does not matter */
            eix_move(EIX_MOVE);
        return 0;
    }
    if (eix_old.s)
        eix_move(EIX_MOVE);
    if (grow) {
        uint32_t bits = eix.s ? eix.bits + 1 : EIX_MIN_BITS;
        uint64_t *s = tg__alloc(((size_t)1 << bits) * sizeof *s); /* zeroed */
        if (!s)
            return -1;
        if (eix_old.s)
            eix_move(SIZE_MAX); /* cannot happen: it moved over by now */
        eix_old = eix;
        eix_old.moved = 0;
        eix = (struct edge_table){s, bits, 0};
        eix_changes++;
    }
    eix_put(&eix, (uint64_t)eix_hash(EDGE(i).from_node, EDGE(i).to_node) << 32 | (uint32_t)(i + 1));
    eix_n++;
    return 0;
}

/* 1 if slot value v is in t, at *at: it is looked for by value, without
 * reading the edges of the slots passed over. */
static int eix_slot(const struct edge_table *t, uint64_t v, size_t *at)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    for (size_t j = (uint32_t)(v >> 32) & mask; t->s[j]; j = (j + 1) & mask)
        if (t->s[j] == v) {
            *at = j;
            return 1;
        }
    return 0;
}

/* Removes edge i (at e), which is in the index. */
static void eix_remove(const struct edge *e, int i)
{
    uint64_t v = (uint64_t)eix_hash(e->from_node, e->to_node) << 32 | (uint32_t)(i + 1);
    size_t j = 0; /* set by eix_slot when it finds v; -O3 cannot see it */
    eix_n--;
    if (!eix.s || !eix_slot(&eix, v, &j)) {
        if (eix_old.s && eix_slot(&eix_old, v, &j))
            eix_old.s[j] = EIX_TOMB;
        return;
    }
    /* Shift back the entries of the cluster after j that may sit in it. */
    size_t mask = ((size_t)1 << eix.bits) - 1;
    for (size_t k = (j + 1) & mask; eix.s[k]; k = (k + 1) & mask) {
        size_t home = (uint32_t)(eix.s[k] >> 32) & mask;
        /* The entry at k may move to j unless its home lies in (j, k]. */
        if (((k - home) & mask) >= ((k - j) & mask)) {
            eix.s[j] = eix.s[k];
            j = k;
        }
    }
    eix.s[j] = 0;
    eix_changes++;
}

/* The lock an edge leaves (to 0) or enters (to 1): its entry, NULL if
 * none, and the instance's serial. */
static struct tg_res *edge_res(int e, int to)
{
    if (tg__opt.lock_classes)
        return INST(e).res[to];
    return NODE(to ? EDGE(e).to_node : EDGE(e).from_node).res;
}

static uint64_t edge_id(int e, int to)
{
    if (tg__opt.lock_classes)
        return INST(e).id[to];
    const struct node *nd = &NODE(to ? EDGE(e).to_node : EDGE(e).from_node);
    return nd->res ? nd->key : 0;
}

static uint32_t *seen_marks(void);
static uint32_t seen_stamp;

/* The nodes reachable from `start` over ordered edges through nodes whose
 * order is within (lo, hi), following out-edges (dir 0) or in-edges (1),
 * appended to *list; returns 1 if `stop` was reached. */
static int reach(int start, int dir, int64_t lo, int64_t hi, int stop, int **list, int *n, int *cap,
                 uint32_t *seen)
{
    int base = *n;
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 64;
        int *l = tg__realloc(*list, (size_t)ncap * sizeof *l);
        if (!l)
            return -1;
        *list = l;
        *cap = ncap;
    }
    (*list)[(*n)++] = start;
    seen[start] = seen_stamp;
    for (int k = base; k < *n; k++) { /* the list doubles as the work queue */
        int x = (*list)[k];
        for (int e = dir ? NODE(x).first_in : NODE(x).first_out; e >= 0;
             e = dir ? EDGE(e).next_in : EDGE(e).next_out) {
            if (EDGE(e).back || EDGE(e).dead)
                continue;
            int y = dir ? EDGE(e).from_node : EDGE(e).to_node;
            if (y == stop)
                return 1;
            if (seen[y] == seen_stamp || NODE(y).ord <= lo || NODE(y).ord >= hi)
                continue;
            seen[y] = seen_stamp;
            if (*n == *cap) {
                int *l = tg__realloc(*list, (size_t)*cap * 2 * sizeof *l);
                if (!l)
                    return -1;
                *list = l;
                *cap *= 2;
            }
            (*list)[(*n)++] = y;
        }
    }
    return 0;
}

static int by_ord(const void *a, const void *b)
{
    int64_t x = NODE(*(const int *)a).ord, y = NODE(*(const int *)b).ord;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The reorder's work lists, kept between edges (under the engine lock):
 * an edge that needs a reorder allocates nothing. */
static int *order_list, order_cap;
static int64_t *order_ords;
static int order_ords_cap;

/* Keeps the order topological for the new edge u -> v, or marks the edge
 * as closing a cycle (also when memory runs out: then it is searched).
 * An edge that agrees with the order, the common case, costs a compare. */
static void order_edge(int e)
{
    int u = EDGE(e).from_node, v = EDGE(e).to_node;
    if (NODE(u).ord < NODE(v).ord)
        return;
    int n = 0;
    uint32_t *seen = seen_marks();
    int r = seen ? reach(v, 0, -1, NODE(u).ord + 1, u, &order_list, &n, &order_cap, seen) : -1;
    if (r == 0 && NODE(u).ord == NODE(v).ord)
        r = -1; /* cannot happen: orders are distinct */
    int forward = n; /* list[0..forward): reached from v; then those reaching u */
    if (r == 0 && reach(u, 1, NODE(v).ord, INT64_MAX, -1, &order_list, &n, &order_cap, seen) < 0)
        r = -1;
    if (r == 0 && n > order_ords_cap) {
        int cap = n < 64 ? 64 : n * 2;
        tg__free(order_ords);
        order_ords = tg__alloc((size_t)cap * sizeof *order_ords);
        order_ords_cap = order_ords ? cap : 0;
        if (!order_ords)
            r = -1;
    }
    if (r != 0) {
        EDGE(e).back = 1;
        n_back++;
        return;
    }
    int *list = order_list;
    int64_t *ords = order_ords;
    for (int i = 0; i < n; i++)
        ords[i] = NODE(list[i]).ord;
    qsort(ords, (size_t)n, sizeof *ords, cmp_i64);
    qsort(list, (size_t)forward, sizeof *list, by_ord);
    qsort(list + forward, (size_t)(n - forward), sizeof *list, by_ord);
    /* Those reaching u go first, then those reached from v, each keeping
     * its relative order, in the same set of order numbers. */
    int k = 0;
    for (int i = forward; i < n; i++)
        NODE(list[i]).ord = ords[k++];
    for (int i = 0; i < forward; i++)
        NODE(list[i]).ord = ords[k++];
}

/* What one of the taker's holds adds (edge_plan, below): the edge from it
 * to the newest hold (its index, NEW_EDGE if the edge itself is new, -1
 * for nothing; at: its place, once it has one) and the place of the
 * occurrence; for a new edge, the keys of its two locks, their nodes found
 * (-1 if not, or not looked for; node_at: their places) and where the
 * look-up of the edge ended. The nodes stay theirs while the engine lock
 * is held. The places are kept, not looked up again: with
 * -fno-strict-aliasing each look-up reads the table of segments anew. */
#define NEW_EDGE (-2)
struct step {
    int edge, place;
    struct edge *at;
    int nodes[2];
    struct node *node_at[2];
    uint64_t keys[2];
    struct eix_hint hint;
};

/* A new edge, as step s planned it: between the nodes s found, or else
 * those of its keys, looked up and made if new (from_r, to_r: the
 * instances, when nodes are instances). Sets s->edge and s->at; -1 if out
 * of memory. */
static int edge_new(struct step *s, struct tg_res *from_r, struct tg_res *to_r)
{
    if (free_edge < 0 && n_edges == cap_edges &&
        add_segment(&edge_segs, &cap_edges,
                    sizeof(struct edge) + (tg__opt.lock_classes ? sizeof(struct edge_inst) : 0)) != 0)
        return -1;
    int from_node = s->nodes[0], to_node = s->nodes[1];
    struct node *fnode = s->node_at[0], *tnode = s->node_at[1];
    int looked = from_node >= 0 && to_node >= 0; /* the hint is of these nodes */
    if (from_node < 0 && (from_node = res_node(s->keys[0], from_r)) >= 0)
        fnode = &NODE(from_node);
    if (to_node < 0 && (to_node = res_node(s->keys[1], to_r)) >= 0)
        tnode = &NODE(to_node);
    if (from_node < 0 || to_node < 0)
        return -1;
    int i = free_edge >= 0 ? free_edge : n_edges++;
    struct edge *e = &EDGE(i);
    if (i == free_edge)
        free_edge = e->next_out;
    memset(e, 0, sizeof *e);
    e->from_node = from_node;
    e->to_node = to_node;
    if (eix_insert(i, looked ? &s->hint : NULL) != 0) {
        e->next_out = free_edge;
        free_edge = i;
        return -1;
    }
    e->next_out = fnode->first_out;
    fnode->first_out = i;
    fnode->live++;
    e->next_in = tnode->first_in;
    tnode->first_in = i;
    tnode->live++;
    graph_changed();
    s->at = e;
    if (fnode->ord >= tnode->ord) /* else the order holds: the common case */
        order_edge(i);
    return s->edge = i;
}

static void occ_free(struct occ *o);

/* Occurrence k of edge e. */
static inline struct occ *edge_occ(const struct edge *e, int k)
{
    return &OCC(e->n_occ == 1 ? e->occ : LIST(e->occ).occ[k]);
}

/* Edge e's occurrences, in occ[0..n_occ); returns n_occ. */
static int edge_occs(const struct edge *e, struct occ **occ)
{
    for (int k = 0; k < e->n_occ; k++)
        occ[k] = edge_occ(e, k);
    return e->n_occ;
}

/* Puts occurrence o at place k of edge e: in place of the one there
 * (k < n_occ), which it lets go, or in a new place (k == n_occ). 0, or -1
 * if out of memory (o is not taken then). */
static int edge_occ_put(struct edge *e, int k, struct occ *o)
{
    if (e->n_occ == 0 || (e->n_occ == 1 && k == 0)) {
        if (e->n_occ)
            occ_free(&OCC(e->occ));
        e->occ = o->index;
        e->n_occ = 1;
        return 0;
    }
    if (e->n_occ == 1) { /* a second one: the edge takes a list */
        if (free_list < 0 && n_lists == cap_lists &&
            add_segment(&list_segs, &cap_lists, sizeof(struct occ_list)) != 0)
            return -1;
        int l = free_list >= 0 ? free_list : n_lists++;
        if (l == free_list)
            free_list = (int)LIST(l).occ[0];
        LIST(l).occ[0] = e->occ;
        e->occ = (uint32_t)l;
    } else if (k < e->n_occ) {
        occ_free(edge_occ(e, k));
    }
    LIST(e->occ).occ[k] = o->index;
    if (k == e->n_occ)
        e->n_occ++;
    return 0;
}

/* Edge i's place is free (it is in no node's list). */
static void edge_place_free(struct edge *e, int i)
{
    e->next_out = free_edge;
    free_edge = i;
}

/* Edge i (at e) dies with one of its nodes: it leaves the index and lets
 * go of its occurrences; its place stays taken while its other node's
 * list holds it. */
static void edge_kill(struct edge *e, int i)
{
    eix_remove(e, i);
    if (e->n_occ == 1) {
        occ_free(&OCC(e->occ));
    } else if (e->n_occ > 1) {
        struct occ_list *l = &LIST(e->occ);
        for (int k = 0; k < e->n_occ; k++)
            occ_free(&OCC(l->occ[k]));
        l->occ[0] = (uint32_t)free_list;
        free_list = (int)e->occ;
    }
    n_back -= e->back;
    e->n_occ = 0;
    e->back = 0;
    e->dead = 1;
}

/* The list at head (in: linked by next_in, else next_out) leaves out its
 * dead edges, whose places are free. */
static void list_sweep(int *head, int in)
{
    for (int *p = head; *p >= 0;) {
        struct edge *e = &EDGE(*p);
        int *next = in ? &e->next_in : &e->next_out;
        if (e->dead) {
            int i = *p;
            *p = *next;
            edge_place_free(e, i);
        } else {
            p = next;
        }
    }
}

static void node_sweep(struct node *n)
{
    list_sweep(&n->first_out, 0);
    list_sweep(&n->first_in, 1);
    n->dead = 0;
}

/* Node nd (not retired) lost an edge of its lists to its other node's
 * end. Its lists are swept when they hold at least SWEEP_MIN dead edges
 * and as many as live ones: a sweep then reads at most two edges a dead
 * one, and a node's lists hold at most about twice its live edges. */
#define SWEEP_MIN 16
static void edge_left(int nd)
{
    struct node *n = &NODE(nd);
    n->live--;
    if (++n->dead >= SWEEP_MIN && n->dead >= n->live)
        node_sweep(n);
}

/* Node nd leaves the graph with every edge to or from it. Its own two
 * lists go whole: a live edge dies (left in its other node's list), a dead
 * one (whose other node went before) was in this list only and is free.
 * One loop for both lists (in: the list of edges entering nd): its body,
 * once, is inlined. */
static void node_retire(int nd)
{
    struct node *n = &NODE(nd);
    for (int in = 0; in < 2; in++)
        for (int i = in ? n->first_in : n->first_out, next; i >= 0; i = next) {
            struct edge *e = &EDGE(i);
            next = in ? e->next_in : e->next_out; /* edge_left may sweep e */
            if (e->dead) {
                edge_place_free(e, i);
            } else {
                edge_kill(e, i);
                edge_left(in ? e->from_node : e->to_node);
            }
        }
    n->live = n->dead = 0;
    if (n->addr) {
        page_unlink(nd);
    } else {
        lh_remove(&node_index, nd, node_hash, node_link);
    }
    n->key = 0;
    n->first_in = -1;
    n->first_out = free_node;
    free_node = nd;
    graph_changed();
}

/* Every queue of first nestings handled (engine lock held), and the
 * reporting of what that found once it is released; the end of a kept
 * leaf, and the end of an instance for lock order (lockorder's queue, at
 * the end of this file). */
static struct cycle *drain_all_locked(void);
static struct kept_clock *_Atomic clocks_done; /* leaves kept: clocks to give back */
static void kept_clocks_free(void);
static void report_all(struct cycle *c);
static int leaf_end(struct tg_res *r, uint64_t id, uint32_t was, uintptr_t addr, uint32_t add);
static inline int kept_freed(uintptr_t lo, uintptr_t hi, uintptr_t region_end);
static int kept_sweep(uintptr_t lo, uintptr_t hi, int retire, uintptr_t region_end);
static inline void instance_ended(struct tg_res *r, uintptr_t addr, int freed, int kept_gone);
static inline int kept_leaf_ends_as(struct tg_res *r, uintptr_t addr, int freed, uint32_t add);
static void kept_drop(struct tg_res *r);
static void unpin(uintptr_t addr);

/* The lock instance `id` of entry r ends (destroyed, or initialised again): its node and
 * every edge to or from it leave the graph, so that short-lived locks
 * leave nothing behind. Cycles already reported stay reported. */
static __attribute__((noinline)) void forget_locked(struct tg_res *r, uint64_t id, uint32_t was,
                                                    uintptr_t addr);


/* tg__lockorder_forget of an instance that is not a leaf only records
 * name: under the engine lock (out of line, so that the leaf's end, the
 * common case, saves no registers for it). */
static void forget_locked(struct tg_res *r, uint64_t id, uint32_t was, uintptr_t addr)
{
    tg__lock();
    struct cycle *c = drain_all_locked(); /* before any edge of the instance goes */
    int nd = tg__opt.lock_classes ? -1 : instance_node(r, id);
    if (nd >= 0)
        node_retire(nd);
    else
        __atomic_fetch_add(&tg__chain_gen[TG_CHAIN_GEN_OF(addr)], 1, __ATOMIC_RELAXED);
    /* A queued nesting just handled may have flagged the ending instance
     * again: it says it is in the graph only while it is. An entry already
     * filled for the next instance has only its pin to give back. */
    if (r->id == id) {
        instance_ended(r, addr, 0, 0);
    } else {
        kept_drop(r); /* the instance filled in already keeps no nesting yet */
        if (was & TG_RF_LO_PINNED)
            unpin(addr);
    }
    tg__unlock();
    report_all(c);
}

/* Under the engine lock: retires the graph's locks that lie in [lo, hi),
 * found in the buckets of its grains, passing over the 2 MiB regions that
 * hold no lock of the graph (a load each), so the work is bounded by the
 * part of the block near locks, never by the size of the graph. */
static void grains_visit(uintptr_t lo, uintptr_t hi)
{
    const uintptr_t per_region = (uintptr_t)1 << (REGION_SHIFT - GRAIN_SHIFT);
    uintptr_t g = lo >> GRAIN_SHIFT, last = (hi - 1) >> GRAIN_SHIFT;
    while (g <= last) {
        uintptr_t region = g >> (REGION_SHIFT - GRAIN_SHIFT);
        size_t rb = region_bucket(region);
        if (!__atomic_load_n(&region_count[rb], __ATOMIC_RELAXED) &&
            !__atomic_load_n(&region_pinned[rb], __ATOMIC_RELAXED)) {
            g = (region + 1) * per_region;
            continue;
        }
        size_t b = page_bucket(g++);
        if (!bucket_counts(b))
            continue;
        for (int i = page_first[b]; i;) {
            int nd = i - 1;
            i = NODE(nd).next_page;
            uintptr_t addr = NODE(nd).addr;
            if (addr < lo || addr >= hi)
                continue;
            /* The entry forgets that it is in the graph (unless it is
             * already another instance's), so that its destroy, if one
             * comes, does not look for it again; its pin goes. */
            struct tg_res *r = NODE(nd).res;
            if (r && __atomic_load_n(&r->addr, __ATOMIC_RELAXED) == addr && r->id == NODE(nd).key)
                instance_ended(r, addr, 1, 0);
            node_retire(nd);
        }
    }
}

/* The block's own look (kept_freed) also tells whether a lock of the
 * graph, or one a queued entry names, may lie in it: a block near none
 * costs that one pass over its counts. */
static __attribute__((noinline)) void freed_locked(uintptr_t lo, uintptr_t hi)
{
    tg__lock();
    struct cycle *c = drain_all_locked(); /* before any edge of the instances goes */
    grains_visit(lo, hi);
    kept_sweep(lo, hi, 1, 0); /* instances only records named */
    tg__unlock();
    report_all(c);
}

/* free()'s look at a block near a lock of the graph (or one that spans
 * regions), out of line: a block in a region without one costs
 * tg__lockorder_freed no frame. The region below region_end counts. */
static __attribute__((noinline)) void freed_look(uintptr_t lo, uintptr_t hi, uintptr_t region_end)
{
    tg__guard++;
    if (kept_freed(lo, hi, region_end))
        freed_locked(lo, hi);
    tg__guard--;
}

void tg__lockorder_freed(uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return;
    /* Most blocks lie in one 2 MiB region, and most regions of a program
     * hold no lock of the graph: two loads. */
    uintptr_t region = lo >> REGION_SHIFT;
    if (region != (hi - 1) >> REGION_SHIFT) {
        freed_look(lo, hi, 0);
        return;
    }
    size_t rb = region_bucket(region);
    if (!__atomic_load_n(&region_count[rb], __ATOMIC_RELAXED) &&
        !__atomic_load_n(&region_pinned[rb], __ATOMIC_RELAXED))
        return;
    freed_look(lo, hi, (region + 1) << REGION_SHIFT);
}

/* ---- feasibility of a cycle ------------------------------------------------ */

static int conflicts(int want, uint8_t want_mode, uint8_t held_mode)
{
    if (want_mode != TG_MODE_READ || held_mode != TG_MODE_READ)
        return 1;
    const struct tg_res *r = edge_res(want, 1);
    return r && (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & TG_RF_WRITER_PREF);
}

static int happens_before(const struct occ *a, const struct occ *b)
{
    return a->who->clock > 0 && clock_at(b->who->vc, b->who->vc_n, a->who->slot) >= a->who->clock;
}

static uint64_t occ_gate(const struct occ *o, int j)
{
    return o->n_gates == 1 ? o->gates.one : o->gates.many[j];
}

/* o's gates, n_gates of them. */
static const uint64_t *occ_gates(const struct occ *o)
{
    return o->n_gates == 1 ? &o->gates.one : o->gates.many;
}

static int has_gate(const uint64_t *gates, int n, uint64_t gate)
{
    for (int j = 0; j < n; j++)
        if (gates[j] == gate)
            return 1;
    return 0;
}

static int gated(const struct occ *const *chosen, int n)
{
    for (int g = 0; g < chosen[0]->n_gates; g++) {
        uint64_t gate = occ_gate(chosen[0], g);
        int all = 1;
        for (int k = 1; k < n && all; k++) {
            int has = 0;
            for (int j = 0; j < chosen[k]->n_gates; j++)
                has |= occ_gate(chosen[k], j) == gate;
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
        if (chosen[j]->who->actor == o->who->actor)
            return 0;
        if (happens_before(chosen[j], o) || happens_before(o, chosen[j]))
            return 0;
    }
    return 1;
}

/* Whether occurrence o holds gate. */
static int occ_has_gate(const struct occ *o, uint64_t gate)
{
    for (int j = 0; j < o->n_gates; j++)
        if (occ_gate(o, j) == gate)
            return 1;
    return 0;
}

/* Which of first's gates (its first 32, one bit each) o holds too. */
static uint32_t gates_shared(const struct occ *first, uint32_t of, const struct occ *o)
{
    uint32_t kept = 0;
    for (int g = 0; g < first->n_gates && g < 32; g++)
        if ((of >> g & 1) && occ_has_gate(o, occ_gate(first, g)))
            kept |= 1u << g;
    return kept;
}

/* The bound on choose's search, in occurrences tried (each checked against
 * those chosen before it): with at most MAX_OCC occurrences per edge, a
 * cycle of up to 6 edges (4^6 choices, 5,460 tries) is searched whole; a
 * longer one gets its first descent whole (MAX_OCC tries per edge, the
 * pick edge by edge of earlier versions) and then what the rest allows. */
#define CHOOSE_TRIES 8192

/* One edge of the cycle in choose's search: the occurrences of it that
 * may join those chosen for the edges before, best first, and the next
 * to try. */
struct pick {
    uint8_t cand[MAX_OCC];
    uint8_t n_cand, at;
    uint32_t common; /* chosen[0]'s gates that every choice up to this edge holds */
};

/* Can occurrence o of cycle edge k join chosen[0..k-1]? For a potential
 * deadlock: another actor than each of theirs, ordered with none by
 * create, join or a semaphore. For one actor alone (one): the actor of
 * chosen[0]. Either way the lock it holds blocks the previous want, and
 * on the last edge its want is blocked by the first hold. */
static int may_join(const int *path, int n, const struct occ *const *chosen, int k,
                    const struct occ *o, int one)
{
    if (one ? o->who->actor != chosen[0]->who->actor : !compatible(chosen, k, o))
        return 0;
    return conflicts(path[k - 1], chosen[k - 1]->to_mode, o->from_mode) &&
           (k < n - 1 || conflicts(path[k], o->to_mode, chosen[0]->from_mode));
}

/* Fills p with the occurrences of edge k that may join chosen[0..k-1],
 * those that lack every common gate first; tries counts the checks. */
static void candidates(const int *path, int n, const struct occ *const *chosen, int k,
                       struct pick *p, uint32_t common, int one, long *tries)
{
    struct occ *occ[MAX_OCC];
    int n_occ = edge_occs(&EDGE(path[k]), occ);
    uint8_t lacks[MAX_OCC], rest[MAX_OCC];
    int n_lacks = 0, n_rest = 0;
    for (int i = 0; i < n_occ && (*tries)-- > 0; i++) {
        if (!may_join(path, n, chosen, k, occ[i], one))
            continue;
        if (gates_shared(chosen[0], common, occ[i]))
            rest[n_rest++] = (uint8_t)i;
        else
            lacks[n_lacks++] = (uint8_t)i;
    }
    memcpy(p->cand, lacks, (size_t)n_lacks);
    memcpy(p->cand + n_lacks, rest, (size_t)n_rest);
    p->n_cand = (uint8_t)(n_lacks + n_rest);
    p->at = 0;
}

/* Picks one occurrence per edge of the cycle (edge path[i]) such that
 * their actors could all wait at once (see may_join) under no gate they
 * all hold; with one, the same for one actor that showed every edge, in
 * modes that would block a second actor running the same code. A
 * depth-first search over the choices (one actor may have shown an edge
 * in several ways, and the pick for one edge can leave a later edge no
 * actor), the fittest first, bounded by CHOOSE_TRIES; 1 if it found one. */
static int choose(const int *path, int n, const struct occ **chosen, int one)
{
    struct pick *p = tg__alloc((size_t)n * sizeof *p);
    if (!p)
        return 0;
    long tries = CHOOSE_TRIES + (long)MAX_OCC * n;
    const struct edge *e0 = &EDGE(path[0]);
    for (int i = 0; i < e0->n_occ; i++)
        p[0].cand[i] = (uint8_t)i;
    p[0].n_cand = (uint8_t)e0->n_occ;
    p[0].at = 0;
    int k = 0, found = 0;
    while (k >= 0 && tries > 0) {
        struct pick *pk = &p[k];
        if (pk->at == pk->n_cand) {
            k--;
            continue;
        }
        const struct occ *o = edge_occ(&EDGE(path[k]), pk->cand[pk->at++]);
        chosen[k] = o;
        pk->common = k == 0 ? (o->n_gates >= 32 ? UINT32_MAX : (1u << o->n_gates) - 1)
                            : gates_shared(chosen[0], p[k - 1].common, o);
        if (k == n - 1) {
            if (!gated(chosen, n)) {
                found = 1;
                break;
            }
            continue;
        }
        candidates(path, n, chosen, k + 1, &p[k + 1], pk->common, one, &tries);
        k++;
    }
    tg__free(p);
    return found;
}

/* ---- reporting -------------------------------------------------------------- */

static uint64_t cycle_signature(const int *path, int n)
{
    uint64_t sum = 0, x = 0;
    for (int k = 0; k < n; k++) {
        sum += mix(NODE(EDGE(path[k]).from_node).key, 7);
        x ^= mix(NODE(EDGE(path[k]).to_node).key, 11);
    }
    return mix(sum, x);
}

/* A one-actor cycle's signature is told apart from the same cycle's
 * potential deadlock, which may be reported after it. */
#define ONE_THREAD_SIG 0x5bd1e9955bd1e995ull

static int was_reported(uint64_t sig)
{
    for (int i = 0; i < n_reported; i++)
        if (reported[i] == sig)
            return 1;
    return 0;
}

static int already_reported(uint64_t sig)
{
    if (was_reported(sig))
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
 * the engine lock is released. Its locks' entries are copied too: an
 * instance may end before the finding is built (a destroy, free() or init
 * on another thread, without the engine lock for a kept leaf), and the
 * entry describe the next instance or none; described by its number only,
 * the lock lost its address and creation site, and with them the bug it
 * is part of (each instance then made a report of its own). */
struct cycle_step {
    struct tg_res from_res, to_res; /* as they were, zeroed if none */
    uint64_t from_id, to_id;
    uint64_t actor;
    long tid;
    char name[32];
    uintptr_t from_pc, to_pc;
    uint32_t from_stack, to_stack;
    uint8_t from_mode, to_mode;
    uint64_t next_actor;
};
struct cycle {
    int n;
    int one_actor;     /* shown by one actor only: a hazard */
    struct cycle *next; /* the next found by one handling of a queue */
    struct cycle_step step[];
};

static void res_copy(struct tg_res *to, const struct tg_res *r)
{
    if (r)
        memcpy(to, r, sizeof *to);
    else
        memset(to, 0, sizeof *to);
}

static struct cycle *copy_cycle(const int *path, int n, const struct occ **chosen)
{
    struct cycle *c = tg__alloc(sizeof *c + (size_t)n * sizeof c->step[0]);
    if (!c)
        return NULL;
    c->n = n;
    c->next = NULL;
    for (int k = 0; k < n; k++) {
        struct cycle_step *st = &c->step[k];
        res_copy(&st->from_res, edge_res(path[k], 0));
        res_copy(&st->to_res, edge_res(path[k], 1));
        st->from_id = edge_id(path[k], 0);
        st->to_id = edge_id(path[k], 1);
        const struct occ *o = chosen[k];
        st->actor = o->who->actor;
        st->tid = o->who->tid;
        memcpy(st->name, o->who->name, sizeof st->name);
        st->from_pc = o->from_pc;
        st->to_pc = o->to_pc;
        st->from_stack = o->from_stack;
        st->to_stack = o->to_stack;
        st->from_mode = o->from_mode;
        st->to_mode = o->to_mode;
        st->next_actor = chosen[(k + 1) % n]->who->actor;
    }
    return c;
}

static const char *mode_name(const struct tg_res *r, uint8_t mode)
{
    if (!r || tg__res_kind_of(r) != TG_RES_RWLOCK)
        return NULL;
    return mode == TG_MODE_READ ? "read" : "write";
}

/* r: a copy of the lock's entry when the cycle was found (zeroed: a
 * mutex, if it had none). */
static void describe_lock(struct tg_res_info *info, const struct tg_res *r, uint64_t id)
{
    if (r->id == id) {
        tg__res_describe(r, info);
    } else {
        memset(info, 0, sizeof *info);
        info->id = id;
        info->kind = tg__res_kind_name(tg__res_kind_of(r));
    }
}

static struct tg_finding *build(const struct cycle *c)
{
    int n = c->n;
    struct tg_finding *f = c->one_actor
                               ? tg__finding_new_one_thread(n)
                               : tg__finding_new(TG_FINDING_POTENTIAL_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return NULL;
    f->cycle_length = n;
    for (int k = 0; k < n; k++) {
        const struct cycle_step *e = &c->step[k];
        const struct cycle_step *o = e;
        struct tg_actor_info *info = tg__finding_add_actor(f);
        if (!info)
            break;
        info->id = o->actor;
        info->tid = o->tid;
        info->kind = "thread";
        info->name = tg__strdup(o->name[0] ? o->name : NULL);
        info->state = "running";
        info->wait.present = 1;
        describe_lock(&info->wait.res, &e->to_res, e->to_id);
        info->wait.mode = mode_name(&e->to_res, o->to_mode);
        info->wait.holder = c->one_actor ? 0 : e->next_actor;
        tg__stack_to_info(&info->wait.stack, o->to_stack, o->to_pc);
        struct tg_hold *h = tg__actor_info_add_hold(info);
        if (h) {
            describe_lock(&h->res, &e->from_res, e->from_id);
            h->mode = mode_name(&e->from_res, o->from_mode);
            h->count = 1;
            tg__stack_to_info(&h->acquired, o->from_stack, o->from_pc);
        }
    }
    if (c->one_actor)
        return f; /* worded by tg__finding_new_one_thread */
    f->summary = tg__sprintf("%d threads take %d locks in an order that can deadlock (it did "
                             "not happen in this run)", n, n);
    f->advice = tg__strdup("each thread below took the lock it holds, then the next one; run "
                           "in another interleaving they wait for each other forever. Take "
                           "these locks in one agreed order everywhere.");
    return f;
}

/* The search's visited marks, one per node slot, kept between searches
 * and told apart by a stamp: a search costs what it visits, not the size
 * of the graph. */
static uint32_t *seen_mark;
static size_t seen_cap;

static uint32_t *seen_marks(void)
{
    if (seen_cap < (size_t)cap_nodes) { /* nodes grow a segment at a time: the marks double */
        size_t cap = seen_cap * 2 > (size_t)cap_nodes ? seen_cap * 2 : (size_t)cap_nodes;
        tg__free(seen_mark);
        seen_mark = tg__alloc(cap * sizeof *seen_mark); /* zeroed */
        seen_cap = seen_mark ? cap : 0;
        seen_stamp = 0;
    }
    if (++seen_stamp == 0) {
        memset(seen_mark, 0, seen_cap * sizeof *seen_mark);
        seen_stamp = 1;
    }
    return seen_mark;
}

/* Depth-first search for paths from `start` back to `goal`, checking each
 * cycle found; stops at the first reportable one. Bounded in steps. */
static struct cycle *search(int first_edge)
{
    int goal = EDGE(first_edge).from_node;
    int cap = 64, depth = 0;
    int *stack = tg__alloc((size_t)cap * sizeof *stack); /* edge on the path at each depth */
    int *cursor = tg__alloc((size_t)cap * sizeof *cursor);
    uint32_t *seen = seen_marks(); /* seen[node] == seen_stamp: visited */
    struct cycle *found = NULL, *one = NULL; /* one: a cycle of one actor, if no other */
    uint64_t one_sig = 0;
    long steps = 0;
    int any_path = 0;
    if (!stack || !cursor || !seen)
        goto out;
    stack[0] = first_edge;
    int nd = EDGE(first_edge).to_node;
    cursor[0] = NODE(nd).first_out;
    seen[nd] = seen_stamp;
    while (depth >= 0 && steps++ < 1000000) {
        int e = cursor[depth];
        if (e < 0) {
            depth--;
            continue;
        }
        cursor[depth] = EDGE(e).next_out;
        if (EDGE(e).dead)
            continue;
        if (EDGE(e).to_node == goal) {
            any_path = 1;
            stack[depth + 1] = e;
            int n = depth + 2;
            const struct occ **chosen = tg__alloc((size_t)n * sizeof *chosen);
            uint64_t sig = cycle_signature(stack, n);
            if (chosen && choose(stack, n, chosen, 0)) {
                if (!already_reported(sig))
                    found = copy_cycle(stack, n, chosen);
            } else if (chosen && !one && tg__hazard_on(TG_HAZARD_INVERSION_ONE_THREAD) &&
                       !was_reported(sig ^ ONE_THREAD_SIG) && !was_reported(sig) &&
                       choose(stack, n, chosen, 1) && (one = copy_cycle(stack, n, chosen))) {
                one->one_actor = 1;
                one_sig = sig ^ ONE_THREAD_SIG;
            }
            tg__free(chosen);
            if (found)
                break;
            continue;
        }
        int to = EDGE(e).to_node;
        if (seen[to] == seen_stamp)
            continue;
        seen[to] = seen_stamp;
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
        cursor[depth] = NODE(to).first_out;
    }
    if (!any_path && depth < 0)
        EDGE(first_edge).acyclic_at = graph_version + 1;
out:
    tg__free(stack);
    tg__free(cursor);
    if (!found && one && !already_reported(one_sig))
        return one;
    tg__free(one);
    return found;
}

/* ---- the slow path ---------------------------------------------------------- */

/* A hold's node: its instance is the one it was taken on when that is
 * known (a queued nesting names the instance of the moment: lockorder's
 * queue, below), else the entry's current one. */
static uint64_t node_key(struct tg_res *r, const struct tg_held *h)
{
    if (!r)
        return h->addr;
    if (!tg__opt.lock_classes || !r->created_pc)
        return h->res_id ? h->res_id : r->id;
    return (r->class_key ? r->class_key : r->created_pc) | 1ull << 63;
}

/* The resource entry of one of the calling actor's own holds, looked up
 * once and kept in the hold (only its actor writes its held list). A
 * pthread lock's entry is found by the table's look-up itself (the first
 * nesting into a fresh lock looks up its top: lock churn, short-lived
 * objects); tg__held_res makes a missing one, or a described lock's. */
static struct tg_res *own_res(struct tg_held *h)
{
    if (!h->res) {
        struct tg_res *r = h->as ? NULL : tg__res_find(h->addr);
        h->res = r ? r : tg__held_res(h);
    }
    return h->res;
}

/* What one slow path knows of its actor: its clock, the n locks it held
 * at the nesting (held[n - 1] the one just taken: the actor's own held
 * list, or a copy kept in its queue) and those that can act as gates (the
 * outermost ones). */
struct taker {
    struct tg_actor *a;
    struct tg_vc *vc;
    struct tg_held *held;
    int n;
    struct tg_held *top;
    struct tg_res *top_res;
    uint32_t to_stack;
    uint32_t no_edge;    /* holds (bit i: held[i]) that make no edge, but gate */
    uint32_t own_clock;  /* a renewal's own clock (0: its clock now) */
    int n_gates;
    uintptr_t gate_addr[MAX_GATES + 1];
    uint64_t gate_key[MAX_GATES + 1];
};

/* vc: a's clock (hb_self), or the one an ended actor had (leaves kept).
 * Inline in its two callers: each nesting handled fills one. */
static inline __attribute__((always_inline)) void taker_init(struct taker *t, struct tg_actor *a,
                                                             struct tg_vc *vc, struct tg_held *held,
                                                             int n, uint32_t to_stack)
{
    t->a = a;
    t->vc = vc;
    t->held = held;
    t->n = n;
    t->top = &held[n - 1];
    t->top_res = own_res(t->top);
    t->to_stack = to_stack;
    t->no_edge = 0;
    t->own_clock = 0;
    t->n_gates = 0;
    /* A gate is a hold other than the edge's two locks: a nesting of two
     * (the usual first nesting) has none, and looks none up. */
    for (int k = 0; n > 2 && k < n - 1 && t->n_gates < MAX_GATES + 1; k++) {
        struct tg_held *g = &held[k];
        if (g->released_by_other || g->addr == t->top->addr)
            continue;
        t->gate_addr[t->n_gates] = g->addr;
        t->gate_key[t->n_gates++] = node_key(own_res(g), g);
    }
}

/* 1 if occurrence o came before what the taker does now. */
static int before_now(const struct occ *o, const struct taker *t)
{
    const struct who *w = o->who;
    return t->vc && w->clock > 0 && vc_at(t->vc, w->slot) >= w->clock;
}

/* An occurrence-to-be: the taker's nesting of hold h under its newest. */
struct want {
    const struct taker *t;
    uint8_t from_mode, to_mode;
    int n_gates;
    uint64_t gates[MAX_GATES];
};

/* Inline: each new occurrence fills one (occ_new). */
static inline __attribute__((always_inline)) void want_init(struct want *w, const struct taker *t,
                                                            const struct tg_held *h)
{
    w->t = t;
    w->from_mode = h->mode;
    w->to_mode = t->top->mode;
    w->n_gates = 0;
    for (int k = 0; k < t->n_gates && w->n_gates < MAX_GATES; k++)
        if (t->gate_addr[k] != h->addr)
            w->gates[w->n_gates++] = t->gate_key[k];
}

/* A mode that blocks every other (a read blocks only writers). */
static int strong(uint8_t mode)
{
    return mode != TG_MODE_READ;
}

/* 1 if o's gates are w's, in the same order. Both list them in the order
 * of the holds (want_init), so a nesting repeated (a renewal: every edge
 * of a deep chain, each under all the chain's other holds) meets its
 * earlier occurrence's gates so, and the checks below cost O(gates)
 * instead of O(gates^2). */
static int gates_equal(const struct occ *o, const struct want *w)
{
    return o->n_gates == w->n_gates &&
           (!w->n_gates || !memcmp(occ_gates(o), w->gates, (size_t)w->n_gates * sizeof w->gates[0]));
}

/* 1 if every gate of o is one of w's (and below, the other way round). */
static int gates_of_occ_in_want(const struct occ *o, const struct want *w)
{
    if (gates_equal(o, w))
        return 1;
    for (int j = 0; j < o->n_gates; j++)
        if (!has_gate(w->gates, w->n_gates, occ_gate(o, j)))
            return 0;
    return 1;
}

static int gates_of_want_in_occ(const struct want *w, const struct occ *o)
{
    if (gates_equal(o, w))
        return 1;
    for (int j = 0; j < w->n_gates; j++) {
        int has = 0;
        for (int k = 0; k < o->n_gates && !has; k++)
            has = occ_gate(o, k) == w->gates[j];
        if (!has)
            return 0;
    }
    return 1;
}

/* The actor's clock now (with its own entry at `own`, a renewal's, if
 * not 0) against the one occurrence o of the same actor recorded: 0 if
 * they are the same, 1 if only the actor's own entry has grown since (it
 * created a thread or posted: o is ordered before what w's is ordered
 * before, no less, and after the same), 2 if only o's own entry is larger
 * (a renewal older than o: o runs at once with whatever it does), -1
 * otherwise (it learned of others by a join or a wait since: either may be
 * the one that runs at once with a given other occurrence). */
static int clock_since(const struct who *o, const struct tg_vc *now, uint32_t own)
{
    if (!now)
        return o->clock == 0 ? 0 : -1;
    if (o->slot != now->slot)
        return -1;
    int since = 0, i = 0;
    struct vc_walk walk;
    struct hb_entry e;
    for (walk_init(&walk, now); walk_next(&walk, &e); i++) {
        uint32_t c = own && e.slot == now->slot ? own : e.clock;
        if (i == o->vc_n || o->vc[i].slot != e.slot)
            return -1;
        if (o->vc[i].clock == c)
            continue;
        if (o->vc[i].slot != now->slot)
            return -1;
        since = o->vc[i].clock < c ? 1 : 2;
    }
    return i == o->vc_n ? since : -1;
}

/* Whether an occurrence can complete every cycle another one can: o, of
 * the taker's actor, covers w if o's modes are as strong, its gates a part
 * of w's and its clock the same but for a later own entry of o's (a
 * renewal's); w covers o if w's modes are as strong, its gates a part of
 * o's and its clock the same but for a later own entry of w's
 * (clock_since). Other occurrences of one actor are kept side by side. */
static int occ_covers_want(const struct occ *o, const struct want *w)
{
    return strong(o->from_mode) >= strong(w->from_mode) && strong(o->to_mode) >= strong(w->to_mode) &&
           gates_of_occ_in_want(o, w) && clock_since(o->who, w->t->vc, w->t->own_clock) % 2 == 0;
}

static int want_covers_occ(const struct want *w, const struct occ *o, int same_clock)
{
    return strong(w->from_mode) >= strong(o->from_mode) && strong(w->to_mode) >= strong(o->to_mode) &&
           gates_of_want_in_occ(w, o) &&
           (!same_clock || (unsigned)clock_since(o->who, w->t->vc, w->t->own_clock) <= 1);
}

/* Where the taker's occurrence w of edge e goes: -1 if one of its actor's
 * already there covers it (see above); else in place of one of its actor's
 * that it covers; else in a free place. When all MAX_OCC are taken, in
 * place of, in this order: another actor's that came before it (that one
 * can join no cycle the new one could not: whatever runs at once with the
 * new one ran after the old one, or at once with both); if its actor has
 * none here, one of an actor that has several (every actor shown keeps
 * one); one under more gates than w, in modes no stronger (a gate excludes
 * cycles, so that one can complete fewer); and otherwise w is dropped.
 * Memory stays at MAX_OCC per edge, and a cycle is missed only when an
 * edge is shown by more than MAX_OCC actors or ways that no rule orders. */
static int occ_place(const struct edge *e, const struct want *w)
{
    const struct taker *t = w->t;
    struct occ *occ[MAX_OCC];
    int n_occ = edge_occs(e, occ), mine = 0;
    for (int k = 0; k < n_occ; k++)
        if (occ[k]->who->actor == t->a->id) {
            if (occ_covers_want(occ[k], w))
                return -1;
            mine++;
        }
    for (int k = 0; k < n_occ; k++)
        if (occ[k]->who->actor == t->a->id && want_covers_occ(w, occ[k], 1))
            return k;
    if (n_occ < MAX_OCC)
        return n_occ;
    for (int k = 0; k < n_occ; k++)
        if (occ[k]->who->actor != t->a->id && before_now(occ[k], t))
            return k;
    int best = -1;
    for (int k = 0; k < n_occ; k++) {
        const struct occ *o = occ[k];
        int several = 0;
        for (int j = 0; j < n_occ; j++)
            several += j != k && occ[j]->who->actor == o->who->actor;
        if (!mine && several && (best < 0 || o->n_gates > occ[best]->n_gates))
            best = k;
    }
    if (best >= 0)
        return best;
    for (int k = 0; k < n_occ; k++) {
        const struct occ *o = occ[k];
        if (o->n_gates > w->n_gates && want_covers_occ(w, o, 0) &&
            (best < 0 || o->n_gates > occ[best]->n_gates))
            best = k;
    }
    return best;
}

static void who_release(struct who *w)
{
    if (w && --w->refs == 0)
        tg__free(w);
}

/* Occurrences are kept once each (a set, under the engine lock): a thread
 * that takes a table lock and then one of a million objects' locks at one
 * place shows a million edges but one occurrence, which each edge names.
 * They live in segments of their own (OCC), without the allocator's
 * header, and go back to a free list when no edge holds them. */
static struct occ *occ_free_list; /* linked through next_same */
static struct occ **occ_set;      /* buckets, occ_set_cap of them (a power of two) */
static size_t occ_set_cap, occ_set_n;
/* The occurrence interned last, NULL once it went: the next one is usually
 * the same (one place nests into many locks), and is then found by a
 * compare, without hashing it or walking its bucket. */
static struct occ *occ_last;

static uint64_t occ_gate(const struct occ *o, int j);

static uint32_t occ_hash(const struct occ *o)
{
    uint64_t h = mix((uint64_t)(uintptr_t)o->who, o->from_pc);
    h = mix(h ^ o->to_pc, ((uint64_t)o->from_stack << 32) | o->to_stack);
    h = mix(h, ((uint64_t)o->from_mode << 16) | ((uint64_t)o->to_mode << 8) | o->n_gates);
    for (int j = 0; j < o->n_gates; j++)
        h = mix(h, occ_gate(o, j));
    return (uint32_t)h;
}

/* 1 if a and b are alike in everything their hash covers. */
static int occ_alike(const struct occ *a, const struct occ *b)
{
    if (a->who != b->who || a->from_pc != b->from_pc ||
        a->to_pc != b->to_pc || a->from_stack != b->from_stack || a->to_stack != b->to_stack ||
        a->from_mode != b->from_mode || a->to_mode != b->to_mode || a->n_gates != b->n_gates)
        return 0;
    for (int j = 0; j < a->n_gates; j++)
        if (occ_gate(a, j) != occ_gate(b, j))
            return 0;
    return 1;
}

static int occ_same(const struct occ *a, const struct occ *b)
{
    return a->hash == b->hash && occ_alike(a, b);
}

/* The set doubles its buckets when it holds as many occurrences. */
static void occ_set_room(void)
{
    if (occ_set_n < occ_set_cap)
        return;
    size_t cap = occ_set_cap ? occ_set_cap * 2 : 256;
    struct occ **nb = tg__alloc(cap * sizeof *nb);
    if (!nb)
        return; /* longer chains, no harm */
    for (size_t i = 0; i < occ_set_cap; i++)
        for (struct occ *o = occ_set[i], *next; o; o = next) {
            next = o->next_same;
            o->next_same = nb[o->hash & (cap - 1)];
            nb[o->hash & (cap - 1)] = o;
        }
    tg__free(occ_set);
    occ_set = nb;
    occ_set_cap = cap;
}

/* The occurrence like `want` (its gates in want->gates, never `many` of
 * its own), shared; NULL if out of memory. Takes want's reference to its
 * who either way. */
static struct occ *occ_intern(struct occ *want)
{
    if (occ_last && occ_alike(occ_last, want)) {
        who_release(want->who);
        occ_last->refs++;
        return occ_last;
    }
    want->hash = occ_hash(want);
    if (occ_set_cap)
        for (struct occ *o = occ_set[want->hash & (occ_set_cap - 1)]; o; o = o->next_same)
            if (occ_same(o, want)) {
                who_release(want->who);
                o->refs++;
                return occ_last = o;
            }
    occ_set_room();
    if (!occ_set_cap) {
        who_release(want->who);
        return NULL;
    }
    struct occ *o = occ_free_list;
    if (o) {
        occ_free_list = o->next_same;
    } else {
        if (n_occs == cap_occs && add_segment(&occ_segs, &cap_occs, sizeof *o) != 0) {
            who_release(want->who);
            return NULL;
        }
        o = &OCC(n_occs);
        o->index = (uint32_t)n_occs++;
    }
    uint32_t index = o->index;
    *o = *want;
    o->index = index;
    if (want->n_gates > 1) {
        o->gates.many = tg__alloc((size_t)want->n_gates * sizeof *o->gates.many);
        if (o->gates.many)
            memcpy(o->gates.many, want->gates.many, (size_t)want->n_gates * sizeof *o->gates.many);
        else
            o->n_gates = 0; /* out of memory: no gates (one report too many at worst) */
        if (!o->n_gates)
            o->hash = occ_hash(o);
    }
    o->refs = 1;
    o->next_same = occ_set[o->hash & (occ_set_cap - 1)];
    occ_set[o->hash & (occ_set_cap - 1)] = o;
    occ_set_n++;
    return occ_last = o;
}

/* An edge lets go of o. */
static void occ_free(struct occ *o)
{
    if (!o || --o->refs > 0)
        return;
    struct occ **p = &occ_set[o->hash & (occ_set_cap - 1)];
    while (*p != o)
        p = &(*p)->next_same;
    *p = o->next_same;
    occ_set_n--;
    if (o->n_gates > 1)
        tg__free(o->gates.many);
    who_release(o->who);
    if (o == occ_last)
        occ_last = NULL;
    o->next_same = occ_free_list;
    occ_free_list = o;
}

/* The taker as it is now, shared with its earlier occurrences while its
 * clock, name and thread id have not changed; NULL if out of memory. */
/* The snapshot of the taker's clock that is still its clock now, with its
 * name and thread id, NULL if none: who_now shares it (no reference taken
 * here). A renewal has a who of its own, with the own entry set back to
 * the renewal's (the actor may be moving it on meanwhile: see renewals),
 * shared by the renewals recorded with that clock (every edge of a deep
 * chain renewed, and every chain renewed after one post). */
static inline __attribute__((always_inline)) struct who *who_current(const struct taker *t)
{
    const struct tg_actor *a = t->a;
    const struct tg_vc *vc = t->vc;
    int renewed = vc && t->own_clock;
    struct who *w = !vc ? NULL : renewed ? vc->renew_snap : vc->snap;
    if (w && w->version == vc->version && (!renewed || w->clock == t->own_clock) &&
        w->actor == a->id && w->tid == a->tid &&
        w->name_gen == __atomic_load_n(&a->name_gen, __ATOMIC_RELAXED))
        return w;
    return NULL;
}

static struct who *who_now(const struct taker *t)
{
    const struct tg_actor *a = t->a;
    struct tg_vc *vc = t->vc;
    int renewed = vc && t->own_clock;
    struct who *w = who_current(t);
    if (w) {
        w->refs++;
        return w;
    }
    int n = vc ? vc->n + 2 : 0; /* its entries, and those held apart */
    w = tg__alloc(sizeof *w + (size_t)n * sizeof w->vc[0]);
    if (!w)
        return NULL;
    w->refs = 1;
    w->actor = a->id;
    w->tid = a->tid;
    w->name_gen = __atomic_load_n(&a->name_gen, __ATOMIC_ACQUIRE);
    memcpy(w->name, a->name, sizeof w->name);
    w->name[sizeof w->name - 1] = 0;
    if (vc) {
        w->version = vc->version;
        w->slot = vc->slot;
        w->clock = vc_at(vc, vc->slot);
        n = w->vc_n = vc_flat(vc, w->vc);
        struct who **snap = &vc->snap;
        if (renewed) {
            w->clock = t->own_clock;
            w->vc[vc_find(w->vc, n, vc->slot)].clock = t->own_clock;
            if (t->own_clock > vc->renewed)
                vc->renewed = t->own_clock;
            snap = &vc->renew_snap;
        }
        who_release(*snap);
        *snap = w;
        w->refs++; /* the clock's own reference */
    }
    return w;
}

static uint32_t recorded_clock(const struct tg_vc *vc)
{
    const struct who *w = vc->snap;
    uint32_t c = w && w->actor == vc->owner && w->slot == vc->slot ? w->clock : 0;
    return c > vc->renewed ? c : vc->renewed;
}

static struct occ *occ_new(const struct taker *t, const struct tg_held *h)
{
    struct occ want;
    struct want w;
    want_init(&w, t, h);
    /* The usual case, one place nesting into many locks: the occurrence
     * made last, by the same who in the same way under no gate, is
     * shared after a few compares (as occ_intern would find it). */
    struct occ *last = occ_last;
    if (last && !w.n_gates && !last->n_gates && last->from_pc == h->pc &&
        last->to_pc == t->top->pc && last->from_stack == h->stack &&
        last->to_stack == t->to_stack && last->from_mode == w.from_mode &&
        last->to_mode == w.to_mode && last->who == who_current(t)) {
        last->refs++;
        return last;
    }
    memset(&want, 0, sizeof want);
    if (!(want.who = who_now(t)))
        return NULL;
    want.from_pc = h->pc;
    want.from_stack = h->stack;
    want.to_pc = t->top->pc;
    want.to_stack = t->to_stack;
    want.from_mode = w.from_mode;
    want.to_mode = w.to_mode;
    want.n_gates = (uint8_t)w.n_gates;
    if (w.n_gates == 1)
        want.gates.one = w.gates[0];
    else if (w.n_gates > 1)
        want.gates.many = w.gates;
    return occ_intern(&want);
}

/* Plans the edge h -> top of the taker's hold h into *s; returns s->edge. */
static inline __attribute__((always_inline)) int edge_plan(const struct taker *t, struct tg_held *h,
                                                          struct step *s)
{
    struct tg_res *hr = own_res(h), *tr = t->top_res;
    int classes = tg__opt.lock_classes;
    uint64_t from = node_key(hr, h), to = node_key(tr, t->top);
    if (from == to)
        return s->edge = -1; /* a class taken twice, or a recursive relock */
    int fn = node_of(from, classes ? NULL : hr, &s->node_at[0]);
    int tn = fn < 0 ? -1 : node_of(to, classes ? NULL : tr, &s->node_at[1]);
    s->hint.slot = SIZE_MAX;
    int i = tn < 0 ? -1 : edge_find(fn, tn, &s->hint);
    if (i < 0 && t->own_clock)
        return s->edge = -1; /* a renewal of an edge that left the graph with a lock */
    if (i < 0) {
        s->place = 0;
        s->nodes[0] = fn;
        s->nodes[1] = tn;
        s->keys[0] = from;
        s->keys[1] = to;
        return s->edge = NEW_EDGE;
    }
    struct want w;
    want_init(&w, t, h);
    s->at = &EDGE(i);
    s->place = occ_place(s->at, &w);
    return s->edge = s->place < 0 ? -1 : i;
}

/* Creates the edge h -> top that s planned (edge_new); -1 (and lock
 * order stops) if out of memory. */
static int edge_make(const struct taker *t, struct tg_held *h, struct step *s)
{
    struct tg_res *hr = h->res, *tr = t->top_res; /* (looked up by the plan) */
    int classes = tg__opt.lock_classes;
    int i = edge_new(s, hr && !classes ? hr : NULL, tr && !classes ? tr : NULL);
    if (i < 0) {
        tg__warn_once(&full_warned, "out of memory for the lock-order graph; lock-order "
                      "prediction stops here.");
        tg__lockorder_on = 0;
        return -1;
    }
    if (classes) {
        INST(i) = (struct edge_inst){{hr, tr}, {hr ? hr->id : 0, tr ? tr->id : 0}};
        return i;
    }
    /* Instances in the graph leave it when they end (res.c). The flag is
     * looked at first: an atomic write to an entry the other threads read
     * at each of their locks of it would move its cache line at each new
     * edge. */
    if (hr && !(__atomic_load_n(&hr->flags, __ATOMIC_RELAXED) & TG_RF_IN_GRAPH))
        __atomic_fetch_or(&hr->flags, TG_RF_IN_GRAPH, __ATOMIC_RELAXED);
    if (tr && !(__atomic_load_n(&tr->flags, __ATOMIC_RELAXED) & TG_RF_IN_GRAPH))
        __atomic_fetch_or(&tr->flags, TG_RF_IN_GRAPH, __ATOMIC_RELAXED);
    return i;
}

/* The taker's holds that make an edge to its newest: the newest
 * HOLD_WINDOW + 1 below it at most, from the one first_hold names, and of
 * those each that is not released by another, another hold of the newest
 * lock, or marked in no_edge. */
static int first_hold(const struct taker *t)
{
    return t->n - 1 > HOLD_WINDOW ? t->n - 1 - HOLD_WINDOW : 0;
}

static int makes_edge(const struct taker *t, int i)
{
    const struct tg_held *h = &t->held[i];
    return !h->released_by_other && h->addr != t->top->addr && !(i < 32 && (t->no_edge >> i & 1));
}

/* 1 if some hold has an occurrence to add (the slow path asks before it
 * captures the stack of the nesting). */
static int plan_any(const struct taker *t)
{
    struct step s;
    for (int i = first_hold(t); i < t->n - 1; i++)
        if (makes_edge(t, i) && edge_plan(t, &t->held[i], &s) != -1)
            return 1;
    return 0;
}

/* Adds the taker's new occurrences and searches for a cycle through each.
 * Each hold's is planned just before it is added, with the engine lock
 * held throughout: an earlier hold's may have made its edge (two holds of
 * one class with lock_classes, or of one recursive lock), its nodes or
 * the occurrence it would add, which it then finds instead of making
 * them again. */
static void apply(const struct taker *t, struct cycle **found)
{
    for (int i = first_hold(t); i < t->n - 1 && !*found; i++) {
        struct tg_held *h = &t->held[i];
        struct step s;
        if (!makes_edge(t, i) || edge_plan(t, h, &s) == -1)
            continue;
        if (s.edge == NEW_EDGE && edge_make(t, h, &s) < 0)
            return;
        struct occ *o = occ_new(t, h);
        if (!o)
            continue;
        struct edge *ed = s.at;
        if (edge_occ_put(ed, s.place, o) != 0) {
            occ_free(o);
            continue;
        }
        /* Only an edge that closed a cycle, or any while one exists, can
         * be on a cycle; one that a search found on none stays so until
         * the graph grows. */
        if ((n_back > 0 || ed->back) && ed->acyclic_at != graph_version + 1)
            *found = search(s.edge);
    }
}

void tg__lockorder_deep(struct tg_actor *a, int n)
{
    if (a->kind == TG_ACTOR_TASK && tg__held_sync_hook) {
        tg__held_sync_hook(a);
        n = a->n_held;
    }
    const struct tg_held *top = &a->held[n - 1];
    if (!tg__chain_cached(a, tg__chain_key(a->held, n, top->addr, top->mode)))
        tg__lockorder_slow(a);
}

uint64_t tg__chain_fill(struct tg_held *h, int n)
{
    int i = n - 1;
    while (i > 0 && h[i - 1].chain == 0)
        i--;
    uint64_t c = i ? h[i - 1].chain : TG_CHAIN_SEED;
    for (; i < n; i++) {
        if (!i || h[i - 1].addr != h[i].addr)
            c = tg__chain_step(c, &h[i]);
        h[i].chain = c;
    }
    return c;
}

#define CHAIN_MIN_BITS 8
#define CHAIN_MAX_BITS 22
/* Slots of the previous array moved over per slow path: CHAIN_MOVE, or
 * for a large array enough that it moves over within CHAIN_MOVE_RUNS slow
 * paths. The move writes the new array in order and gives the old one's
 * pages back as it goes, but every chain cached meanwhile lands on a
 * random page of the new array: a move over 2^bits / 64 slow paths made
 * the whole new array resident while the old one still was (three times
 * the old array's size at the peak, where a move over 1,024 slow paths
 * leaves most of the new array untouched until the move reaches it). The
 * work is the same, each slot moved once, in fewer and larger steps (2,048
 * slots at most, a few microseconds), and fewer chains miss the fast path
 * for being in the old array still. */
#define CHAIN_MOVE 64
#define CHAIN_MOVE_RUNS 1024

/* The most keys an array of 1 << bits holds: three quarters of its
 * slots. A probe with linear probing then reads some 2.5 slots for a key
 * it finds and 8.5 for one it does not (at the fullest; half that just
 * after growing), a line or two of 8 slots, and a thread's chains take
 * 11 to 21 bytes each, not 16 to 32 as at one half. */
static inline uint32_t chain_room(uint32_t bits)
{
    return (1u << bits) / 4 * 3;
}

/* An actor's chain cache (tg_actor.chain_cache) is an array of
 * 1 << chain_bits keys preceded by this header. When the array grows, the
 * smaller one it replaces is kept here and its keys move over a few slots
 * at each slow path, so growing never pauses for the chains cached; a
 * chain not moved yet misses the fast path and is found here before any
 * lock is taken. */
struct chain_head {
    uint64_t *old;      /* the previous array, NULL once every key moved */
    uint32_t old_bits;
    uint32_t moved;     /* its slots looked at so far */
    uint32_t bits;      /* its own size: 1 << bits keys */
    uint32_t mapped;    /* mapped here (chain_alloc), not from tg__alloc */
};
#define CHAIN_HEAD_WORDS (sizeof(struct chain_head) / sizeof(uint64_t))

/* Arrays of CHAIN_MAP_MIN bytes up to CHAIN_MAP_MAX are mapped here and
 * unmapped when they go. tg__alloc keeps a freed block of its size classes
 * for its own reuse, never for the system, so every smaller array a cache
 * grew out of stayed resident: as much again as the largest. Larger
 * arrays tg__alloc maps one by one itself (on huge pages where allowed),
 * and unmaps. */
#define CHAIN_MAP_MIN ((size_t)64 << 10)
#define CHAIN_MAP_MAX ((size_t)1 << 20)

static struct chain_head *chain_head(uint64_t *cache)
{
    return (struct chain_head *)(cache - CHAIN_HEAD_WORDS);
}

static size_t chain_bytes(uint32_t bits)
{
    return (CHAIN_HEAD_WORDS + ((size_t)1 << bits)) * sizeof(uint64_t);
}

static uint64_t *chain_alloc(uint32_t bits)
{
    size_t bytes = chain_bytes(bits);
    int mapped = bytes >= CHAIN_MAP_MIN && bytes <= CHAIN_MAP_MAX;
    uint64_t *p;
    if (mapped) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p = p == MAP_FAILED ? NULL : p;
    } else {
        p = tg__alloc(bytes); /* zeroed */
    }
    if (!p)
        return NULL;
    struct chain_head *h = (struct chain_head *)p;
    h->bits = bits;
    h->mapped = (uint32_t)mapped;
    return p + CHAIN_HEAD_WORDS;
}

static void chain_free(uint64_t *cache)
{
    if (!cache)
        return;
    struct chain_head *h = chain_head(cache);
    if (h->old)
        chain_free(h->old);
    if (h->mapped)
        munmap(h, chain_bytes(h->bits));
    else
        tg__free(h);
}

static size_t chain_slot(uint64_t key, uint32_t bits)
{
    return tg__chain_slot(key, bits);
}

/* Adds stored value v (key ^ salt) to the array of 1 << bits keys if
 * absent; returns 1 if it was. */
static inline int chain_add(uint64_t *cache, uint32_t bits, uint64_t key, uint64_t v)
{
    size_t mask = ((size_t)1 << bits) - 1;
    size_t j = chain_slot(key, bits);
    while (cache[j] && cache[j] != v)
        j = (j + 1) & mask;
    if (cache[j])
        return 0;
    cache[j] = v;
    return 1;
}

/* 1 if key is in a's previous array, not moved yet. The probe reads no
 * slot that moved (chain_give_back may have given its page back, and a
 * read would make it resident again): a key stored at or past the moved
 * ones is found from there, since its probe path up to it is full; one
 * stored before them has moved, or was dropped. */
static int chain_in_old(struct tg_actor *a, uint64_t key)
{
    if (!a->chain_cache || a->chain_stale)
        return 0;
    struct chain_head *h = chain_head(a->chain_cache);
    if (!h->old)
        return 0;
    uint64_t v = key ^ a->chain_salt;
    size_t size = (size_t)1 << h->old_bits, j = chain_slot(key, h->old_bits);
    if (j < h->moved)
        j = h->moved;
    for (; h->old[j]; j++) {
        if (h->old[j] == v)
            return 1;
        if (j + 1 == size) { /* the path wraps to the first slots */
            if (h->moved)
                return 0;
            j = (size_t)-1;
        }
    }
    return 0;
}

/* The slots of a previous array that moved over go back to the system
 * CHAIN_GIVE bytes at a time (a call per 64 KiB moved), so that the
 * array does not stay resident whole until its last slot moved: a thread
 * whose chains stop growing soon after its cache grew kept half as much
 * again for good. Only arrays mapped by themselves (CHAIN_MAP_MIN and up:
 * mapped here or by tg__alloc) give pages back, never the page that holds
 * their header. A probe of the previous array (chain_in_old) that runs
 * into slots given back reads them empty: a miss, which the slow path
 * answers. */
#define CHAIN_GIVE ((uintptr_t)64 << 10)
static void chain_give_back(const uint64_t *old, uint32_t old_bits, size_t from, size_t to)
{
    if (chain_bytes(old_bits) < CHAIN_MAP_MIN)
        return;
    uintptr_t keep = ((uintptr_t)(old - CHAIN_HEAD_WORDS) & ~(uintptr_t)4095) + 4096;
    uintptr_t lo = (uintptr_t)(old + from) & ~(CHAIN_GIVE - 1);
    uintptr_t hi = (uintptr_t)(old + to) & ~(CHAIN_GIVE - 1);
    if (lo < keep)
        lo = keep;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Moves up to `slots` slots of the previous array into the current one
 * (all of them for SIZE_MAX), and lets it go once it is empty. */
static void chain_move(struct tg_actor *a, size_t slots)
{
    struct chain_head *h = chain_head(a->chain_cache);
    size_t size = (size_t)1 << h->old_bits, end = size - h->moved < slots ? size : h->moved + slots;
    uint64_t *cache = a->chain_cache, salt = a->chain_salt;
    uint32_t bits = a->chain_bits, room = chain_room(bits) - a->chain_used, added = 0;
    for (const uint64_t *o = h->old + h->moved, *stop = h->old + end; o < stop && added < room; o++)
        if (*o)
            added += (uint32_t)chain_add(cache, bits, *o ^ salt, *o);
    a->chain_used += added;
    if (end == size) {
        chain_free(h->old);
        h->old = NULL;
    } else {
        chain_give_back(h->old, h->old_bits, h->moved, end);
    }
    h->moved = (uint32_t)end; /* keys beyond the room are dropped: a cache */
}

/* Instances that left the graph so far as a's chain cache counts them:
 * the graph's, and the kept leaves that ended (lockorder's queue). */
static uint64_t retired_now(const struct tg_actor *a);

/* Empties a's chain cache (its previous array goes too). */
static void chain_clear(struct tg_actor *a)
{
    struct chain_head *h = chain_head(a->chain_cache);
    chain_free(h->old);
    h->old = NULL;
    memset(a->chain_cache, 0, sizeof *a->chain_cache << a->chain_bits);
    a->chain_used = 0;
    a->chain_old_gens = 0;
    a->chain_retired_at = retired_now(a);
}

/* Sets a's chain_shift (engine.h) from its cache as it is now. */
static void chain_shift_set(struct tg_actor *a)
{
    a->chain_shift = a->kind == TG_ACTOR_THREAD && a->chain_cache ? (uint8_t)(64 - a->chain_bits)
                                                                   : 0;
}

/* The common case of chain_cache_put: v (a key salted) goes to the empty
 * slot the caller's probe found, in a table with room and no previous
 * array, not stale. 1 if it went there. */
static inline __attribute__((always_inline)) int chain_put_found(struct tg_actor *a, uint64_t v,
                                                                 long empty)
{
    if (empty < 0 || !v || a->chain_stale || chain_head(a->chain_cache)->old ||
        a->chain_used >= chain_room(a->chain_bits))
        return 0;
    a->chain_cache[empty] = v;
    a->chain_used++;
    a->chain_fresh = 1;
    return 1;
}

/* Remembers that a's chain `key` is validated (the table is a's own).
 * empty, if not -1: the empty slot where the probe for key (which did not
 * find it) ended, in the table as it is now; used if the table needs no
 * other change first (it is not full and has no previous array). */
static inline __attribute__((always_inline)) void chain_cache_put(struct tg_actor *a, uint64_t key,
                                                                  long empty)
{
    uint64_t v = key ^ a->chain_salt;
    if (chain_put_found(a, v, empty))
        return;
    if (a->chain_stale) { /* a previous user's entries */
        if (a->chain_cache && a->chain_bits > CHAIN_MIN_BITS) {
            chain_free(a->chain_cache);
            a->chain_cache = NULL;
        } else if (a->chain_cache) {
            chain_clear(a);
        }
        a->chain_used = 0;
        a->chain_stale = 0;
        a->chain_old_gens = 0;
        a->chain_retired_at = retired_now(a);
        chain_shift_set(a);
    }
    if (!v)
        return; /* never cached: 0 marks an empty entry */
    if (a->chain_cache) {
        const struct chain_head *h = chain_head(a->chain_cache);
        if (h->old)
            chain_move(a, ((size_t)1 << h->old_bits) / CHAIN_MOVE_RUNS > CHAIN_MOVE
                              ? ((size_t)1 << h->old_bits) / CHAIN_MOVE_RUNS
                              : CHAIN_MOVE);
        if (a->chain_used >= chain_room(a->chain_bits)) {
            /* Full. If half as many instances left the graph since it was
             * last emptied as it holds chains, many may be chains of ended
             * locks, never met again (lock churn; the ends lag the
             * nestings by the objects alive): it starts again empty
             * instead of growing. */
            uint64_t retired = retired_now(a);
            if (2 * (retired - a->chain_retired_at) >= a->chain_used)
                chain_clear(a);
        }
    }
    if (!a->chain_cache || a->chain_used >= chain_room(a->chain_bits)) {
        uint64_t *old = a->chain_cache;
        uint32_t bits = !old ? CHAIN_MIN_BITS : a->chain_bits + 1;
        if (old && bits > CHAIN_MAX_BITS) {
            chain_clear(a); /* at the largest size the set starts again empty: a cache */
        } else {
            uint64_t *nc = chain_alloc(bits);
            if (!nc)
                return;
            if (old) { /* the one before it has moved over by now, or moves at once */
                if (chain_head(old)->old)
                    chain_move(a, SIZE_MAX);
                chain_head(nc)->old = old;
                chain_head(nc)->old_bits = a->chain_bits;
            } else {
                a->chain_retired_at = retired_now(a);
                a->chain_old_gens = 0; /* no key yet */
            }
            a->chain_cache = nc;
            a->chain_bits = bits;
            a->chain_used = 0;
            chain_shift_set(a);
        }
    }
    a->chain_used += (uint32_t)chain_add(a->chain_cache, a->chain_bits, key, v);
    a->chain_fresh = 1;
}

/* ---- first nestings, handled later ----------------------------------------
 *
 * A chain an actor has not had validated was handled at the nesting, under
 * the engine lock, while the program still held its own locks: a second
 * thread that wanted one of them slept in the kernel for all of it (a lock
 * convoy). Now the nesting is recorded in a queue of the actor's own and
 * handled when the actor holds nothing any more (the release that empties
 * its held list: tg__lockorder_idle), or sooner where it must be. At that
 * release the queue is handled only if the engine lock is free: a thread
 * that finds another in the engine goes on, and its entries wait for one
 * of its next releases, its queue filling up, or the other occasions
 * below (the watchdog's tick among them), and are then handled together
 * (their cache misses overlapped: queue_prefetch). Two threads that make
 * new edges at once so never sleep on the engine lock for each.
 *
 * An entry keeps what handling needs and what may have changed by then:
 * the live holds (address, entry, the instance serial of the moment, call
 * site, mode, the stack of a blocked acquisition) and the stack of the
 * acquisition, captured at the nesting (recognised, in the common case,
 * from the actor's own memo of stacks, without any lock). The queue is a
 * ring that only its actor fills (tail) and that whoever holds the engine
 * lock empties (head): the engine lock is all a handler needs, so a
 * handling costs no locked instruction of its own. It holds
 * DEFER_SIZE entries; a full queue is handled. A nesting with more than
 * DEFER_HOLDS live holds is handled at once, the old way, after the
 * actor's queue.
 *
 * Leaves. An edge into a lock that nothing was ever taken under cannot be
 * on a cycle; if the lock dies that way, the edge never mattered. So a
 * first nesting into such a leaf (an instance that is no node of the
 * graph, TG_RF_LO_NODE, and has no lock taken under it, TG_RF_LO_OUT) is
 * usually not queued but kept in a record linked from the leaf (leaves
 * kept, below), which its end drops without the engine lock: lock churn
 * (init, nest, destroy) and short-lived objects freed without a destroy.
 * An entry queued instead (a lock below its top has records, no memory)
 * flags its top OUT as well: no record is kept into it while the entry
 * waits, and its end takes the engine lock, which handles the entry first.
 *
 * Why no true report is lost and no false one made:
 * - The chain enters the actor's chain cache at the nesting (a repeat then
 *   costs nothing more); its entry is handled (or, kept, dropped) before
 *   any of its instances can end (below), and an instance leaving the
 *   graph changes the keys of chains through its address (tg__chain_gen).
 * - Happens-before: an occurrence carries its actor's clock. Only the actor
 *   changes its own clock (tg__hb_fork, _join, _post, _wait), and each of
 *   them first empties its queue (hb_settle), so an entry is
 *   handled with the clock of its nesting. A thread that handles another's
 *   entry reads that clock while the actor cannot be changing it: the
 *   actor changes it only after it has seen its queue empty (head,
 *   acquire), and a handler moves head past an entry (release) only when
 *   it is done with it.
 * - Instances: an entry names the instance each hold was taken on, and its
 *   edges are keyed by that (node_key), so a lock made later at the same
 *   address never receives them. Every instance an entry names is flagged
 *   TG_RF_IN_GRAPH, and its address counts in the buckets free() looks at
 *   (pinned by the first entry that names it, TG_RF_LO_PINNED, until it
 *   ends; a node counts there too). So destroy and init at its address
 *   (tg__lockorder_forget) and free() of its memory (tg__lockorder_freed)
 *   see every instance named, and each way an instance ends first handles
 *   every queue, under the engine lock, unless the ending instance is a
 *   leaf only records name (leaves kept, below): those are dropped (they
 *   make no edge that could be on a cycle). So
 *   no edge is added to an instance after it ended (it would outlive its
 *   lock, and meet a new lock at the address: a false cycle), and the
 *   retired edges met, before they went, every queued edge they could
 *   close a cycle with (none lost).
 * - Ends: an actor's end empties its queue (its record may serve another
 *   actor next); fork() empties every queue before it (and the child those
 *   of the threads it leaves behind); each watchdog tick and the end of the
 *   run empty them all, so the report at exit has every edge, and the
 *   edges of an actor that keeps its locks for long (or deadlocks for real,
 *   which the watchdog reports from the wait-for graph) are not held back.
 * - Order: an actor's entries are handled in the order of its nestings
 *   (kept leaves later, when their leaf stops being one), and its
 *   deeper nestings only after its queue, so an edge keeps the first
 *   occurrence (and stacks) its actor showed, as before. */
#define DEFER_SIZE 16 /* a power of two */
#define DEFER_HOLDS 4
#define KEPT_CTXS 4 /* contexts of kept records an actor reuses (leaves kept) */

struct qhold {
    uintptr_t addr, pc;
    struct tg_res *res;
    uint64_t id;          /* the instance it was taken on */
    uint32_t stack;
    uint8_t mode;
};

struct qentry {
    uint32_t to_stack;
    _Atomic int n;        /* holds, the lock just taken last; 0 once handled or dropped */
    struct qhold h[DEFER_HOLDS];
};

struct tg_defer {
    _Atomic uint32_t head, tail;   /* entries [head, tail) wait (some may be 0: done) */
    uint64_t dropped;              /* kept leaves its actor ended (chain_clear's count) */
    struct tg_actor *actor;        /* the record it belongs to */
    struct tg_defer *next;         /* every queue, newest first */
    struct tg_stack_memo *memo;    /* its actor's own stacks */
    struct qentry q[DEFER_SIZE];
    /* Its actor's kept nestings (leaves kept, below): */
    struct kept_clock *kept_now;   /* the clock of those made since its clock changed */
    struct kept_ctx *ctx[KEPT_CTXS]; /* the contexts new records may share (its actor's) */
    uint32_t ctx_next;             /* the one replaced next when none fits */
    struct kept_ctx *fit;          /* the one of them that fitted a nesting over one hold last */
    struct tg_kept *kept_free;     /* records given back: its actor's */
    struct tg_kept *_Atomic kept_back; /* and those other threads gave back */
    char *kept_bump;               /* the unused end of its newest block of records */
    size_t kept_left;
    struct renewals *_Atomic renewed; /* its actor's repeats after a create or post, or NULL */
    /* free()'s hint: the entry of the leaf kept_add last made alone in
     * each slot of granules (hint_slot), so that free() of an object
     * holding it finds it without a walk of the entry table (sweep_in).
     * Its actor's own; only a hint: what it names is checked before use.
     * Here, not in thread-local storage, so that a thread created pays no
     * clearing of it (the record, and so the hint, serves the actors that
     * reuse it). */
    struct tg_res *hint[HINTS];
};
#define QE(d, i) (&(d)->q[(i) & (DEFER_SIZE - 1)])

static struct tg_defer *_Atomic queues;

/* ---- generations: a nesting repeated after a create or a post ---------------
 *
 * A chain is validated once, with the clock of its first nesting; its
 * repeats hit the cache. That clock stands for the repeats only until the
 * actor's clock moves on: a thread that nests, posts a semaphore (or
 * creates a thread) and nests the same way again runs the second nesting
 * at once with its waiter (or child), which the first nesting is ordered
 * before. So a create or a post that follows a nesting starts a new
 * generation of the actor's cache: the low CHAIN_GEN_BITS of its salt
 * change, every chain misses once, and the slow path finds it in its slot
 * by the rest of the salt (chain_older), tags it with the new generation
 * and notes the repeat (a renewal) with the actor's own clock now, without
 * the engine lock: a producer that nests and posts per item pays this per
 * item, not a first nesting. Renewals of one chain replace each other (the
 * latest counts: see below), and are recorded in the graph when the actor
 * is about to learn of others (a join, a wait), at its end, at every
 * watchdog tick, and when RENEW_MAX are waiting or their holds fill the
 * room they share (RENEW_HOLDS). A chain of up to RENEW_DEEP holds is
 * renewed so, deeper than a queued nesting (DEFER_HOLDS): a deep nesting
 * repeated after every post would otherwise take the engine lock per
 * item. A deeper one is handled at once with its clock now, in the slot
 * of its older generation (the cache does not fill with generations).
 *
 * Why the latest renewal is enough and its clock right: until the actor
 * learns of others, its clock changes only in its own entry. A later
 * repeat of a chain then runs at once with everything an earlier one did
 * (nothing ordered after it came before the other: clock_since's 2), and
 * its clock is the clock now with the own entry set back to the repeat's.
 * A renewal only refreshes an edge still in the graph: one that left with
 * a lock has no instance to stand for. */
#define CHAIN_GEN_BITS 16
#define CHAIN_GEN_MASK ((1ull << CHAIN_GEN_BITS) - 1)
#define RENEW_MAX 32
#define RENEW_HOLDS (2 * RENEW_DEEP) /* a chain of RENEW_DEEP renewed lock by lock, and a copy */
#define RENEW_DEEP 32 /* holds of one renewal at most (entry_run copies them on its stack) */

struct renewal {
    uint64_t key;
    uint32_t clock, to_stack;
    int n, at;          /* its holds: renewals.h[at, at + n) */
};

/* An actor's renewals waiting (tg_defer.renewed): its own thread adds,
 * whoever records them empties, both under `lock` (a leaf lock; taken
 * under the engine lock, never the other way). A watchdog tick may record
 * them while the actor moves its own clock on (a post): each is recorded
 * with its own clock, whatever the actor's is then; the actor learns of
 * others only once it has seen them recorded (hb_settle: n, release).
 * Their holds share h: the actor copies a new one's beyond `used` before
 * it takes the lock (a recorder reads only below it, and only empties).
 * A chain noted right after the one a hold shorter under it (a deep
 * nesting renewed lock by lock) shares that one's holds and adds only its
 * top: a chain of depth d takes d holds, not d^2 / 2, and its renewals
 * wait together for the next recording like a shallow chain's instead of
 * filling the room at every post. */
struct renewals {
    tg_lock_t lock;
    int n, used;
    struct renewal e[RENEW_MAX];
    struct qhold h[RENEW_HOLDS];
};

static void chain_next_gen(struct tg_actor *a)
{
    if (!a->chain_fresh)
        return; /* no nesting since the last change: nothing to renew */
    a->chain_fresh = 0;
    if (++a->chain_gen < (1u << CHAIN_GEN_BITS)) {
        a->chain_salt = (a->chain_salt & ~CHAIN_GEN_MASK) | ((a->chain_salt + 1) & CHAIN_GEN_MASK);
        a->chain_old_gens = 1;
        return;
    }
    /* A generation could come round again: a new salt, the cache emptied. */
    a->chain_gen = 0;
    a->chain_salt = (a->chain_salt ^ a->id) * 0x9E3779B97F4A7C15ull | 1;
    a->chain_stale = a->chain_cache != NULL;
}

/* The slot of chain `key` in a's cache under an older generation: the
 * probe the fast path made, with the generation's bits ignored. If none,
 * -2 - the empty slot the probe ended at (where the chain goes while the
 * table does not change: chain_cache_put), or -1 if a has no table. */
static long chain_older(const struct tg_actor *a, uint64_t key)
{
    if (!a->chain_cache || a->chain_stale)
        return -1;
    uint64_t want = key ^ a->chain_salt;
    size_t mask = ((size_t)1 << a->chain_bits) - 1, j = chain_slot(key, a->chain_bits);
    for (; a->chain_cache[j]; j = (j + 1) & mask)
        if (((a->chain_cache[j] ^ want) & ~CHAIN_GEN_MASK) == 0)
            return (long)j;
    return -2 - (long)j;
}

/* The address of an instance named by a queued entry counts in the buckets
 * free() looks at (tg__lockorder_freed), as a lock of the graph does.
 *
 * Sticky pins: a leaf that ends without the engine lock by a destroy or
 * an init at its address (leaf_retire, not freed) keeps its pin and its
 * TG_RF_LO_PINNED, without TG_RF_IN_GRAPH (a lingering pin): the next
 * instance at the address that is named takes it over (kept_add,
 * mark_flags), and res.c's init keeps the flag for it, so a lock made,
 * nested into and destroyed at a reused address pays no locked add for
 * a pin and another for its unpin (2 of 4 a cycle). The pin counts at
 * the entry's address, which it leaves only by a claim; so a lingering
 * pin goes (pin_drop) when free() sweeps the entry's address (sweep_at,
 * whatever the kind of its instance then), when another address claims
 * the entry (res.c's claim, tg__lockorder_unpin), and with every end
 * that is not a leaf's. free() drops it under res.c's insert lock
 * (tg__res_pin_drop), as a claim does, so the entry cannot move to
 * another address (and pin there again) between the look at its address
 * and the drop, nor a sweep and a claim both give it back; a nesting
 * cannot take it over meanwhile, as the program does not use a lock in memory it frees
 * (free() sweeps before the block goes back), nor one whose entry another
 * address claims (destroyed). A lingering pin costs free() of the block
 * that holds the lock one sweep of its granule, as a lock of the graph
 * does; unrelated blocks near it (other granules) pay nothing more. At
 * most one pin an entry lingers, so pins stay fewer than 2^29. */
static inline __attribute__((always_inline)) void pin(uintptr_t addr)
{
    count_at(addr, 1);
    _Atomic uint8_t *region = &region_pinned[region_bucket(addr >> REGION_SHIFT)];
    if (!__atomic_load_n(region, __ATOMIC_RELAXED))
        __atomic_store_n(region, 1, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&pinned_once, __ATOMIC_RELAXED) &&
        !__atomic_exchange_n(&pinned_once, 1, __ATOMIC_RELAXED))
        __atomic_fetch_add(&tg__graph_instances, 1, __ATOMIC_RELAXED);
}

static void unpin(uintptr_t addr)
{
    count_at(addr, -1);
}

void tg__lockorder_unpin(uintptr_t addr)
{
    unpin(addr);
}

uint32_t tg__lockorder_pins_at(uintptr_t addr)
{
    unsigned shift;
    const _Atomic uint64_t *w = granule_word(addr >> FINE_SHIFT, &shift);
    return (uint32_t)(__atomic_load_n(w, __ATOMIC_RELAXED) >> shift);
}

/* Kinds an entry's top may be a leaf of (mutual exclusion locks), from
 * a read of its flags word f, which holds the kind; any other lock is
 * handled like one taken under. */
static inline int leaf_kind(uint32_t f)
{
    enum tg_res_kind k = tg__res_kind_in(f);
    return k == TG_RES_MUTEX || k == TG_RES_RWLOCK || k == TG_RES_SPIN;
}

/* The instance of entry r at addr ends for lock order: its marks and pin
 * go, and what was kept into it is dropped (unless kept_gone: its caller
 * emptied the list just before, and since then only a nesting into the
 * lock as it ends, which the program must not make, can have pushed a
 * record; one that names the ended instance makes no edge). freed: its
 * memory is freed, and the entry stays at the address; a lock used there
 * later without an init is a new instance (a new serial), so that
 * nothing named the old one (a kept nesting under it) is taken for the
 * new one.
 * The marks go with a plain store, not a locked read-modify-write (some
 * 5 ns on every lock churned): at its end no one else writes an
 * instance's flags but to set marks that this clears (a settle's OUT, a
 * node made for a renewal of a nesting into it: as if they came first),
 * unless the program uses the lock as it ends it, as res.c's init
 * assumes when it stores a new instance's flags whole.
 * add: flags set by the same store. A destroy's TG_RF_DESTROYED (which
 * lets another address claim the entry: res.c) comes so only with
 * kept_gone and not freed, where r is neither read nor written after it.
 * keep: TG_RF_LO_PINNED if the pin stays (sticky pins, at pin()), else 0. */
static inline __attribute__((always_inline)) void instance_end_as(struct tg_res *r, uintptr_t addr,
                                                                 int freed, int kept_gone,
                                                                 uint32_t add, uint32_t keep)
{
    uint32_t was = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    __atomic_store_n(&r->flags,
                     (was & ~(TG_RF_IN_GRAPH | (TG_RF_LO_PINNED & ~keep) | TG_RF_LO_NODE |
                              TG_RF_LO_OUT)) | add,
                     __ATOMIC_RELEASE);
    if ((was & TG_RF_LO_PINNED) && !keep)
        unpin(addr);
    if (!kept_gone)
        kept_drop(r);
    if (freed)
        r->id = tg__res_next_id();
}

static inline __attribute__((always_inline)) void instance_ended(struct tg_res *r, uintptr_t addr,
                                                                int freed, int kept_gone)
{
    instance_end_as(r, addr, freed, kept_gone, 0, 0);
}

/* 1 if queued hold h's instance is still its entry's current one, and
 * flagged with every bit of `all` and none of `none`. */
static int hold_is(const struct qhold *h, uint32_t all, uint32_t none)
{
    uint32_t f = __atomic_load_n(&h->res->flags, __ATOMIC_ACQUIRE);
    return h->res->id == h->id && (f & all) == all && !(f & none);
}

static void report_all(struct cycle *c)
{
    while (c) {
        struct cycle *next = c->next;
        struct tg_finding *f = build(c); /* with the program's malloc: no engine lock */
        tg__free(c);
        tg__report(f);
        c = next;
    }
}

/* Appends what one handling found to the list whose last link is *tail. */
static struct cycle **found_add(struct cycle **tail, struct cycle *c)
{
    if (!c)
        return tail;
    *tail = c;
    return &c->next;
}

static inline struct cycle **kept_settle(struct tg_res *r, uint64_t id, struct cycle **tail);
static struct cycle **entry_run(struct tg_actor *a, struct tg_vc *vc, uint32_t own_clock,
                                const struct qhold *h, int n, uint32_t to_stack, uint32_t no_edge,
                                struct cycle **tail);

/* 1 if renewal e's last hold is an instance its actor may end as a leaf
 * without the engine lock (leaf_end) at any moment. */
static int renewal_into_leaf(const struct renewals *r, const struct renewal *e)
{
    const struct qhold *top = &r->h[e->at + e->n - 1];
    uint32_t f = __atomic_load_n(&top->res->flags, __ATOMIC_ACQUIRE);
    return !tg__opt.lock_classes && !(f & (TG_RF_LO_NODE | TG_RF_LO_OUT)) && leaf_kind(f) &&
           top->res->id == top->id;
}

/* Under the engine lock: records d's renewals in the graph. A thread
 * other than their running actor (a watchdog tick, the end of the run)
 * leaves those into a leaf for the actor: recorded, one would make the
 * leaf a node while the actor may be ending it without the engine lock,
 * whose end then cleared the node's mark and left the node (and its
 * edges) in the graph until the lock's memory was freed, if ever. An edge
 * into a leaf closes no cycle; the actor records them itself before it
 * learns of others, at its end, or once the leaf stops being one (the
 * next tick). Their holds keep their room (used) until then. */
static struct cycle **renewals_run(struct tg_defer *d, struct cycle **tail, int others)
{
    struct renewals *r = __atomic_load_n(&d->renewed, __ATOMIC_ACQUIRE);
    if (!r)
        return tail;
    others = others && d->actor != tg__current &&
             __atomic_load_n(&d->actor->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED;
    tg__own_lock(&r->lock);
    int left = 0;
    for (int i = 0; i < r->n && tg__lockorder_on; i++) {
        if (others && renewal_into_leaf(r, &r->e[i])) {
            r->e[left++] = r->e[i];
            continue;
        }
        tail = entry_run(d->actor, hb_self(d->actor), r->e[i].clock, r->h + r->e[i].at, r->e[i].n,
                         r->e[i].to_stack, 0, tail);
    }
    if (!left)
        r->used = 0;
    __atomic_store_n(&r->n, left, __ATOMIC_RELEASE);
    tg__own_unlock(&r->lock);
    return tail;
}

static int renewals_held(const struct tg_defer *d)
{
    const struct renewals *r = __atomic_load_n(&d->renewed, __ATOMIC_ACQUIRE);
    return r && __atomic_load_n(&r->n, __ATOMIC_ACQUIRE) > 0;
}

/* Under the engine lock: one queued, kept or renewed nesting of a with
 * clock vc (holds h[0..n), the lock taken last), as the slow path did it;
 * own_clock, if not 0, is a renewal's own entry in that clock (see
 * renewals). The holds of no_edge (bit k: h[k]) make no edge, but gate
 * the others. Whatever was kept into the locks it names goes to the graph
 * first. What it found is appended at *tail, whose new end is returned. */
static struct cycle **entry_run(struct tg_actor *a, struct tg_vc *vc, uint32_t own_clock,
                                const struct qhold *h, int n, uint32_t to_stack, uint32_t no_edge,
                                struct cycle **tail)
{
    struct tg_held held[RENEW_DEEP];
    struct cycle *c = NULL;
    struct taker t;
    for (int k = 0; k < n; k++) {
        tail = kept_settle(h[k].res, h[k].id, tail);
        /* Only what the graph reads, and the word mode shares (a hold's
         * chain key, time and pad are not read): a compound literal would
         * clear all 64 bytes. */
        held[k].addr = h[k].addr;
        held[k].res = h[k].res;
        held[k].res_id = h[k].id;
        held[k].pc = h[k].pc;
        held[k].stack = h[k].stack;
        held[k].mode = h[k].mode;
        held[k].released_by_other = 0;
        held[k].as = 0; /* (read by tg__held_res if res were NULL) */
        held[k].zero = 0;
    }
    taker_init(&t, a, vc, held, n, to_stack);
    t.no_edge = no_edge;
    t.own_clock = own_clock;
    apply(&t, &c);
    return found_add(tail, c);
}

/* Under the engine lock: asks for the cache lines that entries run[0..n)
 * of d will read first (their nodes, and the slot of the edge index where
 * each of their edges is, or would be), so that their misses overlap
 * instead of coming one after the other. A hint: the node an entry names
 * may have changed, and reading an address for the cache does not fault. */
static void queue_prefetch(const struct tg_defer *d, const uint32_t *run, int n_run)
{
    if (n_run < 2 || !eix.s || tg__opt.lock_classes)
        return; /* one entry reads what it needs at once */
    size_t mask = ((size_t)1 << eix.bits) - 1;
    for (int i = 0; i < n_run; i++) {
        const struct qentry *e = QE(d, run[i]);
        int n = __atomic_load_n(&e->n, __ATOMIC_RELAXED);
        int tn = e->h[n - 1].res->graph_node;
        if (tn < 0 || tn >= n_nodes)
            continue;
        __builtin_prefetch(&NODE(tn));
        for (int k = 0; k < n - 1; k++) {
            int fn = e->h[k].res->graph_node;
            if (fn < 0 || fn >= n_nodes)
                continue;
            __builtin_prefetch(&NODE(fn));
            __builtin_prefetch(&eix.s[eix_hash(fn, tn) & mask]);
        }
    }
}

/* Moves d's head past the entries done at its front (engine lock held). */
static void head_advance(struct tg_defer *d, uint32_t head, uint32_t end)
{
    while (head != end && !__atomic_load_n(&QE(d, head)->n, __ATOMIC_RELAXED))
        head++;
    __atomic_store_n(&d->head, head, __ATOMIC_RELEASE);
}

/* Under the engine lock: handles entry i of queue d, if not done yet. */
static struct cycle **entry_handle(struct tg_defer *d, uint32_t i, struct cycle **tail)
{
    struct qentry *e = QE(d, i);
    int n = __atomic_load_n(&e->n, __ATOMIC_RELAXED);
    if (n && tg__lockorder_on)
        tail = entry_run(d->actor, hb_self(d->actor), 0, e->h, n, e->to_stack, 0, tail);
    __atomic_store_n(&e->n, 0, __ATOMIC_RELAXED);
    return tail;
}

/* Under the engine lock: handles the entries of queue d; what they found
 * is appended at *tail, whose new end is returned. */
static struct cycle **drain_queue(struct tg_defer *d, struct cycle **tail)
{
    uint32_t head = __atomic_load_n(&d->head, __ATOMIC_RELAXED);
    uint32_t end = __atomic_load_n(&d->tail, __ATOMIC_ACQUIRE);
    if (end - head == 1) { /* the usual drain at an idle release: one entry */
        tail = entry_handle(d, head, tail);
        __atomic_store_n(&d->head, end, __ATOMIC_RELEASE);
        return tail;
    }
    uint32_t run[DEFER_SIZE];
    int n_run = 0;
    for (uint32_t i = head; i != end; i++)
        if (__atomic_load_n(&QE(d, i)->n, __ATOMIC_RELAXED))
            run[n_run++] = i;
    queue_prefetch(d, run, n_run);
    for (int j = 0; j < n_run; j++)
        tail = entry_handle(d, run[j], tail);
    head_advance(d, head, end);
    return tail;
}

static int queue_empty(struct tg_defer *d)
{
    return __atomic_load_n(&d->head, __ATOMIC_ACQUIRE) == __atomic_load_n(&d->tail, __ATOMIC_ACQUIRE);
}

static int kept_live(const struct tg_defer *d);

static int queue_holds(const struct tg_actor *a)
{
    return !queue_empty(a->defer) || kept_live(a->defer);
}

/* Every queue's entries. */
static struct cycle *drain_all_locked(void)
{
    struct cycle *found = NULL, **tail = &found;
    for (struct tg_defer *d = __atomic_load_n(&queues, __ATOMIC_ACQUIRE); d; d = d->next)
        if (!queue_empty(d))
            tail = drain_queue(d, tail);
    kept_clocks_free();
    return found;
}

void tg__lockorder_drain_all(void)
{
    int any = __atomic_load_n(&clocks_done, __ATOMIC_RELAXED) != NULL;
    /* a look without the lock first: the list only grows at its head */
    for (struct tg_defer *d = __atomic_load_n(&queues, __ATOMIC_ACQUIRE); d && !any; d = d->next)
        any = !queue_empty(d) || renewals_held(d);
    if (!any)
        return;
    int saved = errno;
    tg__guard++;
    tg__lock();
    struct cycle *c = drain_all_locked(), **tail = &c;
    while (*tail)
        tail = &(*tail)->next;
    for (struct tg_defer *d = __atomic_load_n(&queues, __ATOMIC_ACQUIRE); d; d = d->next)
        if (renewals_held(d))
            tail = renewals_run(d, tail, 1);
    tg__unlock();
    report_all(c);
    tg__guard--;
    errno = saved;
}

static void kept_freeze(struct tg_defer *d);

/* Handles queue d, and keeps the clock of its actor's kept nestings if
 * `kept`; if not `wait`, only if the engine lock is free. 1 if done. */
#define DRAIN_QUEUE 1    /* the queue's entries */
#define DRAIN_RENEWED 2  /* the renewals */
static int drain_own(struct tg_defer *d, int what, int wait, int kept)
{
    int saved = errno; /* it runs after the program's unlock returned */
    struct cycle *found = NULL, **tail = &found;
    tg__guard++;
    int locked = wait ? (tg__lock(), 1) : tg__trylock();
    if (locked) {
        if (what & DRAIN_QUEUE)
            tail = drain_queue(d, tail);
        if (what & DRAIN_RENEWED)
            renewals_run(d, tail, 0);
        if (kept)
            kept_freeze(d);
        kept_clocks_free();
        tg__unlock();
        report_all(found);
    }
    tg__guard--;
    errno = saved;
    return locked;
}

void tg__lockorder_drain(struct tg_actor *a)
{
    struct tg_defer *d = a->defer;
    a->lo_queued = 0;
    int what = (d && !queue_empty(d) ? DRAIN_QUEUE : 0) |
               (d && renewals_held(d) ? DRAIN_RENEWED : 0);
    if (what)
        drain_own(d, what, 1, 0);
}

/* Before a's clock changes or its record serves another actor: its queue
 * and its kept nestings, all with the clock they were made with. */
static void settle_own(struct tg_actor *a, int renewals)
{
    a->lo_queued = 0;
    drain_own(a->defer, DRAIN_QUEUE | (renewals ? DRAIN_RENEWED : 0), 1, 1);
}

void tg__lockorder_end(struct tg_actor *a)
{
    if (a->defer && (queue_holds(a) || renewals_held(a->defer)))
        settle_own(a, 1);
}

/* If another thread is in the engine, the entries wait for one of its
 * next idle releases. */
void tg__lockorder_drain_idle(struct tg_actor *a)
{
    struct tg_defer *d = a->defer;
    a->lo_queued = 0;
    if (d && !queue_empty(d) && !drain_own(d, DRAIN_QUEUE, 0, 0))
        a->lo_queued = 1;
}

static struct tg_defer *queue_of(struct tg_actor *a)
{
    if (a->defer)
        return a->defer;
    struct tg_defer *d = tg__alloc(sizeof *d); /* zeroed */
    if (!d)
        return NULL;
    d->actor = a;
    tg__lock();
    d->next = __atomic_load_n(&queues, __ATOMIC_RELAXED);
    __atomic_store_n(&queues, d, __ATOMIC_RELEASE);
    tg__unlock();
    return a->defer = d;
}

static uint64_t retired_now(const struct tg_actor *a)
{
    return __atomic_load_n(&retired_total, __ATOMIC_RELAXED) + (a->defer ? a->defer->dropped : 0);
}

/* In a fork child: the threads that held renewals' locks are gone. */
static void queues_after_fork(void)
{
    for (struct tg_defer *d = __atomic_load_n(&queues, __ATOMIC_ACQUIRE); d; d = d->next)
        if (d->renewed)
            d->renewed->lock.state = 0;
}

/* Marks the instance of entry r at addr, which a new entry or context
 * names: flagged and pinned if nothing named it yet, and OUT if `out` (a
 * lock is taken under it, or it is the top of a queued entry, see Leaves
 * above). f: its flags, loaded by mark_named. */
static __attribute__((noinline)) void mark_flags(struct tg_res *r, uintptr_t addr, int out,
                                                 uint32_t f)
{
    while (!(f & TG_RF_IN_GRAPH))
        if (__atomic_compare_exchange_n(&r->flags, &f, f | TG_RF_IN_GRAPH | TG_RF_LO_PINNED, 1,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            if (!(f & TG_RF_LO_PINNED)) /* else a lingering pin, taken over */
                pin(addr);
            f |= TG_RF_IN_GRAPH | TG_RF_LO_PINNED;
        }
    if (out && !(f & TG_RF_LO_OUT)) /* seen by a record kept into r meanwhile (kept_add) */
        __atomic_fetch_or(&r->flags, TG_RF_LO_OUT, __ATOMIC_SEQ_CST);
}

/* mark_flags, after a look at the flags that finds most holds (those
 * below a nesting repeated into new leaves) marked already. The look is
 * sequentially consistent: OUT found set here, or set by mark_flags, is
 * the W of kept_add's handshake (free on x86, whose RMWs are locked
 * anyway). */
static inline void mark_named(struct tg_res *r, uintptr_t addr, int out)
{
    uint32_t want = TG_RF_IN_GRAPH | (out ? TG_RF_LO_OUT : 0);
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_SEQ_CST);
    if ((f & want) != want)
        mark_flags(r, addr, out, f);
}

/* ---- leaves kept --------------------------------------------------------
 *
 * A queue that kept leaves would hold a bounded number of them: a thread
 * that nests into many long-lived locks (a table, then one of 10^5
 * objects) would overflow it, and each overflow put leaves into the graph,
 * a node and an edge each, with a random read into tables that grow with
 * the objects. So a first nesting into a leaf (with the conditions of
 * kept_ctx_new and kept_add) is not queued: it is noted in a record of
 * its actor's own (struct tg_kept, 16 bytes from blocks its actor
 * allocates and reuses; memory follows the live leaves times the actors
 * that nested into each), which names the leaf's instance and a context
 * (struct kept_ctx) its actor's records share while it nests at one
 * place under the same holds (the holds below, the clock; a table lock
 * and a place in the code for all the objects), and the record is linked
 * into the leaf's own list (tg_res.lo_kept, pushed without a lock).
 * Its end then finds what was kept into it in that list: O(records of that
 * lock), no scan, no engine lock.
 *
 * The records leave in one of four ways. Whoever detaches a leaf's list
 * (an exchange: each record goes to one thread) gives back every record
 * in it once done with it (kept_put); a record's contents belong to
 * whoever sets its taken mark first, that thread or the record's own
 * actor taking it back (kept_add, below):
 * - The leaf stops being a leaf. Every entry is handled (entry_run, and the
 *   slow path) only after each lock it names was settled (kept_settle):
 *   flagged OUT (no record is kept into it any more) and its list emptied
 *   into the graph. A record is kept only if no lock below its top has
 *   records (kept_ctx_new): kept edges never follow one another, so an edge
 *   out of a lock with records is made by such a handling, after them, and
 *   the cycle check it starts sees them: at once, not at a later tick.
 *   A nesting that pushes its record as another thread sets OUT looks at
 *   the flags again after the push (every access of that handshake is
 *   sequentially consistent, see kept_add): one of the two sees the other,
 *   and a record that lost takes itself back and is queued instead.
 * - Its actor's clock changes, or its actor ends: the records keep the
 *   clock they were made with (kept_freeze), and are handled with it.
 * - The leaf ends, destroyed or initialised again (leaf_end, or under the
 *   engine lock instance_ended) or freed (kept_freed finds the lock
 *   through the entry table, from the granules that count a pinned
 *   instance): its records are dropped. If one was taken by someone else
 *   (its actor, which queued its entry instead), the end takes the
 *   engine lock, where that entry is handled and the node it made is
 *   retired.
 * - A record's context names its other holds by instance, pinned and
 *   flagged OUT as a queued entry does, so their end is the engine's (a free() retires
 *   the instances named there that are no nodes: kept_sweep), which does
 *   not look for records; a record whose hold ended makes no edge from it
 *   when handled (an instance ends with its edges), and since a freed
 *   instance's entry takes a new serial (instance_ended), a later lock at
 *   that address is never taken for it.
 * Ticks, fork and the end of the run leave records kept: an edge into a
 * leaf closes no cycle.
 *
 * Cost: a lock that one thread makes, nests into and destroys or frees
 * (lock churn, short-lived objects) is the common case, so a record its
 * own actor's thread gives back costs no atomic instruction but the
 * detach: its free list, its context's count and its taken mark are
 * that actor's own then (kept_mine). Keeping one costs the push, and copies no
 * hold once its context is made. Other threads give records back through
 * an atomic stack and count atomically (a context that goes gives its
 * clock's reference back the same way). Locked
 * instructions are what this path has to save: each costs some 5 ns even
 * uncontended (a fetch-and-add in a loop on a 2-core EPYC), more than the
 * few dozen plain instructions around it. */
#define KEPT_BLOCK (65536 - TG_ALLOC_HEADER) /* with the header, a block of tg__alloc's 64 KiB class */
#define KEPT_CURRENT ((int64_t)1 << 62) /* a current clock's or context's refs start here */

/* The clock of the records an actor made since its clock last changed:
 * while it is its queue's current one (tg_defer.kept_now, who NULL), the
 * actor's clock now; when the clock is about to change (or the actor to
 * end), a snapshot of it, shared by them (kept_freeze). The records name
 * it through their contexts (struct kept_ctx), each of which holds one
 * reference. Given back when the last context that names it goes (its
 * snapshot under the engine lock, so through clocks_done). While current,
 * `own` (its actor's alone) counts the contexts made with it less those
 * that went on its actor's thread, and refs is KEPT_CURRENT less those
 * that went on other threads (never 0: fewer than 2^62 contexts);
 * kept_freeze moves `own` into refs and drops KEPT_CURRENT, and from then
 * on refs counts the contexts that name it, the last one to go freeing
 * it. */
struct kept_clock {
    _Atomic int64_t refs;
    int64_t own;
    int has_vc;                 /* 0: its actor had no clock (out of memory) */
    struct tg_defer *d;         /* the queue of the actor that made them */
    struct who *who;            /* NULL while current */
    struct kept_clock *next;    /* in clocks_done */
};

/* What the records an actor keeps share while it nests at one place
 * (call site, stack, mode) under the same holds: those holds (as a queued
 * entry names them: instance, call site, stack, mode) and the clock. Made
 * once, at the first such record, so that the next one copies no hold
 * and is a few words; its actor reuses the KEPT_CTXS it made last
 * (tg_defer.ctx) while their holds are still its holds below the leaf
 * (kept_ctx_find). Counted as a current clock is: while in its actor's
 * set (`current`, its actor's alone), `own` counts the records made with
 * it less those its actor's thread gave back, and refs is KEPT_CURRENT
 * less those other threads gave back; when it leaves the set (another
 * takes its place, or the clock changes: kept_freeze), its actor moves
 * `own` into refs, and from then on the last record given back, on
 * whatever thread, frees it and gives back its clock's reference. */
struct kept_ctx {
    _Atomic int64_t refs;
    int64_t own;
    struct tg_defer *d;         /* the queue of the actor that made it */
    struct kept_clock *clock;   /* one of the clock's references */
    uintptr_t to_pc;            /* the nesting: where the leaf was taken */
    uint32_t to_stack;
    uint8_t to_mode;
    uint8_t n;                  /* holds below the leaf */
    uint8_t current;            /* in d's set */
    struct qhold h[DEFER_HOLDS - 1];
};

/* One kept nesting: two words, 16 bytes (a record an object per thread
 * that nests into it: the per-object shape keeps one per live lock and
 * thread). Its leaf is the lock whose list it is in; it names the leaf's
 * instance by the low 32 bits of its serial (a record pushed as its leaf
 * ends, which only a program that uses a lock as it ends it can make,
 * names the ended one, and makes no edge: it would take 2^32 instances
 * made in between to be taken for the current one). Those bits lie in
 * the top KEPT_ID_BITS of both words, above the pointers (records and
 * contexts come from tangle's own mappings, below 2^48: kept_alloc and
 * kept_ctx_new check it). The link's lowest bit is the taken mark: set by
 * whoever takes the record's contents, its actor taking it back or the
 * thread that detached it, and kept set by that thread's give-back
 * (kept_put), so that an actor's take that comes after it still finds it
 * set, whatever list the link then serves. */
struct tg_kept {
    _Atomic uintptr_t link;     /* in its leaf's list, then in a free list; and its id, taken mark */
    uintptr_t ctx;              /* its struct kept_ctx, and its id */
};
_Static_assert(sizeof(struct tg_kept) == 16, "a kept record is two words");
#define KEPT_ID_BITS 16
#define KEPT_PTR ((((uintptr_t)1 << (64 - KEPT_ID_BITS)) - 1) & ~(uintptr_t)15)
#define KEPT_TAKEN ((uintptr_t)1)

static int kept_ptr_fits(const void *p)
{
    return ((uintptr_t)p & ~KEPT_PTR) == 0;
}

static struct tg_kept *kept_next(const struct tg_kept *k)
{
    return (struct tg_kept *)(__atomic_load_n(&k->link, __ATOMIC_RELAXED) & KEPT_PTR);
}

static struct kept_ctx *kept_ctx_of(const struct tg_kept *k)
{
    return (struct kept_ctx *)(k->ctx & KEPT_PTR);
}

/* The low 32 bits of the serial of the instance k names. */
static uint32_t kept_id(const struct tg_kept *k)
{
    uintptr_t lo = __atomic_load_n(&k->link, __ATOMIC_RELAXED) >> (64 - KEPT_ID_BITS);
    return (uint32_t)(lo | (k->ctx >> (64 - KEPT_ID_BITS) << KEPT_ID_BITS));
}

/* A leaf's list (tg_res.lo_kept) names its newest record with the
 * list's length less one, as the push that made it counted it (up to
 * KEPT_PER_LEAF, below), in the low bits of the record's address (records are
 * 8-aligned): the next push learns the length from the word it replaces,
 * not from the record, a cache line that another thread wrote in the
 * common case of a lock that several threads nest into. Links between
 * records (tg_kept.next) carry no count. A count made wrong by a race
 * only moves the point at which its leaf is settled. */
#define KEPT_LEN_BITS ((uintptr_t)7)
_Static_assert(sizeof(struct tg_kept) % (KEPT_LEN_BITS + 1) == 0, "records of a block are 8-aligned");

static struct tg_kept *kept_first(struct tg_kept *head)
{
    return (struct tg_kept *)((uintptr_t)head & ~KEPT_LEN_BITS);
}

static unsigned kept_len(struct tg_kept *head)
{
    return head ? (unsigned)((uintptr_t)head & KEPT_LEN_BITS) + 1 : 0;
}

/* The head for record k pushed on the list whose head was `below`. */
static struct tg_kept *kept_pushed(struct tg_kept *k, struct tg_kept *below)
{
    uintptr_t n = kept_len(below); /* k's list's length less one */
    return (struct tg_kept *)((uintptr_t)k | (n < KEPT_LEN_BITS ? n : KEPT_LEN_BITS));
}

/* The queue of the actor the calling thread runs, NULL if none. A record
 * whose context names that queue is the calling thread's own: the queue's
 * free list and the `own` counts of its current context and clock are
 * then its own, and it is not inside kept_add. Who goes through a leaf's
 * records looks it up once for all of them. */
static struct tg_defer *kept_mine(void)
{
    const struct tg_actor *a = tg__current;
    return a ? a->defer : NULL;
}

/* A record from d's own blocks (d's actor only), NULL if out of memory.
 * Those other threads gave back are taken over all at once: the exchange
 * (acquire) pairs with their push (release), so they are done with a
 * record before it is reused. */
static __attribute__((noinline)) struct tg_kept *kept_alloc_more(struct tg_defer *d)
{
    struct tg_kept *k = NULL;
    if (__atomic_load_n(&d->kept_back, __ATOMIC_RELAXED))
        k = __atomic_exchange_n(&d->kept_back, NULL, __ATOMIC_ACQUIRE);
    if (k) {
        d->kept_free = kept_next(k);
        return k;
    }
    if (d->kept_left < sizeof *k) {
        char *b = tg__alloc_uninit(KEPT_BLOCK);
        if (!b || !kept_ptr_fits(b + KEPT_BLOCK)) {
            tg__free(b); /* (NULL, or beyond what a link holds: never on Linux's usual layout) */
            return NULL;
        }
        d->kept_bump = b;
        d->kept_left = KEPT_BLOCK;
    }
    k = (struct tg_kept *)d->kept_bump;
    d->kept_bump += sizeof *k;
    d->kept_left -= sizeof *k;
    return k;
}

/* Inline for the common case: a record its actor's thread gave back. */
static inline __attribute__((always_inline)) struct tg_kept *kept_alloc(struct tg_defer *d)
{
    struct tg_kept *k = d->kept_free;
    if (TG_UNLIKELY(!k))
        return kept_alloc_more(d);
    d->kept_free = kept_next(k);
    return k;
}

/* Drops n of c's references; the last one frees it. */
static void kept_clock_put(struct kept_clock *c, int64_t n)
{
    if (__atomic_sub_fetch(&c->refs, n, __ATOMIC_ACQ_REL))
        return;
    c->next = __atomic_load_n(&clocks_done, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&clocks_done, &c->next, c, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
        ;
}

/* Under the engine lock: the clocks no record names any more go. */
static void kept_clocks_free(void)
{
    if (!__atomic_load_n(&clocks_done, __ATOMIC_RELAXED))
        return;
    for (struct kept_clock *c = __atomic_exchange_n(&clocks_done, NULL, __ATOMIC_ACQUIRE), *next; c;
         c = next) {
        next = c->next;
        who_release(c->who);
        tg__free(c);
    }
}

/* Drops n of p's references (mine: kept_mine()); the last one frees it
 * and drops its clock's reference. */
static void kept_ctx_put(struct kept_ctx *p, int64_t n, const struct tg_defer *mine)
{
    if (__atomic_sub_fetch(&p->refs, n, __ATOMIC_ACQ_REL))
        return;
    struct kept_clock *c = p->clock;
    tg__free(p);
    if (c->d == mine && c == mine->kept_now)
        c->own--;
    else
        kept_clock_put(c, 1);
}

/* Takes context i out of d's set: d's actor only. */
static void kept_ctx_retire(struct tg_defer *d, uint32_t i)
{
    struct kept_ctx *p = d->ctx[i];
    d->ctx[i] = NULL;
    if (d->fit == p)
        d->fit = NULL;
    p->current = 0;
    kept_ctx_put(p, KEPT_CURRENT - p->own, d);
}

/* Gives k back to its actor (mine: kept_mine()): only the thread that
 * detached it from its leaf's list, once done with it (its taken mark
 * set: kept_claim). Its actor may still be setting that mark (kept_add's
 * last step, an atomic OR of the link), but reuses it only after that;
 * the link written here keeps the mark, so that OR finds it set and
 * changes nothing (the link is written atomically: the OR cannot undo
 * the store, nor the store the OR). */
static inline __attribute__((always_inline)) void kept_put(struct tg_kept *k, struct kept_ctx *p,
                                                          const struct tg_defer *mine)
{
    struct tg_defer *d = p->d; /* p: k's context, read before: k may be reused once pushed */
    if (d == mine) {
        __atomic_store_n(&k->link, (uintptr_t)d->kept_free, __ATOMIC_RELAXED);
        d->kept_free = k;
        if (p->current) {
            p->own--;
            return;
        }
    } else {
        struct tg_kept *head = __atomic_load_n(&d->kept_back, __ATOMIC_RELAXED);
        do
            __atomic_store_n(&k->link, (uintptr_t)head | KEPT_TAKEN, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&d->kept_back, &head, k, 1, __ATOMIC_RELEASE,
                                            __ATOMIC_RELAXED));
    }
    kept_ctx_put(p, 1, mine);
}

/* 1 if the caller takes k's contents (its actor taking it back, or the
 * thread that detached it, which gives it back afterwards either way). */
static int kept_take(struct tg_kept *k)
{
    return !(__atomic_fetch_or(&k->link, KEPT_TAKEN, __ATOMIC_ACQ_REL) & KEPT_TAKEN);
}

/* kept_take for the thread that detached k (p its context, link its
 * link as read after the detach; mine: kept_mine()): its actor's own
 * thread reads the mark as it left it (it is not inside kept_add: no
 * race) and leaves it (kept_put's link for its own free list needs none:
 * no one else takes the record); another races with the actor's taking
 * back. */
static int kept_claim(struct tg_kept *k, const struct kept_ctx *p, uintptr_t link,
                      const struct tg_defer *mine)
{
    if (p->d == mine)
        return !(link & KEPT_TAKEN);
    return kept_take(k);
}

/* r's list of kept records, emptied (the caller goes through it). The
 * look before the exchange is sequentially consistent, as the exchange:
 * it reads the list in a settle's handshake (kept_add). */
static struct tg_kept *kept_detach(struct tg_res *r)
{
    if (tg__opt.lock_classes || !__atomic_load_n(&r->lo_kept, __ATOMIC_SEQ_CST))
        return NULL;
    return kept_first(__atomic_exchange_n(&r->lo_kept, NULL, __ATOMIC_SEQ_CST));
}

/* 1 if detached record k, whose link is `link` (mine: kept_mine()), is
 * alone in its list and the calling thread's own, with its context still
 * current. */
static inline __attribute__((always_inline)) int kept_lone_own(const struct tg_kept *k, uintptr_t link,
                                                              const struct tg_defer *mine)
{
    const struct kept_ctx *p = kept_ctx_of(k);
    return !(link & KEPT_PTR) && p->d == mine && p->current;
}

/* Gives back such a record (kept_lone_own): 1 if it was still kept (0:
 * its actor took it back and queued its entry). */
static inline __attribute__((always_inline)) int kept_back_own(struct tg_kept *k, uintptr_t link)
{
    struct kept_ctx *p = kept_ctx_of(k);
    struct tg_defer *d = p->d;
    __atomic_store_n(&k->link, (uintptr_t)d->kept_free, __ATOMIC_RELAXED);
    d->kept_free = k;
    p->own--;
    return !(link & KEPT_TAKEN);
}

/* 1 if r's kept list is empty (*kp NULL) or holds only the calling
 * thread's own lone record, not taken (*kp, its link *linkp): the common
 * end of a leaf, which kept_end_own empties with a plain store, not
 * kept_detach's exchange (why no other thread pushes to or empties the
 * list meanwhile: tg__lockorder_forget). */
static inline __attribute__((always_inline)) int kept_only_own(struct tg_res *r, struct tg_kept **kp,
                                                              uintptr_t *linkp)
{
    struct tg_kept *k = kept_first(__atomic_load_n(&r->lo_kept, __ATOMIC_ACQUIRE));
    *kp = k;
    if (!k)
        return 1;
    uintptr_t link = __atomic_load_n(&k->link, __ATOMIC_RELAXED);
    *linkp = link;
    return !(link & KEPT_TAKEN) && kept_lone_own(k, link, kept_mine());
}

/* The end kept_only_own found (k, link): r's list emptied, its record
 * given back. */
static inline __attribute__((always_inline)) void kept_end_own(struct tg_res *r, struct tg_kept *k,
                                                              uintptr_t link)
{
    if (!k)
        return;
    __atomic_store_n(&r->lo_kept, NULL, __ATOMIC_RELAXED);
    kept_back_own(k, link);
}

/* kept_drop_all's walk of the records k leads (mine: kept_mine()). */
static __attribute__((noinline)) int kept_drop_list(struct tg_kept *k, const struct tg_defer *mine)
{
    int all = 1;
    while (k) {
        uintptr_t link = __atomic_load_n(&k->link, __ATOMIC_RELAXED);
        struct tg_kept *next = (struct tg_kept *)(link & KEPT_PTR);
        struct kept_ctx *p = kept_ctx_of(k);
        all &= kept_claim(k, p, link, mine);
        kept_put(k, p, mine);
        k = next;
    }
    return all;
}

/* Drops what was kept into r's instance, which ends; 1 if every record
 * was still kept (0: its actor took one back and queued its entry). A
 * lone record of the calling thread's own with its context still
 * current (a lock one thread makes, nests into and ends: lock churn,
 * short-lived objects) goes back here: what kept_claim and kept_put do
 * for it, without the walk (kept_back_own). */
static inline __attribute__((always_inline)) int kept_drop_all(struct tg_res *r)
{
    struct tg_kept *k = kept_detach(r);
    if (!k)
        return 1;
    const struct tg_defer *mine = kept_mine();
    uintptr_t link = __atomic_load_n(&k->link, __ATOMIC_RELAXED);
    if (!kept_lone_own(k, link, mine))
        return kept_drop_list(k, mine);
    return kept_back_own(k, link);
}

static void kept_drop(struct tg_res *r)
{
    kept_drop_all(r);
}

/* Under the engine lock: kept record k (taken) of leaf r into the graph,
 * with the clock it was made with, unless its leaf ended; holds that
 * ended make no edge. A clock kept apart is shown to the graph as an
 * actor of its own with that clock, whose snapshot (who_now) is the one
 * kept. */
static struct cycle **kept_run(struct tg_res *r, const struct tg_kept *k, struct cycle **tail)
{
    const struct kept_ctx *p = kept_ctx_of(k);
    struct qhold h[DEFER_HOLDS];
    int n = p->n + 1;
    memcpy(h, p->h, (size_t)p->n * sizeof h[0]);
    uint64_t id = r->id; /* the record's instance if its low bits say so; 0 names none */
    h[n - 1] = (struct qhold){.addr = __atomic_load_n(&r->addr, __ATOMIC_RELAXED), .pc = p->to_pc,
                              .res = r, .id = (uint32_t)id == kept_id(k) ? id : 0, .mode = p->to_mode};
    if (!tg__lockorder_on || !hold_is(&h[n - 1], TG_RF_IN_GRAPH, 0))
        return tail;
    uint32_t no_edge = 0;
    for (int j = 0; j < n - 1; j++)
        if (!hold_is(&h[j], TG_RF_IN_GRAPH, 0))
            no_edge |= 1u << j;
    const struct kept_clock *c = p->clock;
    if (!c->who)
        return entry_run(c->d->actor, hb_self(c->d->actor), 0, h, n, p->to_stack, no_edge, tail);
    const struct who *w = c->who;
    struct tg_actor then;
    struct tg_vc vc;
    memset(&then, 0, sizeof then);
    memset(&vc, 0, sizeof vc);
    then.id = w->actor;
    then.tid = w->tid;
    memcpy(then.name, w->name, sizeof then.name);
    then.name_gen = w->name_gen; /* so that who_current finds the who kept */
    vc.owner = w->actor;
    vc.slot = w->slot;
    vc.n = vc.cap = w->vc_n;
    vc.e = (struct hb_entry *)w->vc;
    vc.version = w->version;
    vc.snap = c->who;
    return entry_run(&then, c->has_vc ? &vc : NULL, 0, h, n, p->to_stack, no_edge, tail);
}

/* kept_settle's walk of r's list, once the flag is set. */
static __attribute__((noinline)) struct cycle **kept_settle_list(struct tg_res *r,
                                                                 struct cycle **tail)
{
    struct tg_kept *k = kept_detach(r);
    for (const struct tg_defer *mine = k ? kept_mine() : NULL; k;) {
        uintptr_t link = __atomic_load_n(&k->link, __ATOMIC_RELAXED);
        struct tg_kept *next = (struct tg_kept *)(link & KEPT_PTR);
        struct kept_ctx *p = kept_ctx_of(k);
        if (kept_claim(k, p, link, mine))
            tail = kept_run(r, k, tail);
        kept_put(k, p, mine);
        k = next;
    }
    return tail;
}

/* Under the engine lock, before an entry naming instance `id` of r is
 * handled: r stops being a leaf (no record is kept into it any more) and
 * what was kept into it goes to the graph. Inline: a lock that is OUT
 * already and has no records (most holds of most entries) costs two
 * loads. */
static inline struct cycle **kept_settle(struct tg_res *r, uint64_t id, struct cycle **tail)
{
    if (!r || tg__opt.lock_classes || r->id != id)
        return tail;
    /* The flag, then the list: a handshake with kept_add, whose every
     * access is sequentially consistent (see there). */
    if (!(__atomic_load_n(&r->flags, __ATOMIC_SEQ_CST) & TG_RF_LO_OUT))
        __atomic_fetch_or(&r->flags, TG_RF_LO_OUT, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&r->lo_kept, __ATOMIC_SEQ_CST))
        return tail;
    return kept_settle_list(r, tail);
}

/* 1 if d's actor has records that take its clock now (d's actor only:
 * others only lower the counts, so a 0 is never wrong): those of a
 * context in its set, or of one that left the set but not yet the clock
 * (each context holds a reference of the clock's). */
static int kept_live(const struct tg_defer *d)
{
    const struct kept_clock *c = d->kept_now;
    if (!c)
        return 0;
    int64_t ctxs = c->own + (__atomic_load_n(&c->refs, __ATOMIC_ACQUIRE) - KEPT_CURRENT);
    for (int i = 0; i < KEPT_CTXS; i++) {
        const struct kept_ctx *p = d->ctx[i];
        if (!p)
            continue;
        if (p->own + (__atomic_load_n(&p->refs, __ATOMIC_ACQUIRE) - KEPT_CURRENT) > 0)
            return 1;
        ctxs--;
    }
    return ctxs > 0;
}

/* Under the engine lock, before the clock of d's actor changes or its
 * record serves another actor: the records made since its clock last
 * changed keep the clock they were made with (a snapshot), and its
 * contexts, which name that clock, leave its set. */
static void kept_freeze(struct tg_defer *d)
{
    if (!kept_live(d))
        return;
    struct kept_clock *c = d->kept_now;
    struct taker t = {.a = d->actor, .vc = hb_self(d->actor)};
    if (!(c->who = who_now(&t)))
        return; /* out of memory: they take the clock of the moment they are handled */
    c->has_vc = t.vc != NULL;
    for (uint32_t i = 0; i < KEPT_CTXS; i++)
        if (d->ctx[i])
            kept_ctx_retire(d, i);
    d->kept_now = NULL;
    kept_clock_put(c, KEPT_CURRENT - c->own); /* refs: the contexts that name it */
}

/* A leaf keeps at most KEPT_PER_LEAF records: each actor that nests into
 * it leaves one until the leaf ends, and an actor that ended leaves it
 * too, so a lock that every short-lived thread of a server nests into
 * (a thread per request, each taking the same two locks) would keep one
 * per thread ever created. The nesting that finds the list full is
 * queued instead: its handling settles the leaf (kept_settle), whose
 * records go to the graph, where an edge keeps a bounded set of
 * occurrences, and the leaf is kept no more. */
#define KEPT_PER_LEAF 8

_Static_assert(KEPT_PER_LEAF <= KEPT_LEN_BITS + 1, "a full list's length fits its head's low bits");

static int kept_full(struct tg_res *r)
{
    return kept_len(__atomic_load_n(&r->lo_kept, __ATOMIC_RELAXED)) >= KEPT_PER_LEAF;
}

/* 1 if a nesting whose lock just taken is hold `top` of the calling
 * actor may be kept instead of queued, as far as that lock says: it is a
 * leaf, and its list is not full (see kept_add for the other holds). */
static int top_keepable(struct tg_held *top)
{
    struct tg_res *r = tg__opt.lock_classes ? NULL : own_res(top);
    if (!r)
        return 0;
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
    return leaf_kind(f) && r->id == (top->res_id ? top->res_id : r->id) &&
           !(f & (TG_RF_LO_NODE | TG_RF_LO_OUT)) && !kept_full(r);
}

/* 1 if context p fits the holds of a below `top`, the lock just taken:
 * the same instances, still current and marked as p's making left them
 * (flagged OUT, not destroyed), taken at the same places in the same
 * modes. Only a's thread calls it (it notes each hold's entry, as
 * own_res does). */
static int kept_ctx_holds(const struct kept_ctx *p, struct tg_actor *a, const struct tg_held *top)
{
    /* Read once: the stores to x->res below could alias them. */
    struct tg_held *x = a->held, *below_top = a->held + a->n_held - 1;
    const uintptr_t top_addr = top->addr;
    const struct qhold *q = p->h, *q_end = p->h + p->n;
    for (; x < below_top; x++) {
        if (x->released_by_other || x->addr == top_addr)
            continue; /* as holds_copy */
        if (q == q_end)
            return 0;
        if (x->addr != q->addr || x->pc != q->pc || x->stack != q->stack || x->mode != q->mode)
            return 0;
        struct tg_res *r = q->res;
        if (x->res ? x->res != r : x->as != 0)
            return 0; /* (a described lock's entry is looked up: own_res) */
        uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
        uint32_t want = TG_RF_IN_GRAPH | TG_RF_LO_OUT;
        if ((f & (want | TG_RF_DESTROYED)) != want ||
            __atomic_load_n(&r->addr, __ATOMIC_RELAXED) != x->addr ||
            (x->res_id ? x->res_id : r->id) != q->id)
            return 0;
        x->res = r; /* the entry at its address: the one lookup finds */
        q++;
    }
    return q == q_end;
}

/* kept_ctx_holds for a context p of one hold (p->n 1) and a nesting over
 * one hold, x (top just above it), in straight-line code: the same checks
 * (the hold's stack, mode and its two marks, which must be 0 here, lie
 * in one word of it: one compare). 0 where the general check may still
 * find that it fits (a described lock's hold). Lock churn under a table
 * lock and per-object locks nest this way. */
_Static_assert(offsetof(struct tg_held, mode) == offsetof(struct tg_held, stack) + 4 &&
                   offsetof(struct tg_held, released_by_other) == offsetof(struct tg_held, stack) + 5 &&
                   offsetof(struct tg_held, as) == offsetof(struct tg_held, stack) + 6 &&
                   offsetof(struct tg_held, zero) == offsetof(struct tg_held, stack) + 7,
               "a hold's stack, mode and marks are one word");
static inline __attribute__((always_inline)) int kept_ctx_one(const struct kept_ctx *p,
                                                             struct tg_held *x,
                                                             const struct tg_held *top)
{
    const struct qhold *q = p->h;
    struct tg_res *r = q->res;
    struct {
        uint32_t stack;
        uint8_t mode, released_by_other, as, zero;
    } fits = {q->stack, q->mode, 0, 0, 0};
    uint64_t word, want;
    memcpy(&word, &x->stack, sizeof word);
    memcpy(&want, &fits, sizeof want);
    if (x->addr != q->addr || x->pc != q->pc || word != want || x->addr == top->addr ||
        (x->res && x->res != r))
        return 0;
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
    uint32_t flagged = TG_RF_IN_GRAPH | TG_RF_LO_OUT;
    if ((f & (flagged | TG_RF_DESTROYED)) != flagged ||
        __atomic_load_n(&r->addr, __ATOMIC_RELAXED) != x->addr ||
        (x->res_id ? x->res_id : r->id) != q->id)
        return 0;
    x->res = r; /* as kept_ctx_holds */
    return 1;
}

/* The context in d's set that a's nesting now (to_stack its stack) fits,
 * NULL if none (a's thread only). The one that fitted a nesting over one
 * hold last (d->fit) is tried first, in straight-line code. */
static struct kept_ctx *kept_ctx_find(struct tg_defer *d, struct tg_actor *a, uint32_t to_stack)
{
    struct tg_held *top = &a->held[a->n_held - 1];
    struct kept_ctx *fit = d->fit;
    if (fit && a->n_held == 2 && fit->to_pc == top->pc && fit->to_stack == to_stack &&
        fit->to_mode == top->mode && kept_ctx_one(fit, a->held, top))
        return fit;
    for (int i = 0; i < KEPT_CTXS; i++) {
        struct kept_ctx *p = d->ctx[i];
        if (p && p->to_pc == top->pc && p->to_stack == to_stack && p->to_mode == top->mode &&
            kept_ctx_holds(p, a, top)) {
            if (p->n == 1)
                d->fit = p;
            return p;
        }
    }
    return NULL;
}

/* A context for the nesting of d's actor whose k holds are h (the top a
 * leaf: top_keepable) and whose stack is to_stack, put in d's set in
 * place of the one made longest ago; NULL if the nesting is to be queued
 * instead. Every hold must lie at an address free() can find (4-aligned).
 * The holds below the top are flagged OUT first (no record is kept into
 * them from then on); one that has records kept into it already makes
 * the nesting queued, so that they go to the graph before this edge out
 * of it (kept edges never follow one another, so none is on a cycle
 * while kept). That look is not made again for the records made later
 * with the context: while the instances it names live they stay OUT
 * (only their end clears it, and kept_ctx_holds sees that end), and a
 * record kept into one of them after it was flagged takes itself back
 * (kept_add). */
static struct kept_ctx *kept_ctx_new(struct tg_defer *d, const struct qhold *h, int k,
                                     uint32_t to_stack)
{
    /* Each lock's W, then its R: see kept_add. */
    for (int j = 0; j < k; j++)
        if (h[j].addr & 3)
            return NULL;
    for (int j = 0; j < k - 1; j++) {
        mark_named(h[j].res, h[j].addr, 1);
        if (__atomic_load_n(&h[j].res->lo_kept, __ATOMIC_SEQ_CST))
            return NULL;
    }
    struct kept_clock *c = d->kept_now;
    if (!c) {
        if (!(c = tg__alloc(sizeof *c)))
            return NULL;
        c->d = d;
        c->own = 0;
        __atomic_store_n(&c->refs, KEPT_CURRENT, __ATOMIC_RELAXED);
        d->kept_now = c;
    }
    struct kept_ctx *p = tg__alloc(sizeof *p);
    if (!p || !kept_ptr_fits(p)) {
        tg__free(p); /* (beyond what a record holds: see struct tg_kept) */
        return NULL;
    }
    c->own++;
    __atomic_store_n(&p->refs, KEPT_CURRENT, __ATOMIC_RELAXED);
    p->own = 0;
    p->d = d;
    p->clock = c;
    p->to_pc = h[k - 1].pc;
    p->to_stack = to_stack;
    p->to_mode = h[k - 1].mode;
    p->n = (uint8_t)(k - 1);
    memcpy(p->h, h, (size_t)(k - 1) * sizeof h[0]);
    p->current = 1;
    uint32_t i = d->ctx_next++ % KEPT_CTXS;
    if (d->ctx[i])
        kept_ctx_retire(d, i);
    d->ctx[i] = p;
    if (p->n == 1)
        d->fit = p;
    return p;
}

/* kept_add for a leaf that others may name or push to (not `alone`,
 * below): its marks by mark_flags, the push by a compare-and-swap, then
 * the look at the flags (L) of the handshake. k: a record of d's, its ctx
 * and link's id written. */
static __attribute__((noinline)) int kept_add_shared(struct tg_res *r, uint32_t f, uintptr_t addr,
                                                     struct tg_kept *k, uintptr_t id_lo)
{
    if (!(f & TG_RF_IN_GRAPH))
        mark_flags(r, addr, 0, f);
    /* P, a release too: whoever detaches the record sees what was written. */
    struct tg_kept *head = __atomic_load_n(&r->lo_kept, __ATOMIC_RELAXED);
    do
        __atomic_store_n(&k->link, (uintptr_t)kept_first(head) | id_lo, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&r->lo_kept, &head, kept_pushed(k, head), 1,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    f = __atomic_load_n(&r->flags, __ATOMIC_SEQ_CST); /* L */
    if (!(f & (TG_RF_LO_NODE | TG_RF_LO_OUT)))
        return 1;
    /* Settled meanwhile: the nesting is queued, unless a settle has
     * handled the record already. The record stays in the list either
     * way, and whoever detaches it gives it back. */
    return kept_take(k) ? -1 : 1;
}

/* Keeps a nesting of d's actor into leaf r (instance id, at addr) with
 * context p (d's, current): 1 if done (or if its leaf ended under it);
 * if it is to be queued instead, 0 if no record was pushed, -1 if one
 * was (it stays in the leaf's list, taken back: whoever detaches it gives
 * it back). Inline in defer for the common case of a fresh instance (lock
 * churn, short-lived objects); kept_add_shared has the rest. */
static inline __attribute__((always_inline)) int kept_add(struct tg_defer *d, struct kept_ctx *p,
                                                          struct tg_res *r, uint64_t id,
                                                          uintptr_t addr)
{
    /* No fence: every access of the handshake with a lock's OUT is
     * sequentially consistent, so all of them lie in one total order S.
     * The other side (a nesting that takes a lock under one of ours, in
     * mark_named, or a settle) first finds OUT in the lock's flags (W: the
     * RMW that sets it, or a load that finds it set), then reads or
     * empties its list (R). This one pushes its record (P) and then loads
     * the flags (L). If L misses OUT, L comes in S before the RMW that set
     * it, and so does P, sequenced before L; W is that RMW or a load that
     * read from it, so R, sequenced after W, sees the push (or a later
     * exchange, whose thread then has the record): one side sees the
     * other. The same holds with the roles swapped for the locks below
     * our top (mark_named's W, then our loads of their lists as R, made
     * once per context: kept_ctx_new). On x86 these loads are plain loads
     * and the RMWs locked instructions whatever their order; the two
     * fences were two more. */
    if (addr & 3)
        return 0;
    /* The leaf's marks. A fresh instance (nothing names it yet) that the
     * calling thread holds alone takes them with a plain store, not a
     * locked exchange: no one else writes its flags meanwhile (marks come
     * from its holders, or from what names it; res.c's writes come at its
     * end, or add to a described lock's), unless the program ends the lock
     * as it holds it (the argument of instance_ended). */
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
    int alone = !(f & (TG_RF_IN_GRAPH | TG_RF_DESCRIBED)) && p->to_mode != TG_MODE_READ;
    if (alone) {
        __atomic_store_n(&r->flags, f | TG_RF_IN_GRAPH | TG_RF_LO_PINNED, __ATOMIC_RELAXED);
        if (!(f & TG_RF_LO_PINNED)) /* else a lingering pin, taken over */
            pin(addr);
        d->hint[hint_slot(addr >> FINE_SHIFT)] = r;
    }
    struct tg_kept *k = kept_alloc(d);
    if (!k) {
        if (!alone && !(f & TG_RF_IN_GRAPH))
            mark_flags(r, addr, 0, f);
        return 0;
    }
    const unsigned top = 64 - KEPT_ID_BITS;
    k->ctx = (uintptr_t)p | (uintptr_t)(uint32_t)id >> KEPT_ID_BITS << top;
    p->own++;
    const uintptr_t id_lo = (uintptr_t)(uint16_t)id << top; /* in the link, its taken mark clear */
    if (!alone)
        return kept_add_shared(r, f, addr, k, id_lo);
    /* Nor does anyone else push to or empty its list meanwhile: a push
     * comes from a holder, a settle from an entry that names the instance
     * (none does: it was fresh), an end from a program that ends the lock
     * as it holds it. So the push is a plain store, and the other side of
     * the handshake holds the lock after us (it nests under it), which
     * orders our push before its look. A release: whoever detaches the
     * record sees what was written. */
    struct tg_kept *head = __atomic_load_n(&r->lo_kept, __ATOMIC_RELAXED);
    __atomic_store_n(&k->link, (uintptr_t)kept_first(head) | id_lo, __ATOMIC_RELAXED);
    __atomic_store_n(&r->lo_kept, kept_pushed(k, head), __ATOMIC_RELEASE);
    return 1;
}

/* The rest of such an end, once the leaf's records were dropped: its
 * marks go (add set with them), and chains through its address are
 * validated again. */
static inline __attribute__((always_inline)) void leaf_retire(struct tg_res *r, uintptr_t addr,
                                                             int freed, uint32_t add)
{
    instance_end_as(r, addr, freed, 1, add, freed ? 0 : TG_RF_LO_PINNED);
    __atomic_fetch_add(&tg__chain_gen[TG_CHAIN_GEN_OF(addr)], 1, __ATOMIC_RELAXED);
    struct tg_actor *a = tg__current;
    if (a && a->defer)
        a->defer->dropped++;
    else
        __atomic_fetch_add(&retired_total, 1, __ATOMIC_RELAXED);
}

/* A leaf at addr (entry r) that no queue names ends without the engine
 * lock unless its actor took one of its records back: 1 if it did, and
 * then with the flags `add` set as its marks go (instance_end_as). */
static inline __attribute__((always_inline)) int kept_leaf_ends_as(struct tg_res *r, uintptr_t addr,
                                                                  int freed, uint32_t add)
{
    if (!kept_drop_all(r))
        return 0;
    leaf_retire(r, addr, freed, add);
    return 1;
}

static inline __attribute__((always_inline)) int kept_leaf_ends(struct tg_res *r, uintptr_t addr,
                                                               int freed)
{
    return kept_leaf_ends_as(r, addr, freed, 0);
}

/* kept_sweep of entry r, found at 4-aligned address p. A kept leaf
 * whose list holds only the calling thread's own lone record (an object
 * one thread makes, nests into and frees) ends as tg__lockorder_forget's
 * common end does (kept_only_own): no one pushes to the list of a lock
 * whose memory the program frees. */
static inline __attribute__((always_inline)) void sweep_at(struct tg_res *r, uintptr_t p,
                                                           int retire)
{
    if (__atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) != p)
        return;
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
    if (!(f & TG_RF_IN_GRAPH)) {
        if (f & TG_RF_LO_PINNED) /* a lingering pin, whatever the kind now */
            tg__res_pin_drop(r, p);
        return;
    }
    if (!leaf_kind(f))
        return;
    if (retire) {
        instance_ended(r, p, 1, 0);
        __atomic_fetch_add(&tg__chain_gen[TG_CHAIN_GEN_OF(p)], 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&retired_total, 1, __ATOMIC_RELAXED);
    } else if (!(f & (TG_RF_LO_NODE | TG_RF_LO_OUT))) {
        struct tg_kept *k;
        uintptr_t link = 0;
        if (!kept_only_own(r, &k, &link)) {
            kept_leaf_ends(r, p, 1);
        } else if (k) {
            kept_end_own(r, k, link);
            leaf_retire(r, p, 1, 0);
        }
    }
}

/* sweep_in's walk: the entries of the 4-aligned addresses of [p, end),
 * which lie in one granule of the entry table's, found in one walk of
 * its index (tg__res_granule), not by a lookup at each address, but for
 * `done`, swept already. 1 if the granule still counts an instance
 * afterwards (*w >> shift: its count). (`done` is swept already: a
 * second look would find it ended, or unchanged if the engine is to end
 * it.) */
_Static_assert(TG_RES_GRANULE == 1 << FINE_SHIFT, "a granule of free()'s counts is one of the table's");
static __attribute__((noinline)) int sweep_walk(uintptr_t p, uintptr_t end, int retire,
                                                const _Atomic uint64_t *w, unsigned shift,
                                                const struct tg_res *done)
{
    struct tg_res *found[TG_RES_GRANULE];
    int n = tg__res_granule(p & ~(uintptr_t)(TG_RES_GRANULE - 1), found);
    for (int i = 0; i < n; i++) {
        uintptr_t at = __atomic_load_n(&found[i]->addr, __ATOMIC_RELAXED);
        if (found[i] != done && at >= p && at < end && !(at & 3))
            sweep_at(found[i], at, retire);
    }
    return (uint32_t)(__atomic_load_n(w, __ATOMIC_RELAXED) >> shift) != 0;
}

/* kept_sweep of the 4-aligned addresses of [p, end), which lie in one
 * granule, inline in kept_sweep's loop: the entry the running actor's
 * hint names for the granule is swept first. Most
 * locks freed lie where the thread made them a leaf alone; if the
 * granule's count is 0 once that entry was swept, the granule holds no
 * other instance and its entries are not walked (sweep_walk). A stale
 * hint is an entry that lies elsewhere now (passed over) or that the walk
 * would find too (entries never leave their slabs, and sweep_at checks
 * the address again). */
static inline __attribute__((always_inline)) int sweep_in(uintptr_t p, uintptr_t end, int retire,
                                                         const _Atomic uint64_t *w, unsigned shift)
{
    const struct tg_defer *d = kept_mine();
    struct tg_res *h = d ? d->hint[hint_slot(p >> FINE_SHIFT)] : NULL;
    if (h) {
        uintptr_t at = __atomic_load_n(&h->addr, __ATOMIC_RELAXED);
        if (at >= p && at < end && !(at & 3)) {
            sweep_at(h, at, retire);
            if (!(uint32_t)(__atomic_load_n(w, __ATOMIC_RELAXED) >> shift))
                return 0;
            return sweep_walk(p, end, retire, w, shift, h);
        }
    }
    return sweep_walk(p, end, retire, w, shift, NULL);
}

/* free() of [lo, hi): the instances named there that are no nodes, found
 * in the entry table at the 4-aligned addresses of the granules that
 * count an instance named (one walk of the table a granule), end. Without
 * the engine lock (retire 0), only kept leaves nothing else names; what
 * is left is for the engine, which retires every one (retire 1) once the
 * queues entries naming them were handled and the nodes there retired.
 * Bounded by the part of the block near locks. 1 if a granule of the
 * block still counted an instance (or one it cannot end here: lock
 * classes) when looked at again just after its sweep, so that free()
 * needs no second pass over the block to know whether the engine has
 * work left. The region below region_end is known to count (0: none). */
static inline __attribute__((always_inline)) int kept_sweep(uintptr_t lo, uintptr_t hi,
                                                           int retire, uintptr_t region_end)
{
    if (tg__opt.lock_classes)
        return 1;
    /* One pass over the block's granules; a grain's row of counts is
     * found when the pass enters the grain, and a region without a lock
     * of the graph is passed over at once. */
    int left = 0;
    uintptr_t p = (lo + 3) & ~(uintptr_t)3;
    if (p >= hi)
        return 0;
    const _Atomic uint64_t *row = NULL;
    for (uintptr_t granule = p >> FINE_SHIFT, last = (hi - 1) >> FINE_SHIFT; granule <= last;
         granule++) {
        uintptr_t at = granule << FINE_SHIFT;
        if (!row || !(granule & (GRANULES - 1))) {
            if (at >= region_end) {
                size_t rb = region_bucket(at >> REGION_SHIFT);
                region_end = ((at >> REGION_SHIFT) + 1) << REGION_SHIFT;
                if (!__atomic_load_n(&region_count[rb], __ATOMIC_RELAXED) &&
                    !__atomic_load_n(&region_pinned[rb], __ATOMIC_RELAXED)) {
                    granule = (region_end >> FINE_SHIFT) - 1;
                    row = NULL;
                    continue;
                }
            }
            row = place_count[count_row(granule >> (GRAIN_SHIFT - FINE_SHIFT))];
        }
        /* Two granules a word: a word that counts nothing passes both. */
        const _Atomic uint64_t *w = &row[(granule >> 1) & (GRANULES / 2 - 1)];
        uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
        if (!v) {
            granule |= 1;
            continue;
        }
        unsigned shift = (unsigned)(granule & 1) * 32;
        if ((uint32_t)(v >> shift)) {
            uintptr_t next = at + ((uintptr_t)1 << FINE_SHIFT);
            left |= sweep_in(at > p ? at : p, next < hi ? next : hi, retire, w, shift);
        }
    }
    return left;
}

/* free()'s look, inline in tg__lockorder_freed (one frame, not two). */
static inline __attribute__((always_inline)) int kept_freed(uintptr_t lo, uintptr_t hi,
                                                           uintptr_t region_end)
{
    return kept_sweep(lo, hi, 0, region_end);
}

/* Copies a's holds into h, the lock just taken last: how many, or -1 if
 * more than max or one without an entry. */
static int holds_copy(struct tg_actor *a, struct qhold *h, int max)
{
    struct tg_held *top = &a->held[a->n_held - 1]; /* (read once: stores to h may alias a) */
    uintptr_t top_addr = top->addr;
    int k = 0;
    for (struct tg_held *x = a->held; x <= top; x++) {
        /* Holds of the lock just taken again (a recursive relock) make no
         * edge: an entry keeps only holds that each get one, and so a node. */
        if (x->released_by_other || (x != top && x->addr == top_addr))
            continue;
        struct tg_res *r = own_res(x);
        if (!r || k == max)
            return -1;
        h[k++] = (struct qhold){.addr = x->addr, .pc = x->pc, .res = r,
                                .id = x->res_id ? x->res_id : r->id, .stack = x->stack,
                                .mode = x->mode};
    }
    return k;
}

/* defer's queued nesting (d: a's queue): its holds copied into an entry,
 * and from there into a new context if keep says it may be kept (its top
 * a leaf that no context of a's fitted). Out of line: the kept nesting
 * before it is the common case, and needs few registers. */
static __attribute__((noinline)) int defer_queue(struct tg_actor *a, struct tg_defer *d, int keep,
                                                 uint32_t to_stack)
{
    /* The queue's room is needed from here on (a kept nesting takes none:
     * the flags its queued entries set are set already). */
    uint32_t tail = __atomic_load_n(&d->tail, __ATOMIC_RELAXED);
    if (tail - __atomic_load_n(&d->head, __ATOMIC_ACQUIRE) >= DEFER_SIZE)
        tg__lockorder_drain(a);
    struct qentry *e = QE(d, tail);
    int k = holds_copy(a, e->h, DEFER_HOLDS);
    if (k < 2)
        return k >= 0; /* (0 or 1 hold: nothing below it, no edge) */
    if (!to_stack)
        to_stack = tg__stack_capture_own(&d->memo, 2);
    if (keep) {
        const struct qhold *t = &e->h[k - 1];
        struct kept_ctx *p = kept_ctx_new(d, e->h, k, to_stack);
        if (p && kept_add(d, p, t->res, t->id, t->addr) > 0)
            return 1;
    }
    e->to_stack = to_stack;
    /* Classes never leave the graph: nothing to mark. */
    if (!tg__opt.lock_classes)
        for (int j = 0; j < k; j++)
            mark_named(e->h[j].res, e->h[j].addr, 1);
    __atomic_store_n(&e->n, k, __ATOMIC_RELAXED);
    __atomic_store_n(&d->tail, tail + 1, __ATOMIC_RELEASE);
    a->lo_queued = 1;
    return 1;
}

/* Records a's nesting in its queue (its actor alone writes it), or keeps
 * it (leaves kept); 0 if it is to be handled at once: a deep nesting, a
 * lock the table has no room for, no memory. to_stack: the nesting's
 * stack if known, else 0 (captured here when needed). A nesting into a
 * leaf that fits a context of a's copies no hold; otherwise the holds are
 * copied into the entry, and from there into a new context if it is kept. */
static inline __attribute__((always_inline)) int defer(struct tg_actor *a, uint32_t to_stack)
{
    struct tg_defer *d = queue_of(a);
    if (!d)
        return 0;
    struct tg_held *top = &a->held[a->n_held - 1];
    int keep = top_keepable(top);
    if (keep) {
        if (!to_stack)
            to_stack = tg__stack_capture_own(&d->memo, 2);
        struct kept_ctx *p = kept_ctx_find(d, a, to_stack);
        if (p && kept_add(d, p, top->res, top->res_id ? top->res_id : top->res->id, top->addr) > 0)
            return 1;
        keep = !p;
    }
    return defer_queue(a, d, keep, to_stack);
}

/* 1 if instance id of r (flags was, read from r while it was that
 * instance: the kind there is its kind) is a leaf that only records name. */
static inline __attribute__((always_inline)) int leaf_only(const struct tg_res *r, uint64_t id,
                                                          uint32_t was)
{
    return !tg__opt.lock_classes && !(was & (TG_RF_LO_NODE | TG_RF_LO_OUT)) && leaf_kind(was) &&
           r->id == id;
}

/* An instance of the graph ends as a leaf that only records named (leaves
 * kept): its part in lock order ends without the engine lock. 1 if it
 * did. */
static int leaf_end(struct tg_res *r, uint64_t id, uint32_t was, uintptr_t addr, uint32_t add)
{
    return leaf_only(r, id, was) && kept_leaf_ends_as(r, addr, 0, add);
}

/* Every end tg__lockorder_forget does not make inline. */
static __attribute__((noinline)) void forget_any(struct tg_res *r, uint64_t id, uint32_t was,
                                                 uint32_t add)
{
    uintptr_t addr = __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE);
    tg__guard++;
    if (!leaf_end(r, id, was, addr, add)) {
        forget_locked(r, id, was, addr);
        if (add) /* last: the entry may be claimed from then on */
            __atomic_fetch_or(&r->flags, add, __ATOMIC_RELEASE);
    }
    tg__guard--;
}

/* The common end, a leaf into which nothing was kept but the calling
 * thread's own lone record, with its context current (a lock one thread
 * makes, nests into and ends: lock churn), is leaf_end's work with no
 * call, so that it saves no registers; every other goes to forget_any.
 * Its list is emptied with a plain store, not kept_detach's exchange (a
 * locked instruction on every lock churned): nobody else pushes to or
 * empties it meanwhile. A push comes from a thread that holds the lock,
 * unless the program ends the lock as it uses it (the argument of
 * instance_ended and of kept_add's push). An emptying comes from the
 * handling of what names the instance: a queued entry, which flagged it
 * OUT (then the end is not a leaf's), or another thread's repeat of a
 * nesting into it (a renewal, recorded by that thread after it let the
 * lock go, as this one ends it), which only a thread with a record in the
 * list makes: its first nesting into the instance was kept (a record
 * leaves the list only with its instance, or flagged OUT) or queued
 * (OUT). Another thread's record in the list takes the exchange. */
void tg__lockorder_forget(struct tg_res *r, uint64_t id, uint32_t was, uint32_t add)
{
    struct tg_kept *k;
    uintptr_t link = 0;
    if (!leaf_only(r, id, was) || !kept_only_own(r, &k, &link)) {
        forget_any(r, id, was, add);
        return;
    }
    uintptr_t addr = __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE);
    tg__guard++;
    kept_end_own(r, k, link);
    leaf_retire(r, addr, 0, add);
    tg__guard--;
}

/* 1 if queued holds a and b are the same hold. */
static int qhold_same(const struct qhold *a, const struct qhold *b)
{
    return a->addr == b->addr && a->pc == b->pc && a->res == b->res && a->id == b->id &&
           a->stack == b->stack && a->mode == b->mode;
}

/* Notes that a repeats chain `key` (validated in an older generation) at
 * its own clock now (to_stack: the nesting's stack if known, else 0): 1
 * if noted, 0 if the slow path is to handle it as a new chain (deeper
 * than RENEW_DEEP, no memory). Only a's thread calls it. */
static int renew(struct tg_actor *a, uint64_t key, uint32_t to_stack)
{
    struct tg_vc *vc = a->vc;
    struct tg_defer *d = vc && vc->owner == a->id && vc->slot ? queue_of(a) : NULL;
    struct renewals *r = d ? d->renewed : NULL;
    if (d && !r && (r = tg__alloc(sizeof *r)))
        __atomic_store_n(&d->renewed, r, __ATOMIC_RELEASE); /* the ticks look */
    if (!r)
        return 0;
    uint32_t clock = vc_at(vc, vc->slot);
    tg__own_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        if (r->e[i].key == key) { /* the latest repeat of a chain counts */
            r->e[i].clock = clock;
            tg__own_unlock(&r->lock);
            return 1;
        }
    int at = r->n < RENEW_MAX ? r->used : RENEW_HOLDS;
    struct renewal last = r->n ? r->e[r->n - 1] : (struct renewal){.n = 0};
    tg__own_unlock(&r->lock);
    if (at > 0 && at + a->n_held > RENEW_HOLDS) { /* no room: the waiting ones go first */
        drain_own(d, DRAIN_RENEWED, 1, 0);
        at = 0;
        last.n = 0;
    }
    int k = holds_copy(a, r->h + at, RENEW_DEEP);
    if (k < 0)
        return 0;
    if (k < 2)
        return 1; /* nothing below it: no edge */
    if (!to_stack)
        to_stack = tg__stack_capture_own(&d->memo, 2);
    /* Only this thread writes the holds: the last one's are read unlocked. */
    int share = last.n == k - 1 && last.at + last.n == at;
    for (int j = 0; share && j < k - 1; j++)
        share = qhold_same(&r->h[last.at + j], &r->h[at + j]);
    tg__own_lock(&r->lock);
    int first = at;
    if (r->used != at) { /* recorded meanwhile: the room starts again at 0 */
        memmove(r->h, r->h + at, (size_t)k * sizeof r->h[0]);
        first = at = 0;
    } else if (share) { /* the last one's holds and this top */
        r->h[at] = r->h[at + k - 1];
        first = last.at;
    }
    r->e[r->n] = (struct renewal){.key = key, .clock = clock, .to_stack = to_stack, .n = k, .at = first};
    r->used = first + k;
    __atomic_store_n(&r->n, r->n + 1, __ATOMIC_RELEASE);
    tg__own_unlock(&r->lock);
    return 1;
}

/* chain_renewed for every case but a new chain put at the empty slot
 * of a table with room. */
static __attribute__((noinline)) void chain_renewed_slow(struct tg_actor *a, long older,
                                                         uint64_t key)
{
    uint64_t v = key ^ a->chain_salt;
    if (older < 0) {
        chain_cache_put(a, key, older < -1 ? -2 - older : -1);
        return;
    }
    if (v) /* (0 marks an empty slot: the chain stays in its older generation) */
        a->chain_cache[older] = v;
    a->chain_fresh = 1;
}

/* Remembers that a's chain `key` is validated, in the slot of its older
 * generation if it has one (older >= 0), so that the generations of a
 * chain that is handled anew after every post do not pile up there; else
 * at the empty slot chain_older found (older < -1), if a's table has not
 * changed since (only chain_cache_put changes it). Inline for the common
 * case of a first nesting (lock churn: one per lock made), chain_put_found,
 * without a call. */
static inline __attribute__((always_inline)) void chain_renewed(struct tg_actor *a, long older,
                                                               uint64_t key)
{
    if (older < -1 && chain_put_found(a, key ^ a->chain_salt, -2 - older))
        return;
    chain_renewed_slow(a, older, key);
}

/* A chain the actor has not had validated: each of its newest holds and
 * the lock just taken make an edge. Usually recorded in the actor's queue
 * (above); a deep nesting is handled here, after the queue, with the stack
 * of the acquisition captured only when an occurrence is new. */
void tg__lockorder_slow(struct tg_actor *a)
{
    tg__lockorder_slow_at(a, tg__program_slot(), -1);
}

/* tg__lockorder_slow_at's nesting handled at once, under the engine lock
 * (to_stack its stack if known; older and key for chain_renewed). Out of
 * line, with the frame the handling needs: the ways before it return
 * without the engine lock, and need few registers. */
static __attribute__((noinline)) void slow_locked(struct tg_actor *a, uint32_t to_stack,
                                                  long older, uint64_t key)
{
    struct cycle *found = NULL, **tail = &found, *c = NULL;
    struct taker t;
    tg__lock();
    if (a->defer)
        tail = drain_queue(a->defer, tail);
    a->lo_queued = 0;
    for (int i = 0; i < a->n_held; i++) {
        struct tg_held *h = &a->held[i];
        struct tg_res *r = h->released_by_other ? NULL : own_res(h);
        if (r)
            tail = kept_settle(r, h->res_id ? h->res_id : r->id, tail);
    }
    taker_init(&t, a, hb_self(a), a->held, a->n_held, to_stack);
    int todo = plan_any(&t);
    if (todo && !to_stack) {
        /* The unwinder runs with the engine lock released if the stack is
         * not one seen before: the holds stay a's own, but the graph may
         * change, so it is looked at again then. */
        int unlocked = 0;
        t.to_stack = tg__stack_capture_locked(2, &unlocked);
        if (unlocked)
            todo = plan_any(&t);
    }
    if (todo)
        apply(&t, &c);
    found_add(tail, c);
    tg__unlock();
    chain_renewed(a, older, key);
    report_all(found);
}

void tg__lockorder_slow_at(struct tg_actor *a, const uintptr_t *slot, long empty)
{
    const struct tg_held *top = &a->held[a->n_held - 1];
    uint64_t key = top->chain;
    /* Nearly every way on needs the nesting's stack: the actor's memo
     * knows it usually (the stack a capture would give). */
    uint32_t to_stack = top->stack;
    if (!to_stack && a->defer)
        to_stack = tg__own_find(a->defer->memo, slot);
    tg__guard++;
    /* While every key of the cache is of the current generation, the
     * probe that missed (empty) tells what chain_older would. */
    long older = empty >= 0 && !a->chain_old_gens && !a->chain_stale ? -2 - empty
                                                                      : chain_older(a, key);
    /* Validated before a create or a post, validated before the cache
     * grew, or queued (or kept): no engine lock. */
    if ((older >= 0 && renew(a, key, to_stack)) || chain_in_old(a, key) || defer(a, to_stack))
        chain_renewed(a, older, key);
    else
        slow_locked(a, to_stack, older, key);
    tg__guard--;
}
