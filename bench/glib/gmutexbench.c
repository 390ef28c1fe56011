/* SPDX-License-Identifier: MIT */
/* gmutexbench: uncontended lock+unlock of GLib's GMutex against the same
 * loop on a pthread mutex and on an annotated spinlock (a home-made lock
 * described with include/tangle/annotate.h), for comparing plain runs,
 * tangle and ThreadSanitizer. Prints one line: the mode and nanoseconds
 * per lock+unlock.
 *   gmutexbench MODE THREADS LOCKS ITERS   each thread walks its own LOCKS
 *                                          locks, one lock+unlock per step
 * MODE is gmutex, pthread or annotated. The annotations are declared weak,
 * as a program that also runs without tangle declares them: a plain run
 * skips them, a run under tangle calls tangle's, and a ThreadSanitizer
 * build (-fsanitize=thread) calls ThreadSanitizer's own __tsan_mutex_*,
 * which watch the spinlock as tangle's do.
 * The lock calls run in created threads (main waits in join), so GLib
 * and glibc take their atomic paths, as in any threaded program. LOCKS small: the lock's entry stays in tangle's caches; LOCKS
 * large: every step touches a lock not touched for a while. */
#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define ANN_CREATE(l) __tsan_mutex_create(l, 0)
#define ANN_DESTROY(l) __tsan_mutex_destroy(l, 0)
#define ANN_PRE_LOCK(l) __tsan_mutex_pre_lock(l, 0)
#define ANN_POST_LOCK(l) __tsan_mutex_post_lock(l, 0, 0)
#define ANN_PRE_UNLOCK(l) __tsan_mutex_pre_unlock(l, 0)
#define ANN_POST_UNLOCK(l) __tsan_mutex_post_unlock(l, 0)
#else
#include <tangle/annotate.h>
#pragma weak tg_annotate_lock_create
#pragma weak tg_annotate_lock_destroy
#pragma weak tg_annotate_pre_lock
#pragma weak tg_annotate_post_lock
#pragma weak tg_annotate_pre_unlock
#pragma weak tg_annotate_post_unlock
#define ANN(call, ...)                                                                  \
    do {                                                                                \
        if (tg_annotate_##call)                                                         \
            tg_annotate_##call(__VA_ARGS__);                                            \
    } while (0)
#define ANN_CREATE(l) ANN(lock_create, l, 0)
#define ANN_DESTROY(l) ANN(lock_destroy, l, 0)
#define ANN_PRE_LOCK(l) ANN(pre_lock, l, 0)
#define ANN_POST_LOCK(l) ANN(post_lock, l, 0, 0)
#define ANN_PRE_UNLOCK(l) ANN(pre_unlock, l, 0)
#define ANN_POST_UNLOCK(l) ANN(post_unlock, l, 0)
#endif

enum mode { GMUTEX, PTHREAD, ANNOTATED };
static enum mode mode;
static long n_locks, iters;
static volatile long sink;

struct slot {
    GMutex g;
    pthread_mutex_t p;
    atomic_int spin;
    long count;
};

static __attribute__((noinline)) void spin_lock(atomic_int *l)
{
    ANN_PRE_LOCK(l);
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        sched_yield();
    ANN_POST_LOCK(l);
}

static __attribute__((noinline)) void spin_unlock(atomic_int *l)
{
    ANN_PRE_UNLOCK(l);
    atomic_store_explicit(l, 0, memory_order_release);
    ANN_POST_UNLOCK(l);
}

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
        atomic_init(&s[i].spin, 0);
        ANN_CREATE(&s[i].spin);
    }
    long k = 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        if (mode == GMUTEX) {
            g_mutex_lock(&s[k].g);
            s[k].count++;
            g_mutex_unlock(&s[k].g);
        } else if (mode == PTHREAD) {
            pthread_mutex_lock(&s[k].p);
            s[k].count++;
            pthread_mutex_unlock(&s[k].p);
        } else {
            spin_lock(&s[k].spin);
            s[k].count++;
            spin_unlock(&s[k].spin);
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
        ANN_DESTROY(&s[i].spin);
    }
    sink = total;
    free(s);
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"gmutex", "pthread", "annotated"};
    int m = -1;
    for (int i = 0; argc == 5 && i < 3; i++)
        if (strcmp(argv[1], modes[i]) == 0)
            m = i;
    if (m < 0) {
        fprintf(stderr, "usage: gmutexbench gmutex|pthread|annotated THREADS LOCKS ITERS\n");
        return 2;
    }
    mode = (enum mode)m;
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
