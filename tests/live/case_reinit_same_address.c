/* SPDX-License-Identifier: MIT */
/* Destroy and init at the same address start a new lock: the report names
 * the new instance and where it was created. Memory of a lock freed
 * without destroy and reused for a statically initialised one is handled
 * without a false report. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].threads[0].waits_for.lock.created[0].line == @LINE(second_init)
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(relock)
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct obj {
    pthread_mutex_t lock;
    int value;
};

int main(void)
{
    for (int i = 0; i < 1000; i++) { /* freed without destroy, reused */
        struct obj *o = malloc(sizeof *o);
        if (i % 2)
            pthread_mutex_init(&o->lock, NULL);
        else
            o->lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&o->lock);
        o->value = i;
        pthread_mutex_unlock(&o->lock);
        free(o);
    }
    pthread_mutex_t m;
    pthread_mutex_init(&m, NULL);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    pthread_mutex_init(&m, NULL); // @second_init
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m); // @relock
    return 0;
}
