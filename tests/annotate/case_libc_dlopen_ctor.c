/* SPDX-License-Identifier: MIT */
/* dlopen against a library constructor: main's dlopen runs a constructor
 * (with the loader's lock held) that waits for a mutex; the mutex's holder
 * calls dlopen too and waits for the loader's lock, inside glibc, with an
 * inline futex wait. Every thread is blocked: a global stall, the second
 * thread named blocked inside the dynamic loader. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].summary ~ "the dynamic loader"
// CHECK: reports[0].advice ~ "constructor"
// CHECK: reports[0].threads[*].waits_for.lock.detail ~ "blocked inside"
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t has_m, in_ctor;

static void *loader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    sem_post(&has_m);
    sem_wait(&in_ctor);
    dlopen("libm.so.6", RTLD_NOW); // @loader_wait
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    sem_init(&has_m, 0, 0);
    sem_init(&in_ctor, 0, 0);
    char buf[32];
    snprintf(buf, sizeof buf, "%lx", (unsigned long)(uintptr_t)&m);
    setenv("CASE_MUTEX", buf, 1);
    snprintf(buf, sizeof buf, "%lx", (unsigned long)(uintptr_t)&in_ctor);
    setenv("CASE_SEM", buf, 1);
    pthread_t t;
    pthread_create(&t, NULL, loader, NULL);
    sem_wait(&has_m);
    dlopen(CTOR_LIB, RTLD_NOW);
    pthread_join(t, NULL);
    return 0;
}
