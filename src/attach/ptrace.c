/* SPDX-License-Identifier: MIT */
/* ptrace.c: stopping every thread of a live process and letting it go.
 *
 * Each thread is seized (PTRACE_SEIZE, which sends no signal) and then
 * interrupted (PTRACE_INTERRUPT). The thread list is read again until it
 * stops growing, so a thread created meanwhile is not missed. A thread that
 * was receiving a signal at that moment stops in signal-delivery instead;
 * that signal is remembered and handed back on detach, so nothing is lost.
 * Every exit path detaches whatever was seized. */
#define _GNU_SOURCE
#include "core/procstat.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/attach.h"

double tg__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The value of "Key:" in /proc/PID/status, or -1. */
static long status_field(long pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static void read_comm(long pid, long tid, char *out, size_t n)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/comm", pid, tid);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, out, n - 1);
    close(fd);
    if (r < 0)
        r = 0;
    out[r] = '\0';
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
}

static char task_state(long pid, long tid)
{
    char c = tg__proc_task_state(pid, tid);
    return c == '?' ? 0 : c;
}

static const char *user_name(long uid, char *buf, size_t n)
{
    struct passwd *pw = getpwuid((uid_t)uid);
    if (pw)
        snprintf(buf, n, "%s", pw->pw_name);
    else
        snprintf(buf, n, "uid %ld", uid);
    return buf;
}

/* Says why the kernel refused to let us trace pid, and what to do. */
static void explain_refusal(struct tg__target *t, long pid, int err)
{
    char a[64], b[64], comm[32];
    t->error_status = TG_ATTACH_EXIT_REFUSED;
    long tracer = status_field(pid, "TracerPid");
    if (tracer > 0) {
        read_comm(tracer, tracer, comm, sizeof comm);
        snprintf(t->error, sizeof t->error,
                 "process %ld is already traced by process %ld (%s), and a process can have only "
                 "one tracer. Detach that debugger or tracer (quit gdb, stop strace) and run "
                 "tangle attach again.",
                 pid, tracer, comm[0] ? comm : "?");
        return;
    }
    long uid = status_field(pid, "Uid");
    if (uid >= 0 && geteuid() != 0 && (uid_t)uid != geteuid()) {
        snprintf(t->error, sizeof t->error,
                 "process %ld belongs to user %s and tangle runs as %s; the kernel lets only the "
                 "same user or root trace it. Run tangle as %s or as root.",
                 pid, user_name(uid, a, sizeof a), user_name(geteuid(), b, sizeof b), a);
        return;
    }
    const char *yama_path = getenv("TANGLE_TEST_YAMA_FILE");
    int fd = open(yama_path ? yama_path : "/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
    int scope = -1;
    if (fd >= 0) {
        char buf[8] = {0};
        if (read(fd, buf, sizeof buf - 1) > 0)
            scope = atoi(buf);
        close(fd);
    }
    if (scope == 1 && geteuid() != 0) {
        snprintf(t->error, sizeof t->error,
                 "the kernel's Yama module refused (kernel.yama.ptrace_scope is 1: a process may "
                 "trace only its own children). Run tangle as root (sudo tangle attach %ld), or "
                 "allow it with 'sysctl kernel.yama.ptrace_scope=0'.",
                 pid);
    } else if (scope == 2 && geteuid() != 0) {
        snprintf(t->error, sizeof t->error,
                 "the kernel's Yama module refused (kernel.yama.ptrace_scope is 2: only root may "
                 "trace). Run tangle as root (sudo tangle attach %ld).",
                 pid);
    } else if (scope == 3) {
        snprintf(t->error, sizeof t->error,
                 "the kernel's Yama module forbids all tracing (kernel.yama.ptrace_scope is 3, "
                 "which only a reboot resets). Use a core dump instead: tangle core FILE.");
    } else {
        snprintf(t->error, sizeof t->error,
                 "the kernel refused to let tangle trace process %ld (%s). Inside a container "
                 "tracing needs the SYS_PTRACE capability (docker run --cap-add SYS_PTRACE, or "
                 "run tangle as root on the host); a process that is not dumpable (set-uid) can "
                 "be traced only by root.",
                 pid, strerror(err));
    }
}

static int add_thread(struct tg__target *t, long tid)
{
    if (t->n_threads == t->cap_threads) {
        int cap = t->cap_threads ? t->cap_threads * 2 : 64;
        struct tg__tthread *p = realloc(t->threads, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        t->threads = p;
        t->cap_threads = cap;
    }
    struct tg__tthread *th = &t->threads[t->n_threads++];
    memset(th, 0, sizeof *th);
    th->tid = tid;
    return 0;
}

/* Threads seized so far, as an open-addressing set of TIDs, so listing
 * /proc/PID/task again costs O(threads), not O(threads^2). */
static long *seen;
static size_t seen_cap, seen_n;

static int seen_add(long tid) /* 1 if it was new, -1 on out-of-memory */
{
    if (2 * (seen_n + 1) > seen_cap) {
        size_t cap = seen_cap ? seen_cap * 2 : 1024;
        long *n = calloc(cap, sizeof *n);
        if (!n)
            return -1;
        for (size_t i = 0; i < seen_cap; i++)
            if (seen[i])
                for (size_t j = (size_t)seen[i] % cap;; j = (j + 1) % cap)
                    if (!n[j]) {
                        n[j] = seen[i];
                        break;
                    }
        free(seen);
        seen = n;
        seen_cap = cap;
    }
    for (size_t j = (size_t)tid % seen_cap;; j = (j + 1) % seen_cap) {
        if (seen[j] == tid)
            return 0;
        if (!seen[j]) {
            seen[j] = tid;
            seen_n++;
            return 1;
        }
    }
}

static void seen_free(void)
{
    free(seen);
    seen = NULL;
    seen_cap = seen_n = 0;
}

/* Seizes every thread listed in /proc/PID/task that is not yet ours;
 * returns how many were new, or -1 (error set). */
static int seize_new(struct tg__target *t, long pid, int *refused_err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long tid = strtol(e->d_name, NULL, 10);
        int fresh = tid > 0 ? seen_add(tid) : 0;
        if (fresh < 0) {
            *refused_err = ENOMEM;
            break;
        }
        if (!fresh)
            continue;
        if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) != 0) {
            if (errno == ESRCH || (errno == EPERM && task_state(pid, tid) == 'Z'))
                continue; /* it exited meanwhile, or is an exited main thread */
            *refused_err = errno;
            break;
        }
        if (add_thread(t, tid) != 0) {
            ptrace(PTRACE_DETACH, (pid_t)tid, NULL, NULL);
            *refused_err = ENOMEM;
            break;
        }
        t->threads[t->n_threads - 1].seized = 1;
        ptrace(PTRACE_INTERRUPT, (pid_t)tid, NULL, NULL);
        added++;
    }
    closedir(d);
    return added;
}

