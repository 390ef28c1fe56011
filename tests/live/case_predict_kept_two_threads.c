/* SPDX-License-Identifier: MIT */
/* Two threads nest the same lock under a table while it is a leaf (nothing
 * taken under it yet), so their nestings are kept, not put in the graph;
 * they stay alive, holding nothing. A third thread then takes the leaf and
 * the table under it: its edge closes a cycle with either of the first
 * two, a true potential deadlock. It must be reported when the third
 * thread's nesting is handled (at its end, joined here), not at a later
 * watchdog tick or at exit: the program leaves with _exit before either
 * (and the watchdog's period is a minute), so only a report made at once
 * reaches stderr (and makes tangle's exit status 66). */
// RUN: -O watchdog_ms=60000
// EXIT: 66
// STDERR: SUMMARY: tangle: potential-deadlock
// STDERR: in closer
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t warm = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t leaf = PTHREAD_MUTEX_INITIALIZER;
static int nested, done; /* spun on, not locks: tangle sees no ordering in them */

static void *keeper(void *arg)
{
    (void)arg;
    /* The table becomes a node of the graph first (a first nesting under
     * it handled when the thread holds nothing), so that what follows is
     * kept. */
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&warm);
    pthread_mutex_unlock(&warm);
    pthread_mutex_unlock(&table);
    sched_yield();
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&leaf);
    pthread_mutex_unlock(&leaf);
    pthread_mutex_unlock(&table);
    __atomic_add_fetch(&nested, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        sched_yield();
    return NULL;
}

static void *closer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&leaf);
    pthread_mutex_lock(&table);
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(&leaf);
    return NULL;
}

int main(void)
{
    pthread_t k[2], c;
    for (int i = 0; i < 2; i++)
        pthread_create(&k[i], NULL, keeper, NULL);
    while (__atomic_load_n(&nested, __ATOMIC_ACQUIRE) < 2)
        sched_yield();
    pthread_create(&c, NULL, closer, NULL);
    pthread_join(c, NULL);
    _exit(0);
}
