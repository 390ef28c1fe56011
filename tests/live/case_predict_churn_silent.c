/* SPDX-License-Identifier: MIT */
/* Thread churn where every inversion is ordered: generation g takes a then
 * b, generation g + 1 (created after g was joined) takes b then a, 300
 * times over; clock slots of joined threads are reused by later ones, and
 * none of it may be taken for a deadlock. A semaphore-ordered pair (one
 * thread posts after its nesting, the other waits before its own) is
 * silent too. */
// EXIT: 0
// NOSTDERR: tangle:
#include <pthread.h>
#include <semaphore.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_d = PTHREAD_MUTEX_INITIALIZER;
static sem_t done;

static void nest(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void *forward(void *arg) { (void)arg; nest(&lock_a, &lock_b); return NULL; }
static void *backward(void *arg) { (void)arg; nest(&lock_b, &lock_a); return NULL; }

static void *poster(void *arg)
{
    (void)arg;
    nest(&lock_c, &lock_d);
    sem_post(&done);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    sem_wait(&done);
    nest(&lock_d, &lock_c);
    return NULL;
}

int main(void)
{
    for (int g = 0; g < 300; g++) {
        pthread_t t1, t2;
        pthread_create(&t1, NULL, g % 2 ? backward : forward, NULL);
        pthread_create(&t2, NULL, g % 2 ? backward : forward, NULL);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
    }
    sem_init(&done, 0, 0);
    pthread_t p, w;
    pthread_create(&w, NULL, waiter, NULL);
    pthread_create(&p, NULL, poster, NULL);
    pthread_join(p, NULL);
    pthread_join(w, NULL);
    return 0;
}
