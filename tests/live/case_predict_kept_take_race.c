/* SPDX-License-Identifier: MIT */
/* A kept record pushed while another thread settles its leaf. For each of
 * 64 rwlocks (leaves), a reader takes the table and then the leaf to read
 * (a read nesting is kept with a locked push and a second look at the
 * leaf's flags: kept_add), while a writer takes the same leaf to write
 * and then `inner` (a nesting queued, whose handling settles the leaf:
 * its records go to the graph and it is kept no more). Whichever comes
 * first, the reader's record is handled exactly once: by the settle, or
 * by the reader, which takes it back and queues its nesting instead.
 * Before both, a third thread took `inner` and then the table, so each
 * leaf closes a cycle table -> leaf (read) -> inner -> table over three
 * threads with no common lock and no create or join between them (they
 * wait for each other on spun flags, which tangle does not see): 64 true
 * potential deadlocks, one a leaf. A record lost to the race (neither
 * handled nor queued) loses its leaf's report; one handled twice would
 * not add a report (a cycle is reported once). */
// EXIT: 66
// CHECK: reports# == 64
// CHECK: reports[*].kind == "potential-deadlock"
#include <pthread.h>
#include <sched.h>

#define LEAVES 64

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t warm = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t leaf[LEAVES];
static int back_done, turn[LEAVES]; /* spun on, not locks */

static void wait_until(int *flag, int want)
{
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < want)
        sched_yield();
}

static void *back(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&inner);
    pthread_mutex_lock(&table);
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(&inner);
    __atomic_store_n(&back_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    wait_until(&back_done, 1);
    /* The table becomes a node first (a nesting under it handled when
     * this thread holds nothing), so that the nestings below are kept. */
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&warm);
    pthread_mutex_unlock(&warm);
    pthread_mutex_unlock(&table);
    for (int i = 0; i < LEAVES; i++) {
        __atomic_store_n(&turn[i], 1, __ATOMIC_RELEASE);
        pthread_mutex_lock(&table);
        pthread_rwlock_rdlock(&leaf[i]);
        pthread_rwlock_unlock(&leaf[i]);
        pthread_mutex_unlock(&table);
        wait_until(&turn[i], 2);
    }
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < LEAVES; i++) {
        wait_until(&turn[i], 1);
        for (int spin = i % 8; spin > 0; spin--)
            sched_yield(); /* the reader's push lands before, during or after the settle */
        pthread_rwlock_wrlock(&leaf[i]);
        pthread_mutex_lock(&inner);
        pthread_mutex_unlock(&inner);
        pthread_rwlock_unlock(&leaf[i]);
        __atomic_store_n(&turn[i], 2, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < LEAVES; i++)
        pthread_rwlock_init(&leaf[i], NULL);
    pthread_t b, r, w;
    pthread_create(&b, NULL, back, NULL);
    pthread_create(&r, NULL, reader, NULL);
    pthread_create(&w, NULL, writer, NULL);
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    pthread_join(b, NULL);
    return 0;
}
