/* SPDX-License-Identifier: MIT */
/* A lock on a thread's stack, still held when the thread ends: its
 * memory goes away with the stack. */
// EXIT: 66
// CHECK: reports[*].hazard == "freed-while-held"
// CHECK: reports[*].summary ~ "stack of its ending thread"
// CHECK: reports[*].threads[0].holds[0].acquired[0].line == @LINE(taken)
#include <pthread.h>

static void *stack_lock(void *arg)
{
    (void)arg;
    pthread_mutex_t local;
    pthread_mutex_init(&local, NULL);
    pthread_mutex_lock(&local); // @taken
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, stack_lock, NULL);
    pthread_join(t, NULL);
    return 0;
}
