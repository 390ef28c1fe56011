/* SPDX-License-Identifier: MIT */
/* unseen.c: what may wake a process that looks stalled without tangle
 * seeing it: threads tangle never saw being created (glibc's own helper
 * threads, raw clone), and signal handlers, which may post a
 * semaphore (sem_post is async-signal-safe). Asked only when a stall is
 * about to be declared, with the engine lock held: system calls only, no
 * allocation. */
#define _GNU_SOURCE
#include "core/internal.h"
#include "core/procstat.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int tg__os_threads_known;
_Atomic long tg__watchdog_tid;

/* 1 if the kernel's thread `tid` of this process is a zombie or dead (a
 * main thread that called pthread_exit stays listed as one). */
static int thread_gone(long tid)
{
    char st = tg__proc_thread_state(tid);
    return st == 0 || st == 'Z' || st == 'X';
}

static int known_tid(long tid)
{
    if (tid == gettid() || tid == __atomic_load_n(&tg__watchdog_tid, __ATOMIC_RELAXED))
        return 1;
    for (int i = 0; i < tg__actor_slots; i++) {
        const struct tg_actor *a = tg__actors[i];
        if (a && a->tid == tid && a->kind == TG_ACTOR_THREAD &&
            __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED)
            return 1;
    }
    return 0;
}

struct dirent64_raw {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

int tg__threads_unseen(void)
{
    if (!tg__os_threads_known)
        return 0;
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* no /proc: count on the threads we know */
    char buf[4096] __attribute__((aligned(8)));
    int unseen = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n && !unseen;) {
            const struct dirent64_raw *d = (const void *)(buf + off);
            off += d->reclen;
            if (d->name[0] < '0' || d->name[0] > '9')
                continue;
            long tid = 0;
            for (const char *c = d->name; *c >= '0' && *c <= '9'; c++)
                tid = tid * 10 + (*c - '0');
            if (!known_tid(tid) && !thread_gone(tid))
                unseen = 1;
        }
        if (unseen)
            break;
    }
    close(fd);
    return unseen;
}

/* tangle's own handlers live in its own image, between its ELF header
 * and its end (both defined by the linker for every image). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

uintptr_t (*tg__program_handler_hook)(int sig);

int tg__signal_may_post(void)
{
    int rtmin = SIGRTMIN;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig >= 32 && sig < rtmin)
            continue; /* glibc's own (thread cancellation, setxid) */
        switch (sig) {
        case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
        case SIGABRT: case SIGPIPE: case SIGKILL: case SIGSTOP:
            continue; /* raised by the thread's own fault, or no handler possible */
        default:
            break;
        }
        struct sigaction sa;
        if (syscall(SYS_rt_sigaction, sig, NULL, &sa, (size_t)(NSIG / 8)) != 0)
            continue;
        uintptr_t h = (uintptr_t)sa.sa_handler;
        if (h == (uintptr_t)SIG_DFL || h == (uintptr_t)SIG_IGN)
            continue;
        if (h >= (uintptr_t)__ehdr_start && h < (uintptr_t)_end && tg__program_handler_hook)
            h = tg__program_handler_hook(sig); /* a private signal: the program's handler */
        if (h == (uintptr_t)SIG_DFL || h == (uintptr_t)SIG_IGN ||
            (h >= (uintptr_t)__ehdr_start && h < (uintptr_t)_end))
            continue;
        return 1;
    }
    return 0;
}
