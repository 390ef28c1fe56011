/* SPDX-License-Identifier: MIT */
/* neco.c: bench_task's operations written with neco's public API, built
 * and run by `bench_task --peers DIR` (see peer.h). */
#include "peer.h"
#include <neco.h>

static long n;
static double scale;
static neco_mutex mu;

static void yielder(int argc, void *argv[])
{
    (void)argc; (void)argv;
    for (long i = 0; i < n; i++)
        neco_yield();
}

static void echo(int argc, void *argv[])
{
    (void)argc;
    neco_chan *ping = argv[0], *pong = argv[1];
    long v;
    while (neco_chan_recv(ping, &v) == NECO_OK && v >= 0)
        neco_chan_send(pong, &v);
}

static void contender(int argc, void *argv[])
{
    (void)argc; (void)argv;
    for (long i = 0; i < n / 4; i++) {
        neco_mutex_lock(&mu);
        neco_yield();
        neco_mutex_unlock(&mu);
    }
}

static void nothing(int argc, void *argv[]) { (void)argc; (void)argv; }

static void run(int argc, void *argv[])
{
    (void)argc; (void)argv;
    n = peer_n(PEER_N_YIELD, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        neco_start(yielder, 0);
        int64_t a = neco_lastid();
        neco_start(yielder, 0);
        int64_t b = neco_lastid();
        neco_join(a);
        neco_join(b);
        peer_pass_done(pass, t0, 2.0 * (double)n);
    }
    peer_print("yield", peer_least);

    n = peer_n(PEER_N_CHAN, scale);
    neco_chan *ping, *pong;
    neco_chan_make(&ping, sizeof(long), 0);
    neco_chan_make(&pong, sizeof(long), 0);
    neco_start(echo, 2, ping, pong);
    int64_t e = neco_lastid();
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++) {
            long v = i;
            neco_chan_send(ping, &v);
            neco_chan_recv(pong, &v);
        }
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("chan_rtt", peer_least);
    long stop = -1;
    neco_chan_send(ping, &stop);
    neco_join(e);
    neco_chan_release(ping);
    neco_chan_release(pong);

    n = peer_n(PEER_N_MUTEX, scale);
    neco_mutex_init(&mu);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++) {
            neco_mutex_lock(&mu);
            neco_mutex_unlock(&mu);
        }
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("mutex_uncont", peer_least);

    n = peer_n(PEER_N_MUTEX_CONT, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        int64_t c[4];
        double t0 = peer_now();
        for (int i = 0; i < 4; i++) {
            neco_start(contender, 0);
            c[i] = neco_lastid();
        }
        for (int i = 0; i < 4; i++)
            neco_join(c[i]);
        peer_pass_done(pass, t0, (double)(n / 4 * 4));
    }
    peer_print("mutex_cont", peer_least);

    n = peer_n(PEER_N_SPAWN, scale);
    for (int pass = 0; pass <= PEER_PASSES; pass++) {
        double t0 = peer_now();
        for (long i = 0; i < n; i++) {
            neco_start(nothing, 0);
            neco_join(neco_lastid());
        }
        peer_pass_done(pass, t0, (double)n);
    }
    peer_print("spawn_join", peer_least);
}

int main(int argc, char **argv)
{
    scale = peer_scale(argc, argv);
    return neco_start(run, 0) == NECO_OK ? 0 : 1;
}
