/* SPDX-License-Identifier: MIT */
/* annotate.h: the engine entry points behind include/tangle/annotate.h,
 * shared by the public annotation calls and by the hooks of libraries
 * whose locks bypass pthreads (glib.c). `pc` is the call site a report
 * shows for the operation. Flags are the TG_LOCK_* and TG_WAIT_* values of
 * the public header. */
#ifndef TG_PRELOAD_ANNOTATE_H
#define TG_PRELOAD_ANNOTATE_H

#include "preload/preload.h"
#include "tangle/annotate.h"

void tg__ann_create(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_destroy(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_pre_lock(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_post_lock(uintptr_t addr, unsigned flags, int recursion, uintptr_t pc);
int tg__ann_pre_unlock(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_post_unlock(uintptr_t addr, unsigned flags);
/* A bracket in which nothing is watched (signals, and hooks that call the
 * real function with the lock's state already recorded). */
void tg__ann_quiet_begin(void);
void tg__ann_quiet_end(void);
/* A wait anyone may end; `mutex` (0 if none) is a lock the waiter gave up
 * for the wait and needs back to return, as in a condition wait. */
void tg__ann_pre_wait(uintptr_t addr, unsigned flags, uintptr_t mutex, uintptr_t pc);
void tg__ann_post_wait(uintptr_t addr, unsigned flags);

#endif
