/* SPDX-License-Identifier: MIT */
/* A first nesting waits in its thread's queue while another thread frees
 * the memory of one of its locks and makes a new lock there. The first
 * thread, holding an outer lock it keeps, takes a table lock and then the
 * mutex of a block (queued: it still holds the outer lock); the second
 * frees the block, allocates one of the same size (mapped alone, so usually
 * at the address just freed: its zeroed mutex needs no init, so it is the
 * same entry), and takes its mutex and then the table. The two mutexes
 * are different locks: nothing can deadlock. The free must handle the
 * queue before it retires the block's lock, or the first thread's
 * table -> block edge would be added later and meet the second's
 * block -> table edge at the same address (a false cycle). */
// EXIT: 0
// CHECK: reports# == 0
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#define BLOCK (256 * 1024) /* above the mmap threshold set below */

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
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
    wait_stage(0);
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&table);
    pthread_mutex_lock(block);
    pthread_mutex_unlock(block);
    pthread_mutex_unlock(&table);
    __atomic_store_n(&stage, 1, __ATOMIC_RELEASE);
    wait_stage(2);
    pthread_mutex_unlock(&outer);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    wait_stage(1);
    free(block);
    block = calloc(1, BLOCK);
    pthread_mutex_lock(block);
    pthread_mutex_lock(&table);
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(block);
    __atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
    return NULL;
}

int main(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: freed blocks are unmapped */
    block = calloc(1, BLOCK);
    pthread_t t[2];
    pthread_create(&t[0], NULL, first, NULL);
    pthread_create(&t[1], NULL, second, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    free(block);
    return 0;
}
