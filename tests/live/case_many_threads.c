/* SPDX-License-Identifier: MIT */
/* 1,000 threads share a mutex and each use private ones. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: total 1000000
#include <pthread.h>
#include <stdio.h>

#define THREADS 1000
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_t mine;
    pthread_mutex_init(&mine, NULL);
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mine);
        pthread_mutex_lock(&shared);
        total++;
        pthread_mutex_unlock(&shared);
        pthread_mutex_unlock(&mine);
    }
    pthread_mutex_destroy(&mine);
    return NULL;
}

int main(void)
{
    static pthread_t t[THREADS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], &attr, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("total %ld\n", total);
    return 0;
}
