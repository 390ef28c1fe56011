/* SPDX-License-Identifier: MIT */
/* Two threads join each other: each sleeps on the other's TID word. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].name == "joiner-a"
// CHECK: reports[0].threads[*].name == "joiner-b"
// CHECK: reports[0].threads[*].waits_for.stack[*].function ~ "join"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "joiner"
// STDOUT: 2 threads wait for each other in a cycle of joins
#define _GNU_SOURCE
#include "hang.h"

static pthread_t a, b;
static pthread_barrier_t both_known;

static void *joiner(void *arg)
{
    int first = arg != NULL;
    pthread_setname_np(pthread_self(), first ? "joiner-a" : "joiner-b");
    pthread_barrier_wait(&both_known);
    pthread_join(first ? b : a, NULL);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&both_known, NULL, 3);
    pthread_create(&a, NULL, joiner, (void *)1);
    pthread_create(&b, NULL, joiner, NULL);
    pthread_barrier_wait(&both_known);
    ready();
    forever();
}
