/* SPDX-License-Identifier: MIT */
/* handle_cost K N: K threads wait on a condition while the main thread
 * names them N times in turn (pthread_setname_np finds a thread's actor
 * by its handle, as pthread_join, _tryjoin_np and _detach do), then ends
 * them. check_handle_cost.sh counts the instructions of those calls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int done;

static void *idle(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!done)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(int argc, char **argv)
{
    int k = argc > 2 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 0;
    if (k < 1 || n < 1) {
        fprintf(stderr, "usage: handle_cost THREADS CALLS\n");
        return 2;
    }
    pthread_t *t = malloc((size_t)k * sizeof *t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    for (int i = 0; i < k; i++)
        if (!t || pthread_create(&t[i], &attr, idle, NULL) != 0) {
            perror("handle_cost: pthread_create");
            return 2;
        }
    for (int i = 0; i < n; i++)
        pthread_setname_np(t[i % k], "worker");
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < k; i++)
        pthread_join(t[i], NULL);
    return 0;
}
