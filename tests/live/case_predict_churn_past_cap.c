/* SPDX-License-Identifier: MIT */
/* Forty short-lived threads, one at a time, each take `table` then
 * `entry` and end: more than a leaf keeps records for, so `entry` goes
 * to the lock-order graph part way through. A thread started before all
 * of them (nothing orders it with them: it waits for them through a
 * plain atomic counter, which tangle does not see) then takes `entry`
 * and `table`, the other order: a potential deadlock with each of them,
 * reported once. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(forward)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(backward)
#include <pthread.h>
#include <sched.h>

#define REQUESTS 40

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t entry = PTHREAD_MUTEX_INITIALIZER;
static int served; /* atomic */

static void *request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&entry); /* @forward */
    pthread_mutex_unlock(&entry);
    pthread_mutex_unlock(&table);
    __atomic_add_fetch(&served, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *late(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&served, __ATOMIC_ACQUIRE) < REQUESTS)
        sched_yield();
    pthread_mutex_lock(&entry);
    pthread_mutex_lock(&table); /* @backward */
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(&entry);
    return NULL;
}

int main(void)
{
    pthread_t l;
    pthread_create(&l, NULL, late, NULL);
    for (int i = 0; i < REQUESTS; i++) {
        pthread_t t;
        pthread_create(&t, NULL, request, NULL);
        pthread_join(t, NULL);
    }
    pthread_join(l, NULL);
    return 0;
}
