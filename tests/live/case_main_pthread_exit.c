/* SPDX-License-Identifier: MIT */
/* main ends with pthread_exit while a worker still runs; when the worker
 * returns, the process ends with status 0 and its atexit handlers run,
 * exactly as without tangle (issue 15, item 12: tangle's watchdog thread
 * kept such a process alive forever). */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: worker done
// STDOUT: atexit ran
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int count;

static void at_end(void)
{
    printf("atexit ran (%d)\n", count);
    fflush(stdout);
}

static void *worker(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL); /* main has ended by now, most likely */
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        count++;
        pthread_mutex_unlock(&lock);
    }
    puts("worker done");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    pthread_t t;
    atexit(at_end);
    pthread_create(&t, NULL, worker, NULL);
    pthread_exit(NULL);
}