static int by_tid(const void *a, const void *b)
{
    long x = ((const struct tg__tthread *)a)->tid, y = ((const struct tg__tthread *)b)->tid;
    return (x > y) - (x < y);
}

/* Collects the stop of every seized thread, in whatever order they come:
 * waiting for one given thread could wait for ever (a killed group leader
 * is reported only after its other threads were). A thread that exits is
 * dropped; one that does not stop within the deadline (uninterruptible
 * sleep) is counted in t->unstopped and detached automatically when
 * tangle exits. */
static void wait_all_stopped(struct tg__target *t)
{
    qsort(t->threads, (size_t)t->n_threads, sizeof *t->threads, by_tid);
    int pending = 0;
    for (int i = 0; i < t->n_threads; i++)
        pending += t->threads[i].seized;
    double deadline = tg__now_ms() + 3000 + 0.2 * t->n_threads;
    /* Round robin with WNOHANG, one thread id at a time: waitpid(-1)
     * would scan every tracee on each call (quadratic at 10,000). */
    while (pending > 0) {
        int progress = 0;
        for (int i = 0; i < t->n_threads; i++) {
            struct tg__tthread *th = &t->threads[i];
            if (th->stopped || !th->seized)
                continue;
            int st;
            pid_t r = waitpid((pid_t)th->tid, &st, __WALL | WNOHANG);
            if (r == 0)
                continue;
            progress = 1;
            if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
                if (r < 0 && errno == EINTR)
                    continue;
                th->seized = 0;
                pending--;
            } else if (WIFSTOPPED(st)) {
                /* The interrupt (or a group-stop) is PTRACE_EVENT_STOP;
                 * anything else is a signal being delivered, kept for the
                 * detach (the interrupt still pending is dropped by it). */
                if ((st >> 16) != PTRACE_EVENT_STOP)
                    th->stop_sig = WSTOPSIG(st);
                th->stopped = 1;
                pending--;
            }
        }
        if (!progress) {
            if (tg__now_ms() > deadline)
                break;
            usleep(500);
        }
    }
    for (int i = 0; i < t->n_threads; i++)
        if (t->threads[i].seized && !t->threads[i].stopped)
            t->unstopped++;
}

#if defined(__x86_64__)
static int read_regs(struct tg__tthread *th, int *bits)
{
    struct user_regs_struct *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    struct iovec iov = {r, sizeof *r};
    if (ptrace(PTRACE_GETREGSET, (pid_t)th->tid, (void *)NT_PRSTATUS, &iov) != 0) {
        free(r);
        return -1;
    }
    if (iov.iov_len != sizeof *r) {
        *bits = 32;
        free(r);
        return -1;
    }
    tg__thread_set_regs(th, r);
    return 0;
}
#endif

