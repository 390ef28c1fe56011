/* SPDX-License-Identifier: MIT */
/* scale: lock shapes whose cost under a checker may grow with the size of
 * the program (threads ever created, lock instances, distinct chains).
 * Each run does one shape at one size and prints one line:
 *     SHAPE SIZE ops=N work_s=SECONDS
 * where work_s times the operations only (set-up and tear-down excluded;
 * the caller's wall clock includes them).
 *
 *   scale churn N         N short-lived threads, created and joined two at
 *                         a time; each takes lock A then lock B once
 *   scale detached N      N short-lived detached threads, at most two alive:
 *                         each takes lock A then lock B once and posts a
 *                         semaphore as its last act, which the creator
 *                         waits for before it creates the next one
 *   scale pairs K ITERS   2 threads, K mutexes; each iteration takes a
 *                         random pair, always the lower index first
 *   scale objects N ITERS 2 threads, N objects with their own mutex; each
 *                         iteration takes the table lock, then a random
 *                         object's lock, releases the table, then the object
 *   scale lockchurn N     2 threads, N cycles in all of init, lock (under
 *                         the thread's own outer lock), unlock, destroy, on
 *                         16 slots per thread: addresses are reused
 *   scale freed N         2 threads, N short-lived objects in all, each
 *                         allocated zeroed (its mutex needs no init), taken
 *                         under the table lock, and freed without a destroy
 *                         when it leaves a window of 64 live ones per thread
 *   scale sempost N       a producer and a consumer, N items: per item the
 *                         producer takes lock A then lock B, releases both
 *                         and posts a semaphore; the consumer waits on it
 *                         and takes A then B (a nesting repeated after a
 *                         post is a new occurrence: its clock moved on)
 *   scale semdeep N       the same with five locks nested, A to E, on both
 *                         sides (a chain deeper than four holds)
 *   scale alive N ITERS   N threads parked alive on a condition (each posts
 *                         a semaphore the main thread waits for) while two
 *                         threads create and join ITERS short-lived threads
 *                         in all, one at a time each; every short-lived
 *                         thread takes lock A then lock B once
 *
 * Every shape is free of deadlocks and data races: a checker that reports
 * anything here is wrong. */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKERS 2
#define SLOTS 16

struct object {
    pthread_mutex_t lock;
    long uses;
};

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer[WORKERS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t slots[WORKERS][SLOTS];
static pthread_mutex_t *locks;      /* pairs: K mutexes */
static struct object *objects;      /* objects: N of them */
static long size, iters;
static long churn_count;            /* guarded by lock_a and lock_b */
static sem_t room;                  /* detached: threads that may still start */
static long pair_count;             /* summed by main after the joins */
static pthread_mutex_t chain[5] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER};
static int chain_depth;             /* sempost: 2, semdeep: 5 */
static long chain_count;            /* guarded by chain[0] */
static sem_t items;                 /* sempost: items the producer made */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER; /* parked threads wait on it */
static sem_t ready;                 /* alive: posted by each parked thread */
static int unpark;                  /* alive: set when the parked may leave */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64: a cheap per-thread generator, so that no lock hides in rand(). */
static uint64_t next_random(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void *churn_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    churn_count++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *pairs_thread(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((long)arg + 1);
    long done = 0;
    for (long i = 0; i < iters; i++) {
        long x = (long)(next_random(&seed) % (uint64_t)size);
        long y = (long)(next_random(&seed) % (uint64_t)(size - 1));
        if (y >= x)
            y++;
        long lo = x < y ? x : y, hi = x < y ? y : x;
        pthread_mutex_lock(&locks[lo]);
        pthread_mutex_lock(&locks[hi]);
        done++;
        pthread_mutex_unlock(&locks[hi]);
        pthread_mutex_unlock(&locks[lo]);
    }
    return (void *)done;
}

static void *objects_thread(void *arg)
{
    uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)((long)arg + 1);
    for (long i = 0; i < iters; i++) {
        struct object *o = &objects[next_random(&seed) % (uint64_t)size];
        pthread_mutex_lock(&table);
        pthread_mutex_lock(&o->lock);
        pthread_mutex_unlock(&table);
        o->uses++;
        pthread_mutex_unlock(&o->lock);
    }
    return NULL;
}

