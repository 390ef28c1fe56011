/* SPDX-License-Identifier: MIT */
/* anchor.c: the one object `tangle attach` looks up by name (anchor.h). */
#include "core/anchor.h"

#include "core/internal.h"

__attribute__((visibility("default"), used)) struct tg__anchor tg__attach_anchor = {
    .magic = TG__ANCHOR_MAGIC,
    .version = TG_VERSION,
    .actor_size = sizeof(struct tg_actor),
    .held_size = sizeof(struct tg_held),
    .res_size = sizeof(struct tg_res),
    .wait_size = sizeof(struct tg_wait_desc),
    .actors = &tg__actors,
    .actor_slots = &tg__actor_slots,
    .watchdog_tid = &tg__watchdog_tid,
};
