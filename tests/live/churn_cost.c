/* SPDX-License-Identifier: MIT */
/* churn_cost N: a thread makes a lock N times at one of 16 addresses in
 * turn, nests it under a lock of its own once, and destroys it (the
 * scale probe's lock churn, on one thread). check_churn_cost.py counts
 * what tangle's init and destroy of such a lock cost.
 * churn_cost N free: the same lock churned 16 times in a heap block, which
 * is then freed; then N blocks of that size are allocated and freed (the
 * allocator gives the same block back): check_churn_cost.py counts what
 * those free() calls cost, which stays small only if the free() of the
 * block dropped the pin the churned lock left there (lockorder.c's
 * sticky pins). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slots[16];
static long n;

/* One cycle: m made, nested into under outer, destroyed. */
static void cycle(pthread_mutex_t *m)
{
    pthread_mutex_init(m, NULL);
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
    pthread_mutex_unlock(&outer);
    pthread_mutex_destroy(m);
}

static void *churn(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++)
        cycle(&slots[i % 16]);
    return NULL;
}

static void *churn_freed(void *arg)
{
    (void)arg;
    char *block = malloc(96);
    pthread_mutex_t *m = (pthread_mutex_t *)(block + 32);
    for (int i = 0; i < 16; i++)
        cycle(m);
    free(block);
    for (long i = 0; i < n; i++) {
        char *volatile p = malloc(96);
        p[0] = 1;
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (n = atol(argv[1])) <= 0 || (argc == 3 && strcmp(argv[2], "free"))) {
        fprintf(stderr, "usage: churn_cost N [free]\n");
        return 2;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, argc == 3 ? churn_freed : churn, NULL) != 0 ||
        pthread_join(t, NULL) != 0)
        return 1;
    return 0;
}
