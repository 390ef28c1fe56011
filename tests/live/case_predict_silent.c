/* SPDX-License-Identifier: MIT */
/* Inversions that cannot deadlock, none reported: under a common gate
 * lock (in two threads, and in one thread); ordered by create and join;
 * backed off with trylock; read-read on glibc's default rwlock; and
 * between a destroyed lock and a new one at the same address. (An
 * ungated inversion within one thread is a hazard: case_predict_one_thread.) */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include "predict_common.h"
#include <string.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t e = PTHREAD_MUTEX_INITIALIZER, f = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g = PTHREAD_MUTEX_INITIALIZER, h = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t *reused;
static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void gated(int i)
{
    pthread_mutex_lock(&gate);
    if (i == 0)
        pair(&a, &b);
    else
        pair(&b, &a);
    pthread_mutex_unlock(&gate);
}

static void *joined_child(void *arg)
{
    (void)arg;
    pair(&d, &c);
    return NULL;
}

static void trylock_backoff(int i)
{
    if (i == 0) {
        pair(&e, &f);
        return;
    }
    pthread_mutex_lock(&f);
    if (pthread_mutex_trylock(&e) == 0)
        pthread_mutex_unlock(&e);
    pthread_mutex_unlock(&f);
}

static void read_read(int i)
{
    if (i == 0) {
        pthread_rwlock_rdlock(&table);
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
        pthread_rwlock_unlock(&table);
    } else {
        pthread_mutex_lock(&m);
        pthread_rwlock_rdlock(&table);
        pthread_rwlock_unlock(&table);
        pthread_mutex_unlock(&m);
    }
}

static void address_reuse(int i)
{
    if (i == 0) {
        pair(reused, &other);
        pthread_mutex_destroy(reused);
        pthread_mutex_init(reused, NULL); /* a new lock at the same address */
    } else {
        pair(&other, reused);
    }
}

int main(void)
{
    run_in_turns(2, gated);
    pair(&c, &d); /* before the child exists */
    pthread_t t;
    pthread_create(&t, NULL, joined_child, NULL);
    pthread_join(t, NULL);
    run_in_turns(2, trylock_backoff);
    pthread_mutex_lock(&gate); /* one thread, both orders, each under the gate */
    pair(&g, &h);
    pthread_mutex_unlock(&gate);
    pthread_mutex_lock(&gate);
    pair(&h, &g);
    pthread_mutex_unlock(&gate);
    run_in_turns(2, read_read);
    reused = malloc(sizeof *reused);
    pthread_mutex_init(reused, NULL);
    run_in_turns(2, address_reuse);
    return 0;
}
