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
    /* A relock of the newest hold (a recursive mutex going deeper) keeps
     * the chain: it adds no lock order, and must not cost a slow path per
     * level. */
    const struct tg_held *below = a->n_held ? &a->held[a->n_held - 1] : NULL;
    if (below && below->addr == addr)
        h->chain = below->chain;
    else
        h->chain = ((below ? below->chain : 1469598103934665603ull) ^
                    (addr + (uint64_t)m +
                     ((uint64_t)__atomic_load_n(&tg__chain_gen[TG_CHAIN_GEN_OF(addr)],
                                                __ATOMIC_RELAXED) << 40))) *
                   1099511628211ull;
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
