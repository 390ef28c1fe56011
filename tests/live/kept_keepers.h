/* SPDX-License-Identifier: MIT */
/* KEEPERS threads nest lock `leaf` under `table` while it is a leaf
 * (nothing taken under it yet), so their nestings are kept, not put in
 * the graph, and stay alive holding nothing; a last thread, `closer`, then
 * takes the leaf and the table under it, closing a cycle with each of
 * them: a true potential deadlock. The program leaves with _exit right
 * after the closer is joined, before any watchdog tick or the report at
 * exit, so only a report made when the closer's nesting is handled (at its
 * end) reaches stderr. The includer defines KEEPERS. */
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
    pthread_t k[KEEPERS], c;
    for (int i = 0; i < KEEPERS; i++)
        pthread_create(&k[i], NULL, keeper, NULL);
    while (__atomic_load_n(&nested, __ATOMIC_ACQUIRE) < KEEPERS)
        sched_yield();
    pthread_create(&c, NULL, closer, NULL);
    pthread_join(c, NULL);
    _exit(0);
}
