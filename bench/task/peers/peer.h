/* SPDX-License-Identifier: MIT */
/* peer.h: what every peer benchmark shares (see bench_task.c, --peers).
 *
 * A peer program is built by bench_task against a coroutine library the
 * user built (none of their code is in this repository) and run as
 *   PROGRAM SCALE
 * It prints one line per benchmark, "NAME NS" (ns per operation) or
 * "NAME -" when the library has no such primitive, with the same
 * operation counts at scale 1 as bench_task. */
#ifndef TG_BENCH_PEER_H
#define TG_BENCH_PEER_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long peer_n(long at_scale_1, double scale)
{
    long n = (long)((double)at_scale_1 * scale);
    return n < 4 ? 4 : n;
}
/* CPU time of the calling thread, as bench_task measures tangle: every
 * peer runs its coroutines on the one thread that calls this. */
static double peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static double peer_scale(int argc, char **argv)
{
    double s = argc > 1 ? atof(argv[1]) : 1.0;
    return s > 0 ? s : 1.0;
}
static void peer_print(const char *name, double ns)
{
    if (ns < 0)
        printf("%s -\n", name);
    else
        printf("%s %.1f\n", name, ns);
    fflush(stdout);
}

/* Operations at scale 1, as in bench_task.c. */
#define PEER_N_YIELD 20000000L
#define PEER_N_CHAN 5000000L
#define PEER_N_MUTEX 50000000L
#define PEER_N_MUTEX_CONT 5000000L
#define PEER_N_SPAWN 1000000L

#endif
