/* SPDX-License-Identifier: MIT */
/* One thread takes a then b under gate, then (after creating and joining
 * a thread of its own, so that neither way covers the other) a then b
 * without the gate, then b then a under the gate. Alone it cannot
 * deadlock; a second thread running the same code can: one holding a
 * without the gate, the other holding gate and b. The hazard must be
 * found with the ungated a -> b, though the gated one came first. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "inversion-one-thread"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(ungated_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(gated_a)
// CHECK: !reports[0].threads[*].waits_for.stack[0].line == @LINE(gated_b)
#include <pthread.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b); // @gated_b
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&gate);
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b); // @ungated_b
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&a); // @gated_a
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&gate);
    return 0;
}
