/* SPDX-License-Identifier: MIT */
/* 500 distinct hazards (unlocks of a mutex nobody holds, each from its own
 * call site): every one is reported, and the JSON report, appended to
 * finding by finding, stays one valid document with all of them. The
 * symbolizer's cache makes the 500th report as cheap as the first (see
 * bench/many_findings.sh for the timing). */
// EXIT: 66
// CHECK: reports# == 500
// CHECK: reports[499].hazard == "unlock-not-held"
// CHECK: reports[499].where[0].function == "main"
// CHECK: reports[0].where[0].line == @LINE(first)
// COUNT: 500 tangle: HAZARD (unlock-not-held)
#include <pthread.h>

static pthread_mutex_t loose = PTHREAD_MUTEX_INITIALIZER;

#define U1 pthread_mutex_unlock(&loose);
#define U10 U1 U1 U1 U1 U1 U1 U1 U1 U1 U1
#define U100 U10 U10 U10 U10 U10 U10 U10 U10 U10 U10

int main(void)
{
    U100 // @first
    U100
    U100
    U100
    U100
    return 0;
}
