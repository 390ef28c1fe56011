/* SPDX-License-Identifier: MIT */
/* main joins a thread that joins another, which works for a while and
 * ends: both joins outlast the quick wait and are checked, and neither is
 * part of a deadlock (the chain of joins ends at a thread that runs). */
// EXIT: 0
// CHECK: reports# == 0
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *last(void *arg)
{
    (void)arg;
    usleep(100000);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *middle(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, last, NULL);
    pthread_join(t, NULL);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, middle, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return 0;
}
