/* SPDX-License-Identifier: MIT */
/* bench_task.c: costs of tangle tasks, detection off and on, side by side.
 *
 *   bench_task [--peers DIR] [--rounds R] [scale [benchmark [on|off]]]
 *
 * How it times, so that one run can be trusted (this is what `make bench`
 * runs, at scale 1, in about 10 s of CPU for the five rows):
 *   - the CPU time of the scheduler thread, which runs every task: on a
 *     shared machine the wall clock also counts the time other processes
 *     take the CPU, which differs from run to run and between the modes;
 *   - one CPU: the whole run is pinned to the last CPU it may use, so every
 *     child process runs on the same core;
 *   - passes interleaved: detection is fixed at the first tg_run, so each
 *     mode is a child process of its own; an off child and an on child
 *     take turns, pass by pass (a pass is a few ms; which goes first
 *     alternates), so a slow phase of the machine (a frequency change,
 *     another process's burst) hits both modes alike: one warm-up pass
 *     each, then 5 timed passes each;
 *   - rounds: 11 such pairs of children, each pair with its own memory
 *     layout. A mode's figure is the least of its 55 passes. The on/off
 *     ratio is the median of the 55 pass pairs' ratios (each an off pass
 *     and the on pass next to it), printed with their range and with the
 *     ratio of the two least figures: one unusually fast pass moves a
 *     least figure (the engine-free build, whose two columns run the same
 *     code, once printed 1.15 that way) but not the median of the pairs.
 * Naming one benchmark runs only that; naming a mode too runs one child
 * with one pass and no warm-up (for profiling: `valgrind --tool=callgrind
 * bench_task 0.02 mutex_uncont on`). Scale multiplies the operations of a
 * pass. Operations:
 *   yield          one tg_yield() between two tasks (one switch)
 *   chan_rtt       an unbuffered channel round trip (send + reply)
 *   mutex_uncont   tg_mutex_lock + tg_mutex_unlock, no contention
 *   mutex_cont     lock + unlock by 4 tasks that yield while holding it
 *                  (every lock waits and is handed off)
 *   spawn_join     tg_spawn + tg_join of one task
 * then the live-task table (alone: benchmark "live"): spawn, spawn+join,
 * idle CPU and memory per task with 10 and 10^6 tasks blocked.
 */
#define _GNU_SOURCE
#include "tangle/task.h"

#include "peers/peer.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long N;        /* operations per pass */
static int cmd_fd = -1, res_fd = -1; /* a child's pipes to the parent; -1: profiling */
static int passes_run;
static double result_ns; /* profiling: ns per operation of its one pass */

/* CPU time of the calling thread: the scheduler's own work, without the
 * time other processes of a shared machine take from it. */
static int64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* Whether to run another pass: the parent asks for each ('p'), so that the
 * off and on children take turns; a profiling run makes one. Outside the
 * timed part of a pass. */
static int pass_next(void)
{
    if (cmd_fd < 0)
        return passes_run++ == 0;
    char c;
    return read(cmd_fd, &c, 1) == 1 && c == 'p';
}
/* Ends a pass begun at t0, of `ops` operations: its ns per operation go to
 * the parent. */
static void pass_done(int64_t t0, double ops)
{
    result_ns = (double)(thread_ns() - t0) / ops;
    if (res_fd >= 0 && write(res_fd, &result_ns, sizeof result_ns) != sizeof result_ns)
        _exit(1);
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
    while (pass_next()) {
        tg_task *a, *b;
        tg_spawn(&a, "a", yielder, NULL);
        tg_spawn(&b, "b", yielder, NULL);
        int64_t t0 = thread_ns();
        tg_join(a, NULL);
        tg_join(b, NULL);
        pass_done(t0, 2.0 * N);
    }
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
    while (pass_next()) {
        int64_t t0 = thread_ns();
        for (long i = 0; i < N; i++) {
            long v = i;
            tg_chan_send(&ping, &v);
            tg_chan_recv(&pong, &v);
        }
        pass_done(t0, (double)N);
    }
    tg_chan_close(&ping);
    tg_join(e, NULL);
    return NULL;
}

