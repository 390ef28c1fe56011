/* SPDX-License-Identifier: MIT */
/* Waits made the way GLib, Rust's std and parking_lot make them:
 * syscall(SYS_futex, FUTEX_WAIT_PRIVATE or FUTEX_WAIT_BITSET_PRIVATE) with
 * no timeout, on words nobody will change. No owner can be named, but
 * every thread waits and none can wake another: a global stall, reported
 * with each thread's stack. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(worker_wait)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(main_wait)
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "park"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t never_set, never_either;

__attribute__((noinline)) static void park(uint32_t *word, int bitset)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0) {
        if (bitset)
            syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        else
            syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    park(&never_set, 1); // @worker_wait
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    park(&never_either, 0); // @main_wait
    pthread_join(t, NULL);
    return 0;
}
