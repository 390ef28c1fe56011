/* SPDX-License-Identifier: MIT */
/* Every thread waits: a consumer on a condition nobody will signal, main
 * in pthread_join. A global stall, reported with both waits. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "condition"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join)
#include <pthread.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int have_work;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!have_work)
        pthread_cond_wait(&ready, &m); // @wait
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, consumer, NULL);
    pthread_join(t, NULL); // @join
    return 0;
}
