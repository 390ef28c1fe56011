/* The unlock misuse of case_misuse_unlock with its sub-kind turned off:
 * nothing is reported and the exit status is the program's. */
// RUN: -O hazards_off=unlock-not-held
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: results 0 0 1
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t loose = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t owned = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_barrier_t taken, done;

static void *owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&owned); // @taken
    pthread_barrier_wait(&taken);
    pthread_barrier_wait(&done);
    return NULL;
}

int main(void)
{
    int r1 = 0, r2, r3;
    for (int i = 0; i < 10; i++)
        r1 |= pthread_mutex_unlock(&loose); // @nobody
    pthread_t t;
    pthread_barrier_init(&taken, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    pthread_create(&t, NULL, owner, NULL);
    pthread_barrier_wait(&taken);
    r2 = pthread_mutex_unlock(&owned); // @other
    pthread_barrier_wait(&done);
    pthread_join(t, NULL);
    pthread_mutex_lock(&rec);
    pthread_mutex_unlock(&rec);
    r3 = pthread_mutex_unlock(&rec) != 0; // @extra
    printf("results %d %d %d\n", r1, r2, r3);
    return 0;
}
