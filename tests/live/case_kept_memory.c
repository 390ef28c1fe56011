/* SPDX-License-Identifier: MIT */
/* What a first nesting into a leaf keeps. Two threads each take a table
 * lock and then, once each, every one of 100,000 objects' own mutexes
 * under it (the per-object shape of a server): each nesting is kept in a
 * record linked from its object (leaves kept), not put in the graph. The
 * program measures its resident memory after a warm-up and again once
 * both threads nested every object, and fails if it grew by more than
 * 88 bytes an object. The entries of the objects' locks were made
 * before (at init); what grows is the records, two an object, and the
 * threads' chain caches (a chain an object per thread). A record was 104
 * bytes, a copy of both holds (about 270 bytes an object here); one that
 * shares what records made under the same holds have in common (a
 * context) was 24 (about 115); with its taken mark and instance bits in
 * the spare bits of its two pointers it is 16 (97). Each thread's cache
 * grows once more near the end (at 98,304 chains); the array it grew out
 * of stayed resident whole until its last slot moved over (1 MiB a
 * thread here), and now gives back its pages as its slots move (80).
 * Then main destroys every object: the
 * records go back to their threads, which have ended, from another
 * thread. Silent: there is one order.
 * Arguments (chain_memory.case): THREADS OBJECTS LIMIT, by default 2,
 * 100,000 and 88. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "resident.h"

#define WARM 2000

static long threads = 2, n_objects = 100000, limit = 88;

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *objects;
static pthread_barrier_t warm, measured;

static void nest(long i)
{
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&objects[i]);
    pthread_mutex_unlock(&objects[i]);
    pthread_mutex_unlock(&table);
}

static void *worker(void *arg)
{
    int up = arg != NULL;
    for (long i = 0; i < WARM; i++)
        nest(up ? i : n_objects - 1 - i);
    pthread_barrier_wait(&warm);
    pthread_barrier_wait(&measured);
    for (long i = WARM; i < n_objects; i++)
        nest(up ? i : n_objects - 1 - i);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 3) {
        threads = atol(argv[1]);
        n_objects = atol(argv[2]);
        limit = atol(argv[3]);
    }
    if (threads < 1 || threads > 2 || n_objects <= WARM)
        return 2;
    objects = calloc((size_t)n_objects, sizeof *objects);
    if (!objects)
        return 2;
    for (long i = 0; i < n_objects; i++)
        pthread_mutex_init(&objects[i], NULL);
    pthread_barrier_init(&warm, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&measured, NULL, (unsigned)threads + 1);
    pthread_t t[2];
    for (long k = 0; k < threads; k++)
        pthread_create(&t[k], NULL, worker, (void *)k);
    pthread_barrier_wait(&warm);
    long before = resident_kb();
    pthread_barrier_wait(&measured);
    for (long k = 0; k < threads; k++)
        pthread_join(t[k], NULL);
    long after = resident_kb();
    for (long i = 0; i < n_objects; i++)
        pthread_mutex_destroy(&objects[i]);
    free(objects);
    if (before < 0 || after < 0) {
        fprintf(stderr, "case_kept_memory: cannot read VmRSS\n");
        return 2;
    }
    long per_object = (after - before) * 1024 / (n_objects - WARM);
    if (per_object > limit) {
        fprintf(stderr, "case_kept_memory: resident memory grew from %ld kB to %ld kB over %ld "
                "objects, %ld bytes each (threads that nested into each: %ld)\n", before, after,
                n_objects - WARM, per_object, threads);
        return 1;
    }
    return 0;
}
