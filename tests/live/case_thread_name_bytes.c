/* SPDX-License-Identifier: MIT */
/* Threads named with bytes that are not UTF-8 (Latin-1 "café", a lone
 * continuation byte) deadlock: the JSON report stays valid UTF-8, each bad
 * byte written as U+FFFD. (check_schema.sh validates this report too.) */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].name == "caf\ufffd"
// CHECK: reports[0].threads[*].name == "x\ufffdy"
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "x\x80y");
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&a);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_setname_np(pthread_self(), "caf\xe9");
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&b);
    pthread_join(t, NULL);
    return 0;
}
