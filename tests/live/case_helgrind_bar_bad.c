/* SPDX-License-Identifier: MIT */
/* Issue 15 item 18, after Helgrind's bar_bad (our own program): a barrier
 * of count zero, one initialised again while a thread waits at it, and
 * one destroyed that was never initialised. Each is reported. (A second
 * init of an idle barrier is not: memory freed without destroy and reused
 * looks the same. A destroy while a thread waits is reported too, but
 * glibc's destroy then never returns, so it is not in this program.) */
// EXIT: 66
// CHECK: reports# == 3
// CHECK: reports[*].hazard == "barrier-misuse"
// CHECK: reports[*].where[0].line == @LINE(zero)
// CHECK: reports[*].where[0].line == @LINE(reinit)
// CHECK: reports[*].where[0].line == @LINE(never)
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t b1, never;

static void *waits(void *arg)
{
    pthread_barrier_wait(arg);
    return NULL;
}

int main(void)
{
    pthread_barrier_t zero;
    pthread_barrier_init(&zero, NULL, 0); // @zero
    pthread_t t1;
    pthread_barrier_init(&b1, NULL, 2);
    pthread_create(&t1, NULL, waits, &b1);
    usleep(300000);
    pthread_barrier_init(&b1, NULL, 2); // @reinit
    /* Bytes no init wrote, shaped so that glibc's destroy returns (on
     * all-zero bytes it never does): an idle count-1 barrier. */
    memset(&never, 0, sizeof never);
    ((unsigned *)&never)[2] = 1;
    pthread_barrier_destroy(&never); // @never
    return 0; /* the waiter never gets through: the process ends with it */
}
