/* SPDX-License-Identifier: MIT */
/* Two threads take two mutexes in opposite orders, one after the other:
 * the run finishes, and the lock order predicts the deadlock another
 * interleaving would hit. With an argument it ends with _exit(), as
 * lbzip2 does (check_record.sh records it that way). */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t1_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t2_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(t1_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(t2_b)
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t turn;

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a); // @t1_a
    pthread_mutex_lock(&lock_b); // @t1_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_barrier_wait(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    pthread_mutex_lock(&lock_b); // @t2_b
    pthread_mutex_lock(&lock_a); // @t2_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    pthread_t t1, t2;
    pthread_barrier_init(&turn, NULL, 2);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    puts("finished");
    if (argc > 1) {
        fflush(stdout);
        _exit(0);
    }
    return 0;
}