static tg_mutex mu;
static void *b_mutex_uncont(void *arg)
{
    (void)arg;
    tg_mutex_init(&mu);
    while (pass_next()) {
        int64_t t0 = thread_ns();
        for (long i = 0; i < N; i++) {
            tg_mutex_lock(&mu);
            tg_mutex_unlock(&mu);
        }
        pass_done(t0, (double)N);
    }
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
    while (pass_next()) {
        tg_task *t[4];
        int64_t t0 = thread_ns();
        for (int i = 0; i < 4; i++)
            tg_spawn(&t[i], "contender", contender, NULL);
        for (int i = 0; i < 4; i++)
            tg_join(t[i], NULL);
        pass_done(t0, (double)(N / 4 * 4));
    }
    return NULL;
}

/* ---- costs that must not grow with the number of live tasks ------------- *
 * One child per live count L and detection mode: it spawns L tasks that
 * block on an event (16 KiB stacks) and measures, with them blocked:
 *   fill    ns per task to spawn them and let each park
 *   spawn   ns per tg_spawn + tg_join of one more task (the least of 5
 *           passes after a warm-up, as in the table above)
 * (both CPU time of the scheduler thread, which other processes on a shared
 * machine do not inflate, nor tangle's watchdog thread)
 *   idle    CPU ns the whole process spends per ms of idle time (the
 *           watchdogs and the idle scheduler), over the quietest half
 *           second once the cost has settled
 *   once    CPU ms the other half seconds cost beyond that
 *   memory  resident bytes per blocked task (RSS after the fill minus
 *           before, over L; only meaningful for large L)
 * The targets: spawn the same at 10^6 live tasks as at 10, idle cost
 * independent of the blocked tasks, and the engine adding at most 512 bytes
 * per task (memory with detection on minus off). */
