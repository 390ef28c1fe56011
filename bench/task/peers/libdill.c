/* SPDX-License-Identifier: MIT */
/* libdill.c: bench_task's operations written with libdill's public API,
 * built and run by `bench_task --peers DIR` (see peer.h). libdill has no
 * mutex. Spawn+join is go() then hclose() of a coroutine that has ended,
 * as libdill's own perf/go.c measures it. */
#include "peer.h"
#include <libdill.h>

static long n;

static coroutine void yielder(void)
{
    for (long i = 0; i < n; i++)
        yield();
}

static coroutine void echo(int ping, int pong)
{
    long v;
    while (chrecv(ping, &v, sizeof v, -1) == 0 && v >= 0)
        chsend(pong, &v, sizeof v, -1);
}

static coroutine void nothing(void) {}

int main(int argc, char **argv)
{
    double scale = peer_scale(argc, argv);

    n = peer_n(PEER_N_YIELD, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        int b = bundle();
        double t0 = peer_now();
        bundle_go(b, yielder());
        bundle_go(b, yielder());
        bundle_wait(b, -1);
        peer_pass_done(pass, t0, 2.0 * (double)n);
        hclose(b);
    }
    peer_print("yield", peer_least);

    n = peer_n(PEER_N_CHAN, scale);
    int ping[2], pong[2];
    if (chmake(ping) != 0 || chmake(pong) != 0)
        return 1;
    int e = go(echo(ping[1], pong[0]));
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++) {
            long v = i;
            chsend(ping[0], &v, sizeof v, -1);
            chrecv(pong[1], &v, sizeof v, -1);
        }
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("chan_rtt", peer_least);
    long stop = -1;
    chsend(ping[0], &stop, sizeof stop, -1);
    hclose(e);

    peer_print("mutex_uncont", -1);
    peer_print("mutex_cont", -1);

    n = peer_n(PEER_N_SPAWN, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++)
            hclose(go(nothing()));
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("spawn_join", peer_least);
    return 0;
}
