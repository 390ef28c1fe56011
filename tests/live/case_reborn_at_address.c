/* SPDX-License-Identifier: MIT */
/* Issue 15 item 2: primitives destroyed, then built again at the same
 * address by a static initialiser (as C++'s std::condition_variable and
 * std::shared_mutex constructors do) and used. Each is a new primitive,
 * not a use after destroy: nothing is reported. */
// EXIT: 0
// CHECK: reports# == 0
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

struct object { /* one slot of memory, reused for object after object */
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_rwlock_t l;
};

static void use(struct object *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&o->m);
    pthread_cond_signal(&o->c);
    pthread_cond_timedwait(&o->c, &o->m, &ts); /* already past: returns at once */
    pthread_mutex_unlock(&o->m);
    pthread_rwlock_wrlock(&o->l);
    pthread_rwlock_unlock(&o->l);
    pthread_rwlock_rdlock(&o->l);
    pthread_rwlock_unlock(&o->l);
}

int main(void)
{
    static struct object slot;
    for (int i = 0; i < 5; i++) {
        slot.m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        slot.c = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
        slot.l = (pthread_rwlock_t)PTHREAD_RWLOCK_INITIALIZER;
        use(&slot);
        pthread_rwlock_destroy(&slot.l);
        pthread_cond_destroy(&slot.c);
        pthread_mutex_destroy(&slot.m);
    }
    return 0;
}
