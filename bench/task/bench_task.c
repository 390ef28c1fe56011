/* SPDX-License-Identifier: MIT */
/* bench_task.c: costs of tangle tasks, detection off and on, side by side.
 *
 *   bench_task [scale [benchmark [on|off]]]
 *
 * scale 1 is about a second per configuration; naming one benchmark, and
 * optionally one detection mode, runs only that (for profiling).
 *
 * Each benchmark runs once with tg_config.detect = 0 and once with 1 (in
 * separate child processes, since detection is fixed at the first tg_run),
 * and prints ns per operation and the on/off ratio. Operations:
 *   yield          one tg_yield() between two tasks (one switch)
 *   chan_rtt       an unbuffered channel round trip (send + reply)
 *   mutex_uncont   tg_mutex_lock + tg_mutex_unlock, no contention
 *   mutex_cont     lock + unlock by 4 tasks that yield while holding it
 *                  (every lock waits and is handed off)
 *   spawn_join     tg_spawn + tg_join of one task (1,000,000 in all)
 */
#define _GNU_SOURCE
#include "tangle/task.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long N;
static double result_ns;

static void *yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++)
        tg_yield();
    return NULL;
}
static void *b_yield(void *arg)
{
    (void)arg;
    tg_task *a, *b;
    tg_spawn(&a, "a", yielder, NULL);
    tg_spawn(&b, "b", yielder, NULL);
    int64_t t0 = tg_now();
    tg_join(a, NULL);
    tg_join(b, NULL);
    result_ns = (double)(tg_now() - t0) / (2.0 * N);
    return NULL;
}

static tg_chan ping, pong;
static void *echo(void *arg)
{
    (void)arg;
    long v;
    while (tg_chan_recv(&ping, &v) == 0)
        tg_chan_send(&pong, &v);
    return NULL;
}
static void *b_chan(void *arg)
{
    (void)arg;
    tg_chan_init(&ping, sizeof(long), 0);
    tg_chan_init(&pong, sizeof(long), 0);
    tg_task *e;
    tg_spawn(&e, "echo", echo, NULL);
    int64_t t0 = tg_now();
    for (long i = 0; i < N; i++) {
        long v = i;
        tg_chan_send(&ping, &v);
        tg_chan_recv(&pong, &v);
    }
    result_ns = (double)(tg_now() - t0) / N;
    tg_chan_close(&ping);
    tg_join(e, NULL);
    return NULL;
}

static tg_mutex mu;
static void *b_mutex_uncont(void *arg)
{
    (void)arg;
    tg_mutex_init(&mu);
    int64_t t0 = tg_now();
    for (long i = 0; i < N; i++) {
        tg_mutex_lock(&mu);
        tg_mutex_unlock(&mu);
    }
    result_ns = (double)(tg_now() - t0) / N;
    return NULL;
}

static void *contender(void *arg)
{
    (void)arg;
    for (long i = 0; i < N / 4; i++) {
        tg_mutex_lock(&mu);
        tg_yield();
        tg_mutex_unlock(&mu);
    }
    return NULL;
}
static void *b_mutex_cont(void *arg)
{
    (void)arg;
    tg_mutex_init(&mu);
    tg_task *t[4];
    int64_t t0 = tg_now();
    for (int i = 0; i < 4; i++)
        tg_spawn(&t[i], "contender", contender, NULL);
    for (int i = 0; i < 4; i++)
        tg_join(t[i], NULL);
    result_ns = (double)(tg_now() - t0) / (double)(N / 4 * 4);
    return NULL;
}

static void *nothing(void *arg) { return arg; }
static void *b_spawn(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 16 * 1024 };
    int64_t t0 = tg_now();
    for (long i = 0; i < N; i++) {
        tg_task *t;
        tg_spawn_opts(&t, "child", nothing, NULL, &o);
        tg_join(t, NULL);
    }
    result_ns = (double)(tg_now() - t0) / N;
    return NULL;
}

/* ---- costs that must not grow with the number of blocked tasks ---------- */
static tg_event idle_go;
static void *idle_waiter(void *arg)
{
    (void)arg;
    tg_event_wait(&idle_go);
    return NULL;
}
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* A plain thread: lets the process settle, measures its CPU time over one
 * idle second, then wakes every task. */
static void *idle_meter(void *arg)
{
    (void)arg;
    struct timespec settle = { 0, 300 * 1000 * 1000 }, second = { 1, 0 };
    nanosleep(&settle, NULL);
    int64_t c0 = cpu_ns(), t0 = tg_now();
    nanosleep(&second, NULL);
    result_ns = (double)(cpu_ns() - c0) / ((double)(tg_now() - t0) / 1e6);
    tg_event_set(&idle_go);
    return NULL;
}
/* N tasks blocked on an event set by another thread: CPU ns the process
 * spends per ms while they wait (the watchdogs and the idle scheduler). */
