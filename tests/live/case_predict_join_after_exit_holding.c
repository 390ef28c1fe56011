/* SPDX-License-Identifier: MIT */
/* A worker ends holding a lock (the one finding, at once); the next
 * worker, whose pthread_t is the same value (glibc reuses a joined
 * thread's descriptor), nests c then d and is joined; only then does main
 * nest d then c. The join orders the two nestings: no potential deadlock.
 * tangle once took the first worker's kept record for the second (it
 * still carried the handle), ordered main after the wrong thread, and
 * predicted a deadlock that cannot happen. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].hazard == "exit-holding-lock"
// CHECK: reports[0].threads[0].holds[0].acquired[0].line == @LINE(take)
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t config = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void *leaves_locked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config); // @take
    return NULL;
}

static void *nests(void *arg)
{
    (void)arg;
    pair(&c, &d);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, leaves_locked, NULL) != 0)
        return 2;
    pthread_join(t1, NULL);
    if (pthread_create(&t2, NULL, nests, NULL) != 0)
        return 2;
    pthread_join(t2, NULL);
    if (!pthread_equal(t1, t2))
        printf("note: the second thread got another handle\n");
    pair(&d, &c);
    return 0;
}
