/* SPDX-License-Identifier: MIT */
/* A leaf kept by one thread is freed by another, and a new lock is made
 * at its address. The first thread takes a table and then the mutex of a
 * block (nothing taken under that mutex: its nesting is kept, not put in
 * the graph) and stays alive; the second frees the block, allocates one of
 * the same size (mapped alone, so usually at the address just freed: its
 * zeroed mutex needs no init, so it is the same entry), and takes its
 * mutex and then the table. The two mutexes are different locks: nothing
 * can deadlock. The free must drop the kept nesting, or it would go to the
 * graph when the new lock stops being a leaf and meet the second thread's
 * edge at the same address (a false cycle). */
// EXIT: 0
// CHECK: reports# == 0
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#define BLOCK (256 * 1024) /* above the mmap threshold set below */

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
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
    pthread_mutex_lock(&table);
    pthread_mutex_lock(block);
    pthread_mutex_unlock(block);
    pthread_mutex_unlock(&table);
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
    pthread_mutex_lock(&table);
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(block);
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
