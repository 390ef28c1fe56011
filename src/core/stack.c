/* SPDX-License-Identifier: MIT */
/* stack.c: call stacks captured on slow paths and interned.
 *
 * A stack is captured with the unwinder (it reads .eh_frame, so programs
 * need no frame pointers; unwind.c), tangle's own frames are
 * dropped, and the rest is stored once in an append-only arena; the id is
 * what actors and holds keep. The arena never shrinks, so ids stay valid for
 * the life of the process; when it fills, captures return 0 (no stack) after
 * one warning.
 *
 * The unwinder costs a few microseconds per capture (it finds and runs each
 * frame's unwind rules), which a program that nests many distinct pairs of
 * locks pays once per pair. So on x86-64, where a return address sits on
 * the stack, each capture also remembers where on the stack each of its
 * return addresses was found, relative to the first. A later capture from
 * the same call site first looks there: if every remembered place holds
 * the same return address again, the stack is the same one, and its id is
 * returned without unwinding. (By induction from the call site outwards: a
 * function's frame has one size at a given call site, so when the return
 * address into it matches, the next return address is found at the same
 * distance.) The first place is found by following tangle's own frame
 * pointers (tangle is built with them) out to the program's frame. */
#define _GNU_SOURCE
#include "core/internal.h"
#include "core/anchor.h"
#include "core/stack_memo.h"

#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_STACKS (1u << 17)
#define ARENA_PCS (1u << 22)
#define MAX_DEPTH 256
/* The arena is mapped a segment at a time, as stacks come, and the index
 * doubles as it fills: a program that never reports costs a few pages,
 * and an address-space limit (ulimit -v) is met only by what is used. */
#define SEG_SHIFT 16
#define SEG_PCS (1u << SEG_SHIFT)
#define N_SEGS (ARENA_PCS / SEG_PCS)
#define INDEX0 4096u

static uintptr_t *_Atomic segs[N_SEGS]; /* [len, pc...] records, none across two */
static uint32_t arena_used = 1; /* id 0 means "no stack" */
static uint32_t *index_tab;    /* hash -> id, index_mask + 1 slots */
static uint32_t index_mask, n_stacks;
uintptr_t tg__self_lo, tg__self_hi; /* tangle's own code (stack_memo.h) */
static int full_warned;

static int in_self(uintptr_t pc)
{
    return pc >= tg__self_lo && pc < tg__self_hi;
}

int tg__in_self(uintptr_t pc)
{
    return in_self(pc);
}

/* ---- the memo of recent stacks (x86-64, frame pointers in tangle) ---- */
#if defined(__x86_64__) && defined(TG_FRAME_POINTERS)
#define MEMO_SETS 1024
#define MEMO_WAYS 4
#define MEMO_FRAMES TG_MEMO_FRAMES
#define OWN_WAYS TG_OWN_WAYS
static struct tg_memo *memo;         /* MEMO_SETS x MEMO_WAYS, under the engine lock */
static uint32_t memo_clock;

static struct tg_memo *memo_set(uintptr_t pc0)
{
    return &memo[((pc0 * 0x9E3779B97F4A7C15ull) >> 40) % MEMO_SETS * MEMO_WAYS];
}

/* Under the engine lock: the id of the stack the caller stands in, if it
 * was captured before from the same places, else 0. */
static uint32_t memo_find(const uintptr_t *slot)
{
    if (!memo || !slot)
        return 0;
    struct tg_memo *set = memo_set(*slot);
    for (int w = 0; w < MEMO_WAYS; w++)
        if (tg__memo_holds(&set[w], slot))
            return set[w].id;
    return 0;
}

/* Under the engine lock: copies the shared memo's entry for stack id at
 * slot, if it has one, into *own (allocated by the first copy). */
static void own_put(struct tg_stack_memo **own, uint32_t id, const uintptr_t *slot)
{
    if (!memo || !slot || !id)
        return;
    struct tg_memo *set = memo_set(*slot);
    for (int w = 0; w < MEMO_WAYS; w++) {
        if (set[w].id != id || set[w].pc0 != *slot)
            continue;
        if (!*own && !(*own = tg__alloc(sizeof **own)))
            return;
        (*own)->last = (*own)->clock++ % OWN_WAYS;
        (*own)->m[(*own)->last] = set[w];
        return;
    }
}

/* Under the engine lock: remembers stack id (pcs[0..n), found at slots[])
 * if the places check out; `slot` is where the frame pointers say frame 0 is. */
