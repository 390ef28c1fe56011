/* SPDX-License-Identifier: MIT */
/* res.c: the resource table: tangle's state kept beside the user's lock
 * objects, keyed by address. Lookups take no lock; inserts are serialized
 * by a small spin lock of their own (an insert happens once per address).
 * The table never moves, so an entry pointer stays valid for the life of
 * the process; a destroyed entry may be reused for another address. */
#include "core/internal.h"

#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>

static struct tg_res *table;
static size_t mask;
static int bits;
static _Atomic int insert_lock;
static _Atomic uint64_t next_id;
static int full_warned;

void tg__res_table_init(void)
{
    if (table)
        return;
    size_t cap = 64;
    bits = 6;
    while (cap < (size_t)tg__opt.max_locks * 2) {
        cap <<= 1;
        bits++;
    }
    void *p = mmap(NULL, cap * sizeof *table, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return;
    mask = cap - 1;
    table = p;
}

static inline size_t slot_of(uintptr_t addr)
{
    return (size_t)(((addr >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

struct tg_res *tg__res_lookup(uintptr_t addr)
{
    if (TG_UNLIKELY(!table))
        return NULL;
    for (size_t i = slot_of(addr), n = 0; n <= mask; i = (i + 1) & mask, n++) {
        uintptr_t k = __atomic_load_n(&table[i].addr, __ATOMIC_ACQUIRE);
        if (k == addr)
            return &table[i];
        if (k == 0)
            return NULL;
    }
    return NULL;
}

static void ins_lock(void)
{
    while (__atomic_exchange_n(&insert_lock, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void ins_unlock(void)
{
    __atomic_store_n(&insert_lock, 0, __ATOMIC_RELEASE);
}

static void fill(struct tg_res *r, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    r->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    r->kind = kind;
    r->created_pc = pc;
    r->cond_mutex = 0;
    __atomic_store_n(&r->waiters, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->flags, flags, __ATOMIC_RELEASE);
}

/* Finds addr, or claims a slot for it (an empty one, or a destroyed entry
 * met on the way). *fresh tells which. */
static struct tg_res *find_or_claim(uintptr_t addr, int *fresh)
{
    struct tg_res *reuse = NULL;
    *fresh = 0;
    for (size_t i = slot_of(addr), n = 0; n <= mask; i = (i + 1) & mask, n++) {
        uintptr_t k = __atomic_load_n(&table[i].addr, __ATOMIC_ACQUIRE);
        if (k == addr)
            return &table[i];
        if (k == 0) {
            struct tg_res *r = reuse ? reuse : &table[i];
            *fresh = 1;
            return r;
        }
        if (!reuse && (__atomic_load_n(&table[i].flags, __ATOMIC_RELAXED) & TG_RF_DESTROYED))
            reuse = &table[i];
    }
    if (reuse)
        *fresh = 1;
    return reuse;
}

static struct tg_res *insert(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, int reinit,
                             uintptr_t pc)
{
    if (!table)
        return NULL;
    ins_lock();
    int fresh;
    struct tg_res *r = find_or_claim(addr, &fresh);
    if (r && fresh) {
        fill(r, kind, flags, pc);
        __atomic_store_n(&r->addr, addr, __ATOMIC_RELEASE);
    } else if (r && reinit) {
        fill(r, kind, flags, pc);
    }
    ins_unlock();
    if (!r)
        tg__warn_once(&full_warned,
                      "the lock table is full (%d locks); further locks are not watched. "
                      "Raise it with TANGLE_OPTIONS=max_locks=N.", tg__opt.max_locks);
    return r;
}

struct tg_res *tg__res_get(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup(addr);
    if (TG_LIKELY(r != NULL))
        return r;
    return insert(addr, kind, flags | TG_RF_STATIC_INIT, 0, pc);
}

struct tg_res *tg__res_init(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    return insert(addr, kind, flags, 1, pc);
}

void tg__res_after_fork(void)
{
    __atomic_store_n(&insert_lock, 0, __ATOMIC_RELAXED);
}

void tg__res_destroy(struct tg_res *r)
{
    __atomic_fetch_or(&r->flags, TG_RF_DESTROYED, __ATOMIC_RELEASE);
}

const char *tg__res_kind_name(enum tg_res_kind k)
{
    static const char *const names[TG_RES__COUNT] = {
        [TG_RES_MUTEX] = "mutex",     [TG_RES_RWLOCK] = "rwlock",   [TG_RES_SEM] = "semaphore",
        [TG_RES_COND] = "condition",  [TG_RES_BARRIER] = "barrier", [TG_RES_SPIN] = "spinlock",
        [TG_RES_CHANNEL] = "channel", [TG_RES_EVENT] = "event",     [TG_RES_JOIN] = "thread",
        [TG_RES_IDLE] = "scheduler",
    };
    return (k < TG_RES__COUNT && names[k]) ? names[k] : "resource";
}
