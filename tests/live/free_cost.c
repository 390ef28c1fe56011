/* SPDX-License-Identifier: MIT */
/* free_cost N MODE: a thread mallocs and frees N blocks of 32 to 88
 * bytes, none of which holds a lock. MODE nest: the main thread first
 * nests two locks (a kept first nesting: the lock-order graph then holds
 * an instance for good, and every free() looks at its block); MODE none:
 * it does not. check_free_cost.sh counts the instructions of free(). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static long n;

static void *churn(void *arg)
{
    (void)arg;
    void *live[16] = {0};
    for (long i = 0; i < n; i++) {
        free(live[i & 15]);
        if (!(live[i & 15] = malloc(32 + (size_t)(i & 7) * 8)))
            abort();
    }
    for (int k = 0; k < 16; k++)
        free(live[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    n = atol(argv[1]);
    if (!strcmp(argv[2], "nest")) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
    }
    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);
    pthread_join(t, NULL);
    return 0;
}