/* 64 or 32 from /proc/PID/exe's ELF header; 0 when unreadable. */
static int exe_bits(long pid)
{
    char path[64];
    unsigned char h[EI_NIDENT];
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, h, sizeof h);
    close(fd);
    if (r != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG))
        return 0;
    return h[EI_CLASS] == ELFCLASS32 ? 32 : 64;
}

void tg__ptrace_release(struct tg__target *t)
{
    for (int i = 0; i < t->n_threads; i++) {
        struct tg__tthread *th = &t->threads[i];
        if (th->seized)
            ptrace(PTRACE_DETACH, (pid_t)th->tid, NULL, (void *)(long)th->stop_sig);
        th->seized = 0;
    }
    if (t->stopped_ms < 0)
        t->stopped_ms += tg__now_ms();
    /* Names are read once the process runs again: they only label. */
    for (int i = 0; i < t->n_threads; i++)
        read_comm(t->pid, t->threads[i].tid, t->threads[i].name, sizeof t->threads[i].name);
}

static int process_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int tg__ptrace_stop(struct tg__target *t, long pid)
{
    t->pid = pid;
    t->mem_fd = -1;
    if (!process_alive(pid)) {
        snprintf(t->error, sizeof t->error, "there is no process with PID %ld.", pid);
        t->error_status = TG_ATTACH_EXIT_USAGE;
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    ssize_t n = readlink(path, t->exe, sizeof t->exe - 1);
    t->exe[n > 0 ? n : 0] = '\0';
    t->bits = exe_bits(pid);
#if !defined(__x86_64__)
    snprintf(t->error, sizeof t->error, "tangle attach reads x86_64 processes only for now.");
    t->error_status = TG_ATTACH_EXIT_UNREADABLE;
    return -1;
#else
    if (t->bits == 32) {
        snprintf(t->error, sizeof t->error,
                 "process %ld runs a 32-bit program (%.200s); tangle attach reads 64-bit processes "
                 "only. gdb can show its stacks: gdb -p %ld -batch -ex 'thread apply all bt'.",
                 pid, t->exe, pid);
        t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        return -1;
    }
    t->stopped_ms = -tg__now_ms();
    int err = 0;
    while (seize_new(t, pid, &err) > 0 && !err)
        ;
    seen_free();
    if (err || t->n_threads == 0) {
        tg__ptrace_release(t);
        if (!process_alive(pid)) {
            snprintf(t->error, sizeof t->error, "process %ld exited before tangle could read it.", pid);
            t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        } else {
            explain_refusal(t, pid, err ? err : EPERM);
        }
        return -1;
    }
    int times = getenv("TANGLE_ATTACH_TIMES") != NULL;
    if (times)
        fprintf(stderr, "tangle: seized %d threads in %.1f ms\n", t->n_threads, t->stopped_ms + tg__now_ms());
    wait_all_stopped(t);
    if (times)
        fprintf(stderr, "tangle: all stopped after %.1f ms\n", t->stopped_ms + tg__now_ms());
    const char *pause_ms = getenv("TANGLE_TEST_ATTACH_PAUSE_MS");
    if (pause_ms) /* tests kill the target here, to see a process vanish mid-read */
        usleep((useconds_t)atoi(pause_ms) * 1000);
    int live = 0;
    for (int i = 0; i < t->n_threads; i++) {
        struct tg__tthread *th = &t->threads[i];
        if (!th->stopped)
            continue;
        if (read_regs(th, &t->bits) != 0) {
            if (t->bits == 32)
                break;
            continue; /* gone; the detach below is harmless */
        }
        live++;
    }
    if (times)
        fprintf(stderr, "tangle: registers read after %.1f ms\n", t->stopped_ms + tg__now_ms());
    snprintf(path, sizeof path, "/proc/%ld/mem", pid);
    t->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (live == 0 || t->mem_fd < 0 || !process_alive(pid) || t->bits == 32) {
        tg__ptrace_release(t);
        t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        if (t->bits == 32)
            snprintf(t->error, sizeof t->error,
                     "process %ld is a 32-bit process; tangle attach reads 64-bit processes only.", pid);
        else
            snprintf(t->error, sizeof t->error,
                     "process %ld exited while tangle was reading it; nothing was reported.", pid);
        return -1;
    }
    /* Threads that vanished are dropped from the list. */
    int k = 0;
    for (int i = 0; i < t->n_threads; i++) {
        if (t->threads[i].raw_regs)
            t->threads[k++] = t->threads[i];
        else if (t->threads[i].seized)
            ptrace(PTRACE_DETACH, (pid_t)t->threads[i].tid, NULL, (void *)(long)t->threads[i].stop_sig);
    }
    t->n_threads = k;
    qsort(t->threads, (size_t)t->n_threads, sizeof *t->threads, by_tid);
    return 0;
#endif
}
