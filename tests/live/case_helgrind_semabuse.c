/* SPDX-License-Identifier: MIT */
/* Issue 15 item 18, after Helgrind's tc18_semabuse (our own program): a
 * semaphore initialised above SEM_VALUE_MAX, then a wait on one whose
 * bytes were overwritten (glibc lets that wait through). Both are
 * reported. (A post on it would make glibc abort, so there is none.) */
// EXIT: 66
// CHECK: reports# == 2
// CHECK: reports[*].hazard == "semaphore-misuse"
// CHECK: reports[*].where[0].line == @LINE(huge)
// CHECK: reports[*].where[0].line == @LINE(bogus)
// CHECK: reports[*].summary ~ "not a semaphore"
#include <semaphore.h>
#include <string.h>

int main(void)
{
    sem_t s;
    sem_init(&s, 0, ~0u); // @huge
    sem_init(&s, 0, 0);
    memset(&s, 0x55, sizeof s);
    sem_wait(&s); // @bogus
    return 0;
}
