/* SPDX-License-Identifier: MIT */
/* What the lock-order graph keeps per edge. One thread nests pairs of
 * 1,024 locks, always the lower first: every nesting a new edge, none on
 * a cycle. First each lock gets one lock taken under it (Z, made last), so
 * that none is a leaf and each first nesting is an edge at once, not a
 * record kept in a leaf. The program measures its own resident memory
 * after 280,000 edges and again after 390,000, and fails if it grew by more
 * than 48 bytes an edge. In between, no table doubles: the edge index
 * (2^19 slots, three quarters of them at most used) grew at 196,608
 * entries, the thread's chain cache (2^20 slots, half used at most) at
 * 262,144, and the tables they grew from have been let go. So the growth
 * is the edges themselves: 32 bytes each (64 before edges named their
 * occurrences by index, which grew 64 an edge here), in 2 MiB steps where
 * the system gives huge pages (past 65,536 edges the edges come in 2 MiB
 * blocks: one step in between here, about 20 bytes an edge measured).
 * Silent: the order never changes. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "resident.h"

#define LOCKS 1024
#define FIRST 280000
#define LAST 390000

static pthread_mutex_t locks[LOCKS];
static pthread_mutex_t z = PTHREAD_MUTEX_INITIALIZER;

static void nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
    pthread_mutex_lock(outer);
    pthread_mutex_lock(inner);
    pthread_mutex_unlock(inner);
    pthread_mutex_unlock(outer);
}

int main(void)
{
    for (int i = 0; i < LOCKS; i++) { /* made in index order, before z */
        pthread_mutex_init(&locks[i], NULL);
        pthread_mutex_lock(&locks[i]);
        pthread_mutex_unlock(&locks[i]);
    }
    for (int i = 0; i < LOCKS; i++)
        nest(&locks[i], &z);
    long edges = LOCKS, before = -1, after = -1;
    for (int i = 0; i < LOCKS && after < 0; i++)
        for (int j = i + 1; j < LOCKS && after < 0; j++) {
            nest(&locks[i], &locks[j]);
            if (++edges == FIRST)
                before = resident_kb();
            else if (edges == LAST)
                after = resident_kb();
        }
    if (before < 0 || after < 0) {
        fprintf(stderr, "case_edge_memory: cannot read VmRSS\n");
        return 2;
    }
    long per_edge = (after - before) * 1024 / (LAST - FIRST);
    if (per_edge > 48) {
        fprintf(stderr, "case_edge_memory: resident memory grew from %ld kB to %ld kB over %d new "
                "lock-order edges, %ld bytes each\n", before, after, LAST - FIRST, per_edge);
        return 1;
    }
    return 0;
}