static void memo_put(uint32_t id, const uintptr_t *pcs, const uintptr_t *slots, int n,
                     const uintptr_t *slot)
{
    if (!id || n <= 0 || n > MEMO_FRAMES || !slot || slots[0] != (uintptr_t)slot)
        return;
    for (int i = 0; i < n; i++)
        if (*(const uintptr_t *)slots[i] != pcs[i] ||
            (i > 0 && (slots[i] <= slots[i - 1] || slots[i] - slots[i - 1] > 65536)))
            return; /* not where a call put it (a signal frame, say) */
    if (!memo) {
        void *p = mmap(NULL, sizeof *memo * MEMO_SETS * MEMO_WAYS, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return;
        memo = p;
    }
    struct tg_memo *m = &memo_set(pcs[0])[memo_clock++ % MEMO_WAYS];
    m->pc0 = pcs[0];
    tg__stack_get(id, &m->pcs);
    m->id = id;
    m->n = (uint32_t)n;
    for (int i = 0; i < n; i++)
        m->off[i] = (uint32_t)(slots[i] - slots[0]);
}
#else
struct tg_stack_memo {
    int unused;
};

static void own_put(struct tg_stack_memo **own, uint32_t id, const uintptr_t *slot)
{
    (void)own, (void)id, (void)slot;
}

static uint32_t memo_find(const uintptr_t *slot)
{
    (void)slot;
    return 0;
}

static void memo_put(uint32_t id, const uintptr_t *pcs, const uintptr_t *slots, int n,
                     const uintptr_t *slot)
{
    (void)id, (void)pcs, (void)slots, (void)n, (void)slot;
}
#endif

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz) {
            tg__self_lo = lo;
            tg__self_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        tg__out_of_memory("new stacks are not kept (reports show one frame)");
        return NULL;
    }
    return p;
}

void tg__stack_init(void)
{
    if (index_tab)
        return;
    uint32_t *ix = map(INDEX0 * sizeof *ix);
    if (!ix)
        return;
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&tg__stack_init);
    index_mask = INDEX0 - 1;
    index_tab = ix;
    tg__attach_anchor.stack_segs = (uintptr_t *const *)segs;
    tg__attach_anchor.stack_seg_shift = SEG_SHIFT;
}

static uint64_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 1099511628211ull;
    return h;
}

static uintptr_t *record(uint32_t id)
{
    return &__atomic_load_n(&segs[id >> SEG_SHIFT], __ATOMIC_ACQUIRE)[id & (SEG_PCS - 1)];
}

/* Under the engine lock: the index twice as large, once half full. */
static int index_room(void)
{
    if ((n_stacks + 1) * 2 <= index_mask + 1)
        return 0;
    if (index_mask + 1 >= MAX_STACKS * 2)
        return -1;
    uint32_t mask = index_mask * 2 + 1;
    uint32_t *nx = map(((size_t)mask + 1) * sizeof *nx);
    if (!nx)
        return -1;
    for (uint32_t i = 0; i <= index_mask; i++) {
        uint32_t id = index_tab[i];
        if (!id)
            continue;
        const uintptr_t *r = record(id);
        uint32_t k = (uint32_t)hash_pcs(r + 1, (int)r[0]) & mask;
        while (nx[k])
            k = (k + 1) & mask;
        nx[k] = id;
    }
    munmap(index_tab, ((size_t)index_mask + 1) * sizeof *index_tab);
    index_tab = nx;
    index_mask = mask;
    return 0;
}

/* Under the engine lock: the id where a record of n pcs goes, its segment
 * mapped; 0 if the arena is full or cannot grow. */
static uint32_t arena_room(int n)
{
    uint32_t id = arena_used, need = (uint32_t)n + 1;
    if ((id & (SEG_PCS - 1)) + need > SEG_PCS)
        id = (id | (SEG_PCS - 1)) + 1; /* the rest of this segment stays unused */
    if (id + need > ARENA_PCS)
        return 0;
    if (!__atomic_load_n(&segs[id >> SEG_SHIFT], __ATOMIC_RELAXED)) {
        uintptr_t *seg = map(SEG_PCS * sizeof *seg);
        if (!seg)
            return 0;
        __atomic_store_n(&segs[id >> SEG_SHIFT], seg, __ATOMIC_RELEASE);
    }
    return id;
}

