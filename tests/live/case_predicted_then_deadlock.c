/* SPDX-License-Identifier: MIT */
/* One bug, one report: two threads first nest two locks in opposite orders
 * without meeting (a potential deadlock is reported), then meet and really
 * deadlock. The JSON holds one report, the deadlock, with the prediction
 * inside it, as a run that deadlocked without predicting first would. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].id == 2
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].predicted_by == 1
// CHECK: reports[0].prediction.id == 1
// CHECK: reports[0].prediction.kind == "potential-deadlock"
// CHECK: reports[0].prediction.prediction == null
// CHECK: reports[0].places# == 0
// STDERR: It was predicted: report 1 above is this same bug
// STDERR: (predicted by report 1)
// STDERR: SUMMARY: tangle: potential-deadlock
// STDERR: SUMMARY: tangle: deadlock
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t step;

static void nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
    pthread_mutex_lock(outer);
    pthread_mutex_lock(inner);
    pthread_mutex_unlock(inner);
    pthread_mutex_unlock(outer);
}

static void *first(void *arg)
{
    (void)arg;
    nest(&a, &b);                /* a then b, alone */
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step); /* the other has nested b then a */
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&step);
    pthread_mutex_lock(&b);      /* deadlocks */
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&step);
    nest(&b, &a);                /* b then a: the inversion, predicted */
    pthread_barrier_wait(&step);
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&step);
    pthread_mutex_lock(&a);      /* deadlocks */
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&step, NULL, 2);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
