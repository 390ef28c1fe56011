/* SPDX-License-Identifier: MIT */
/* dump_signal: the program is asked (here by itself, with kill) what it is
 * doing while one thread holds a mutex and sleeps in read(), another waits
 * for that mutex and a third waits on a condition. The dump lists every
 * thread, what it holds, what it waits for and for how long, and the
 * program goes on: a dump is not a finding (exit status 0, no report). */
// RUN: -O dump_signal=10
// EXIT: 0
// STDOUT: finished
// CHECK: reports# == 0
// STDERR: tangle: dump on signal 10 (not a finding; the program goes on)
// STDERR: tangle: THREADS: what every thread and task is doing: 2 of 4 waiting
// STDERR: is asleep in a system call (read)
// STDERR: ms so far
// STDERR: waits for condition
// NOSTDERR: SUMMARY:
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER, m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int pipefd[2], go;
static sem_t taken;

static void *reader(void *arg)
{
    (void)arg;
    char c;
    pthread_mutex_lock(&table);
    sem_post(&taken);
    if (read(pipefd[0], &c, 1) != 1)
        perror("read");
    pthread_mutex_unlock(&table);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table); /* waits while the reader sleeps */
    pthread_mutex_unlock(&table);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&ready, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t r, w, s;
    if (pipe(pipefd) != 0)
        return 1;
    sem_init(&taken, 0, 0);
    pthread_create(&r, NULL, reader, NULL);
    sem_wait(&taken);
    pthread_create(&w, NULL, waiter, NULL);
    pthread_create(&s, NULL, sleeper, NULL);
    usleep(400000); /* every wait begun */
    kill(getpid(), SIGUSR1);
    usleep(600000); /* the watchdog writes the dump at its next tick */
    if (write(pipefd[1], "x", 1) != 1)
        perror("write");
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&m);
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    pthread_join(s, NULL);
    puts("finished");
    return 0;
}
