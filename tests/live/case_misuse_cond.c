/* SPDX-License-Identifier: MIT */
/* Condition waits done wrong: without holding the mutex, and with a
 * different mutex than the waiter already there uses. Timed, so the
 * program ends. */
// EXIT: 66
// CHECK: reports# == 2
// CHECK: reports[*].hazard == "cond-mutex-not-held"
// CHECK: reports[*].where[0].line == @LINE(unheld)
// CHECK: reports[*].hazard == "cond-mutex-mismatch"
// CHECK: reports[*].where[0].line == @LINE(mismatch)
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER, lone = PTHREAD_COND_INITIALIZER;

static void deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

static void *first(void *arg)
{
    (void)arg;
    struct timespec ts;
    deadline(&ts, 600);
    pthread_mutex_lock(&m1);
    pthread_cond_timedwait(&c, &m1, &ts);
    pthread_mutex_unlock(&m1);
    return NULL;
}

int main(void)
{
    struct timespec ts;
    deadline(&ts, 50);
    pthread_cond_timedwait(&lone, &m1, &ts); // @unheld
    pthread_mutex_unlock(&m1); /* glibc returned with it locked */
    pthread_t t;
    pthread_create(&t, NULL, first, NULL);
    usleep(200000);
    deadline(&ts, 50);
    pthread_mutex_lock(&m2);
    pthread_cond_timedwait(&c, &m2, &ts); // @mismatch
    pthread_mutex_unlock(&m2);
    pthread_join(t, NULL);
    return 0;
}
