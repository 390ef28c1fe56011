/* SPDX-License-Identifier: MIT */
/* rwlock relocks glibc refuses with EDEADLK: a second write lock by the
 * writer, and a read lock by the writer. */
// EXIT: 66
// CHECK: reports# == 2
// CHECK: reports[*].hazard == "rwlock-relock"
// CHECK: reports[*].where[0].line == @LINE(second_write)
// CHECK: reports[*].where[0].line == @LINE(read_by_writer)
// STDOUT: EDEADLK EDEADLK
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;

int main(void)
{
    pthread_rwlock_wrlock(&l);
    int a = pthread_rwlock_wrlock(&l); // @second_write
    int b = pthread_rwlock_rdlock(&l); // @read_by_writer
    printf("%s %s\n", a == EDEADLK ? "EDEADLK" : "?", b == EDEADLK ? "EDEADLK" : "?");
    pthread_rwlock_unlock(&l);
    return 0;
}
