/* SPDX-License-Identifier: MIT */
/* Issue 15 item 18, after Helgrind's tc23_bogus_condwait (our own
 * program): condition waits with a mutex nobody holds, with an rwlock in
 * place of the mutex, and with a mutex another thread holds. Each is
 * reported, and says which. Timed waits, so the program ends. */
// EXIT: 66
// CHECK: reports# == 3
// CHECK: reports[*].hazard == "cond-mutex-not-held"
// CHECK: reports[*].where[0].line == @LINE(unheld)
// CHECK: reports[*].where[0].line == @LINE(rwlock)
// CHECK: reports[*].where[0].line == @LINE(other)
// CHECK: reports[*].summary ~ "rwlock"
// CHECK: reports[*].summary ~ "another thread"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t unheld = PTHREAD_MUTEX_INITIALIZER, theirs;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwl = PTHREAD_RWLOCK_INITIALIZER;
static sem_t grabbed, quit;

static void *grabber(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&theirs);
    sem_post(&grabbed);
    sem_wait(&quit);
    pthread_mutex_unlock(&theirs);
    return NULL;
}

static struct timespec *soon(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += 50000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
    return ts;
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&theirs, &attr);
    sem_init(&grabbed, 0, 0);
    sem_init(&quit, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, grabber, NULL);
    sem_wait(&grabbed);
    pthread_rwlock_rdlock(&rwl); /* known to tangle as an rwlock */
    pthread_rwlock_unlock(&rwl);
    struct timespec ts;
    pthread_cond_timedwait(&cv, &unheld, soon(&ts)); // @unheld
    pthread_mutex_unlock(&unheld); /* glibc returned with it locked */
    pthread_cond_timedwait(&cv, &theirs, soon(&ts)); // @other
    pthread_cond_timedwait(&cv, (pthread_mutex_t *)&rwl, soon(&ts)); // @rwlock
    sem_post(&quit);
    pthread_join(t, NULL);
    return 0;
}
