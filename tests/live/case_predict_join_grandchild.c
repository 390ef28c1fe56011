/* SPDX-License-Identifier: MIT */
/* Fork/join order through a grandchild: main creates a thread that creates
 * and joins another, which nests A then B; main joins its child and then
 * nests B then A. Every nesting of A then B happened before main's B then
 * A (two joins apart), so no deadlock is possible and none is predicted.
 * A join that learned only the child's own clock entry (its creator's
 * fast path) would miss the grandchild's and report a false cycle. */
// EXIT: 0
// CHECK: reports# == 0
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *grandchild(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *child(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, grandchild, NULL);
    pthread_join(t, NULL);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, child, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return 0;
}