struct live_result {
    double fill_ns, spawn_ns, idle_ns_per_ms, once_ms, bytes;
    int windows; /* idle half seconds measured */
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
/* A plain thread: measures the process's CPU time over idle half seconds,
 * then wakes every task. The first seconds after the scheduler runs out of
 * work publish every parked wait to the engine and scan them (work
 * proportional to what changed: all L tasks began to wait), which takes
 * about a second of CPU at 10^6 tasks, and on a loaded machine goes on at
 * the steady pace of the CPU share the process gets (tens of us per ms).
 * So with 10 tasks it measures 3 half seconds, and with more it goes on
 * until 3 half seconds in a row each cost less than the larger of 10 us
 * per ms and 4 times the cost with 10 tasks plus 2 us per ms
 * (idle_settled), or for 60 half seconds. The idle cost is the quietest
 * of them (the bound only decides when to stop, so an idle cost that grew
 * with L still shows), and what the others cost beyond it is reported as
 * the one-time cost. */
#define IDLE_WINDOWS 60
static double idle_settled; /* the idle cost with 10 tasks; 0: this is that run */
static int idle_quiet(double per_ms)
{
    double bound = 4 * idle_settled + 2000;
    return idle_settled <= 0 || per_ms < (bound > 10000 ? bound : 10000);
}
static void *idle_meter(void *arg)
{
    (void)arg;
    struct timespec settle = { 0, 300 * 1000 * 1000 }, half = { 0, 500 * 1000 * 1000 };
    nanosleep(&settle, NULL);
    double cpu[IDLE_WINDOWS], wall_ms[IDLE_WINDOWS], least = 0, extra = 0;
    int n = 0, quiet = 0;
    while (n < IDLE_WINDOWS && quiet < 3) {
        int64_t c0 = cpu_ns(), t0 = tg_now();
        nanosleep(&half, NULL);
        cpu[n] = (double)(cpu_ns() - c0);
        wall_ms[n] = (double)(tg_now() - t0) / 1e6;
        double per_ms = cpu[n] / wall_ms[n];
        if (n == 0 || per_ms < least)
            least = per_ms;
        n++;
        quiet = 0; /* the newest windows in a row below the bound */
        for (int i = n - 1; i >= 0 && idle_quiet(cpu[i] / wall_ms[i]); i--)
            quiet++;
    }
    for (int i = 0; i < n; i++)
        extra += cpu[i] - least * wall_ms[i];
    live_res.idle_ns_per_ms = least;
    live_res.once_ms = extra / 1e6;
    live_res.windows = n;
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
    double least = 0;
    for (int p = 0; p <= PEER_PASSES; p++) { /* the least of the passes, as above */
        t0 = thread_ns();
        for (long i = 0; i < live_spawns; i++) {
            tg_task *t;
            tg_spawn_opts(&t, "child", nothing, NULL, &o);
            tg_join(t, NULL);
        }
        double ns = (double)(thread_ns() - t0) / (double)live_spawns;
        if (p > 0 && (least == 0 || ns < least))
            least = ns;
    }
    live_res.spawn_ns = least;
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
    while (pass_next()) {
        int64_t t0 = thread_ns();
        for (long i = 0; i < N; i++) {
            tg_task *t;
            tg_spawn_opts(&t, "child", nothing, NULL, &o);
            tg_join(t, NULL);
        }
        pass_done(t0, (double)N);
    }
    return NULL;
}

struct bench {
    const char *name;
    tg_fn fn;
    long n; /* operations per pass at scale 1 (the peers' too) */
};
static const struct bench benches[] = {
    { "yield", b_yield, PEER_N_YIELD },
    { "chan_rtt", b_chan, PEER_N_CHAN },
    { "mutex_uncont", b_mutex_uncont, PEER_N_MUTEX },
    { "mutex_cont", b_mutex_cont, PEER_N_MUTEX_CONT },
    { "spawn_join", b_spawn, PEER_N_SPAWN },
};

/* A benchmark's child process, which runs a pass each time it is asked. */
struct child {
    pid_t pid;
    int cmd, res; /* the parent's ends of its pipes */
};

/* Starts benchmark b in a child with detection on or off; 0 on success.
 * The child closes its running sibling's pipes (if any), so that each
 * child sees the end of its own when the parent closes it. */
static int child_start(struct child *c, const struct bench *b, int detect, double scale,
                       const struct child *sibling)
{
    int cmd[2], res[2];
    if (pipe(cmd) != 0)
        return -1;
    if (pipe(res) != 0) {
        close(cmd[0]);
        close(cmd[1]);
        return -1;
    }
    c->pid = fork();
    if (c->pid == 0) {
        close(cmd[1]);
        close(res[0]);
        if (sibling) {
            close(sibling->cmd);
            close(sibling->res);
        }
        cmd_fd = cmd[0];
        res_fd = res[1];
        struct tg_config cfg;
        tg_config_get(&cfg);
        cfg.detect = detect;
        cfg.long_task_ns = 0; /* the loops run long on purpose */
        tg_config_set(&cfg);
        N = peer_n(b->n, scale);
        tg_run(b->fn, NULL);
        _exit(0);
    }
    close(cmd[0]);
    close(res[1]);
    c->cmd = cmd[1];
    c->res = res[0];
    if (c->pid < 0) {
        close(c->cmd);
        close(c->res);
        return -1;
    }
    return 0;
}

/* Has child c run one pass; its ns per operation, or -1. */
static double child_pass(struct child *c)
{
    double ns;
    if (write(c->cmd, "p", 1) != 1 || read(c->res, &ns, sizeof ns) != sizeof ns)
        return -1;
    return ns;
}

/* Ends child c: its next pass_next() reads the end of the pipe. */
static void child_stop(struct child *c)
{
    close(c->cmd);
    close(c->res);
    int st;
    waitpid(c->pid, &st, 0);
}

/* Profiling: one child, one pass, no warm-up and no pipes for passes; its
 * ns per operation, or -1. */
static double run_profile(const struct bench *b, int detect, double scale)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        struct tg_config cfg;
        tg_config_get(&cfg);
        cfg.detect = detect;
        cfg.long_task_ns = 0;
        tg_config_set(&cfg);
        N = peer_n(b->n, scale);
        tg_run(b->fn, NULL);
        if (write(fd[1], &result_ns, sizeof result_ns) != sizeof result_ns)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    double ns = -1;
    if (pid < 0 || read(fd[0], &ns, sizeof ns) != sizeof ns)
        ns = -1;
    close(fd[0]);
    int st;
    if (pid > 0)
        waitpid(pid, &st, 0);
    return ns;
}

