/* SPDX-License-Identifier: MIT */
/* stack_memo.h: an actor's own memo of stacks (stack.c), inline for the
 * slow path that recognises most stacks it needs: a first nesting into a
 * fresh lock (lock churn, short-lived objects) knows its stack from the
 * memo in a few dozen instructions, where a call to
 * tg__stack_capture_own added its frame (a step more to walk) and its
 * prologue. Only stack.c writes a memo. Elsewhere than x86-64 with frame
 * pointers there is no memo: no slot is found, no stack known. */
#ifndef TANGLE_CORE_STACK_MEMO_H
#define TANGLE_CORE_STACK_MEMO_H

#include "core/internal.h"

#if defined(__x86_64__) && defined(TG_FRAME_POINTERS)
#define TG_MEMO_FRAMES 64
struct tg_memo {
    uintptr_t pc0;                   /* the innermost kept return address; 0: empty */
    const uintptr_t *pcs;            /* the interned stack's pcs, in the arena */
    uint32_t id, n;                  /* the interned stack, its length */
    uint32_t off[TG_MEMO_FRAMES];    /* where frame i's return address is, from frame 0's */
};

/* An actor's own memo (tg__stack_capture_own): a few stacks it captured
 * lately, copied from the shared memo, read and written by the actor
 * alone, so recognising one takes no lock. The way that matched last is
 * tried first (a loop nests at one place). */
#define TG_OWN_WAYS 8
struct tg_stack_memo {
    struct tg_memo m[TG_OWN_WAYS];
    uint32_t clock, last;
};

extern TG_HIDDEN uintptr_t tg__self_lo, tg__self_hi; /* tangle's own code */

/* The stack slot holding the return address into the program's code from
 * tangle's outermost frame on this call, found through tangle's own frame
 * pointers from the frame of the function it is inlined into; NULL if the
 * chain looks wrong (a frame pointer that does not lead up the stack, by
 * at most 64 KiB, to an aligned place). */
static inline __attribute__((always_inline)) const uintptr_t *tg__program_slot(void)
{
    const uintptr_t *fp = __builtin_frame_address(0);
    uintptr_t lo = tg__self_lo, size = tg__self_hi - tg__self_lo;
    for (int steps = 0; steps < 32; steps++) {
        if (fp[1] - lo >= size)
            return &fp[1];
        uintptr_t next = fp[0];
        if (next - (uintptr_t)fp - 1 >= 65536 || (next & 7))
            return NULL;
        fp = (const uintptr_t *)next;
    }
    return NULL;
}

/* 1 if the stack above slot holds m's return addresses at m's places.
 * Reads only the caller's own stack and the arena (append-only): no lock. */
static inline int tg__memo_holds(const struct tg_memo *m, const uintptr_t *slot)
{
    if (m->pc0 != *slot || !m->n)
        return 0;
    const uintptr_t *pc = m->pcs + 1;
    for (const uint32_t *off = m->off + 1, *end = m->off + m->n; off < end; off++, pc++)
        if (*(const uintptr_t *)((uintptr_t)slot + *off) != *pc)
            return 0;
    return 1;
}

/* The id of the stack above slot if own remembers it, else 0: the stack
 * tg__stack_capture_own(&own, skip) gives from a frame whose walk
 * (tg__program_slot) finds slot, without a lock or a call. A hook that
 * walks its own frame before it calls the slow path hands the slot on
 * (tg__lockorder_slow_at): one step of the walk, not one a frame of
 * tangle's between it and the program. */
static inline uint32_t tg__own_find(struct tg_stack_memo *own, const uintptr_t *slot)
{
    if (!own || !slot)
        return 0;
    if (tg__memo_holds(&own->m[own->last], slot))
        return own->m[own->last].id;
    for (uint32_t w = 0; w < TG_OWN_WAYS; w++)
        if (w != own->last && tg__memo_holds(&own->m[w], slot)) {
            own->last = w;
            return own->m[w].id;
        }
    return 0;
}
#else
struct tg_stack_memo;

static inline const uintptr_t *tg__program_slot(void)
{
    return NULL;
}

static inline uint32_t tg__own_find(struct tg_stack_memo *own, const uintptr_t *slot)
{
    (void)own, (void)slot;
    return 0;
}
#endif

#endif
