/* SPDX-License-Identifier: MIT */
/* A futex waker that is slow to wake: main changes the word the worker
 * sleeps on, then joins the worker; the FUTEX_WAKE comes a second later,
 * from a timer's signal handler. Meanwhile every thread waits, but the
 * worker's word no longer holds the value it sleeps on: whoever changed
 * it is expected to wake it (on a loaded machine a woken thread may not
 * run for a while either). No stall is reported, and the program ends
 * normally. */
// RUN: -O stall_ms=200
// EXIT: 0
// STDOUT: woken late, joined
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t go;

static void *worker(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void wake(int sig)
{
    (void)sig;
    syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    usleep(300 * 1000); /* the worker's wait is published (check_ms) */
    signal(SIGALRM, wake);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    alarm(1); /* the wake-up, a second late */
    pthread_join(t, NULL);
    puts("woken late, joined");
    return 0;
}
