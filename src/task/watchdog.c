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
 *
 * Time counts as the task's only where the task had the CPU or slept in a
 * call of its own (a task blocking its scheduler): the scheduler thread's
 * CPU time since the watchdog first saw this run, plus each interval
 * between two checks (100 ms apart) at both of which the thread was asleep
 * in a call, without using the CPU in between (one look at the state could
 * catch a busy thread in the middle of a short system call). Asleep in a
 * call means an interruptible sleep ('S': read, poll, sleep, a futex)
 * outside tangle's own code. Not counted: a thread that is runnable but
 * waits for a CPU on a loaded machine; an uninterruptible sleep ('D': the
 * kernel's own waits, such as for the memory map lock in mmap); a wait for
 * one of tangle's locks. On a loaded machine each of those lasts as long
 * as some other thread goes unscheduled, which is no task's fault: the
 * spawning task of many_tasks was reported at 1.1-1.5 s in 27 of 380 runs
 * under tests/stress/stress.py (load 6-50), asleep in mmap ('D',
 * vm_mmap_pgoff) at two checks, while its CPU time had not grown at all.
 *
 * To say where such a task runs, the watchdog samples its scheduler thread's
 * stack the way the pthread watchdog asks a stuck thread for its own: a
 * signal whose handler records the thread's return addresses (no thread can
 * unwind another). The signal is sent only while the thread is running on a
 * CPU ('R' in /proc), so a thread inside a system call is never
 * interrupted, and only when the program has no handler of its own for it.
 */
#define _GNU_SOURCE
#include "task/watchdog.h"
#include "task/task_int.h"
#include "task/detect.h"
#include "core/procstat.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

int64_t tg__coarse_now;

/* Advances the coarse clock, and with it the start a hold must predate to
 * count as long (unlocks read both with relaxed loads: a stale pair only
 * moves the verdict by a tick). */
static void tg__coarse_set(int64_t now)
{
    __atomic_store_n(&tg__coarse_now, now, __ATOMIC_RELAXED);
    if (tg__long_hold_after != INT64_MAX)
        __atomic_store_n(&tg__long_hold_before, now - tg__long_hold_after, __ATOMIC_RELAXED);
}

#define TG__SAMPLE_SIGNAL (SIGRTMAX - 6)

