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

#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_STACKS (1u << 17)
#define ARENA_PCS (1u << 22)
#define MAX_DEPTH 256

static uintptr_t *arena;       /* [len, pc...] records */
static uint32_t arena_used = 1; /* id 0 means "no stack" */
static uint32_t *index_tab;    /* hash -> id */
static uintptr_t self_lo, self_hi; /* tangle's own code */
static int full_warned;

static int in_self(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}

/* ---- the memo of recent stacks (x86-64, frame pointers in tangle) ---- */
#if defined(__x86_64__) && defined(TG_FRAME_POINTERS)
#define MEMO_SETS 1024
#define MEMO_WAYS 4
#define MEMO_FRAMES 64
struct memo {
    uintptr_t pc0;                   /* the innermost kept return address; 0: empty */
    uint32_t id, n;                  /* the interned stack, its length */
    uint32_t off[MEMO_FRAMES];       /* where frame i's return address is, from frame 0's */
};
static struct memo *memo;            /* MEMO_SETS x MEMO_WAYS, under the engine lock */
static uint32_t memo_clock;

/* The stack slot holding the return address into the program's code from
 * tangle's outermost frame on this call, found through tangle's own frame
 * pointers; NULL if the chain looks wrong. */
__attribute__((noinline)) static const uintptr_t *program_slot(void)
{
    const uintptr_t *fp = __builtin_frame_address(0);
    for (int steps = 0; steps < 32; steps++) {
        if (!in_self(fp[1]))
            return &fp[1];
        const uintptr_t *next = (const uintptr_t *)fp[0];
        if (next <= fp || (uintptr_t)next - (uintptr_t)fp > 65536 || ((uintptr_t)next & 7))
            return NULL;
        fp = next;
    }
    return NULL;
}

static struct memo *memo_set(uintptr_t pc0)
{
    return &memo[((pc0 * 0x9E3779B97F4A7C15ull) >> 40) % MEMO_SETS * MEMO_WAYS];
}

/* Under the engine lock: the id of the stack the caller stands in, if it
 * was captured before from the same places, else 0. */
static uint32_t memo_find(const uintptr_t *slot)
{
    if (!memo || !slot)
        return 0;
    uintptr_t pc0 = *slot;
    struct memo *set = memo_set(pc0);
    for (int w = 0; w < MEMO_WAYS; w++) {
        const struct memo *m = &set[w];
        if (m->pc0 != pc0)
            continue;
        const uintptr_t *pcs;
        int n = tg__stack_get(m->id, &pcs);
        uint32_t i = 1;
        while (i < m->n && i < (uint32_t)n &&
               *(const uintptr_t *)((uintptr_t)slot + m->off[i]) == pcs[i])
            i++;
        if (i == m->n)
            return m->id;
    }
    return 0;
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
    struct memo *m = &memo_set(pcs[0])[memo_clock++ % MEMO_WAYS];
    m->pc0 = pcs[0];
    m->id = id;
    m->n = (uint32_t)n;
    for (int i = 0; i < n; i++)
        m->off[i] = (uint32_t)(slots[i] - slots[0]);
}
#else
static const uintptr_t *program_slot(void)
{
    return NULL;
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
            self_lo = lo;
            self_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

void tg__stack_init(void)
{
    if (arena)
        return;
    void *a = mmap(NULL, ARENA_PCS * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *ix = mmap(NULL, MAX_STACKS * 2 * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED || ix == MAP_FAILED)
        return;
    index_tab = ix;
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&tg__stack_init);
    arena = a;
    tg__attach_anchor.stack_arena = &arena;
}

static uint64_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 1099511628211ull;
    return h;
}

/* Interns pcs[0..n); caller holds the engine lock. */
static uint32_t intern(const uintptr_t *pcs, int n)
{
    if (!arena || n <= 0)
        return 0;
    uint64_t h = hash_pcs(pcs, n);
    uint32_t mask = MAX_STACKS * 2 - 1;
    for (uint32_t i = (uint32_t)h & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
        uint32_t id = index_tab[i];
        if (id == 0) {
            if (arena_used + (uint32_t)n + 1 > ARENA_PCS || probes > MAX_STACKS) {
                tg__warn_once(&full_warned, "the stack table is full; new reports show "
                              "only the innermost frame.");
                return 0;
            }
            id = arena_used;
            arena[id] = (uintptr_t)n;
            memcpy(&arena[id + 1], pcs, (size_t)n * sizeof *pcs);
            arena_used += (uint32_t)n + 1;
            index_tab[i] = id;
            return id;
        }
        if (arena[id] == (uintptr_t)n && !memcmp(&arena[id + 1], pcs, (size_t)n * sizeof *pcs))
            return id;
    }
    return 0;
}

/* The capture itself; the engine lock is held on entry and on return,
 * released around the unwinder. */
static uint32_t capture_locked(int skip)
{
    const uintptr_t *slot = program_slot();
    uint32_t id = memo_find(slot);
    if (id)
        return id;
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
    int leading = 1;
    for (int i = skip; i < n && k < tg__opt.stack_depth; i++) {
        uintptr_t pc = (uintptr_t)raw[i];
        if (leading && in_self(pc))
            continue; /* tangle's own frames */
        leading = 0;
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
    uint32_t id = capture_locked(skip);
    tg__unlock();
    return id;
}

uint32_t tg__stack_capture_locked(int skip)
{
    return capture_locked(skip);
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
    if (!arena || id == 0 || id >= arena_used) {
        *pcs = NULL;
        return 0;
    }
    *pcs = &arena[id + 1];
    return (int)arena[id];
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
