/* SPDX-License-Identifier: MIT */
/* Issue 17 item 10: a thread cancelled in pthread_cond_wait gets its mutex
 * back before its cleanup handlers run, so the textbook handler that
 * unlocks it is right. Nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: cancelled, mutex free again
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int waiting;

static void unlock_it(void *arg)
{
    pthread_mutex_unlock(arg);
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_cleanup_push(unlock_it, &m);
    waiting = 1;
    pthread_cond_signal(&c);
    for (;;)
        pthread_cond_wait(&c, &m);
    pthread_cleanup_pop(1);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pthread_mutex_lock(&m);
    while (!waiting)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m); /* the waiter is in (or about to be in) its wait */
    pthread_cancel(t);
    void *ret;
    pthread_join(t, &ret);
    if (ret == PTHREAD_CANCELED && pthread_mutex_trylock(&m) == 0) {
        printf("cancelled, mutex free again\n");
        pthread_mutex_unlock(&m);
    }
    return 0;
}