static void *freed_thread(void *arg)
{
    (void)arg;
    struct object *live[64] = {0};
    for (long i = 0; i < iters; i++) {
        struct object **o = &live[i % 64];
        free(*o);
        if (!(*o = calloc(1, sizeof **o))) {
            perror("scale");
            exit(1);
        }
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

static void *lockchurn_thread(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < iters; i++) {
        pthread_mutex_t *m = &slots[id][i % SLOTS];
        pthread_mutex_init(m, NULL);
        pthread_mutex_lock(&outer[id]);
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
        pthread_mutex_unlock(&outer[id]);
        pthread_mutex_destroy(m);
    }
    return NULL;
}

/* Takes chain[0..chain_depth) in order, counts one item, releases them. */
static void chain_nest(void)
{
    for (int k = 0; k < chain_depth; k++)
        pthread_mutex_lock(&chain[k]);
    chain_count++;
    for (int k = chain_depth; k-- > 0;)
        pthread_mutex_unlock(&chain[k]);
}

static void *producer_thread(void *arg)
{
    (void)arg;
    for (long i = 0; i < size; i++) {
        chain_nest();
        sem_post(&items);
    }
    return NULL;
}

static void *consumer_thread(void *arg)
{
    (void)arg;
    for (long i = 0; i < size; i++) {
        while (sem_wait(&items) != 0)
            ;
        chain_nest();
    }
    return NULL;
}

/* sempost, semdeep: a producer and a consumer of `size` items. */
static double sempost(int depth)
{
    pthread_t p, c;
    chain_depth = depth;
    sem_init(&items, 0, 0);
    double t0 = now();
    if (pthread_create(&c, NULL, consumer_thread, NULL) != 0 ||
        pthread_create(&p, NULL, producer_thread, NULL) != 0) {
        perror("scale: pthread_create");
        exit(1);
    }
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    double dt = now() - t0;
    sem_destroy(&items);
    if (chain_count != size * 2) {
        fprintf(stderr, "scale: sempost counted %ld nestings, expected %ld\n", chain_count, size * 2);
        exit(1);
    }
    return dt;
}

/* Runs fn on WORKERS threads and returns the seconds they took together. */
static double run_workers(void *(*fn)(void *), long *sum)
{
    pthread_t t[WORKERS];
    double t0 = now();
    for (long i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0) {
            perror("scale: pthread_create");
            exit(1);
        }
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        pthread_join(t[i], &r);
        if (sum)
            *sum += (long)r;
    }
    return now() - t0;
}

static double churn(void)
{
    double t0 = now();
    for (long i = 0; i < size; i += 2) {
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            if (pthread_create(&t[k], NULL, churn_thread, NULL) != 0) {
                perror("scale: pthread_create");
                exit(1);
            }
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
    }
    double dt = now() - t0;
    if (churn_count != (size + 1) / 2 * 2) {
        fprintf(stderr, "scale: churn counted %ld threads, expected %ld\n", churn_count, size);
        exit(1);
    }
    return dt;
}

static void *detached_thread(void *arg)
{
    churn_thread(arg);
    sem_post(&room);
    return NULL;
}

static double detached(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sem_init(&room, 0, 2);
    double t0 = now();
    for (long i = 0; i < size; i++) {
        pthread_t t;
        sem_wait(&room);
        if (pthread_create(&t, &attr, detached_thread, NULL) != 0) {
            perror("scale: pthread_create");
            exit(1);
        }
    }
    sem_wait(&room);
    sem_wait(&room);
    double dt = now() - t0;
    pthread_mutex_lock(&lock_a);
    long n = churn_count;
    pthread_mutex_unlock(&lock_a);
    if (n != size) {
        fprintf(stderr, "scale: detached counted %ld threads, expected %ld\n", n, size);
        exit(1);
    }
    return dt;
}

static double pairs(void)
{
    locks = calloc((size_t)size, sizeof *locks);
    if (!locks) {
        perror("scale");
        exit(1);
    }
    for (long i = 0; i < size; i++)
        pthread_mutex_init(&locks[i], NULL);
    double dt = run_workers(pairs_thread, &pair_count);
    if (pair_count != iters * WORKERS) {
        fprintf(stderr, "scale: pairs counted %ld, expected %ld\n", pair_count, iters * WORKERS);
        exit(1);
    }
    for (long i = 0; i < size; i++)
        pthread_mutex_destroy(&locks[i]);
    free(locks);
    return dt;
}

