/* SPDX-License-Identifier: MIT */
/* block.c: how a hooked call waits. A wait first runs for check_ms with a
 * deadline (most contended waits end there, at the cost of one futex
 * wait); only a wait that outlasts it captures its stack and runs the
 * cycle check, then waits as the program asked. */
#include "preload/preload.h"

#include <errno.h>

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int tg__block(struct tg_actor *a, const struct tg_wait_desc *w, void *obj, tg_timed_fn timed,
              tg_untimed_fn untimed, clockid_t user_clk, const struct timespec *user_abs)
{
    tg__wait_begin(a, w);
    int rc = ETIMEDOUT;
    int checked_early = 0;
    if (timed && tg__opt.check_ms > 0) {
        clockid_t clk = user_abs ? user_clk : CLOCK_MONOTONIC;
        struct timespec soon;
        clock_gettime(clk, &soon);
        tg__add_ms(&soon, tg__opt.check_ms);
        if (user_abs && !before(&soon, user_abs)) {
            rc = timed(obj, clk, user_abs); /* the user's deadline comes first */
            checked_early = 1;
        } else {
            rc = timed(obj, clk, &soon);
        }
        if (rc != ETIMEDOUT && rc != EINVAL) {
            tg__wait_end(a);
            return rc;
        }
        if (checked_early) {
            tg__wait_end(a);
            return rc;
        }
    }
    if (tg__wait_check(a) == TG_CHECK_DEADLOCK)
        tg__deadlock_policy(); /* returns only for on_deadlock=hang */
    rc = user_abs ? timed(obj, user_clk, user_abs) : untimed(obj);
    tg__wait_end(a);
    return rc;
}

void tg__acquired_slow(struct tg_actor *a, struct tg_res *r, enum tg_mode m, uintptr_t pc)
{
    tg__acquired(a, r, m, pc);
    if (a->n_held > 0 && a->held[a->n_held - 1].addr == r->addr)
        a->held[a->n_held - 1].stack = a->wait_stack;
}

static __thread uintptr_t site_pc;
static __thread uint32_t site_stack;

uint32_t tg__wait_site(uintptr_t pc)
{
    if (pc != site_pc || !site_stack) {
        site_stack = tg__stack_capture(2);
        site_pc = pc;
    }
    return site_stack;
}
