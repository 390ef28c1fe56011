/* SPDX-License-Identifier: MIT */
/* bench_task.c: costs of tangle tasks, detection off and on, side by side.
 *
 *   bench_task [--peers DIR] [scale [benchmark [on|off]]]
 *
 * scale 1 is about a second per configuration; naming one benchmark, and
 * optionally one detection mode, runs only that (for profiling).
 *
 * Each benchmark runs once with tg_config.detect = 0 and once with 1 (in
 * separate child processes, since detection is fixed at the first tg_run),
 * and prints ns per operation and the on/off ratio. The time is the CPU
 * time of the scheduler thread, which runs every task: on a shared machine
 * the wall clock also counts the time other processes take the CPU away
 * (at a load of 15 on 2 cores, several times the work itself), and that
 * time differs from run to run and between the two modes. Operations:
 *   yield          one tg_yield() between two tasks (one switch)
 *   chan_rtt       an unbuffered channel round trip (send + reply)
 *   mutex_uncont   tg_mutex_lock + tg_mutex_unlock, no contention
 *   mutex_cont     lock + unlock by 4 tasks that yield while holding it
 *                  (every lock waits and is handed off)
 *   spawn_join     tg_spawn + tg_join of one task (1,000,000 in all)
 * then the live-task table (alone: benchmark "live"): spawn, spawn+join,
 * idle CPU and memory per task with 10 and 10^6 tasks blocked.
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

/* CPU time of the calling thread: the scheduler's own work, without the
 * time other processes of a shared machine take from it. */
static int64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
    int64_t t0 = thread_ns();
    tg_join(a, NULL);
    tg_join(b, NULL);
    result_ns = (double)(thread_ns() - t0) / (2.0 * N);
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
    int64_t t0 = thread_ns();
    for (long i = 0; i < N; i++) {
        long v = i;
        tg_chan_send(&ping, &v);
        tg_chan_recv(&pong, &v);
    }
    result_ns = (double)(thread_ns() - t0) / N;
    tg_chan_close(&ping);
    tg_join(e, NULL);
    return NULL;
}

static tg_mutex mu;
static void *b_mutex_uncont(void *arg)
{
    (void)arg;
    tg_mutex_init(&mu);
    int64_t t0 = thread_ns();
    for (long i = 0; i < N; i++) {
        tg_mutex_lock(&mu);
        tg_mutex_unlock(&mu);
    }
    result_ns = (double)(thread_ns() - t0) / N;
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
    int64_t t0 = thread_ns();
    for (int i = 0; i < 4; i++)
        tg_spawn(&t[i], "contender", contender, NULL);
    for (int i = 0; i < 4; i++)
        tg_join(t[i], NULL);
    result_ns = (double)(thread_ns() - t0) / (double)(N / 4 * 4);
    return NULL;
}

/* ---- costs that must not grow with the number of live tasks ------------- *
 * One child per live count L and detection mode: it spawns L tasks that
 * block on an event (16 KiB stacks) and measures, with them blocked:
 *   fill    ns per task to spawn them and let each park
 *   spawn   ns per tg_spawn + tg_join of one more task
 * (both CPU time of the scheduler thread, which other processes on a shared
 * machine do not inflate, nor tangle's watchdog thread)
 *   idle    CPU ns the whole process spends per ms of an idle second (the
 *           watchdogs and the idle scheduler), the quietest of several
 *   once    CPU ms the other idle seconds cost beyond that
 *   memory  resident bytes per blocked task (RSS after the fill minus
 *           before, over L; only meaningful for large L)
 * The targets: spawn the same at 10^6 live tasks as at 10, idle cost
 * independent of the blocked tasks, and the engine adding at most 512 bytes
 * per task (memory with detection on minus off). */
struct live_result {
    double fill_ns, spawn_ns, idle_ns_per_ms, once_ms, bytes;
};
static struct live_result live_res;
static long live_n, live_spawns;

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
static double rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}
/* A plain thread: measures the process's CPU time over idle seconds, then
 * wakes every task. The first seconds after the scheduler runs out of work
 * publish every parked wait to the engine and scan them (work proportional
 * to what changed: all L tasks began to wait), which takes seconds at 10^6
 * tasks. So it measures 3 seconds (12 with 100,000 tasks or more): the
 * idle cost is the quietest of them, and what the others cost beyond it is
 * reported as the one-time cost. */
