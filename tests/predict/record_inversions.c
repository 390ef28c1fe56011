/* SPDX-License-Identifier: MIT */
/* Lock-order inversions for `tangle record` then `tangle predict`
 * (check_record.sh states what each mode must give):
 *   alone     one thread takes config then stats, and stats then config;
 *   promoted  the same, while a second thread, not ordered with it,
 *             takes stats then config;
 *   gated     the one thread takes both orders, each under a gate lock;
 *   wrapper   two threads take the two locks in opposite orders, every
 *             lock through one helper, lock_it(), from two call sites.
 * The second thread runs first and main waits for it on a plain atomic
 * flag, which a trace does not record: the two stay unordered for the
 * prediction, and the run itself cannot deadlock. */
#include <pthread.h>
#include <sched.h>
#include <string.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;

static void reload(void)
{
    pthread_mutex_lock(&config_lock); // @reload_config
    pthread_mutex_lock(&stats_lock); // @reload_stats
    pthread_mutex_unlock(&stats_lock);
    pthread_mutex_unlock(&config_lock);
}

static void report(void)
{
    pthread_mutex_lock(&stats_lock); // @report_stats
    pthread_mutex_lock(&config_lock); // @report_config
    pthread_mutex_unlock(&config_lock);
    pthread_mutex_unlock(&stats_lock);
}

static int done; /* set by the second thread when it is through */

static void wait_done(void)
{
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void *reporter(void *arg)
{
    (void)arg;
    report();
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Every lock of the wrapper mode is taken here, as pigz takes all of its
 * locks in possess(). */
static __attribute__((noinline)) void lock_it(pthread_mutex_t *m)
{
    pthread_mutex_lock(m); // @wrapper
}

static __attribute__((noinline)) void unlock_it(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
}

static __attribute__((noinline)) void save_config(void)
{
    lock_it(&config_lock); // @save_config
    lock_it(&stats_lock); // @save_stats
    unlock_it(&stats_lock);
    unlock_it(&config_lock);
}

static __attribute__((noinline)) void print_stats(void)
{
    lock_it(&stats_lock); // @print_stats
    lock_it(&config_lock); // @print_config
    unlock_it(&config_lock);
    unlock_it(&stats_lock);
}

static void *printer(void *arg)
{
    (void)arg;
    print_stats();
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "alone";
    pthread_t t;
    if (!strcmp(mode, "promoted")) {
        pthread_create(&t, NULL, reporter, NULL);
        wait_done();
        reload();
        report();
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "gated")) {
        pthread_mutex_lock(&gate_lock);
        reload();
        pthread_mutex_unlock(&gate_lock);
        pthread_mutex_lock(&gate_lock);
        report();
        pthread_mutex_unlock(&gate_lock);
    } else if (!strcmp(mode, "wrapper")) {
        pthread_create(&t, NULL, printer, NULL);
        wait_done();
        save_config();
        pthread_join(t, NULL);
    } else {
        reload();
        report();
    }
    return 0;
}
