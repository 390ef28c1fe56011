/* SPDX-License-Identifier: MIT */
/* The outer lock of a kept nesting is freed, and a new lock is made at its
 * address. The first thread takes the mutex of a block and then a leaf
 * (nothing taken under it: the nesting is kept, naming the block's mutex
 * as the lock held) and stays alive; the second frees the block, allocates
 * one of the same size (mapped alone, so usually at the address just
 * freed: its zeroed mutex needs no init, so it is the same entry), takes
 * another lock under the new block's mutex (so that it is no leaf), and
 * then the leaf and the new block's mutex under it. The two block mutexes
 * are different locks: nothing can deadlock. When the leaf stops being a
 * leaf, the kept nesting goes to the graph; it must not be taken for one
 * under the new lock (a false cycle). */
// EXIT: 0
// CHECK: reports# == 0
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#define BLOCK (256 * 1024) /* above the mmap threshold set below */

static pthread_mutex_t leaf = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *block;
static int stage; /* spun on, not a lock: tangle sees no ordering in it */

static void wait_stage(int s)
{
    while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) != s)
        sched_yield();
}

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(block);
    pthread_mutex_lock(&leaf);
    pthread_mutex_unlock(&leaf);
    pthread_mutex_unlock(block);
    __atomic_store_n(&stage, 1, __ATOMIC_RELEASE);
    wait_stage(2);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    wait_stage(1);
    free(block);
    block = calloc(1, BLOCK);
    pthread_mutex_lock(block);
    pthread_mutex_lock(&other);
    pthread_mutex_unlock(&other);
    pthread_mutex_unlock(block);
    pthread_mutex_lock(&leaf);
    pthread_mutex_lock(block);
    pthread_mutex_unlock(block);
    pthread_mutex_unlock(&leaf);
    return NULL;
}

int main(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: freed blocks are unmapped */
    block = calloc(1, BLOCK);
    pthread_t t[2];
    pthread_create(&t[0], NULL, first, NULL);
    pthread_create(&t[1], NULL, second, NULL);
    pthread_join(t[1], NULL);
    __atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
    pthread_join(t[0], NULL);
    free(block);
    return 0;
}