static void *idle_meter(void *arg)
{
    (void)arg;
    struct timespec settle = { 0, 300 * 1000 * 1000 }, second = { 1, 0 };
    nanosleep(&settle, NULL);
    int n = live_n >= 100000 ? 12 : 3;
    double per_ms[12], least = 0, extra = 0;
    for (int i = 0; i < n; i++) {
        int64_t c0 = cpu_ns(), t0 = tg_now();
        nanosleep(&second, NULL);
        per_ms[i] = (double)(cpu_ns() - c0) / ((double)(tg_now() - t0) / 1e6);
        if (i == 0 || per_ms[i] < least)
            least = per_ms[i];
    }
    for (int i = 0; i < n; i++)
        extra += per_ms[i] - least;
    live_res.idle_ns_per_ms = least;
    live_res.once_ms = extra / 1000; /* ns per ms over 1 s windows: us, then ms */
    tg_event_set(&idle_go);
    return NULL;
}
static void *nothing(void *arg) { return arg; }
static void *b_live(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 16 * 1024 };
    tg_event_init(&idle_go);
    double rss0 = rss_bytes();
    int64_t t0 = thread_ns();
    for (long i = 0; i < live_n; i++)
        tg_spawn_opts(NULL, "waiter", idle_waiter, NULL, &o);
    tg_yield(); /* every waiter runs and parks */
    live_res.fill_ns = (double)(thread_ns() - t0) / (double)live_n;
    live_res.bytes = (rss_bytes() - rss0) / (double)live_n;
    t0 = thread_ns();
    for (long i = 0; i < live_spawns; i++) {
        tg_task *t;
        tg_spawn_opts(&t, "child", nothing, NULL, &o);
        tg_join(t, NULL);
    }
    live_res.spawn_ns = (double)(thread_ns() - t0) / (double)live_spawns;
    pthread_t th;
    pthread_create(&th, NULL, idle_meter, NULL);
    tg_event_wait(&idle_go);
    pthread_join(th, NULL);
    return NULL;
}

static void *b_spawn(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 16 * 1024 };
    int64_t t0 = thread_ns();
    for (long i = 0; i < N; i++) {
        tg_task *t;
        tg_spawn_opts(&t, "child", nothing, NULL, &o);
        tg_join(t, NULL);
    }
    result_ns = (double)(thread_ns() - t0) / N;
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

/* Runs the live-task measures for `live` tasks in a child process; 0 on
 * success. */
static int run_live_child(long live, int detect, double scale, struct live_result *out)
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
        c.long_task_ns = 0;
        tg_config_set(&c);
        live_n = live;
        live_spawns = (long)(200000 * scale) > 1000 ? (long)(200000 * scale) : 1000;
        tg_run(b_live, NULL);
        if (write(fd[1], &live_res, sizeof live_res) != sizeof live_res)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    int ok = read(fd[0], out, sizeof *out) == sizeof *out;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return ok ? 0 : -1;
}

/* The live-task table: 10 and (at scale 1) 1,000,000 blocked tasks, each
 * configuration run once (these figures are about growth, not the last
 * nanosecond). */
static void live_table(double scale)
{
    long sizes[2] = { 10, (long)(1000000 * (scale < 1 ? scale : 1)) };
    if (sizes[1] < 1000)
        sizes[1] = 1000;
    printf("\nlive tasks: costs with L tasks blocked on an event (16 KiB stacks), detection "
           "off / on\n");
    printf("%10s %19s %19s %19s %19s %27s\n", "L", "fill ns/task", "spawn+join ns",
           "idle CPU ns/ms", "once CPU ms", "RSS bytes/task (on-off)");
    for (int i = 0; i < 2; i++) {
        struct live_result r[2];
        int ok[2];
        for (int d = 0; d < 2; d++)
            ok[d] = run_live_child(sizes[i], d, scale, &r[d]) == 0;
        if (!ok[0] || !ok[1]) {
            printf("%10ld not measured (a child failed: out of memory?)\n", sizes[i]);
            continue;
        }
        printf("%10ld %9.1f %9.1f %9.1f %9.1f %9.0f %9.0f %9.0f %9.0f", sizes[i], r[0].fill_ns,
               r[1].fill_ns, r[0].spawn_ns, r[1].spawn_ns, r[0].idle_ns_per_ms,
               r[1].idle_ns_per_ms, r[0].once_ms, r[1].once_ms);
        if (sizes[i] >= 10000)
            printf(" %8.0f %8.0f %9.0f\n", r[0].bytes, r[1].bytes, r[1].bytes - r[0].bytes);
        else
            printf(" %8s %8s %9s\n", "-", "-", "-");
    }
    printf("fill and spawn+join: CPU time of the scheduler thread. idle CPU: the whole process, "
           "per ms of the quietest idle second of 3 (12 for L >= 100,000); once CPU: what the "
           "other seconds cost beyond that (publishing the L parked waits and scanning them). RSS per task "
           "is only measured for L >= 10,000. Targets (issue 14): spawn+join at 10^6 as at "
           "10, idle independent of L, on-off at most 512 bytes.\n");
}

