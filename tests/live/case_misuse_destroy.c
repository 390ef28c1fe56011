/* SPDX-License-Identifier: MIT */
/* Destroying locks in use: a mutex this thread holds, an rwlock another
 * thread holds, a semaphore another thread waits on; then using a
 * destroyed mutex and rwlock. */
// EXIT: 66
// CHECK: reports[*].hazard == "destroy-in-use"
// CHECK: reports[*].where[0].line == @LINE(destroy_mutex)
// CHECK: reports[*].where[0].line == @LINE(destroy_rw)
// CHECK: reports[*].threads[*].holds[0].acquired[0].line == @LINE(rw_taken)
// CHECK: reports[*].hazard == "semaphore-misuse"
// CHECK: reports[*].where[0].line == @LINE(destroy_sem)
// CHECK: reports[*].hazard == "use-after-destroy"
// CHECK: reports[*].where[0].line == @LINE(use_mutex)
// CHECK: reports[*].where[0].line == @LINE(use_rw)
// CHECK: !reports[*].kind == "deadlock"
// CHECK: reports[*].summary ~ "destroy was refused by glibc (EBUSY; it lives on) while"
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t held, go;
static sem_t never;

static void *holder(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&table); // @rw_taken
    pthread_barrier_wait(&held);
    pthread_barrier_wait(&go);
    pthread_rwlock_unlock(&table);
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    sem_timedwait(&never, &ts);
    return NULL;
}

int main(void)
{
    pthread_mutex_t m;
    pthread_mutex_init(&m, NULL);
    pthread_mutex_lock(&m);
    pthread_mutex_destroy(&m); // @destroy_mutex
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    pthread_mutex_lock(&m); // @use_mutex

    pthread_t t, w;
    pthread_barrier_init(&held, NULL, 2);
    pthread_barrier_init(&go, NULL, 2);
    pthread_create(&t, NULL, holder, NULL);
    pthread_barrier_wait(&held);
    pthread_rwlock_destroy(&table); // @destroy_rw
    pthread_barrier_wait(&go);
    pthread_join(t, NULL);
    pthread_rwlock_rdlock(&table); // @use_rw
    pthread_rwlock_unlock(&table);

    sem_init(&never, 0, 0);
    pthread_create(&w, NULL, sem_waiter, NULL);
    usleep(200000);
    sem_destroy(&never); // @destroy_sem
    pthread_join(w, NULL);
    return 0;
}
