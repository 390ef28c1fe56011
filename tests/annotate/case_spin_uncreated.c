/* SPDX-License-Identifier: MIT */
/* An annotated spinlock that is never created (its first use creates it),
 * at the start of memory whose bytes, read as a glibc mutex, say "shared
 * between processes" (whose waits tangle never reports, another process
 * may end them). tangle knows the lock by its address alone on its inline
 * path and must make its entry from what the annotations said, never from
 * its memory: the second lock by its holder spins for ever, and is
 * reported as a thread waiting for a mutex it already holds. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 1
// CHECK: reports[0].threads[0].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[0].waits_for.stack[*].line == @LINE(again)
// STDERR: waits for a mutex it already holds
#include <pthread.h>

#include "spin.h"

/* glibc's process-shared bit in a mutex's kind (nptl's pthreadP.h),
 * written by the compiler: no pthread call tells tangle about it. The
 * spinlock's word is the mutex's lock word, 0. */
#define GLIBC_MUTEX_PSHARED_BIT 128
static union {
    struct spin lock;
    pthread_mutex_t bytes;
} only = {.bytes = {.__data = {.__kind = GLIBC_MUTEX_PSHARED_BIT}}};

int main(void)
{
    spin_lock(&only.lock);
    spin_lock(&only.lock); // @again
    return 0;
}
