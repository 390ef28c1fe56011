/* SPDX-License-Identifier: MIT */
/* The traps of case_predict_silent when a thread shows an edge in several
 * ways (each kept, see case_predict_later_occurrence): none of them can
 * deadlock, none is reported.
 * 1. thread 0 takes gate, a, b; joins a thread of its own; takes other,
 *    gate, a, b; thread 1 takes gate, b, a. Every way is under the gate.
 * 2. thread 0 read-locks table then takes m; joins; does the same under
 *    other; thread 1 takes m then read-locks table (reader-preferring).
 * 3. main takes x, y; creates a child that takes y, x; joins it; takes x, y
 *    under z: the child ran after the first and before the second.
 * 4. the same with one place: main takes x, y; creates a child that takes
 *    y, x; joins it; takes x, y at the same place (the chain it saw before
 *    the create is looked at again, and found ordered by the join). */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include "predict_common.h"

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER, other = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER, y = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t z = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *p, pthread_mutex_t *q)
{
    pthread_mutex_lock(p);
    pthread_mutex_lock(q);
    pthread_mutex_unlock(q);
    pthread_mutex_unlock(p);
}

static void *nothing(void *arg)
{
    return arg;
}

static void learn(void)
{
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
}

static void gated(int i)
{
    pthread_mutex_lock(&gate);
    pair(i == 0 ? &a : &b, i == 0 ? &b : &a);
    pthread_mutex_unlock(&gate);
    if (i == 0) {
        learn();
        pthread_mutex_lock(&other);
        pthread_mutex_lock(&gate);
        pair(&a, &b);
        pthread_mutex_unlock(&gate);
        pthread_mutex_unlock(&other);
    }
}

static void read_then_m(void)
{
    pthread_rwlock_rdlock(&table);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    pthread_rwlock_unlock(&table);
}

static void read_read(int i)
{
    if (i == 0) {
        read_then_m();
        learn();
        pthread_mutex_lock(&other);
        read_then_m();
        pthread_mutex_unlock(&other);
    } else {
        pthread_mutex_lock(&m);
        pthread_rwlock_rdlock(&table);
        pthread_rwlock_unlock(&table);
        pthread_mutex_unlock(&m);
    }
}

static void *child(void *arg)
{
    pair(&y, &x);
    return arg;
}

int main(void)
{
    run_in_turns(2, gated);
    run_in_turns(2, read_read);
    pair(&x, &y);
    pthread_t t;
    pthread_create(&t, NULL, child, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&z);
    pair(&x, &y);
    pthread_mutex_unlock(&z);
    for (int i = 0; i < 2; i++) {
        pair(&x, &y);
        if (i == 0) {
            pthread_create(&t, NULL, child, NULL);
            pthread_join(t, NULL);
        }
    }
    return 0;
}