/* One round of benchmark b: an off child and an on child (those of
 * `modes`) take turns, pass by pass, the first of each pair alternating,
 * after a warm-up pass each. Keeps each mode's least figure in least[] and
 * the pass pairs' on/off ratios in ratios[] (their number is returned). */
static int run_round(const struct bench *b, int modes, double scale, double least[2],
                     double *ratios)
{
    struct child c[2];
    int up[2] = { 0, 0 }, n = 0;
    for (int d = 0; d < 2; d++)
        up[d] = (modes >> d & 1) && child_start(&c[d], b, d, scale, d && up[0] ? &c[0] : NULL) == 0;
    for (int p = 0; p <= PEER_PASSES; p++) {
        double ns[2] = { -1, -1 };
        for (int k = 0; k < 2; k++) {
            int d = k ^ (p & 1);
            if (up[d])
                ns[d] = child_pass(&c[d]);
        }
        if (p == 0) /* the warm-up */
            continue;
        for (int d = 0; d < 2; d++)
            if (ns[d] > 0 && (least[d] <= 0 || ns[d] < least[d]))
                least[d] = ns[d];
        if (ns[0] > 0 && ns[1] > 0)
            ratios[n++] = ns[1] / ns[0];
    }
    for (int d = 0; d < 2; d++)
        if (up[d])
            child_stop(&c[d]);
    return n;
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
        live_spawns = peer_n(PEER_N_SPAWN, scale);
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
    struct live_result r10[2];
    int r10_ok[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        struct live_result r[2];
        int ok[2];
        for (int d = 0; d < 2; d++) {
            idle_settled = i > 0 && r10_ok[d] ? r10[d].idle_ns_per_ms : 0;
            ok[d] = run_live_child(sizes[i], d, scale, &r[d]) == 0;
            if (i == 0) {
                r10[d] = r[d];
                r10_ok[d] = ok[d];
            }
        }
        if (!ok[0] || !ok[1]) {
            printf("%10ld not measured (a child failed: out of memory?)\n", sizes[i]);
            continue;
        }
        printf("%10ld %9.1f %9.1f %9.1f %9.1f %9.0f %9.0f %9.0f %9.0f", sizes[i], r[0].fill_ns,
               r[1].fill_ns, r[0].spawn_ns, r[1].spawn_ns, r[0].idle_ns_per_ms,
               r[1].idle_ns_per_ms, r[0].once_ms, r[1].once_ms);
        if (sizes[i] >= 10000)
            printf(" %8.0f %8.0f %9.0f", r[0].bytes, r[1].bytes, r[1].bytes - r[0].bytes);
        else
            printf(" %8s %8s %9s", "-", "-", "-");
        printf("  (idle: %d / %d half seconds)\n", r[0].windows, r[1].windows);
    }
    printf("fill and spawn+join: CPU time of the scheduler thread. idle CPU: the whole process, "
           "per ms of the quietest idle half second (of 3 with 10 tasks; with more, measured until "
           "3 in a row cost less than max(10 us, 4 x the cost with 10 tasks + 2 us) per ms, 60 at "
           "most); once CPU: what the other half seconds cost beyond that (publishing the L parked waits and scanning them). RSS per task "
           "is only measured for L >= 10,000. Targets (issue 14): spawn+join at 10^6 as at "
           "10, idle independent of L, on-off at most 512 bytes.\n");
}

/* ---- peers, side by side (--peers DIR) ----------------------------------- *
 * DIR holds the peers' source trees, built by the user (none of their code
 * is in this repository): DIR/libdill and DIR/libmill with libdill.a or
 * libmill.a beside their header (or in .libs/, where autotools leaves it),
 * and DIR/neco with neco.c and neco.h (compiled with the benchmark). Each
 * peer's benchmark (bench/task/peers/NAME.c, the same operations through
 * the library's public API, timed the same way) is compiled into a
 * temporary folder and run once in every round, after tangle's children,
 * and the least figure of each operation kept. */
#define N_BENCH (sizeof benches / sizeof benches[0])
static const char *const peer_names[] = { "libdill", "libmill", "neco" };
#define N_PEERS 3
static double peer_best[N_PEERS][N_BENCH];
static char peer_dir[64];
static int peer_built[N_PEERS];

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

