/* SPDX-License-Identifier: MIT */
/* engine_inline.h: the hold/release fast path, inlined into every frontend.
 * Included only by engine.h. It touches only the actor's own held list. */
#ifndef TG_CORE_ENGINE_INLINE_H
#define TG_CORE_ENGINE_INLINE_H

/* Fills in the hold of addr at h, not yet counted, for a lock known by
 * its address only (res NULL, res_id 0). The fields a lock taken alone
 * never needs are left for the slow paths to derive: its chain key is
 * computed only if a nesting needs it (tg__chain_key), and its time
 * (tg_held.since) is the caller's to write, while hold_ms is set. */
static inline void tg__hold_fill_addr(struct tg_held *h, uintptr_t addr, enum tg_mode m,
                                      uintptr_t pc, unsigned as)
{
    h->addr = addr;
    h->pc = pc;
    /* res to since: two 16-byte stores of zeros, then mode and as unless
     * they are 0 (an untimed mutex lock writes nothing more). */
    memset(&h->res, 0, offsetof(struct tg_held, since) - offsetof(struct tg_held, res));
    h->mode = (uint8_t)m;
    h->as = (uint8_t)as;
}

/* The same for a hold whose entry r (instance id) is known. */
static inline void tg__hold_fill(struct tg_held *h, uintptr_t addr, struct tg_res *r, uint64_t id,
                                 enum tg_mode m, uintptr_t pc, unsigned as)
{
    tg__hold_fill_addr(h, addr, m, pc, as);
    h->res = r;
    h->res_id = id;
}

/* as: tg_held.as (0 unless a lock its user describes is held by address). */
static inline void tg__push_hold_as(struct tg_actor *a, uintptr_t addr, struct tg_res *r,
                                    uint64_t id, enum tg_mode m, uintptr_t pc, unsigned as)
{
    int n = a->n_held;
    if (TG_UNLIKELY(n == a->cap_held) && tg__held_grow(a) != 0)
        return; /* out of memory: this hold goes untracked (warned once) */
    tg__hold_fill(&a->held[n], addr, r, id, m, pc, as);
    if (TG_UNLIKELY(tg__hold_watch))
        a->held[n].since = tg__now_ns();
    /* The new entry must be complete before a reader can count it. */
    __atomic_store_n(&a->n_held, n + 1, __ATOMIC_RELEASE);
}

static inline void tg__push_hold(struct tg_actor *a, uintptr_t addr, struct tg_res *r,
                                 uint64_t id, enum tg_mode m, uintptr_t pc)
{
    tg__push_hold_as(a, addr, r, id, m, pc, 0);
}

static inline void tg__acquired(struct tg_actor *a, struct tg_res *r, enum tg_mode m, uintptr_t pc)
{
    tg__push_hold(a, r->addr, r, r->id, m, pc);
}

static inline void tg__acquired_addr(struct tg_actor *a, uintptr_t addr, enum tg_mode m, uintptr_t pc)
{
    tg__push_hold(a, addr, NULL, 0, m, pc);
}

static inline void tg__acquired_as(struct tg_actor *a, uintptr_t addr, enum tg_mode m, uintptr_t pc,
                                   unsigned as)
{
    tg__push_hold_as(a, addr, NULL, 0, m, pc, as);
}

/* Removes hold i of a: the holds above it move down, and their chain
 * keys, which counted the hold removed, are forgotten (computed again by
 * the next nesting that needs them). */
static inline void tg__held_remove(struct tg_actor *a, int i)
{
    int n = a->n_held;
    for (int j = i; j < n - 1; j++) {
        a->held[j] = a->held[j + 1];
        a->held[j].chain = 0;
    }
    __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
}

static inline int tg__released(struct tg_actor *a, struct tg_res *r)
{
    int n = a->n_held;
    if (TG_LIKELY(n > 0 && a->held[n - 1].addr == r->addr)) {
        __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
        return 0;
    }
    for (int i = n - 2; i >= 0; i--) {
        if (a->held[i].addr == r->addr) {
            tg__held_remove(a, i);
            return 0;
        }
    }
    return -1;
}

/* task->host is set by the frontend when it creates the task (tasks never
 * change hosts), not here: this runs on every switch. */
static inline void tg__actor_switch(struct tg_actor *host, struct tg_actor *task)
{
    tg__current = task ? task : host;
    __atomic_store_n(&host->running, task, __ATOMIC_RELEASE);
}

