/* SPDX-License-Identifier: MIT */
/* signal_reset.c: the runtime asks a scheduler thread that runs one task
 * too long for its stack with a real-time signal (SIGRTMAX-6). The program
 * may use that signal too, and must never notice tangle's use of it.
 *
 *   reset: a first long run makes tangle take the signal; the program then
 *          sets it to its default action (which ends the process) and a
 *          second long run is sampled. Expected: both long runs reported
 *          with the spinning line; the program ends normally (a finding:
 *          exit 66), not killed by the signal.
 *   own:   the program handles the signal itself from the start and raises
 *          it once. Expected: its handler runs exactly once (never for
 *          tangle's samples), and both long runs are still reported with
 *          the spinning line.
 * Before the runtime used the preload's private signals, "reset" was
 * killed by "Real-time signal 24" and "own" reported no stacks.
 */
#include "tangle/task.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t handled;
static int own_mode;

static void on_own(int sig)
{
    (void)sig;
    handled++;
}

/* Spins until this thread has run for `ns` of CPU time (the hazard counts
 * the scheduler thread's CPU time, so on a loaded machine a wall-clock
 * spin could end before it was long enough), or 30 s of wall time have
 * passed. The wall clock is read once per 2^16 turns, and the CPU clock (a
 * system call, much slower) only once `ns` of wall time have passed, so
 * that a sample mostly lands in the loop itself. A sample may still land
 * in a clock, where the four top frames of both tasks would be the same
 * (vdso, libc, a sanitizer's interceptor) and the two runs would read as
 * one hazard repeated: so each task reads the CPU clock through a function
 * of its own. */
typedef int64_t cpu_clock_fn(void);

static int64_t cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static __attribute__((noinline)) int64_t cpu_first(void)
{
    int64_t t = cpu_now();
    __asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays */
    return t;
}

static __attribute__((noinline)) int64_t cpu_second(void)
{
    int64_t t = cpu_now();
    __asm__ volatile("" ::: "memory");
    return t;
}

static void spin_for(int64_t ns, cpu_clock_fn *cpu)
{
    int64_t wall_end = tg_now() + ns, cpu_end = cpu() + ns, cap = wall_end + 30000 * 1000000LL;
    volatile unsigned turns = 0;
    int64_t t;
    while ((++turns & 0xffff) || ((t = tg_now()) < cap && (t < wall_end || cpu() < cpu_end))) /* @spin: never yields */
        ;
}

static void *first(void *arg)
{
    (void)arg;
    spin_for(700 * 1000 * 1000LL, cpu_first);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    spin_for(700 * 1000 * 1000LL, cpu_second);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_task *t;
    tg_spawn(&t, "first", first, NULL);
    tg_join(t, NULL);
    if (own_mode)
        raise(SIGRTMAX - 6);
    else
        signal(SIGRTMAX - 6, SIG_DFL);
    tg_spawn(&t, "second", second, NULL);
    tg_join(t, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "reset") && strcmp(argv[1], "own"))) {
        fprintf(stderr, "usage: signal_reset reset|own\n");
        return 2;
    }
    own_mode = !strcmp(argv[1], "own");
    if (own_mode)
        signal(SIGRTMAX - 6, on_own);
    struct tg_config c;
    tg_config_get(&c);
    c.long_task_ns = 200 * 1000 * 1000;
    tg_config_set(&c);
    int rc = tg_run(start, NULL);
    if (own_mode && handled != 1) {
        fprintf(stderr, "signal_reset: the program's handler ran %d times, expected 1\n", (int)handled);
        return 3;
    }
    return rc;
}
