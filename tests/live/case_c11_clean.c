/* SPDX-License-Identifier: MIT */
/* A correct C11 program: a producer and a consumer on mtx_t and cnd_t, a
 * recursive timed mutex taken three deep, a timed lock that times out, a
 * trylock that finds the lock busy, a detached thread, a thread that ends
 * with thrd_exit, and thrd_join results: nothing to report, and every C11
 * call answers as it does without tangle. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
// STDOUT: c11 ok
#include <stdatomic.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#define ITEMS 20000
static mtx_t m, rec, held;
static cnd_t not_empty, not_full, detached_done;
static int queue[16], head, count, detached_ran;
static long total;
static atomic_int probed;

static int producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        mtx_lock(&m);
        while (count == 16)
            cnd_wait(&not_full, &m);
        queue[(head + count++) % 16] = i;
        cnd_signal(&not_empty);
        mtx_unlock(&m);
    }
    return 7;
}

static int consumer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        mtx_lock(&m);
        while (count == 0)
            cnd_wait(&not_empty, &m);
        int v = queue[head];
        head = (head + 1) % 16;
        count--;
        cnd_broadcast(&not_full);
        mtx_unlock(&m);
        mtx_lock(&rec);
        mtx_lock(&rec);
        total += v;
        mtx_unlock(&rec);
        mtx_unlock(&rec);
    }
    thrd_exit(-3);
}

/* Another thread holds `held`: its timed lock times out, its trylock is busy. */
static int prober(void *arg)
{
    (void)arg;
    struct timespec soon;
    timespec_get(&soon, TIME_UTC);
    soon.tv_nsec += 50 * 1000000L;
    if (soon.tv_nsec >= 1000000000L) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000L;
    }
    int timed = mtx_timedlock(&held, &soon);
    int busy = mtx_trylock(&held);
    atomic_store(&probed, 1);
    return timed == thrd_timedout && busy == thrd_busy ? 0 : 1;
}

static int detached(void *arg)
{
    (void)arg;
    mtx_lock(&m);
    detached_ran = 1;
    cnd_signal(&detached_done);
    mtx_unlock(&m);
    return 0;
}

int main(void)
{
    thrd_t p, c, q, d;
    int rp = 0, rc = 0, rq = -1;
    if (mtx_init(&m, mtx_plain) != thrd_success || mtx_init(&rec, mtx_timed | mtx_recursive) != thrd_success ||
        mtx_init(&held, mtx_timed) != thrd_success || cnd_init(&not_empty) != thrd_success ||
        cnd_init(&not_full) != thrd_success || cnd_init(&detached_done) != thrd_success)
        return 1;
    mtx_lock(&rec); /* recursive: main may take it again below, and so may the consumer later */
    mtx_lock(&rec);
    mtx_lock(&rec);
    mtx_unlock(&rec);
    mtx_unlock(&rec);
    mtx_unlock(&rec);
    mtx_lock(&held);
    thrd_create(&q, prober, NULL);
    while (!atomic_load(&probed)) /* not a join: that would wait for it while holding `held` */
        thrd_yield();
    mtx_unlock(&held);
    thrd_join(q, &rq);
    thrd_create(&p, producer, NULL);
    thrd_create(&c, consumer, NULL);
    thrd_create(&d, detached, NULL);
    thrd_detach(d);
    mtx_lock(&m);
    while (!detached_ran)
        cnd_wait(&detached_done, &m);
    mtx_unlock(&m);
    thrd_join(p, &rp);
    thrd_join(c, &rc);
    mtx_lock(&rec);
    long t = total;
    mtx_unlock(&rec);
    mtx_destroy(&m);
    mtx_destroy(&rec);
    mtx_destroy(&held);
    cnd_destroy(&not_empty);
    cnd_destroy(&not_full);
    cnd_destroy(&detached_done);
    if (t != (long)ITEMS * (ITEMS - 1) / 2 || rp != 7 || rc != -3 || rq != 0) {
        printf("c11 wrong: total %ld, results %d %d %d\n", t, rp, rc, rq);
        return 1;
    }
    puts("c11 ok");
    return 0;
}
