/* SPDX-License-Identifier: MIT */
/* ulimit_threads: what check_ulimit.sh runs under an address-space limit.
 *   threads: starts 8 threads with default (8 MB) stacks, all alive at
 *            once, and prints how many it got; two of them take two
 *            mutexes in opposite orders (a potential deadlock to predict).
 *   fill:    maps 1 MB blocks until the limit refuses one, then inits,
 *            locks and unlocks 100,000 mutexes (more than tangle's first
 *            tables hold), gives the blocks back and ends normally. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define THREADS 8

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t all_up;
static pthread_mutex_t order = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    pthread_barrier_wait(&all_up);
    if (me < 2) { /* thread 0 takes a then b; thread 1, after it, b then a */
        pthread_mutex_lock(&order);
        while (turn != me)
            pthread_cond_wait(&turn_cv, &order);
        pthread_mutex_unlock(&order);
        pthread_mutex_t *first = me ? &b : &a, *second = me ? &a : &b;
        pthread_mutex_lock(first);
        pthread_mutex_lock(second);
        pthread_mutex_unlock(second);
        pthread_mutex_unlock(first);
        pthread_mutex_lock(&order);
        turn++;
        pthread_cond_broadcast(&turn_cv);
        pthread_mutex_unlock(&order);
    }
    return NULL;
}

static int threads(void)
{
    pthread_t t[THREADS];
    int got = 0;
    pthread_barrier_init(&all_up, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        int rc = pthread_create(&t[i], NULL, worker, (void *)(long)i);
        if (rc != 0) {
            printf("pthread_create failed: %s\n", strerror(rc));
            return 1;
        }
        got++;
    }
    for (int i = 0; i < got; i++)
        pthread_join(t[i], NULL);
    printf("threads started: %d\n", got);
    return 0;
}

#define MUTEXES 100000
static pthread_mutex_t many[MUTEXES];

static int fill(void)
{
    static void *block[1 << 16];
    int n = 0;
    while (n < (1 << 16)) {
        void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        block[n++] = p;
    }
    for (int i = 0; i < MUTEXES; i++) {
        pthread_mutex_init(&many[i], NULL);
        pthread_mutex_lock(&many[i]);
        pthread_mutex_unlock(&many[i]);
    }
    for (int i = 0; i < n; i++)
        munmap(block[i], 1 << 20);
    printf("ran on with the address space full\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fill") == 0)
        return fill();
    return threads();
}
