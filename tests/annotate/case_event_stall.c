/* SPDX-License-Identifier: MIT */
/* A home-made event (a flag polled with sched_yield), its wait annotated as
 * one anyone may end. Nobody ever sets it and main joins the waiter: a
 * global stall, reported with the event wait's stack. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(wait)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join)
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <tangle/annotate.h>

static atomic_int fired;

__attribute__((noinline)) static void event_wait(atomic_int *ev)
{
    tg_annotate_pre_wait(ev, 0);
    while (!atomic_load(ev))
        sched_yield();
    tg_annotate_post_wait(ev, 0);
}

static void *waiter(void *arg)
{
    (void)arg;
    event_wait(&fired); // @wait
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pthread_join(t, NULL); // @join
    return 0;
}
