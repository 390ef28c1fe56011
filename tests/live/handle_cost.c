/* SPDX-License-Identifier: MIT */
/* handle_cost K N MODE: K threads wait on a condition while the main
 * thread makes N calls that must find another thread, then ends them.
 * MODE name: pthread_setname_np on each in turn (it finds a thread's
 * actor by its handle, as pthread_join, _tryjoin_np and _detach do).
 * MODE unlock: a thread made after the K locks a mutex and the main
 * thread unlocks it, N times (the lock is released for its holder: glibc
 * names it by its TID). MODE join: the K threads say they are ready by a
 * semaphore (the main thread's happens-before clock then knows them all),
 * and the main thread creates and joins N short-lived threads; the K are
 * left waiting when it returns, so that only those N joins are calls of
 * pthread_join, and those N creates the calls of create_quick.
 * check_handle_cost.sh counts the instructions of those calls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, handed = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t locked, unlocked, ready;
static int done, n;

static void *idle(void *arg)
{
    (void)arg;
    sem_post(&ready);
    pthread_mutex_lock(&m);
    while (!done)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *locker(void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&handed);
        sem_post(&locked);
        sem_wait(&unlocked);
    }
    return NULL;
}

static void *quick(void *arg)
{
    return arg;
}

/* Not inlined: check_handle_cost.sh counts its instructions (those of
 * pthread_create would count the K creates too). */
static __attribute__((noinline)) int create_quick(pthread_t *l, const pthread_attr_t *attr)
{
    return pthread_create(l, attr, quick, NULL);
}

int main(int argc, char **argv)
{
    int k = argc > 3 ? atoi(argv[1]) : 0;
    n = argc > 3 ? atoi(argv[2]) : 0;
    if (k < 1 || n < 1 ||
        (strcmp(argv[3], "name") && strcmp(argv[3], "unlock") && strcmp(argv[3], "join"))) {
        fprintf(stderr, "usage: handle_cost THREADS CALLS name|unlock|join\n");
        return 2;
    }
    pthread_t *t = malloc((size_t)k * sizeof *t), l;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    sem_init(&ready, 0, 0);
    for (int i = 0; i < k; i++)
        if (!t || pthread_create(&t[i], &attr, idle, NULL) != 0) {
            perror("handle_cost: pthread_create");
            return 2;
        }
    for (int i = 0; i < k; i++)
        while (sem_wait(&ready) != 0)
            ;
    if (!strcmp(argv[3], "join")) {
        for (int i = 0; i < n; i++) {
            if (create_quick(&l, &attr) != 0) {
                perror("handle_cost: pthread_create");
                return 2;
            }
            pthread_join(l, NULL);
        }
        return 0;
    }
    if (!strcmp(argv[3], "name")) {
        for (int i = 0; i < n; i++)
            pthread_setname_np(t[i % k], "worker");
    } else {
        sem_init(&locked, 0, 0);
        sem_init(&unlocked, 0, 0);
        if (pthread_create(&l, NULL, locker, NULL) != 0)
            return 2;
        for (int i = 0; i < n; i++) {
            sem_wait(&locked);
            pthread_mutex_unlock(&handed); /* the misuse is reported once */
            sem_post(&unlocked);
        }
        pthread_join(l, NULL);
    }
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < k; i++)
        pthread_join(t[i], NULL);
    return 0;
}
