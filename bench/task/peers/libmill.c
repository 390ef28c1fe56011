/* SPDX-License-Identifier: MIT */
/* libmill.c: bench_task's operations written with libmill's public API,
 * built and run by `bench_task --peers DIR` (see peer.h). libmill has no
 * mutex, and no join: go() runs the new coroutine at once, to its end
 * here, which is how libmill's own perf/go.c measures spawn. */
#include "peer.h"
#include <libmill.h>

static long n;

static coroutine void yielder(chan done)
{
    for (long i = 0; i < n; i++)
        yield();
    chs(done, int, 1);
}

static coroutine void echo(chan ping, chan pong)
{
    for (;;) {
        long v = chr(ping, long);
        if (v < 0)
            break;
        chs(pong, long, v);
    }
}

static coroutine void nothing(void) {}

int main(int argc, char **argv)
{
    double scale = peer_scale(argc, argv);

    n = peer_n(PEER_N_YIELD, scale);
    chan done = chmake(int, 2);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        go(yielder(done));
        go(yielder(done));
        chr(done, int);
        chr(done, int);
        peer_pass_done(pass, t0, 2.0 * (double)n);
    }
    peer_print("yield", peer_least);
    chclose(done);

    n = peer_n(PEER_N_CHAN, scale);
    chan ping = chmake(long, 0), pong = chmake(long, 0);
    go(echo(ping, pong));
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++) {
            chs(ping, long, i);
            chr(pong, long);
        }
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("chan_rtt", peer_least);
    chs(ping, long, -1);

    peer_print("mutex_uncont", -1);
    peer_print("mutex_cont", -1);

    n = peer_n(PEER_N_SPAWN, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++)
            go(nothing());
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("spawn_join", peer_least);
    return 0;
}
