/* SPDX-License-Identifier: MIT */
/* gmutexbench: uncontended lock+unlock of GLib's GMutex against the same
 * loop on a pthread mutex, for comparing plain runs, tangle and
 * ThreadSanitizer. Prints one line: the mode and nanoseconds per
 * lock+unlock.
 *   gmutexbench gmutex THREADS LOCKS ITERS   each thread walks its own LOCKS
 *   gmutexbench pthread THREADS LOCKS ITERS  GMutexes (or pthread mutexes),
 *                                            one lock+unlock per step
 * The lock calls run in created threads (main waits in join), so GLib
 * and glibc take their atomic paths, as in any threaded program. LOCKS small: the lock's entry stays in tangle's caches; LOCKS
 * large: every step touches a lock not touched for a while. */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int use_glib;
static long n_locks, iters;
static volatile long sink;

struct slot {
    GMutex g;
    pthread_mutex_t p;
    long count;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Creates its locks, times the loop (into *arg, seconds), clears them. */
static void *worker(void *arg)
{
    struct slot *s = calloc((size_t)n_locks, sizeof *s);
    if (!s)
        abort();
    for (long i = 0; i < n_locks; i++) {
        g_mutex_init(&s[i].g);
        pthread_mutex_init(&s[i].p, NULL);
    }
    long k = 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        if (use_glib) {
            g_mutex_lock(&s[k].g);
            s[k].count++;
            g_mutex_unlock(&s[k].g);
        } else {
            pthread_mutex_lock(&s[k].p);
            s[k].count++;
            pthread_mutex_unlock(&s[k].p);
        }
        if (++k == n_locks)
            k = 0;
    }
    *(double *)arg = now() - t0;
    long total = 0;
    for (long i = 0; i < n_locks; i++) {
        total += s[i].count;
        g_mutex_clear(&s[i].g);
        pthread_mutex_destroy(&s[i].p);
    }
    sink = total;
    free(s);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "gmutex") && strcmp(argv[1], "pthread"))) {
        fprintf(stderr, "usage: gmutexbench gmutex|pthread THREADS LOCKS ITERS\n");
        return 2;
    }
    use_glib = strcmp(argv[1], "gmutex") == 0;
    int n = atoi(argv[2]);
    n_locks = atol(argv[3]);
    iters = atol(argv[4]);
    if (n < 1 || n > 64 || n_locks < 1 || iters < 1)
        return 2;
    pthread_t t[64];
    double dt[64], slowest = 0;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, &dt[i]);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        if (dt[i] > slowest)
            slowest = dt[i];
    }
    /* The threads run side by side: the slowest one's time per step (the
     * locks' creation and clearing are not counted). */
    printf("%s %.2f\n", argv[1], slowest * 1e9 / (double)iters);
    return 0;
}