static void peer_exe(int p, char *exe, size_t size)
{
    snprintf(exe, size, "%s/%s", peer_dir, peer_names[p]);
}

/* Builds peer p's benchmark into the temporary folder; 0 on success, else
 * says why. */
static int peer_build(const char *dir, int p)
{
    const char *name = peer_names[p];
    char src[4096], lib[4096], exe[256], cmd[16384];
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
    peer_exe(p, exe, sizeof exe);
    snprintf(cmd, sizeof cmd, "'%s' -O2 -w -I'%s' -I'%s/%s' -o '%s' '%s/%s.c' '%s' -lpthread",
             cc, BENCH_PEERS_SRC, dir, name, exe, BENCH_PEERS_SRC, name, lib);
    if (system(cmd) != 0) {
        printf("  %s: not measured (its benchmark did not build: %s)\n", name, cmd);
        return -1;
    }
    return 0;
}

/* Builds every peer's benchmark; 0 if the temporary folder was made. */
static int peers_build(const char *dir)
{
    snprintf(peer_dir, sizeof peer_dir, "/tmp/bench_task_peers.XXXXXX");
    if (!mkdtemp(peer_dir)) {
        printf("peers: not measured (no temporary folder)\n");
        return -1;
    }
    for (int p = 0; p < N_PEERS; p++) {
        for (size_t i = 0; i < N_BENCH; i++)
            peer_best[p][i] = -1;
        peer_built[p] = peer_build(dir, p) == 0;
    }
    return 0;
}

/* Runs peer p's benchmark once, keeping the least figure of each line. */
static void peer_run(int p, double scale)
{
    char exe[256], cmd[512], name[64], val[64];
    peer_exe(p, exe, sizeof exe);
    snprintf(cmd, sizeof cmd, "'%s' %g", exe, scale);
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    double ns;
    while (fscanf(f, "%63s %63s", name, val) == 2)
        for (size_t i = 0; i < N_BENCH; i++)
            if (strcmp(name, benches[i].name) == 0 && sscanf(val, "%lf", &ns) == 1 &&
                (peer_best[p][i] < 0 || ns < peer_best[p][i]))
                peer_best[p][i] = ns;
    pclose(f);
}

static void peers_remove(void)
{
    for (int p = 0; p < N_PEERS; p++) {
        char exe[256];
        peer_exe(p, exe, sizeof exe);
        unlink(exe);
    }
    rmdir(peer_dir);
}

