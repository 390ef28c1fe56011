/* SPDX-License-Identifier: MIT */
/* A thread locks a default mutex it already holds: glibc hangs it for
 * good. tangle attach sees the owner TID is the waiter's own. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 1
// CHECK: reports[0].threads[0].name == "relocker"
// CHECK: reports[0].threads[0].waits_for.lock.name == "config_lock"
// CHECK: reports[0].threads[0].waits_for.holder == 2
// CHECK: reports[0].threads[0].id == 2
// CHECK: reports[0].threads[0].holds[0].lock.name == "config_lock"
// CHECK: reports[0].threads[0].waits_for.stack[*].function == "reload"
// STDOUT: waits for a mutex it already holds
#define _GNU_SOURCE
#include "hang.h"

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void reload(void)
{
    pthread_mutex_lock(&config_lock);
}

static void *relocker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "relocker");
    pthread_mutex_lock(&config_lock);
    ready();
    reload();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, relocker, NULL);
    forever();
}
