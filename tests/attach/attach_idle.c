/* SPDX-License-Identifier: MIT */
/* A healthy server: 200 idle workers wait on one condition, one thread
 * polls a pipe, one reads from it, one sleeps, main waits in accept-like
 * read. Nothing is deadlocked: tangle attach exits 0 and shows every
 * thread, the 200 workers as one group ("and 199 more like it"). */
// EXIT: 0
// CHECK: !reports[*].kind == "deadlock"
// CHECK: reports[*].kind == "threads"
// CHECK: reports[*].repeats == 199
// CHECK: reports[*].summary ~ "and 199 more like it"
// CHECK: reports[*].threads[0].waits_for.lock.name == "job_posted"
// CHECK: reports[*].threads[0].waits_for.lock.kind == "poll"
// CHECK: reports[*].threads[0].waits_for.lock.kind == "read"
// CHECK: reports[*].threads[0].waits_for.lock.kind ~ "nanosleep"
// CHECK: reports[*].threads[0].waits_for.timed == true
// CHECK: reports[*].threads[0].waits_for.stack[*].function == "idle_worker"
// CHECK: reports# == 4
// STDOUT: no deadlock found in process
#define _GNU_SOURCE
#include <poll.h>
#include <time.h>

#include "hang.h"

pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER;
static int fds[2];

static void *idle_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&job_lock);
    for (;;)
        pthread_cond_wait(&job_posted, &job_lock);
    return NULL;
}

static void *poller(void *arg)
{
    (void)arg;
    struct pollfd p = {fds[0], POLLIN, 0};
    for (;;)
        poll(&p, 1, -1);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    if (pipe(fds) != 0)
        return 1;
    for (int i = 0; i < 200; i++)
        pthread_create(&t, &a, idle_worker, NULL);
    pthread_create(&t, &a, poller, NULL);
    pthread_create(&t, &a, sleeper, NULL);
    ready();
    char c;
    for (;;)
        if (read(fds[0], &c, 1) < 0)
            return 1;
}