static double objects_probe(void)
{
    objects = calloc((size_t)size, sizeof *objects);
    if (!objects) {
        perror("scale");
        exit(1);
    }
    for (long i = 0; i < size; i++)
        pthread_mutex_init(&objects[i].lock, NULL);
    double dt = run_workers(objects_thread, NULL);
    long uses = 0;
    for (long i = 0; i < size; i++) {
        uses += objects[i].uses;
        pthread_mutex_destroy(&objects[i].lock);
    }
    free(objects);
    if (uses != iters * WORKERS) {
        fprintf(stderr, "scale: objects used %ld times, expected %ld\n", uses, iters * WORKERS);
        exit(1);
    }
    return dt;
}

static void *parked_thread(void *arg)
{
    (void)arg;
    sem_post(&ready);
    pthread_mutex_lock(&park_lock);
    while (!unpark)
        pthread_cond_wait(&park_cond, &park_lock);
    pthread_mutex_unlock(&park_lock);
    return NULL;
}

static void *churner_thread(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, churn_thread, NULL) != 0) {
            perror("scale: pthread_create");
            exit(1);
        }
        pthread_join(t, NULL);
    }
    return NULL;
}

/* alive: `size` threads parked (small stacks: thousands of them must fit)
 * while two churners create and join `iters` threads in all. The parked
 * ones say they are ready by a semaphore, as a pool's workers often do:
 * the main thread, and the churners it makes after, then know of them all
 * (in a checker's happens-before clocks, say). */
static double alive(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t *park = calloc((size_t)size, sizeof *park), churner[2];
    if (!park) {
        perror("scale");
        exit(1);
    }
    sem_init(&ready, 0, 0);
    for (long i = 0; i < size; i++)
        if (pthread_create(&park[i], &attr, parked_thread, NULL) != 0) {
            perror("scale: pthread_create");
            exit(1);
        }
    for (long i = 0; i < size; i++)
        while (sem_wait(&ready) != 0)
            ;
    double t0 = now();
    for (long k = 0; k < 2; k++)
        if (pthread_create(&churner[k], &attr, churner_thread, (void *)(iters / 2 + (k ? iters % 2 : 0))) != 0) {
            perror("scale: pthread_create");
            exit(1);
        }
    for (int k = 0; k < 2; k++)
        pthread_join(churner[k], NULL);
    double dt = now() - t0;
    pthread_mutex_lock(&park_lock);
    unpark = 1;
    pthread_cond_broadcast(&park_cond);
    pthread_mutex_unlock(&park_lock);
    for (long i = 0; i < size; i++)
        pthread_join(park[i], NULL);
    free(park);
    sem_destroy(&ready);
    pthread_attr_destroy(&attr);
    if (churn_count != iters) {
        fprintf(stderr, "scale: alive counted %ld threads, expected %ld\n", churn_count, iters);
        exit(1);
    }
    return dt;
}

static int usage(void)
{
    fprintf(stderr, "usage: scale churn N | detached N | pairs K ITERS | objects N ITERS | "
                    "lockchurn N | freed N | sempost N | semdeep N | alive N ITERS\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *shape = argv[1];
    size = atol(argv[2]);
    iters = argc > 3 ? atol(argv[3]) : 0;
    double dt;
    long ops;
    if (!strcmp(shape, "churn") && size >= 2) {
        dt = churn();
        ops = size;
    } else if (!strcmp(shape, "detached") && size >= 1) {
        dt = detached();
        ops = size;
    } else if (!strcmp(shape, "pairs") && size >= 2 && iters > 0) {
        dt = pairs();
        ops = iters * WORKERS;
    } else if (!strcmp(shape, "objects") && size >= 1 && iters > 0) {
        dt = objects_probe();
        ops = iters * WORKERS;
    } else if (!strcmp(shape, "lockchurn") && size >= WORKERS) {
        iters = size / WORKERS;
        dt = run_workers(lockchurn_thread, NULL);
        ops = iters * WORKERS;
    } else if (!strcmp(shape, "freed") && size >= WORKERS) {
        iters = size / WORKERS;
        dt = run_workers(freed_thread, NULL);
        ops = iters * WORKERS;
    } else if ((!strcmp(shape, "sempost") || !strcmp(shape, "semdeep")) && size >= 1) {
        dt = sempost(shape[3] == 'p' ? 2 : 5);
        ops = size;
    } else if (!strcmp(shape, "alive") && size >= 1 && iters >= 1) {
        dt = alive();
        ops = iters;
    } else {
        return usage();
    }
    printf("%s %ld ops=%ld work_s=%.6f\n", shape, size, ops, dt);
    return 0;
}
