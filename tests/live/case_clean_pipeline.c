/* SPDX-License-Identifier: MIT */
/* A correct producer/consumer pipeline with conditions, rwlocks, a
 * semaphore and a barrier: nothing to report. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>
#include <semaphore.h>

#define ITEMS 20000
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[16], head, count;
static pthread_rwlock_t stats = PTHREAD_RWLOCK_INITIALIZER;
static long total;
static sem_t done;
static pthread_barrier_t start;

static void *producer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == 16)
            pthread_cond_wait(&not_full, &m);
        queue[(head + count++) % 16] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == 0)
            pthread_cond_wait(&not_empty, &m);
        int v = queue[head];
        head = (head + 1) % 16;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
        pthread_rwlock_wrlock(&stats);
        total += v;
        pthread_rwlock_unlock(&stats);
    }
    sem_post(&done);
    return NULL;
}

int main(void)
{
    pthread_t p, c;
    sem_init(&done, 0, 0);
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c, NULL, consumer, NULL);
    sem_wait(&done);
    pthread_rwlock_rdlock(&stats);
    long t = total;
    pthread_rwlock_unlock(&stats);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    return t == (long)ITEMS * (ITEMS - 1) / 2 ? 0 : 1;
}
