/* SPDX-License-Identifier: MIT */
/* Twelve threads nest the same lock under a table while it is a leaf and
 * stay alive, holding nothing. A leaf keeps at most eight such nestings
 * (their count rides in its list's head); the ninth finds the list full
 * and is queued instead, which settles the leaf: the kept nestings go to
 * the graph with the queued one. A last thread then takes the leaf and
 * the table under it, closing a cycle with every keeper: one true
 * potential deadlock, reported once, at once (the program leaves with
 * _exit before any watchdog tick), naming the closer and a keeper. */
// RUN: -O watchdog_ms=60000
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// STDERR: SUMMARY: tangle: potential-deadlock
// STDERR: in closer
// STDERR: in keeper
// COUNT: 1 SUMMARY: tangle:
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#define KEEPERS 12

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t warm = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t leaf = PTHREAD_MUTEX_INITIALIZER;
static int nested, done; /* spun on, not locks: tangle sees no ordering in them */

static void *keeper(void *arg)
{
    (void)arg;
    /* The table becomes a node of the graph first, so that what follows
     * is kept while the leaf has room. */
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
