/* SPDX-License-Identifier: MIT */
/* Issue 15 item 6: the main thread waits, longer than stall_ms, on a
 * semaphore that a thread tangle never saw created will post: a C11
 * thread (thrd_create), then the thread glibc starts for a SIGEV_THREAD
 * timer. A stall is declared only when every thread the kernel lists is
 * accounted for: nothing is reported. */
// RUN: -O stall_ms=200
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: posted by a C11 thread
// STDOUT: posted by a timer thread
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

static sem_t ready;

static int c11_poster(void *arg)
{
    (void)arg;
    thrd_sleep(&(struct timespec){0, 800000000L}, NULL);
    sem_post(&ready);
    return 0;
}

static void timer_poster(union sigval v)
{
    (void)v;
    sem_post(&ready);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sem_init(&ready, 0, 0);
    thrd_t t;
    thrd_create(&t, c11_poster, NULL);
    sem_wait(&ready);
    printf("posted by a C11 thread\n");
    thrd_join(t, NULL);

    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = timer_poster;
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0)
        return 2;
    struct itimerspec when = {.it_value = {0, 800000000L}};
    timer_settime(timer, 0, &when, NULL);
    sem_wait(&ready);
    printf("posted by a timer thread\n");
    timer_delete(timer);
    return 0;
}
