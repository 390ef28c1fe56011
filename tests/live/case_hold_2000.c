/* SPDX-License-Identifier: MIT */
/* Two threads each hold 2,000 locks at once (nested in one order), and a
 * recursive mutex is taken 100,000 deep: holding N locks costs O(N), so
 * both finish at once and nothing is reported. */
// EXIT: 0
// STDOUT: finished
// NOSTDERR: tangle:
#include <pthread.h>
#include <stdio.h>

#define HELD 2000
static pthread_mutex_t locks[HELD];
static pthread_mutex_t deep;

static void *hold_all(void *arg)
{
    (void)arg;
    for (int i = 0; i < HELD; i++)
        pthread_mutex_lock(&locks[i]);
    for (int i = HELD - 1; i >= 0; i--)
        pthread_mutex_unlock(&locks[i]);
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t rec;
    pthread_mutexattr_init(&rec);
    pthread_mutexattr_settype(&rec, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&deep, &rec);
    for (int i = 0; i < HELD; i++)
        pthread_mutex_init(&locks[i], NULL);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, hold_all, NULL);
    pthread_create(&t2, NULL, hold_all, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_mutex_lock(&locks[0]);
    for (int i = 0; i < 100000; i++)
        pthread_mutex_lock(&deep);
    for (int i = 0; i < 100000; i++)
        pthread_mutex_unlock(&deep);
    pthread_mutex_unlock(&locks[0]);
    puts("finished");
    return 0;
}
