/* SPDX-License-Identifier: MIT */
/* Issue 17 item 3: after its first thread starts (and with it tangle's
 * watchdog), the program resets SIGRTMAX-7, the signal tangle uses to ask
 * a stuck thread for its stack, to its default action (terminate), then
 * waits half a second for a mutex held by a worker. tangle must not send
 * it: the program ends normally and nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: done
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
    struct timespec ts = {0, 600 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&held, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    signal(SIGRTMAX - 7, SIG_DFL);
    pthread_barrier_wait(&held);
    pthread_mutex_lock(&lock); /* stuck for ~600 ms: the watchdog notices */
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
