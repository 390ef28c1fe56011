/* SPDX-License-Identifier: MIT */
/* What a thread's chain cache takes. One thread takes a table lock and
 * then, once each, every one of 90,000 objects' own mutexes under it: a
 * chain an object, each kept in the thread's chain cache (and a record of
 * 24 bytes linked from the object: leaves kept). The program measures its
 * resident memory after a warm-up and again once it nested every object,
 * and fails if it grew by more than 43 bytes an object. A cache that grew
 * once half full held 90,000 chains in 2^18 slots of 8 bytes (2 MiB,
 * some 23 bytes a chain: 59 bytes an object in all were measured); one
 * that grows once three quarters full holds them in 2^17 (47-48 bytes an
 * object in all); and with the arrays it grew out of given back to the
 * system, not kept in tangle's allocator for reuse, 37. Silent: there is
 * one order. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "resident.h"

#define OBJECTS 90000
#define WARM 2000
#define LIMIT 43

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *objects;

static void nest(long i)
{
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&objects[i]);
    pthread_mutex_unlock(&objects[i]);
    pthread_mutex_unlock(&table);
}

int main(void)
{
    objects = calloc(OBJECTS, sizeof *objects);
    if (!objects)
        return 2;
    for (long i = 0; i < OBJECTS; i++)
        pthread_mutex_init(&objects[i], NULL);
    for (long i = 0; i < WARM; i++)
        nest(i);
    long before = resident_kb();
    for (long i = WARM; i < OBJECTS; i++)
        nest(i);
    long after = resident_kb();
    for (long i = 0; i < OBJECTS; i++)
        pthread_mutex_destroy(&objects[i]);
    free(objects);
    return resident_check("case_chain_memory", before, after, (long)LIMIT * (OBJECTS - WARM) / 1024,
                          "90,000 objects nested into by one thread");
}
