/* SPDX-License-Identifier: MIT */
/* Issue 15 item 3: a thread ends holding a robust mutex; the next locker
 * gets EOWNERDEAD as designed, makes the state consistent and goes on.
 * Nobody waits forever, so nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: owner died, recovered
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m;

static void *dies_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &attr);
    pthread_t t;
    pthread_create(&t, NULL, dies_holding, NULL);
    pthread_join(t, NULL);
    if (pthread_mutex_lock(&m) == EOWNERDEAD) {
        pthread_mutex_consistent(&m);
        printf("owner died, recovered\n");
    }
    pthread_mutex_unlock(&m);
    return 0;
}
