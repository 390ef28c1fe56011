/* SPDX-License-Identifier: MIT */
/* Thread churn with detached threads, at most two alive: each takes a then
 * b and posts a semaphore as its last act; main waits for a post before
 * each create, and takes b then a at the end. Every nesting of a worker
 * comes before main's by the semaphore, so nothing may be reported, and
 * the clock slots of ended workers are reused (they would otherwise make
 * every create cost the number of threads so far). Also a crash test:
 * workers that end before pthread_create returns once corrupted the next
 * thread's descriptor. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle:
// STDOUT: 3000 workers
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#define WORKERS 3000
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static sem_t room;
static int ran; /* under lock_a */

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    ran++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    sem_post(&room);
    return NULL;
}

int main(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sem_init(&room, 0, 2);
    for (int i = 0; i < WORKERS; i++) {
        pthread_t t;
        sem_wait(&room);
        if (pthread_create(&t, &attr, worker, NULL) != 0)
            return 1;
    }
    sem_wait(&room);
    sem_wait(&room);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    printf("%d workers\n", ran);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return 0;
}
