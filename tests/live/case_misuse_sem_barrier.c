/* SPDX-License-Identifier: MIT */
/* Semaphore and barrier misuse glibc only answers with an error code. */
// EXIT: 66
// CHECK: reports# == 3
// CHECK: reports[*].hazard == "semaphore-misuse"
// CHECK: reports[*].where[0].line == @LINE(too_big)
// CHECK: reports[*].where[0].line == @LINE(overflow)
// CHECK: reports[*].hazard == "barrier-misuse"
// CHECK: reports[*].where[0].line == @LINE(zero)
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>

int main(void)
{
    sem_t s;
    sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u); // @too_big
    sem_init(&s, 0, SEM_VALUE_MAX);
    sem_post(&s); // @overflow
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 0); // @zero
    return 0;
}
