/* SPDX-License-Identifier: MIT */
/* A thread holding a read lock asks for the write lock of the same rwlock:
 * it waits for every reader to leave, itself included. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 1
// CHECK: reports[0].threads[0].waits_for.mode == "write"
// CHECK: reports[0].threads[0].holds[0].mode == "read"
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(upgrade)
#include <pthread.h>

static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;

int main(void)
{
    pthread_rwlock_rdlock(&table);
    pthread_rwlock_wrlock(&table); // @upgrade
    return 0;
}