/* ---- peers, side by side (--peers DIR) ----------------------------------- *
 * DIR holds the peers' source trees, built by the user (none of their code
 * is in this repository): DIR/libdill and DIR/libmill with libdill.a or
 * libmill.a beside their header (or in .libs/, where autotools leaves it),
 * and DIR/neco with neco.c and neco.h (compiled with the benchmark). Each
 * peer's benchmark (bench/task/peers/NAME.c, the same operations through
 * the library's public API) is compiled into a temporary folder, run three
 * times at the same scale, and the best figure of each operation kept. */
#define N_BENCH (sizeof benches / sizeof benches[0])
static const char *const peer_names[] = { "libdill", "libmill", "neco" };
#define N_PEERS 3
static double peer_best[N_PEERS][N_BENCH];

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

/* Builds peer p's benchmark into exe; 0 on success, else says why. */
static int peer_build(const char *dir, int p, const char *exe)
{
    const char *name = peer_names[p];
    char src[4096], lib[4096], cmd[16384];
    snprintf(src, sizeof src, "%s/%s/%s.h", dir, name, name);
    if (!file_exists(src)) {
        printf("  %s: not measured (no %s)\n", name, src);
        return -1;
    }
    if (p == 2) {
        snprintf(lib, sizeof lib, "%s/neco/neco.c", dir);
    } else {
        snprintf(lib, sizeof lib, "%s/%s/lib%s.a", dir, name, name + 3);
        if (!file_exists(lib))
            snprintf(lib, sizeof lib, "%s/%s/.libs/lib%s.a", dir, name, name + 3);
    }
    if (!file_exists(lib)) {
        printf("  %s: not measured (no %s: build it first)\n", name, lib);
        return -1;
    }
    const char *cc = getenv("CC") ? getenv("CC") : BENCH_CC;
    snprintf(cmd, sizeof cmd, "'%s' -O2 -w -I'%s' -I'%s/%s' -o '%s' '%s/%s.c' '%s' -lpthread",
             cc, BENCH_PEERS_SRC, dir, name, exe, BENCH_PEERS_SRC, name, lib);
    if (system(cmd) != 0) {
        printf("  %s: not measured (its benchmark did not build: %s)\n", name, cmd);
        return -1;
    }
    return 0;
}

static void peers_run(const char *dir, double scale)
{
    char tmp[] = "/tmp/bench_task_peers.XXXXXX";
    if (!mkdtemp(tmp)) {
        printf("peers: not measured (no temporary folder)\n");
        return;
    }
    for (int p = 0; p < N_PEERS; p++) {
        for (size_t i = 0; i < N_BENCH; i++)
            peer_best[p][i] = -1;
        char exe[4200], cmd[4300], name[64];
        snprintf(exe, sizeof exe, "%s/%s", tmp, peer_names[p]);
        if (peer_build(dir, p, exe) != 0)
            continue;
        snprintf(cmd, sizeof cmd, "'%s' %g", exe, scale);
        for (int rep = 0; rep < 3; rep++) {
            FILE *f = popen(cmd, "r");
            if (!f)
                break;
            double ns;
            char val[64];
            while (fscanf(f, "%63s %63s", name, val) == 2)
                for (size_t i = 0; i < N_BENCH; i++)
                    if (strcmp(name, benches[i].name) == 0 && sscanf(val, "%lf", &ns) == 1 &&
                        (peer_best[p][i] < 0 || ns < peer_best[p][i]))
                        peer_best[p][i] = ns;
            pclose(f);
        }
        unlink(exe);
    }
    rmdir(tmp);
}

