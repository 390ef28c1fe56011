/* SPDX-License-Identifier: MIT */
/* ARGS: N idle workers on one condition, main reading a pipe: tangle
 * attach must read them all in seconds, group them, and say how long the
 * process was stopped. */
// ARGS: 1000
// EXIT: 0
// CHECK: reports# == 2
// CHECK: reports[*].repeats == 999
// STDOUT: (and 999 more like it: tid
// STDOUT: the process was stopped for
#define _GNU_SOURCE
#include <stdlib.h>

#include "hang.h"

pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER;

static void *idle_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&job_lock);
    for (;;)
        pthread_cond_wait(&job_posted, &job_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int fds[2];
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 32 * 1024);
    if (pipe(fds) != 0)
        return 1;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t, &a, idle_worker, NULL) != 0) {
            printf("could only create %d threads\n", i);
            return 1;
        }
    ready();
    char c;
    for (;;)
        if (read(fds[0], &c, 1) < 0)
            return 1;
}
