/* SPDX-License-Identifier: MIT */
/* As case_predict_kept_freed_reuse, with the mutex deep inside its block:
 * in the 128-byte grain after the one the block starts in, in the sixth
 * 16-byte granule there (the second of a word of free()'s counts), past
 * granules and a grain that count nothing. One thread frees the block and allocates one of
 * the same size (mapped alone, so usually at the address just freed,
 * with a zeroed mutex that needs no init: the same entry). The first
 * thread takes a table and then the old mutex (kept: nothing was taken
 * under it); the second takes the new mutex and then the table. Two
 * different locks: nothing can deadlock. The free must find the kept
 * leaf there and drop its nesting, or the nesting would go to the graph
 * when the new lock stops being a leaf and close a false cycle.
 * With the argument "region" (kept_freed_region.case), the block spans
 * two 2 MiB regions and the mutex lies in the sixth granule of the
 * second: free()'s look passes over the first region (no lock of the
 * graph there) and must still find the kept leaf past it. */
// EXIT: 0
// CHECK: reports# == 0
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static char *block;
static size_t size = 256 * 1024; /* above the mmap threshold set in main */
static size_t at;                /* the mutex's offset in the block */
static int stage; /* spun on, not a lock: tangle sees no ordering in it */

static pthread_mutex_t *lock_of(char *b)
{
    return (pthread_mutex_t *)(b + at);
}

static void wait_stage(int s)
{
    while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) != s)
        sched_yield();
}

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table);
    pthread_mutex_lock(lock_of(block));
    pthread_mutex_unlock(lock_of(block));
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
    block = calloc(1, size);
    pthread_mutex_lock(lock_of(block));
    pthread_mutex_lock(&table);
    pthread_mutex_unlock(&table);
    pthread_mutex_unlock(lock_of(block));
    return NULL;
}

int main(int argc, char **argv)
{
    int region = argc > 1 && !strcmp(argv[1], "region");
    if (region)
        size = 3 << 20;
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: freed blocks are unmapped */
    block = calloc(1, size);
    uintptr_t next = ((uintptr_t)block | (region ? (2u << 20) - 1 : 127)) + 1;
    at = next + 5 * 16 - (uintptr_t)block;
    pthread_t t[2];
    pthread_create(&t[0], NULL, first, NULL);
    pthread_create(&t[1], NULL, second, NULL);
    pthread_join(t[1], NULL);
    __atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
    pthread_join(t[0], NULL);
    free(block);
    return 0;
}
