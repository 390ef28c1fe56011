/* SPDX-License-Identifier: MIT */
/* res.c: the resource table: tangle's state kept beside the user's lock
 * objects, keyed by address. Lookups take no lock; inserts are serialized
 * by a small spin lock of their own (an insert happens once per address).
 *
 * The table is a list of levels, each an open-addressing array twice the
 * size of the one before, mapped when the previous one is half full: memory
 * follows the number of locks (about 100 bytes each, not a page each for
 * scattered keys) and no fixed size stops a program. Entries never move,
 * so an entry pointer stays valid for the life of the process; a destroyed
 * entry may be reused for another address. Past max_locks entries, new
 * locks are not watched (one warning). */
#include "core/internal.h"

#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>

#define LEVEL0_BITS 12
#define MAX_LEVELS 24

static struct tg_res *levels[MAX_LEVELS];
static _Atomic int n_levels;
static size_t level_used[MAX_LEVELS]; /* entries ever claimed, under insert_lock */
static size_t total_used;
static _Atomic int insert_lock;
static _Atomic uint64_t next_id;
static int full_warned;

static inline int level_bits(int l)
{
    return LEVEL0_BITS + l;
}

static int add_level(void)
{
    int l = __atomic_load_n(&n_levels, __ATOMIC_RELAXED);
    if (l == MAX_LEVELS)
        return -1;
    void *p = mmap(NULL, sizeof(struct tg_res) << level_bits(l), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    levels[l] = p;
    __atomic_store_n(&n_levels, l + 1, __ATOMIC_RELEASE);
    return 0;
}

void tg__res_table_init(void)
{
    if (!__atomic_load_n(&n_levels, __ATOMIC_ACQUIRE))
        add_level();
}

static inline size_t slot_of(uintptr_t addr, int bits)
{
    return (size_t)(((addr >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* The entry of addr in level l, or NULL when a probe meets an empty slot
 * (a level is at most half full, so probes are short). */
static inline struct tg_res *level_lookup(int l, uintptr_t addr)
{
    struct tg_res *t = levels[l];
    size_t mask = ((size_t)1 << level_bits(l)) - 1;
    for (size_t i = slot_of(addr, level_bits(l));; i = (i + 1) & mask) {
        uintptr_t k = __atomic_load_n(&t[i].addr, __ATOMIC_ACQUIRE);
        if (k == addr)
            return &t[i];
        if (k == 0)
            return NULL;
    }
}

struct tg_res *tg__res_lookup(uintptr_t addr)
{
    /* Newest level first: it holds about half of all entries. */
    for (int l = __atomic_load_n(&n_levels, __ATOMIC_ACQUIRE) - 1; l >= 0; l--) {
        struct tg_res *r = level_lookup(l, addr);
        if (r)
            return r;
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

/* Claims a slot for addr (not in the table): a destroyed entry met on
 * its probe path in some level, or an empty slot of a level less than half
 * full (a new level if none is). */
static struct tg_res *claim(uintptr_t addr, int *fresh)
{
    int nl = __atomic_load_n(&n_levels, __ATOMIC_RELAXED);
    *fresh = 1;
    for (int l = nl - 1; l >= 0; l--) {
        struct tg_res *t = levels[l];
        size_t mask = ((size_t)1 << level_bits(l)) - 1;
        for (size_t i = slot_of(addr, level_bits(l));; i = (i + 1) & mask) {
            uintptr_t k = __atomic_load_n(&t[i].addr, __ATOMIC_RELAXED);
            if (k == 0)
                break;
            if (__atomic_load_n(&t[i].flags, __ATOMIC_RELAXED) & TG_RF_DESTROYED)
                return &t[i];
        }
    }
    if (total_used >= (size_t)tg__opt.max_locks)
        return NULL;
    int l = nl - 1;
    if (l < 0 || (level_used[l] + 1) * 2 > (size_t)1 << level_bits(l)) {
        if (add_level() != 0)
            return NULL;
        l++;
    }
    struct tg_res *t = levels[l];
    size_t mask = ((size_t)1 << level_bits(l)) - 1, i = slot_of(addr, level_bits(l));
    while (__atomic_load_n(&t[i].addr, __ATOMIC_RELAXED))
        i = (i + 1) & mask;
    level_used[l]++;
    total_used++;
    *fresh = 2; /* an empty slot: its address is published last */
    return &t[i];
}

static struct tg_res *insert(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, int reinit,
                             uintptr_t pc)
{
    if (!__atomic_load_n(&n_levels, __ATOMIC_ACQUIRE))
        return NULL;
    uint64_t old_graph = 0;
    ins_lock();
    int fresh = 0;
    struct tg_res *r = tg__res_lookup(addr);
    if (!r)
        r = claim(addr, &fresh);
    if (r && fresh) {
        fill(r, kind, flags, pc);
        __atomic_store_n(&r->addr, addr, __ATOMIC_RELEASE);
    } else if (r && reinit) {
        if (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & TG_RF_IN_GRAPH)
            old_graph = r->id;
        fill(r, kind, flags, pc);
    }
    ins_unlock();
    if (old_graph) /* the instance it replaces had lock-order edges */
        tg__lockorder_forget(old_graph);
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
    uint32_t was = __atomic_fetch_or(&r->flags, TG_RF_DESTROYED, __ATOMIC_RELEASE);
    if (was & TG_RF_IN_GRAPH)
        tg__lockorder_forget(r->id);
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
