/* SPDX-License-Identifier: MIT */
/* engine_inline.h: the hold/release fast path, inlined into every frontend.
 * Included only by engine.h. It touches only the actor's own held list. */
#ifndef TG_CORE_ENGINE_INLINE_H
#define TG_CORE_ENGINE_INLINE_H

/* as: tg_held.as (0 unless a lock its user describes is held by address). */
static inline void tg__push_hold_as(struct tg_actor *a, uintptr_t addr, struct tg_res *r,
                                    uint64_t id, enum tg_mode m, uintptr_t pc, unsigned as)
{
    if (TG_UNLIKELY(a->n_held == a->cap_held) && tg__held_grow(a) != 0)
        return; /* out of memory: this hold goes untracked (warned once) */
    struct tg_held *h = &a->held[a->n_held];
    h->addr = addr;
    h->res = r;
    h->res_id = id;
    h->pc = pc;
    h->stack = 0;
    h->mode = (uint8_t)m;
    h->released_by_other = 0;
    h->as = (uint8_t)as;
    h->since = TG_UNLIKELY(tg__hold_watch) ? tg__now_ns() : 0;
    /* Its chain key is computed only if a nesting needs it (tg__chain_key):
     * a lock taken alone pays nothing for lock order. */
    h->chain = 0;
    /* The new entry must be complete before a reader can count it. */
    __atomic_store_n(&a->n_held, a->n_held + 1, __ATOMIC_RELEASE);
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

static inline int tg__released(struct tg_actor *a, struct tg_res *r)
{
    int n = a->n_held;
    if (TG_LIKELY(n > 0 && a->held[n - 1].addr == r->addr)) {
        __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
        return 0;
    }
    for (int i = n - 2; i >= 0; i--) {
        if (a->held[i].addr == r->addr) {
            for (int j = i; j < n - 1; j++)
                a->held[j] = a->held[j + 1];
            __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
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

#endif
