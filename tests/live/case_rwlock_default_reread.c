/* SPDX-License-Identifier: MIT */
/* The same sequence on glibc's default rwlock: the second read goes past
 * the queued writer, so nothing is wrong and nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle:
#include <pthread.h>
#include <unistd.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&lock);
    pthread_rwlock_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_rwlock_rdlock(&lock);
    pthread_create(&t, NULL, writer, NULL);
    usleep(200000);
    pthread_rwlock_rdlock(&lock);
    pthread_rwlock_unlock(&lock);
    pthread_rwlock_unlock(&lock);
    pthread_join(t, NULL);
    return 0;
}