/* The address the signal interrupted, or 0 where unknown. */
static uintptr_t tg__interrupted_pc(void *uc)
{
#if defined(__x86_64__)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

/* On the scheduler thread: answers the watchdog's latest request. Frames
 * above the interrupted one (this handler, the signal trampoline) are left
 * out; the interrupted address is stored plus one, because reports read
 * every address as a return address and look up the byte before it. */
static void tg__on_sample(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    int saved = errno;
    struct tg__sched *s = tg__sched_self;
    unsigned req = s ? __atomic_load_n(&s->sample_req, __ATOMIC_ACQUIRE) : 0;
    if (s && req != __atomic_load_n(&s->sample_seq, __ATOMIC_RELAXED)) {
        void *raw[48];
        int n = backtrace(raw, 48), from = n > 2 ? 2 : n, k = 0;
        uintptr_t pc = tg__interrupted_pc(uc);
        for (int i = 0; pc && i < n; i++)
            if ((uintptr_t)raw[i] == pc) {
                from = i;
                break;
            }
        for (int i = from; i < n && k < (int)(sizeof s->sample_pcs / sizeof s->sample_pcs[0]); i++)
            s->sample_pcs[k++] = (uintptr_t)raw[i] + (i == from && pc ? 1 : 0);
        s->sample_n = k;
        __atomic_store_n(&s->sample_seq, req, __ATOMIC_RELEASE);
    }
    errno = saved;
}

#ifndef TG_TASK_NO_ENGINE
/* The preload's private signals (src/preload/signal.c): the handler stays
 * installed for good, the program's own disposition for the signal is kept
 * and applied there, and a request is only a sigqueue carrying tangle's
 * value, so a program that sets this signal to its default, ignores it or
 * handles it itself is never killed, and never sees a request. */
int tg__private_signal_install(int sig, void (*fn)(int, siginfo_t *, void *));
int tg__private_signal_send(pthread_t t, long tid, int sig);
void tg__private_signal_after_fork(void);

/* Takes the signal once; 1 if requests can be sent. */
static int tg__sampler_ready(void)
{
    static int state; /* 0 not tried, 1 ours, 2 unavailable */
    if (state)
        return state == 1;
    void *warm[4];
    backtrace(warm, 4); /* loads the unwinder here, not in the handler */
    state = tg__private_signal_install(TG__SAMPLE_SIGNAL, tg__on_sample) == 0 ? 1 : 2;
    if (state == 1) /* libtangle's fork hook does it too; twice is harmless */
        pthread_atfork(NULL, NULL, tg__private_signal_after_fork);
    return state == 1;
}

static int tg__sample_request(struct tg__sched *s)
{
    return tg__private_signal_send(s->thread, s->tid, TG__SAMPLE_SIGNAL);
}
#else
/* Without the engine nothing watches long runs (tg__detect_on is 0), so
 * the runtime never takes a signal of the program's. */
static int tg__sampler_ready(void)
{
    (void)tg__on_sample;
    return 0;
}

static int tg__sample_request(struct tg__sched *s)
{
    (void)s;
    return -1;
}
#endif

/* CPU time (ns) thread tid has used, or -1 when unknown. The clock id is
 * the kernel's per-thread CPU clock encoding (what glibc's
 * pthread_getcpuclockid builds), made from the tid so that a thread that
 * ended gives an error, never another thread's time. */
static int64_t tg__thread_cpu_ns(long tid)
{
    clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6); /* per-thread, scheduler clock */
    struct timespec ts;
    if (tid <= 0 || clock_gettime(id, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Samples s's thread's stack into pcs; returns how many (0: none). Waits
 * up to 100 ms for the answer. */
static int tg__sample(struct tg__sched *s, uintptr_t *pcs, int max)
{
    if (!tg__sampler_ready() || tg__proc_thread_state(s->tid) != 'R')
        return 0;
    unsigned req = __atomic_load_n(&s->sample_req, __ATOMIC_RELAXED) + 1;
    if (req == 0)
        req = 1;
    __atomic_store_n(&s->sample_req, req, __ATOMIC_RELEASE);
    if (tg__sample_request(s) != 0)
        return 0;
    struct timespec ms = { 0, 1000 * 1000 };
    for (int i = 0; i < 100; i++) {
        if (__atomic_load_n(&s->sample_seq, __ATOMIC_ACQUIRE) == req) {
            int n = s->sample_n < max ? s->sample_n : max;
            memcpy(pcs, s->sample_pcs, (size_t)n * sizeof *pcs);
            /* A later request's answer may have overwritten it meanwhile. */
            return __atomic_load_n(&s->sample_seq, __ATOMIC_ACQUIRE) == req ? n : 0;
        }
        nanosleep(&ms, NULL);
    }
    return 0;
}

/* 1 if s's thread runs tangle's own code (its tg__guard is raised), or
 * that cannot be read (the thread ended). */
static int tg__host_in_tangle(const struct tg__sched *s)
{
#ifndef TG_TASK_NO_ENGINE
    int *g = __atomic_load_n(&s->host_guard, __ATOMIC_RELAXED), guard = 0;
    return g && (tg__peek((uintptr_t)g, &guard, sizeof guard) != 0 || guard > 0);
#else
    (void)s;
    return 0;
#endif
}

/* Whether s's thread, in a run seen before, slept in a call of its own
 * since the last check (see the top of this file): that interval is added
 * to the run's asleep_ns. */
static void tg__watch_sleep(struct tg__sched *s, int64_t now, int64_t cpu)
{
    char st = tg__proc_thread_state(s->tid);
    int asleep = st == 'S' && cpu >= 0 && !tg__host_in_tangle(s);
    if (asleep && s->asleep_cpu >= 0 && cpu - s->asleep_cpu < 1000000)
        s->asleep_ns += now - s->watch_at;
    s->asleep_cpu = asleep ? cpu : -1;
    s->watch_at = now;
}

static void tg__watch_scheds(void)
{
    int64_t now = tg__coarse();
    for (struct tg__sched *s = tg__sched_list(); s; s = s->all_next) {
        unsigned long sw = __atomic_load_n(&s->switches, __ATOMIC_RELAXED);
        struct tg_task *t = __atomic_load_n(&s->current, __ATOMIC_RELAXED);
        int64_t since = __atomic_load_n(&s->run_since, __ATOMIC_RELAXED);
        int64_t cpu = tg__thread_cpu_ns(s->tid);
        int in_use = __atomic_load_n(&s->in_use, __ATOMIC_RELAXED);
        if (sw != s->watch_sw) {
            s->watch_sw = sw; /* a new run: its time counts from here */
            s->watch_cpu = cpu;
            s->asleep_cpu = -1;
            s->asleep_ns = 0;
            s->watch_at = now;
        } else if (in_use && t) {
            tg__watch_sleep(s, now, cpu);
        }
        if (!in_use || !t || now - since < tg__config.long_task_ns || s->starve_said == sw)
            continue;
        /* The run is long in wall time: was it the task's? The watchdog saw
         * this run start up to 100 ms late, so its count may fall short by
         * that much; it says so a tick later. */
        if (cpu >= 0 && s->watch_cpu >= 0 &&
            cpu - s->watch_cpu + s->asleep_ns < tg__config.long_task_ns)
            continue;
        s->starve_said = sw; /* once per uninterrupted run */
        if (tg__det_task_blocked(t))
            continue; /* blocked in a thread-level wait: the engine's case */
        int starving = __atomic_load_n(&s->rq_head, __ATOMIC_RELAXED) != NULL;
        uintptr_t pcs[32];
        int n = tg__sample(s, pcs, 32);
        if (__atomic_load_n(&s->switches, __ATOMIC_RELAXED) != sw)
            continue; /* it yielded meanwhile: the sample may show another task */
        tg__det_hazard_long_task(s, t, now - since, starving, pcs, n);
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
        tg__actor_set_internal(tg__current);
#endif
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (unsigned n = 1;; n++) {
        nanosleep(&tick, NULL);
        tg__coarse_set(tg_now());
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
    tg__coarse_set(tg_now());
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_create(&th, &attr, tg__watchdog, NULL);
    pthread_attr_destroy(&attr);
}
