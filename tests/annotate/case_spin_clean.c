/* SPDX-License-Identifier: MIT */
/* Annotated locks used correctly, nothing reported: two threads nest the
 * same spinlocks in one order; an inversion backed off with a trylock;
 * read-read in opposite orders on a reader-preferring rwlock; a lock
 * created as reentrant and taken twice; a lock destroyed and created
 * again at the same address, then nested the other way; a lock of a
 * library whose own code takes a pthread mutex inside the bracket. */
// EXIT: 0
// STDOUT: done 4000
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>
#include <stdio.h>

#include "../live/predict_common.h"
#include "spin.h"

static struct spin a, b, again;
static struct rwspin r1, r2;
static struct spin reentrant;
static int reentrant_depth;
static long counter;

/* A lock whose implementation uses a pthread mutex inside the bracket. */
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static int wrapped_taken;

static void wrapped_lock(void)
{
    tg_annotate_pre_lock(&wrapped_taken, 0);
    for (;;) {
        pthread_mutex_lock(&inner);
        int was = wrapped_taken;
        wrapped_taken = 1;
        pthread_mutex_unlock(&inner);
        if (!was)
            break;
        sched_yield();
    }
    tg_annotate_post_lock(&wrapped_taken, 0, 0);
}

static void wrapped_unlock(void)
{
    tg_annotate_pre_unlock(&wrapped_taken, 0);
    pthread_mutex_lock(&inner);
    wrapped_taken = 0;
    pthread_mutex_unlock(&inner);
    tg_annotate_post_unlock(&wrapped_taken, 0);
}

static void relock(void)
{
    tg_annotate_pre_lock(&reentrant, 0);
    reentrant_depth++; /* held by this thread alone: no spinning needed here */
    tg_annotate_post_lock(&reentrant, 0, 0);
}

static void reunlock(void)
{
    tg_annotate_pre_unlock(&reentrant, 0);
    reentrant_depth--;
    tg_annotate_post_unlock(&reentrant, 0);
}

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        spin_lock(&a);
        spin_lock(&b);
        wrapped_lock();
        counter++;
        wrapped_unlock();
        spin_unlock(&b);
        spin_unlock(&a);
    }
    return NULL;
}

static void turns(int i)
{
    if (i == 0) {
        spin_lock(&a);
        spin_lock(&b);
        spin_unlock(&b);
        spin_unlock(&a);
        rwspin_rdlock(&r1);
        rwspin_rdlock(&r2);
        rwspin_unlock(&r2, 1);
        rwspin_unlock(&r1, 1);
        spin_lock(&again);
        spin_lock(&a);
        spin_unlock(&a);
        spin_unlock(&again);
    } else {
        spin_lock(&b);
        if (spin_trylock(&a) == 0)
            spin_unlock(&a);
        spin_unlock(&b);
        rwspin_rdlock(&r2);
        rwspin_rdlock(&r1);
        rwspin_unlock(&r1, 1);
        rwspin_unlock(&r2, 1);
        /* A new lock at the address of `again`: not the one nested before. */
        spin_destroy(&again);
        spin_init(&again);
        spin_lock(&a);
        spin_lock(&again);
        spin_unlock(&again);
        spin_unlock(&a);
    }
}

int main(void)
{
    spin_init(&a);
    spin_init(&b);
    spin_init(&again);
    tg_annotate_lock_create(&reentrant, TG_LOCK_WRITE_REENTRANT);
    spin_lock(&reentrant);
    relock();
    reunlock();
    spin_unlock(&reentrant);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    run_in_turns(2, turns);
    printf("done %ld\n", counter);
    return 0;
}