static void *b_idle(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 16 * 1024 };
    tg_event_init(&idle_go);
    for (long i = 0; i < N; i++)
        tg_spawn_opts(NULL, "waiter", idle_waiter, NULL, &o);
    tg_yield(); /* every waiter parks */
    pthread_t th;
    pthread_create(&th, NULL, idle_meter, NULL);
    tg_event_wait(&idle_go);
    pthread_join(th, NULL);
    return NULL;
}
/* Spawn+join while 100,000 other tasks stay blocked (compare spawn_join). */
static void *b_spawn_live(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 16 * 1024 };
    tg_event_init(&idle_go);
    for (long i = 0; i < 100000; i++)
        tg_spawn_opts(NULL, "waiter", idle_waiter, NULL, &o);
    tg_yield();
    int64_t t0 = tg_now();
    for (long i = 0; i < N; i++) {
        tg_task *t;
        tg_spawn_opts(&t, "child", nothing, NULL, &o);
        tg_join(t, NULL);
    }
    result_ns = (double)(tg_now() - t0) / N;
    tg_event_set(&idle_go);
    return NULL;
}

struct bench {
    const char *name;
    tg_fn fn;
    long n; /* operations at scale 1 */
};
static const struct bench benches[] = {
    { "yield", b_yield, 20000000 },
    { "chan_rtt", b_chan, 5000000 },
    { "mutex_uncont", b_mutex_uncont, 50000000 },
    { "mutex_cont", b_mutex_cont, 5000000 },
    { "spawn_join", b_spawn, 1000000 },
    { "spawn_live", b_spawn_live, 1000000 },
    { "idle_1k", b_idle, 1000 },
    { "idle_100k", b_idle, 100000 },
};

/* Runs one benchmark in a child process; returns ns/op or -1. */
static double run_child(const struct bench *b, int detect, double scale)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        struct tg_config c;
        tg_config_get(&c);
        c.detect = detect;
        c.long_task_ns = 0; /* the loops run long on purpose */
        tg_config_set(&c);
        N = (long)(b->n * scale);
        if (strcmp(b->name, "spawn_join") == 0 && N < 1000000 && scale >= 1)
            N = 1000000;
        tg_run(b->fn, NULL);
        if (write(fd[1], &result_ns, sizeof result_ns) != sizeof result_ns)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    double ns = -1;
    if (read(fd[0], &ns, sizeof ns) != sizeof ns)
        ns = -1;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return ns;
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    const char *only = argc > 2 ? argv[2] : NULL; /* one benchmark, for profiling */
    int modes = 3; /* bit 0: detection off, bit 1: on */
    if (argc > 3)
        modes = strcmp(argv[3], "off") == 0 ? 1 : strcmp(argv[3], "on") == 0 ? 2 : 0;
    if (scale <= 0 || !modes) {
        fprintf(stderr, "usage: bench_task [SCALE [BENCHMARK [on|off]]]: SCALE is a positive number\n");
        return 2;
    }
    int known = !only;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        known |= only && strcmp(only, benches[i].name) == 0;
    if (!known) {
        fprintf(stderr, "bench_task: no benchmark named \"%s\" (yield, chan_rtt, mutex_uncont, "
                        "mutex_cont, spawn_join, spawn_live, idle_1k, idle_100k)\n", only);
        return 2;
    }
#ifdef BENCH_NO_ENGINE
    printf("tangle tasks without the engine, linked in with LTO: the floor (the \"detect on\" "
           "column runs without detection too)\n");
#endif
    printf("tangle tasks, ns per operation (scale %.2f; best of 3 runs)\n", scale);
    printf("%-14s %12s %12s %8s\n", "benchmark", "detect off", "detect on", "on/off");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        if (only && strcmp(only, benches[i].name) != 0)
            continue;
        double best[2] = { 1e30, 1e30 };
        for (int rep = 0; rep < 3; rep++)
            for (int d = 0; d < 2; d++) {
                if (!(modes >> d & 1))
                    continue;
                double ns = run_child(&benches[i], d, scale);
                if (ns > 0 && ns < best[d])
                    best[d] = ns;
            }
        if (modes == 3)
            printf("%-14s %12.1f %12.1f %8.2f\n", benches[i].name, best[0], best[1], best[1] / best[0]);
        else if (modes == 1)
            printf("%-14s %12.1f %12s %8s\n", benches[i].name, best[0], "-", "-");
        else
            printf("%-14s %12s %12.1f %8s\n", benches[i].name, "-", best[1], "-");
    }
    if (!only || strncmp(only, "idle", 4) == 0)
        printf("idle_*: CPU ns per ms while 1,000 or 100,000 tasks wait for another thread "
               "(at scale 1); spawn_live: spawn_join with 100,000 tasks blocked.\n");
    printf("peers: libdill, libmill and neco are not packaged in Debian 12 (apt-cache shows "
           "no candidates) and nothing else may be downloaded here, so they are not measured; "
           "see the issue for their published numbers on this machine class.\n");
    return 0;
}
