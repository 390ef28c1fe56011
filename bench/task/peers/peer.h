/* SPDX-License-Identifier: MIT */
/* peer.h: what bench_task and every peer benchmark share (see
 * bench_task.c, --peers).
 *
 * A peer program is built by bench_task against a coroutine library the
 * user built (none of their code is in this repository) and run as
 *   PROGRAM SCALE
 * It prints one line per benchmark, "NAME NS" (ns per operation) or
 * "NAME -" when the library has no such primitive. Each operation is
 * timed as bench_task times tangle's: the CPU time of the one thread that
 * runs every coroutine, over one warm-up pass and PEER_PASSES timed passes
 * of the same number of operations, of which the least is printed. */
#ifndef TG_BENCH_PEER_H
#define TG_BENCH_PEER_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Operations per pass at scale 1 (a few ms each on the machine the docs
 * were measured on), and the timed passes after the warm-up. */
#define PEER_N_YIELD 300000L /* per task, two tasks */
#define PEER_N_CHAN 60000L
#define PEER_N_MUTEX 1000000L
#define PEER_N_MUTEX_CONT 100000L
#define PEER_N_SPAWN 200000L
#define PEER_PASSES 5

static inline long peer_n(long at_scale_1, double scale)
{
    long n = (long)((double)at_scale_1 * scale);
    return n < 4 ? 4 : n;
}
/* CPU time of the calling thread, as bench_task measures tangle: every
 * peer runs its coroutines on the one thread that calls this. */
static inline double peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static inline double peer_scale(int argc, char **argv)
{
    double s = argc > 1 ? atof(argv[1]) : 1.0;
    return s > 0 ? s : 1.0;
}
/* The least ns per operation of the timed passes so far (pass 0, the
 * warm-up, is not counted), or -1 before the first. */
static double peer_least = -1;
static inline void peer_pass_done(int pass, double t0, double ops)
{
    double ns = (peer_now() - t0) / ops;
    if (pass > 0 && (peer_least < 0 || ns < peer_least))
        peer_least = ns;
}
/* Prints the least of the passes (ns < 0: "-") and starts a new count. */
static inline void peer_print(const char *name, double ns)
{
    if (ns < 0)
        printf("%s -\n", name);
    else
        printf("%s %.1f\n", name, ns);
    fflush(stdout);
    peer_least = -1;
}

#endif
