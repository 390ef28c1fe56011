/* SPDX-License-Identifier: MIT */
/* Issue 15 item 4: the thread that gets PTHREAD_BARRIER_SERIAL_THREAD
 * destroys the barrier right after its wait, while the others are still
 * on their way out of it; glibc supports this. Nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
#include <pthread.h>

#define N 4

static pthread_barrier_t b;

static void *pass(void *arg)
{
    (void)arg;
    if (pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD)
        pthread_barrier_destroy(&b);
    return NULL;
}

int main(void)
{
    for (int round = 0; round < 20; round++) {
        pthread_t t[N];
        pthread_barrier_init(&b, NULL, N);
        for (int i = 0; i < N; i++)
            pthread_create(&t[i], NULL, pass, NULL);
        for (int i = 0; i < N; i++)
            pthread_join(t[i], NULL);
    }
    return 0;
}
