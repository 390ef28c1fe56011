/* SPDX-License-Identifier: MIT */
/* A binary semaphore, which tangle treats as a lock held by its taker, is
 * given back by a signal handler on the taker's own thread, again and
 * again, while that thread creates and joins threads (so that the handler
 * often runs while tangle's own code runs on the thread, which lets the
 * post through unwatched). Once the rounds end nobody holds it: a dump of
 * every thread must show no hold. Before the fix, each post that came
 * inside tangle left the taker holding the semaphore in tangle's view for
 * good (seen in dumps and reports, and a waiter for it counted on a
 * thread that holds nothing). */
// RUN: -O dump_signal=10
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: rounds done
// STDERR: tangle: dump on signal 10
// NOSTDERR: holding
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROUNDS 1000

static sem_t taken;
static volatile sig_atomic_t armed, posted;
static volatile int done;

static void on_signal(int sig)
{
    (void)sig;
    if (armed) {
        armed = 0;
        sem_post(&taken);
        posted = 1;
    }
}

static void *nothing(void *arg)
{
    return arg;
}

static void *taker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sem_wait(&taken);
        posted = 0;
        armed = 1;
        while (!posted) {
            pthread_t t;
            pthread_create(&t, NULL, nothing, NULL);
            pthread_join(t, NULL);
        }
    }
    done = 1;
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    sem_init(&taken, 0, 1);
    pthread_t t;
    pthread_create(&t, NULL, taker, NULL);
    while (!done) {
        if (armed)
            pthread_kill(t, SIGUSR2);
        usleep(100);
    }
    pthread_join(t, NULL);
    puts("rounds done");
    fflush(stdout);
    raise(SIGUSR1); /* the dump: nobody holds anything now */
    /* The watchdog writes it to stderr (a file here) in one write. */
    struct stat st;
    for (int i = 0; i < 3000 && fstat(2, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0; i++)
        usleep(10 * 1000);
    return 0;
}
