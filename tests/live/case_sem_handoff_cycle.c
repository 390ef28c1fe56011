/* SPDX-License-Identifier: MIT */
/* Issue 14: a binary semaphore (a lock, as CPython's threading.Lock) taken
 * by main is handed back by another thread's post, which ends main's hold
 * without a search of every actor (the engine keeps the semaphore's last
 * taker). Then thread 3 takes it and waits for the mutex main holds, while
 * main waits for the semaphore: one deadlock (a stall: semaphore waits are decided when nothing moves), in which the semaphore's
 * holder is thread 3 (main no longer holds it) and the mutex's is main. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "semaphore"
// CHECK: reports[0].threads[*].waits_for.holder == 3
// CHECK: reports[0].threads[*].waits_for.holder == 1
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_sem)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_mutex)
#include <pthread.h>
#include <semaphore.h>

static sem_t lock, taken;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *releaser(void *arg)
{
    (void)arg;
    sem_post(&lock); /* hands back the lock main took */
    return NULL;
}

static void *taker(void *arg)
{
    (void)arg;
    sem_wait(&lock);
    sem_post(&taken);
    pthread_mutex_lock(&m); /* @wait_mutex */
    return NULL;
}

int main(void)
{
    pthread_t r, t;
    sem_init(&lock, 0, 1);
    sem_init(&taken, 0, 0);
    sem_wait(&lock);
    pthread_create(&r, NULL, releaser, NULL);
    pthread_join(r, NULL);
    pthread_mutex_lock(&m);
    pthread_create(&t, NULL, taker, NULL);
    sem_wait(&taken);
    sem_wait(&lock); /* @wait_sem */
    return 0;
}
