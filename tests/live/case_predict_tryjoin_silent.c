/* SPDX-License-Identifier: MIT */
/* A child nests c then d and ends; the parent collects it with
 * pthread_tryjoin_np (polling) and only then nests d then c. The join
 * orders the two nestings, so they can never overlap: nothing to report.
 * Before tryjoin was watched, tangle missed the join and predicted a
 * deadlock that cannot happen. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void *child(void *arg)
{
    (void)arg;
    pair(&c, &d);
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, child, NULL) != 0)
        return 2;
    int rc;
    while ((rc = pthread_tryjoin_np(t, NULL)) == EBUSY)
        sched_yield();
    if (rc != 0)
        return 2;
    pair(&d, &c);
    return 0;
}