static void peers_table(const char *only, double best[][2])
{
    printf("%-14s %10s %10s", "benchmark", "tangle off", "tangle on");
    for (int p = 0; p < N_PEERS; p++)
        printf(" %10s", peer_names[p]);
    printf("\n");
    for (size_t i = 0; i < N_BENCH; i++) {
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
}

/* Pins this process, and so every child, to the last CPU it may use;
 * returns that CPU, or -1 if it could not. */
static int pin_last_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            last = c;
    if (last < 0)
        return -1;
    CPU_ZERO(&set);
    CPU_SET(last, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? last : -1;
}

#define MAX_ROUNDS 64

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *peers = NULL, *pos[3] = { NULL, NULL, NULL };
    int npos = 0, rounds = 11;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc)
            peers = argv[++i];
        else if (strncmp(argv[i], "--peers=", 8) == 0)
            peers = argv[i] + 8;
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (npos < 3)
            pos[npos++] = argv[i];
    }
    double scale = pos[0] ? atof(pos[0]) : 1.0;
    const char *only = pos[1]; /* one benchmark */
    int modes = 3; /* bit 0: detection off, bit 1: on */
    if (pos[2])
        modes = strcmp(pos[2], "off") == 0 ? 1 : strcmp(pos[2], "on") == 0 ? 2 : 0;
    if (scale <= 0 || !modes || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_task [--peers DIR] [--rounds R] [SCALE [BENCHMARK "
                        "[on|off]]]: SCALE is a positive number, R from 1 to %d\n", MAX_ROUNDS);
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
    setvbuf(stdout, NULL, _IOLBF, 0); /* each row as it is measured, even into a log */
    /* A named mode is for profiling: one child, one pass, no warm-up. */
    int profile = pos[2] != NULL;
    if (profile)
        rounds = 1;
    int cpu = pin_last_cpu();
    char where[64] = "not pinned";
    if (cpu >= 0)
        snprintf(where, sizeof where, "pinned to CPU %d", cpu);
#ifdef BENCH_NO_ENGINE
    printf("tangle tasks without the engine, linked in with LTO: the floor (the \"detect on\" "
           "column runs the same code: its on/off shows the bench's own noise)\n");
#endif
    int tasks = !only || strcmp(only, "live") != 0;
    if (tasks && profile)
        printf("tangle tasks, ns per operation (CPU time of the scheduler thread, %s; one pass "
               "of scale %.2f, no warm-up: for profiling)\n", where, scale);
    else if (tasks)
        printf("tangle tasks, ns per operation (CPU time of the scheduler thread, %s; the least "
               "of %d rounds x %d passes, off and on passes interleaved; on/off: the median of "
               "the pass pairs; scale %.2f)\n", where, rounds,
               PEER_PASSES, scale);
    if (tasks)
        printf("%-14s %12s %12s %8s %14s %12s\n", "benchmark", "detect off", "detect on",
               "on/off", "(pairs' range)", "least/least");
    int with_peers = tasks && peers && peers_build(peers) == 0;
    double best[N_BENCH][2];
    static double ratios[N_BENCH][MAX_ROUNDS * PEER_PASSES];
    int n_ratios[N_BENCH] = { 0 };
    for (size_t i = 0; i < N_BENCH; i++)
        best[i][0] = best[i][1] = 1e30;
    for (int r = 0; tasks && r < rounds; r++) {
        for (size_t i = 0; i < N_BENCH; i++) {
            if (only && strcmp(only, benches[i].name) != 0)
                continue;
            double least[2] = { 0, 0 };
            if (profile)
                least[modes >> 1] = run_profile(&benches[i], modes >> 1, scale);
            else
                n_ratios[i] += run_round(&benches[i], modes, scale, least,
                                         ratios[i] + n_ratios[i]);
            for (int d = 0; d < 2; d++)
                if (least[d] > 0 && least[d] < best[i][d])
                    best[i][d] = least[d];
        }
        for (int p = 0; with_peers && p < N_PEERS; p++)
            if (peer_built[p])
                peer_run(p, scale);
    }
    for (size_t i = 0; tasks && i < N_BENCH; i++) {
        if (only && strcmp(only, benches[i].name) != 0)
            continue;
        char col[2][16], range[32] = "-", median[16] = "-";
        for (int d = 0; d < 2; d++)
            if (best[i][d] < 1e30) /* two decimals below 10 ns: 0.1 is 3% of a mutex */
                snprintf(col[d], sizeof col[d], best[i][d] < 10 ? "%.2f" : "%.1f", best[i][d]);
            else
                snprintf(col[d], sizeof col[d], "-");
        int n = n_ratios[i];
        if (n > 0) {
            qsort(ratios[i], (size_t)n, sizeof ratios[i][0], cmp_double);
            snprintf(median, sizeof median, "%.2f", ratios[i][n / 2]);
            snprintf(range, sizeof range, "(%.2f-%.2f)", ratios[i][0], ratios[i][n - 1]);
        }
        if (best[i][0] < 1e30 && best[i][1] < 1e30)
            printf("%-14s %12s %12s %8s %14s %12.2f\n", benches[i].name, col[0], col[1], median,
                   range, best[i][1] / best[i][0]);
        else
            printf("%-14s %12s %12s %8s %14s %12s\n", benches[i].name, col[0], col[1], "-", "-",
                   "-");
    }
    if (with_peers) {
        printf("side by side with peers (ns per operation, timed the same way; - : no such "
               "primitive or not measured), from %s:\n", peers);
        peers_table(only, best);
        peers_remove();
    } else if (tasks && !peers) {
        printf("peers (libdill, libmill, neco): not measured; give --peers DIR, a folder with "
               "their built source trees (see bench/task/bench_task.c).\n");
    }
#ifdef BENCH_NO_ENGINE
    if (only && strcmp(only, "live") == 0) /* without the engine, only when asked */
#else
    if (!only || strcmp(only, "live") == 0)
#endif
        live_table(scale);
    return 0;
}
