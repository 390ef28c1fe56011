/* SPDX-License-Identifier: MIT */
/* The correct counterparts of every misuse case: recursive locking done
 * right, condition waits with the mutex held, destroy after unlock, locks
 * freed after destroy, semaphores and barriers in range, hold_ms unmet.
 * Nothing is reported. */
// RUN: -O hold_ms=5000
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;

static void *signaller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    ready = 1;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_mutex_t r;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r, &attr);
    pthread_mutex_lock(&r);
    pthread_mutex_lock(&r);
    pthread_mutex_unlock(&r);
    pthread_mutex_unlock(&r);
    pthread_mutex_destroy(&r);

    pthread_t t;
    pthread_create(&t, NULL, signaller, NULL);
    pthread_mutex_lock(&m);
    while (!ready)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);

    for (int i = 0; i < 100; i++) {
        struct { pthread_mutex_t lock; int v; } *o = malloc(sizeof *o);
        pthread_mutex_init(&o->lock, NULL);
        pthread_mutex_lock(&o->lock);
        o->v = i;
        pthread_mutex_unlock(&o->lock);
        pthread_mutex_destroy(&o->lock);
        free(o);
    }
    sem_t s;
    sem_init(&s, 0, 3);
    sem_wait(&s);
    sem_post(&s);
    sem_destroy(&s);
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 1);
    pthread_barrier_wait(&b);
    pthread_barrier_destroy(&b);
    return 0;
}
