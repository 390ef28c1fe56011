/* SPDX-License-Identifier: MIT */
/* freed_cost N: a thread makes N objects that each hold a mutex (zeroed
 * by calloc: the static initializer), nests each object's mutex under a
 * table lock once, and frees the object without destroying the mutex,
 * 64 objects alive at a time (the scale probe `freed`, on one thread).
 * check_freed_cost.py counts what the free() calls cost. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct object {
    pthread_mutex_t lock;
    long uses;
};

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static long n;

static void *run(void *arg)
{
    (void)arg;
    struct object *live[64] = {0};
    for (long i = 0; i < n; i++) {
        struct object **o = &live[i % 64];
        free(*o);
        if (!(*o = calloc(1, sizeof **o)))
            exit(1);
        pthread_mutex_lock(&table);
        pthread_mutex_lock(&(*o)->lock);
        pthread_mutex_unlock(&table);
        (*o)->uses++;
        pthread_mutex_unlock(&(*o)->lock);
    }
    for (int k = 0; k < 64; k++)
        free(live[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (n = atol(argv[1])) <= 0) {
        fprintf(stderr, "usage: freed_cost N\n");
        return 2;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    return 0;
}
