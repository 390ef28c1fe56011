/* SPDX-License-Identifier: MIT */
/* A program that reports a potential deadlock and then leaves through
 * _exit(3), past the exit hooks where tangle sets its own status: the
 * supervisor sets it instead, and says why, naming _exit(). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// STDERR: (the program's own was 3) because it reported, then ended through _exit() or an exec
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static int first_done; /* atomic: orders the two threads without tangle seeing it */

static void *forward(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    __atomic_store_n(&first_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *backward(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&first_done, __ATOMIC_ACQUIRE))
        usleep(1000);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void)
{
    pthread_t x, y;
    pthread_create(&x, NULL, forward, NULL);
    pthread_create(&y, NULL, backward, NULL);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
    _exit(3);
}
