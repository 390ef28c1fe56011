/* SPDX-License-Identifier: MIT */
/* Kept leaves under churn, from several threads at once. Generations of
 * short-lived nester threads each make leaves (malloc + init) and nest
 * each one under `outer` (kept: `outer` is a node, the leaf nothing was
 * taken under yet), then hand it to an ender through a ring of atomics
 * (no ordering tangle sees). The enders end the leaves in every way a
 * leaf ends (destroy, free() without a destroy, destroy and init again,
 * init again without a destroy), so that the records come back to their
 * nester from another thread while it makes new ones, after its clock
 * moved (it posts a semaphore now and then) and after it exited. Before
 * the end an ender sometimes nests the leaf under its own lock (a record
 * of its own in the same list) and, every seventh leaf, takes the leaf
 * then `outer`: with the nester's outer -> leaf, a true potential
 * deadlock, nothing orders the two nestings. The nester also ends every
 * fifth leaf itself. Run as is, the inversion must be reported; the
 * .case files run the same churn without one (the ender takes `outer`
 * first) and with the hand-over ordered by a semaphore (the nester's
 * nesting happens before the ender's inversion: no deadlock is possible),
 * and both must stay silent. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(nester_leaf)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(ender_outer)
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS 2
#define GENERATIONS 8 /* times the second argument, if any */
#define ROUNDS 400 /* per nester thread */
#define RING 32

enum mode { INVERSION, SAME_ORDER, ORDERED };
static enum mode mode = INVERSION;

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t warm = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ender_own[PAIRS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static sem_t ticks;
static int ticks_done;

/* One nester hands leaves to one ender: a single-producer single-consumer
 * ring; NULL ends it. `ready` is posted per leaf only when ORDERED. */
struct ring {
    pthread_mutex_t *slot[RING];
    unsigned head, tail;
    sem_t ready;
} rings[PAIRS];

static void ring_put(struct ring *q, pthread_mutex_t *m)
{
    unsigned t = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    while (t - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == RING)
        sched_yield();
    q->slot[t % RING] = m;
    __atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
    if (mode == ORDERED)
        sem_post(&q->ready);
}

static pthread_mutex_t *ring_get(struct ring *q)
{
    if (mode == ORDERED)
        sem_wait(&q->ready);
    unsigned h = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    while (__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == h)
        sched_yield();
    pthread_mutex_t *m = q->slot[h % RING];
    __atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
    return m;
}

static pthread_mutex_t *leaf_new(void)
{
    pthread_mutex_t *m = malloc(sizeof *m);
    if (!m)
        abort();
    pthread_mutex_init(m, NULL);
    return m;
}

/* The ways a leaf ends, chosen by i. */
static void leaf_end(pthread_mutex_t *m, unsigned i)
{
    switch (i % 4) {
    case 0:
        pthread_mutex_destroy(m);
        break;
    case 1:
        break; /* freed without a destroy */
    case 2:
        pthread_mutex_destroy(m);
        pthread_mutex_init(m, NULL);
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
        pthread_mutex_destroy(m);
        break;
    case 3:
        pthread_mutex_init(m, NULL); /* a new instance over a live one */
        pthread_mutex_destroy(m);
        break;
    }
    free(m);
}

static void *nester(void *arg)
{
    struct ring *q = arg;
    for (unsigned i = 0; i < ROUNDS; i++) {
        pthread_mutex_t *m = leaf_new();
        pthread_mutex_lock(&outer);
        pthread_mutex_lock(m); // @nester_leaf
        pthread_mutex_unlock(m);
        pthread_mutex_unlock(&outer);
        if (i % 16 == 0)
            sem_post(&ticks); /* its clock moves on: its records keep the old one */
        if (i % 5 == 4)
            leaf_end(m, i / 5);
        else
            ring_put(q, m);
    }
    return NULL;
}

static void *ender(void *arg)
{
    int k = (int)(long)arg;
    struct ring *q = &rings[k];
    pthread_mutex_t *m;
    for (unsigned i = 0; (m = ring_get(q)) != NULL; i++) {
        if (i % 3 == 1) {
            pthread_mutex_lock(&ender_own[k]);
            pthread_mutex_lock(m);
            pthread_mutex_unlock(m);
            pthread_mutex_unlock(&ender_own[k]);
        }
        if (i % 7 == 3) {
            if (mode == SAME_ORDER) {
                pthread_mutex_lock(&outer);
                pthread_mutex_lock(m);
                pthread_mutex_unlock(m);
                pthread_mutex_unlock(&outer);
            } else {
                pthread_mutex_lock(m);
                pthread_mutex_lock(&outer); // @ender_outer
                pthread_mutex_unlock(&outer);
                pthread_mutex_unlock(m);
            }
        }
        leaf_end(m, i);
    }
    return NULL;
}

static void *ticker(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&ticks);
        if (__atomic_load_n(&ticks_done, __ATOMIC_ACQUIRE))
            return NULL;
    }
}

int main(int argc, char **argv)
{
    int generations = GENERATIONS;
    if (argc > 1 && strcmp(argv[1], "inversion") != 0)
        mode = strcmp(argv[1], "same-order") == 0 ? SAME_ORDER : ORDERED;
    if (argc > 2)
        generations *= atoi(argv[2]);
    sem_init(&ticks, 0, 0);
    /* outer becomes a node first, so that the nestings under it are kept. */
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&warm);
    pthread_mutex_unlock(&warm);
    pthread_mutex_unlock(&outer);
    pthread_t tick, enders[PAIRS], nesters[PAIRS];
    pthread_create(&tick, NULL, ticker, NULL);
    for (int k = 0; k < PAIRS; k++) {
        sem_init(&rings[k].ready, 0, 0);
        pthread_create(&enders[k], NULL, ender, (void *)(long)k);
    }
    for (int g = 0; g < generations; g++) {
        for (int k = 0; k < PAIRS; k++)
            pthread_create(&nesters[k], NULL, nester, &rings[k]);
        for (int k = 0; k < PAIRS; k++)
            pthread_join(nesters[k], NULL);
    }
    for (int k = 0; k < PAIRS; k++) {
        ring_put(&rings[k], NULL);
        pthread_join(enders[k], NULL);
    }
    __atomic_store_n(&ticks_done, 1, __ATOMIC_RELEASE);
    sem_post(&ticks);
    pthread_join(tick, NULL);
    return 0;
}
