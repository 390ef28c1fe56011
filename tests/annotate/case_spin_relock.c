/* SPDX-License-Identifier: MIT */
/* One thread, no other thread ever started: it takes its annotated
 * spinlock a second time and spins for ever. The watchdog is started by
 * the relock itself and the thread's wait for itself is reported. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 1
// CHECK: reports[0].threads[0].waits_for.stack[*].line == @LINE(again)
// STDERR: waits for a mutex it already holds
#include "spin.h"

struct spin only;

int main(void)
{
    spin_init(&only);
    spin_lock(&only);
    spin_lock(&only); // @again
    return 0;
}
