/* SPDX-License-Identifier: MIT */
/* A condition waiter needs its mutex back to return: it holds lock_a and
 * waits on a condition with lock_b, while the other thread holds lock_b and
 * waits for lock_a. A deadlock whatever is signalled. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: !reports[0].summary ~ "global stall"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "condition"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(want_a)
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static volatile int waiting;

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    waiting = 1;
    pthread_cond_wait(&c, &lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    while (!waiting)
        usleep(1000);
    pthread_mutex_lock(&lock_b);
    pthread_cond_signal(&c);
    pthread_mutex_lock(&lock_a); // @want_a
    return 0;
}
