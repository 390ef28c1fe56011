/* SPDX-License-Identifier: MIT */
/* stack.c: call stacks captured on slow paths and interned.
 *
 * A stack is captured with the unwinder (it reads .eh_frame, so programs
 * need no frame pointers; unwind.c), tangle's own frames are
 * dropped, and the rest is stored once in an append-only arena; the id is
 * what actors and holds keep. The arena never shrinks, so ids stay valid for
 * the life of the process; when it fills, captures return 0 (no stack) after
 * one warning. */
#define _GNU_SOURCE
#include "core/internal.h"

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

uint32_t tg__stack_capture(int skip)
{
    void *raw[MAX_DEPTH];
    int depth = tg__opt.stack_depth + skip + 8;
    if (depth > MAX_DEPTH)
        depth = MAX_DEPTH;
    tg__guard++;
    int n = tg__backtrace(raw, depth);
    tg__guard--;
    uintptr_t pcs[MAX_DEPTH];
    int k = 0;
    int leading = 1;
    for (int i = skip; i < n && k < tg__opt.stack_depth; i++) {
        uintptr_t pc = (uintptr_t)raw[i];
        if (leading && pc >= self_lo && pc < self_hi)
            continue; /* tangle's own frames */
        leading = 0;
        pcs[k++] = pc;
    }
    /* ... and the task runtime's start frames at the outer end. */
    while (k > 1 && pcs[k - 1] >= self_lo && pcs[k - 1] < self_hi)
        k--;
    tg__lock();
    uint32_t id = intern(pcs, k);
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