int main(int argc, char **argv)
{
    const char *peers = NULL, *pos[3] = { NULL, NULL, NULL };
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc)
            peers = argv[++i];
        else if (strncmp(argv[i], "--peers=", 8) == 0)
            peers = argv[i] + 8;
        else if (npos < 3)
            pos[npos++] = argv[i];
    }
    double scale = pos[0] ? atof(pos[0]) : 1.0;
    const char *only = pos[1]; /* one benchmark, for profiling */
    int modes = 3; /* bit 0: detection off, bit 1: on */
    if (pos[2])
        modes = strcmp(pos[2], "off") == 0 ? 1 : strcmp(pos[2], "on") == 0 ? 2 : 0;
    if (scale <= 0 || !modes) {
        fprintf(stderr, "usage: bench_task [--peers DIR] [SCALE [BENCHMARK [on|off]]]: SCALE is a "
                        "positive number\n");
        return 2;
    }
    int known = !only || strcmp(only, "live") == 0;
    for (size_t i = 0; i < N_BENCH; i++)
        known |= only && strcmp(only, benches[i].name) == 0;
    if (!known) {
        fprintf(stderr, "bench_task: no benchmark named \"%s\" (yield, chan_rtt, mutex_uncont, "
                        "mutex_cont, spawn_join, live)\n", only);
        return 2;
    }
#ifdef BENCH_NO_ENGINE
    printf("tangle tasks without the engine, linked in with LTO: the floor (the \"detect on\" "
           "column runs without detection too)\n");
#endif
    if (!only || strcmp(only, "live") != 0) {
        printf("tangle tasks, ns per operation (CPU time of the scheduler thread; scale %.2f; best of 3 runs)\n", scale);
        printf("%-14s %12s %12s %8s\n", "benchmark", "detect off", "detect on", "on/off");
    }
    double best[N_BENCH][2];
    for (size_t i = 0; i < N_BENCH; i++) {
        best[i][0] = best[i][1] = 1e30;
        if (only && strcmp(only, benches[i].name) != 0)
            continue;
        for (int rep = 0; rep < 3; rep++)
            for (int d = 0; d < 2; d++) {
                if (!(modes >> d & 1))
                    continue;
                double ns = run_child(&benches[i], d, scale);
                if (ns > 0 && ns < best[i][d])
                    best[i][d] = ns;
            }
        if (modes == 3)
            printf("%-14s %12.1f %12.1f %8.2f\n", benches[i].name, best[i][0], best[i][1],
                   best[i][1] / best[i][0]);
        else if (modes == 1)
            printf("%-14s %12.1f %12s %8s\n", benches[i].name, best[i][0], "-", "-");
        else
            printf("%-14s %12s %12.1f %8s\n", benches[i].name, "-", best[i][1], "-");
    }
    if (!only || strcmp(only, "live") == 0)
        live_table(scale);
    if (!peers) {
        printf("peers (libdill, libmill, neco): not measured; give --peers DIR, a folder with "
               "their built source trees (see bench/task/bench_task.c).\n");
        return 0;
    }
    printf("side by side with peers (ns per operation, best of 3 runs; - : no such "
           "primitive or not measured), from %s:\n", peers);
    peers_run(peers, scale);
    printf("%-14s %10s %10s", "benchmark", "tangle off", "tangle on");
    for (int p = 0; p < N_PEERS; p++)
        printf(" %10s", peer_names[p]);
    printf("\n");
    for (size_t i = 0; i < 5; i++) { /* the operations every peer program runs */
        if (only && strcmp(only, benches[i].name) != 0)
            continue;
        printf("%-14s", benches[i].name);
        for (int d = 0; d < 2; d++)
            if (best[i][d] < 1e30)
                printf(" %10.1f", best[i][d]);
            else
                printf(" %10s", "-");
        for (int p = 0; p < N_PEERS; p++)
            if (peer_best[p][i] >= 0)
                printf(" %10.1f", peer_best[p][i]);
            else
                printf(" %10s", "-");
        printf("\n");
    }
    printf("libmill's spawn_join is go() of a coroutine that runs to its end at once (it has "
           "no join); libdill's is go() then hclose(); libdill and libmill have no mutex.\n");
    return 0;
}
