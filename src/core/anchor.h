/* SPDX-License-Identifier: MIT */
/* anchor.h: where `tangle attach` and `tangle core` find the engine's own
 * records in a process that runs under tangle (or in its core dump).
 *
 * libtangle exports one object, tg__attach_anchor, by name. It says which
 * tangle wrote the records (its version and the sizes of the records; the
 * reader uses them only when they are its own) and where they are: the
 * actor registry (each actor's wait, pending lock call and held list) and
 * the arena of interned stacks. The reader copies from the stopped
 * process; nothing in the process changes for it. */
#ifndef TG_CORE_ANCHOR_H
#define TG_CORE_ANCHOR_H

#include <stdint.h>

struct tg_actor;

#define TG__ANCHOR_MAGIC "tangle-records1"

struct tg__anchor {
    char magic[16];             /* TG__ANCHOR_MAGIC */
    char version[16];           /* TG_VERSION of the library */
    uint32_t actor_size, held_size, res_size, wait_size;
    struct tg_actor ***actors;  /* &tg__actors: the registry */
    int *actor_slots;           /* &tg__actor_slots: its high-water mark */
    uintptr_t *const *stack_segs; /* the stack arena's segment table: stack id -> */
    uint32_t stack_seg_shift;     /* segs[id >> shift][id & mask]: [n, pc 0 .. pc n-1] */
    _Atomic long *watchdog_tid; /* &tg__watchdog_tid: tangle's own thread */
};

extern struct tg__anchor tg__attach_anchor;

#endif
