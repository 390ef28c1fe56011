/* SPDX-License-Identifier: MIT */
/* churn_cost N: a thread makes a lock N times at one of 16 addresses in
 * turn, nests it under a lock of its own once, and destroys it (the
 * scale probe's lock churn, on one thread). check_churn_cost.py counts
 * what tangle's init and destroy of such a lock cost. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slots[16];
static long n;

static void *churn(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_t *m = &slots[i % 16];
        pthread_mutex_init(m, NULL);
        pthread_mutex_lock(&outer);
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
        pthread_mutex_unlock(&outer);
        pthread_mutex_destroy(m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (n = atol(argv[1])) <= 0) {
        fprintf(stderr, "usage: churn_cost N\n");
        return 2;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, churn, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    return 0;
}
