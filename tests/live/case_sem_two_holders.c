/* SPDX-License-Identifier: MIT */
/* Issue 14: a binary semaphore posted to 2 is held by two threads at once
 * (2 and 3); main, which holds none of it, posts it twice. The first post
 * ends the hold of its last taker, the second the other's (the one case in
 * which the engine still searches its actors). Both holders have ended
 * when thread 4 takes the semaphore twice and waits for the mutex main
 * holds, while main waits for the semaphore: one deadlock of main and
 * thread 4 alone, since neither ended thread holds the semaphore any more. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "semaphore"
// CHECK: reports[0].threads[*].waits_for.holder == 4
// CHECK: reports[0].threads[*].waits_for.holder == 1
#include <pthread.h>
#include <semaphore.h>

static sem_t lock, taken;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg)
{
    (void)arg;
    sem_wait(&lock);
    return NULL; /* ends holding it: main gives it back for this thread */
}

static void *taker(void *arg)
{
    (void)arg;
    sem_wait(&lock);
    sem_wait(&lock);
    sem_post(&taken);
    pthread_mutex_lock(&m);
    return NULL;
}

int main(void)
{
    pthread_t a, b, t;
    sem_init(&lock, 0, 1);
    sem_init(&taken, 0, 0);
    sem_post(&lock); /* 2: two can hold it */
    pthread_create(&a, NULL, holder, NULL);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, holder, NULL);
    pthread_join(b, NULL);
    sem_post(&lock);
    sem_post(&lock);
    pthread_mutex_lock(&m);
    pthread_create(&t, NULL, taker, NULL);
    sem_wait(&taken);
    sem_wait(&lock);
    return 0;
}
