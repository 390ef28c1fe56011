/* SPDX-License-Identifier: MIT */
/* A lost wake-up: main changes the word the worker sleeps on but never
 * calls FUTEX_WAKE, then joins the worker. The kernel will not end that
 * wait. A changed word lets a waiter through only for a grace period
 * (a woken thread that has not run yet); past it the process is a global
 * stall, reported with the worker's futex wait and main's join. */
// RUN: -O stall_ms=200
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(sleep)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(join)
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t go;

static void *worker(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0); // @sleep
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    usleep(300 * 1000); /* the worker's wait is published (check_ms) */
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE); /* and no FUTEX_WAKE */
    pthread_join(t, NULL); // @join
    return 0;
}
