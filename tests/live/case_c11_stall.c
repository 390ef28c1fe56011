/* SPDX-License-Identifier: MIT */
/* C11 threads are known threads: a thrd_create'd consumer waits in
 * cnd_wait for a signal nobody will send while main waits in thrd_join. A
 * global stall, reported with both waits (were the consumer unseen, tangle
 * could not tell that nobody is left to signal, and would stay silent). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "condition"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join)
#include <threads.h>

static mtx_t m;
static cnd_t ready;
static int have_work;

static int consumer(void *arg)
{
    (void)arg;
    mtx_lock(&m);
    while (!have_work)
        cnd_wait(&ready, &m); // @wait
    mtx_unlock(&m);
    return 0;
}

int main(void)
{
    thrd_t t;
    mtx_init(&m, mtx_plain);
    cnd_init(&ready);
    thrd_create(&t, consumer, NULL);
    thrd_join(t, NULL); // @join
    return 0;
}
