/* SPDX-License-Identifier: MIT */
/* Issue 15 item 10, reduced from CPython's test_queue: binary semaphores
 * used as locks (CPython's threading.Lock) are released by threads that
 * did not take them, then destroyed and freed, and a new one is made at
 * the same address. A release must give up the hold of the instance it
 * releases, never an entry left from the earlier one at that address;
 * nothing here is freed while held, and nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

static sem_t *lock;
static sem_t taken, go;

static void *releaser(void *arg)
{
    (void)arg;
    sem_post(lock); /* hands back the lock main took */
    return NULL;
}

static void *taker(void *arg)
{
    (void)arg;
    sem_wait(lock);
    sem_post(&taken);
    sem_wait(&go); /* main releases the lock for this thread meanwhile */
    sem_destroy(lock);
    free(lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&taken, 0, 0);
    sem_init(&go, 0, 0);
    lock = malloc(sizeof *lock);
    sem_init(lock, 0, 1);
    sem_wait(lock);
    pthread_create(&t, NULL, releaser, NULL);
    pthread_join(t, NULL);
    sem_destroy(lock);

    sem_init(lock, 0, 1); /* a new lock at the same address */
    pthread_create(&t, NULL, taker, NULL);
    sem_wait(&taken);
    sem_post(lock); /* released for the taker */
    sem_post(&go);
    pthread_join(t, NULL);
    return 0;
}
