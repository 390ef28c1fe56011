/* SPDX-License-Identifier: MIT */
/* lockbench: lock-heavy loops for comparing plain runs, tangle and
 * ThreadSanitizer. Prints one line: the mode and nanoseconds per operation.
 *   lockbench single ITERS          one thread, one mutex, lock+unlock
 *   lockbench single_mt ITERS       the same while a second thread exists (idle),
 *                                   as in any threaded program: glibc then
 *                                   uses atomic instructions
 *   lockbench nested THREADS ITERS  pairs of mutexes nested in one order
 *   lockbench rwread THREADS ITERS  rwlock, 99% reads, 1% writes */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAIRS 8
static pthread_mutex_t single = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer[PAIRS], inner[PAIRS];
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static long iters;
static volatile long sink;          /* single: only one thread */
static volatile long pair_count[PAIRS]; /* nested: guarded by the pair */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *nested(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < iters; i++) {
        int k = (int)((i + id) % PAIRS);
        pthread_mutex_lock(&outer[k]);
        pthread_mutex_lock(&inner[k]);
        pair_count[k]++;
        pthread_mutex_unlock(&inner[k]);
        pthread_mutex_unlock(&outer[k]);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        if (i % 100 == 0) {
            pthread_rwlock_wrlock(&table);
            pair_count[0]++;
        } else {
            pthread_rwlock_rdlock(&table);
            (void)pair_count[0];
        }
        pthread_rwlock_unlock(&table);
    }
    return NULL;
}

static pthread_mutex_t idle_gate = PTHREAD_MUTEX_INITIALIZER;

/* Waits until main opens the gate: a thread that exists and does nothing. */
static void *idle_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&idle_gate);
    pthread_mutex_unlock(&idle_gate);
    return NULL;
}

static double run_threads(int n, void *(*fn)(void *))
{
    pthread_t t[64];
    double t0 = now();
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, fn, (void *)i);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lockbench single ITERS | nested THREADS ITERS | rwread THREADS ITERS\n");
        return 2;
    }
    for (int i = 0; i < PAIRS; i++) {
        pthread_mutex_init(&outer[i], NULL);
        pthread_mutex_init(&inner[i], NULL);
    }
    pthread_mutex_lock(&idle_gate); /* opened when the measurement ends */
    pthread_t idle;
    int with_idle = !strcmp(argv[1], "single_mt");
    if (with_idle)
        pthread_create(&idle, NULL, idle_thread, NULL);
    if (!strcmp(argv[1], "single") || with_idle) {
        iters = atol(argv[2]);
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            pthread_mutex_lock(&single);
            sink++;
            pthread_mutex_unlock(&single);
        }
        printf("%s %.2f ns/op\n", argv[1], (now() - t0) * 1e9 / (double)iters);
        if (with_idle) {
            pthread_mutex_unlock(&idle_gate);
            pthread_join(idle, NULL);
        }
        return 0;
    }
    if (argc < 4)
        return 2;
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > 64)
        return 2;
    iters = atol(argv[3]);
    double dt = run_threads(threads, !strcmp(argv[1], "nested") ? nested : reader);
    printf("%s %.2f ns/op\n", argv[1], dt * 1e9 / ((double)iters * threads));
    return 0;
}
