/* SPDX-License-Identifier: MIT */
/* Recursive mutexes may be re-locked; trylock never blocks; a run with
 * nothing wrong keeps the program's own exit status and prints nothing. */
// EXIT: 3
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>

static pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *backoff(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&b);
        if (pthread_mutex_trylock(&a) == 0) /* back off instead of blocking */
            pthread_mutex_unlock(&a);
        pthread_mutex_unlock(&b);
    }
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&rec);
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);
    pthread_t t;
    pthread_create(&t, NULL, backoff, NULL);
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
    }
    pthread_join(t, NULL);
    return 3;
}
