/* SPDX-License-Identifier: MIT */
/* Annotated locks misused: an unlock of a spinlock nobody holds (in a
 * loop: one report, with a repeat count), an unlock of one another thread
 * holds, and a destroy of a held one. Each is reported as it would be for
 * a pthread mutex. */
// EXIT: 66
// STDOUT: done
// CHECK: reports# == 3
// CHECK: reports[0].hazard == "unlock-not-held"
// CHECK: reports[0].summary ~ "which nobody holds"
// CHECK: reports[0].where[*].line == @LINE(nobody)
// CHECK: reports[0].repeats == 4
// CHECK: reports[1].hazard == "unlock-not-held"
// CHECK: reports[1].where[*].line == @LINE(other)
// CHECK: reports[1].threads[1].holds[0].lock.name == "owned"
// CHECK: reports[2].hazard == "destroy-in-use"
// CHECK: reports[2].where[*].line == @LINE(destroy)
#include <pthread.h>
#include <stdio.h>

#include "spin.h"

struct spin loose, owned, doomed;
static pthread_barrier_t taken, done;

static void *owner(void *arg)
{
    (void)arg;
    spin_lock(&owned);
    pthread_barrier_wait(&taken);
    pthread_barrier_wait(&done);
    return NULL;
}

int main(void)
{
    spin_init(&loose);
    spin_init(&owned);
    spin_init(&doomed);
    for (int i = 0; i < 5; i++)
        spin_unlock(&loose); // @nobody
    pthread_t t;
    pthread_barrier_init(&taken, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    pthread_create(&t, NULL, owner, NULL);
    pthread_barrier_wait(&taken);
    spin_unlock(&owned); // @other
    pthread_barrier_wait(&done);
    pthread_join(t, NULL);
    spin_lock(&doomed);
    spin_destroy(&doomed); // @destroy
    puts("done");
    return 0;
}
