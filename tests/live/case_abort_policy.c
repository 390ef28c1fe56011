/* SPDX-License-Identifier: MIT */
/* on_deadlock=abort ends the program with SIGABRT (for a core dump). */
// RUN: --on-deadlock abort
// EXIT: 134
// CHECK: reports[0].kind == "deadlock"
// STDERR: on_deadlock=abort
#include <pthread.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m);
    return 0;
}
