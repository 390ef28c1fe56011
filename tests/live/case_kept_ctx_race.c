/* SPDX-License-Identifier: MIT */
/* Kept records given back by another thread while their actor replaces
 * the contexts they share. One thread nests each of 64 leaf mutexes in
 * turn under one of six outer locks (more than the four contexts an actor
 * reuses, so its contexts keep leaving its set with records still alive),
 * and posts a semaphore now and then (its clock changes: every context
 * leaves its set); a second thread destroys and initialises again each
 * leaf once it was nested (its records go back from that thread, the
 * last one of a context that left the set freeing it). A context freed
 * twice or read after it went shows under ASan or as a crash; nothing is
 * to be reported: every nesting takes an outer lock, then a leaf. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>

#define OUTER 6
#define SLOTS 64
#define ROUNDS 60000

static pthread_mutex_t outer[OUTER];
static pthread_mutex_t leaf[SLOTS];
static int state[SLOTS]; /* 0: the nester's turn, 1: the destroyer's (spun on, not locks) */
static sem_t posts;

static void wait_for(int j, int want)
{
    while (__atomic_load_n(&state[j], __ATOMIC_ACQUIRE) != want)
        sched_yield();
}

static void *nester(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        int j = i % SLOTS;
        wait_for(j, 0);
        pthread_mutex_lock(&outer[(i / 3) % OUTER]);
        pthread_mutex_lock(&leaf[j]);
        pthread_mutex_unlock(&leaf[j]);
        pthread_mutex_unlock(&outer[(i / 3) % OUTER]);
        if (i % 101 == 0)
            sem_post(&posts);
        __atomic_store_n(&state[j], 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *destroyer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        int j = i % SLOTS;
        wait_for(j, 1);
        pthread_mutex_destroy(&leaf[j]);
        pthread_mutex_init(&leaf[j], NULL);
        __atomic_store_n(&state[j], 0, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < OUTER; i++)
        pthread_mutex_init(&outer[i], NULL);
    for (int j = 0; j < SLOTS; j++)
        pthread_mutex_init(&leaf[j], NULL);
    sem_init(&posts, 0, 0);
    pthread_t n, d;
    pthread_create(&n, NULL, nester, NULL);
    pthread_create(&d, NULL, destroyer, NULL);
    pthread_join(n, NULL);
    pthread_join(d, NULL);
    return 0;
}
