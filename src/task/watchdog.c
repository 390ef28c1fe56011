/* SPDX-License-Identifier: MIT */
/* watchdog.c: the coarse clock and the long-running-task hazard.
 *
 * Every 10 ms the watchdog advances tg__coarse_now, which lock hold times
 * read instead of the clock (a relaxed load on the fast path). Every 100 ms
 * it compares each scheduler's switch counter with its previous value: a
 * counter that did not move while a task runs means that task has not
 * yielded since. A task starving others past the threshold is reported
 * once per run; with starvation_fatal the deadlock policy then applies, since
 * a task that never yields hangs its whole scheduler thread.
 */
#include "task/watchdog.h"
#include "task/task_int.h"
#include "task/detect.h"

#include <pthread.h>
#include <time.h>

int64_t tg__coarse_now;

static void tg__watch_scheds(void)
{
    int64_t now = tg__coarse();
    for (struct tg__sched *s = tg__sched_list(); s; s = s->all_next) {
        unsigned long sw = __atomic_load_n(&s->switches, __ATOMIC_RELAXED);
        struct tg_task *t = __atomic_load_n(&s->current, __ATOMIC_RELAXED);
        int64_t since = __atomic_load_n(&s->run_since, __ATOMIC_RELAXED);
        if (!__atomic_load_n(&s->in_use, __ATOMIC_RELAXED) || !t ||
            now - since < tg__config.long_task_ns || s->starve_said == sw)
            continue;
        s->starve_said = sw; /* once per uninterrupted run */
        if (tg__det_task_blocked(t))
            continue; /* blocked in a thread-level wait: the engine's case */
        int starving = __atomic_load_n(&s->rq_head, __ATOMIC_RELAXED) != NULL;
        tg__det_hazard_long_task(s, t, now - since, starving);
#ifndef TG_TASK_NO_ENGINE
        if (starving && tg__config.starvation_fatal)
            tg__deadlock_policy();
#endif
    }
}

static void *tg__watchdog(void *arg)
{
    (void)arg;
#ifndef TG_TASK_NO_ENGINE
    if (tg__current)
        tg__current->aflags |= TG_AF_INTERNAL;
#endif
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (unsigned n = 1;; n++) {
        nanosleep(&tick, NULL);
        __atomic_store_n(&tg__coarse_now, tg_now(), __ATOMIC_RELAXED);
        tg__dump_poll();
        if (n % 10 == 0 && tg__detect_on && tg__config.long_task_ns > 0)
            tg__watch_scheds();
    }
    return NULL;
}

void tg__task_watchdog_start(int always)
{
    static int started;
    if (!always && !tg__config.long_task_ns && !tg__config.long_hold_ns)
        return;
    if (__atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL))
        return;
    __atomic_store_n(&tg__coarse_now, tg_now(), __ATOMIC_RELAXED);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_create(&th, &attr, tg__watchdog, NULL);
    pthread_attr_destroy(&attr);
}
