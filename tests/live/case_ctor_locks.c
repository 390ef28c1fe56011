/* SPDX-License-Identifier: MIT */
/* Locks used (and a thread started) in a constructor, before main and
 * before anything else of the program ran. Nothing to report. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: ctor ok
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t early = PTHREAD_MUTEX_INITIALIZER;
static int ctor_count;

static void *early_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&early);
    ctor_count++;
    pthread_mutex_unlock(&early);
    return NULL;
}

__attribute__((constructor)) static void setup(void)
{
    pthread_t t;
    pthread_mutex_lock(&early);
    ctor_count++;
    pthread_mutex_unlock(&early);
    pthread_create(&t, NULL, early_thread, NULL);
    pthread_join(t, NULL);
}

int main(void)
{
    printf("ctor %s\n", ctor_count == 2 ? "ok" : "broken");
    return 0;
}