/* Task actor a's parked wait was ended (its park claimed) by another
 * thread, whose own waits come after this: the detector counts that wait
 * as over (a is about to run) even before a's scheduler thread runs it
 * and withdraws it, which on a loaded machine can take longer than a
 * stall lasts. Called after the claim is stored and before a can run:
 * marks a's published wait, if any (its wait_seq, a counter that only
 * grows, also across renewals). A wait published after the claim is
 * marked by its publisher (tg__actor_woken_published): the claimer fences
 * between its claim and its read of wait_seq, the publisher between its
 * wait_seq and its read of the claim (tg__wait_begin), so of the two at
 * least one sees the other. */
static inline void tg__actor_woken(struct tg_actor *a)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t seq = __atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE);
    if (seq & 1)
        __atomic_store_n(&a->woken_seq, seq, __ATOMIC_RELEASE);
}
/* The publisher's half: the wait a just published (tg__wait_begin) had
 * been claimed already. */
static inline void tg__actor_woken_published(struct tg_actor *a)
{
    __atomic_store_n(&a->woken_seq, __atomic_load_n(&a->wait_seq, __ATOMIC_RELAXED),
                     __ATOMIC_RELEASE);
}

/* ---- task actors: renewal and end (engine.c has the rest) ---------------- */
extern struct tg_actor **tg__actors;
/* The calling thread's block of task ids, [next, end) (engine.c). */
extern __thread uint64_t tg__task_id_next __attribute__((tls_model("initial-exec")));
extern __thread uint64_t tg__task_id_end __attribute__((tls_model("initial-exec")));

/* 1 if a (kept by its caller) can be renewed in place: a task actor that
 * ended holding nothing and still owns its registry slot. */
static inline int tg__actor_renewable(const struct tg_actor *a)
{
    return a->kind == TG_ACTOR_TASK && a->n_held == 0 && !a->joined &&
           __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == TG_ST_EXITED &&
           __atomic_load_n(&tg__actors[a->slot], __ATOMIC_RELAXED) == a;
}

/* Renews a (tg__actor_renewable) for a new task with the given id.
 * Owned by the caller, ended, holding nothing: nobody else writes it (its
 * registry slot is not free, no hold of it can be released by another),
 * and readers of an ended actor that holds nothing find no wait, no hold
 * and no pending call in it. So it is renewed without the engine lock,
 * touching only what names it; the id, cleared first and set last, tells
 * a reader copying its name (tg__actor_ident) that the copy may mix two
 * tasks. Whatever else a task's life changes is either meaningful only
 * while it waits or holds (both over now) or counts up across renewals
 * (wait_seq, pending_seq), so that a reader's stale mark of the old task
 * never matches the new one. */
static inline void tg__actor_renew_in_place(struct tg_actor *a, uint64_t id, const char *name,
                                            uint64_t parent, uintptr_t pc,
                                            struct tg_actor *host, void *user)
{
    __atomic_store_n(&a->id, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(a->name, name, sizeof a->name);
    a->name[sizeof a->name - 1] = 0;
    a->parent = parent;
    a->created = 0;
    a->created_pc = pc;
    a->host = host;
    a->tid = host ? host->tid : 0;
    a->user = user;
    a->wait_stack = 0;
    a->chain_salt = id * 0x9E3779B97F4A7C15ull;
    a->chain_stale = a->chain_cache != NULL;
    __atomic_store_n(&a->id, id, __ATOMIC_RELEASE);
    __atomic_store_n(&a->state, TG_ST_RUNNING, __ATOMIC_RELEASE);
}

static inline struct tg_actor *tg__actor_renew_task(struct tg_actor *old, const char *name,
                                                    uint64_t parent, uintptr_t pc,
                                                    struct tg_actor *host, void *user)
{
    uint64_t id = tg__task_id_next;
    if (TG_UNLIKELY(id == tg__task_id_end || !tg__actor_renewable(old)))
        return tg__actor_renew(old, name, parent, pc, host, user);
    tg__task_id_next = id + 1;
    tg__actor_renew_in_place(old, id, name, parent, pc, host, user);
    return old;
}

static inline void tg__actor_exit_task(struct tg_actor *a, int report_holds)
{
    if (TG_LIKELY(!a->defer && a->kind == TG_ACTOR_TASK && a->n_held == 0))
        __atomic_store_n(&a->state, TG_ST_EXITED, __ATOMIC_RELEASE);
    else
        tg__actor_exit(a, report_holds);
}

#endif
