/* SPDX-License-Identifier: MIT */
/* Issue 17 item 3: a program that blocks every signal (as servers do, to
 * take them with sigwait in one place) waits long for a mutex, so that
 * tangle's watchdog would ask it for its stack; then it looks for any
 * pending signal with sigtimedwait. None may be there: tangle never sends
 * its request to a thread that blocks it, where it would stay pending for
 * the program to find, and sigwait-style calls never return one. */
// RUN: -O watchdog_ms=10
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: no signal pending
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t held;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_barrier_wait(&held);
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t;
    pthread_barrier_init(&held, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_barrier_wait(&held);
    pthread_mutex_lock(&lock); /* ~300 ms: the watchdog sees it stuck */
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    siginfo_t info;
    struct timespec zero = {0, 0};
    int sig = sigtimedwait(&all, &info, &zero);
    if (sig < 0 && errno == EAGAIN)
        puts("no signal pending");
    else
        printf("unexpected signal %d (code %d)\n", sig, sig > 0 ? info.si_code : 0);
    return 0;
}