/* Interns pcs[0..n); caller holds the engine lock. */
static uint32_t intern(const uintptr_t *pcs, int n)
{
    if (!index_tab || n <= 0)
        return 0;
    uint64_t h = hash_pcs(pcs, n);
    for (uint32_t i = (uint32_t)h & index_mask;; i = (i + 1) & index_mask) {
        uint32_t id = index_tab[i];
        if (id == 0)
            break;
        const uintptr_t *r = record(id);
        if (r[0] == (uintptr_t)n && !memcmp(r + 1, pcs, (size_t)n * sizeof *pcs))
            return id;
    }
    uint32_t id = index_room() == 0 ? arena_room(n) : 0;
    if (!id) {
        tg__warn_once(&full_warned, "the stack table is full; new reports show "
                      "only the innermost frame.");
        return 0;
    }
    uintptr_t *r = record(id);
    r[0] = (uintptr_t)n;
    memcpy(r + 1, pcs, (size_t)n * sizeof *pcs);
    __atomic_store_n(&arena_used, id + (uint32_t)n + 1, __ATOMIC_RELEASE);
    uint32_t i = (uint32_t)h & index_mask;
    while (index_tab[i])
        i = (i + 1) & index_mask;
    index_tab[i] = id;
    n_stacks++;
    return id;
}

/* The capture itself; the engine lock is held on entry and on return,
 * released around the unwinder (then *unlocked is set, if not NULL). */
static uint32_t capture_locked(int skip, int *unlocked)
{
    const uintptr_t *slot = tg__program_slot();
    uint32_t id = memo_find(slot);
    if (id)
        return id;
    if (unlocked)
        *unlocked = 1;
    tg__unlock();
    void *raw[MAX_DEPTH];
    uintptr_t raw_slots[MAX_DEPTH];
    int depth = tg__opt.stack_depth + skip + 8;
    if (depth > MAX_DEPTH)
        depth = MAX_DEPTH;
    tg__guard++;
    int n = tg__backtrace_at(raw, raw_slots, depth);
    tg__guard--;
    uintptr_t pcs[MAX_DEPTH], slots[MAX_DEPTH];
    int k = 0;
    for (int i = skip; i < n && k < tg__opt.stack_depth; i++) {
        uintptr_t pc = (uintptr_t)raw[i];
        if (in_self(pc))
            continue; /* tangle's own frames: its hooks, and the start of a
                         thread that returns an int (thrd_create) */
        slots[k] = raw_slots[i];
        pcs[k++] = pc;
    }
    /* ... and the task runtime's start frames at the outer end. */
    while (k > 1 && in_self(pcs[k - 1]))
        k--;
    tg__lock();
    id = intern(pcs, k);
    memo_put(id, pcs, slots, k, slot);
    return id;
}

uint32_t tg__stack_capture(int skip)
{
    tg__lock();
    uint32_t id = capture_locked(skip, NULL);
    tg__unlock();
    return id;
}

uint32_t tg__stack_capture_locked(int skip, int *unlocked)
{
    return capture_locked(skip, unlocked);
}

uint32_t tg__stack_capture_own(struct tg_stack_memo **own, int skip)
{
    const uintptr_t *slot = tg__program_slot();
    uint32_t id = tg__own_find(*own, slot);
    if (id)
        return id;
    tg__lock();
    id = capture_locked(skip, NULL);
    own_put(own, id, slot);
    tg__unlock();
    return id;
}

uint32_t tg__stack_intern_locked(const uintptr_t *pcs, int n)
{
    return intern(pcs, n);
}

uint32_t tg__stack_intern(const uintptr_t *pcs, int n)
{
    tg__lock();
    uint32_t id = intern(pcs, n);
    tg__unlock();
    return id;
}

int tg__stack_get(uint32_t id, const uintptr_t **pcs)
{
    if (id == 0 || id >= __atomic_load_n(&arena_used, __ATOMIC_ACQUIRE)) {
        *pcs = NULL;
        return 0;
    }
    const uintptr_t *r = record(id);
    *pcs = r + 1;
    return (int)r[0];
}

void tg__stack_to_info(struct tg_stack *out, uint32_t id, uintptr_t fallback_pc)
{
    const uintptr_t *pcs;
    int n = tg__stack_get(id, &pcs);
    if (n > 0)
        tg__stack_from_pcs(out, pcs, n);
    else if (fallback_pc)
        tg__stack_from_pcs(out, &fallback_pc, 1);
}
