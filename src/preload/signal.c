/* SPDX-License-Identifier: MIT */
/* signal.c: tangle's private signals, kept out of the program's way.
 *
 * tangle asks a stuck thread for its stack with a real-time signal. The
 * program may use the same signal, set it to its default action (which
 * terminates), or ignore it, at any moment and from any thread. So once
 * tangle owns a signal, its dispatcher stays installed in the kernel for
 * good, and what the program sets is kept here instead, as the program's
 * disposition:
 *  - sigaction, signal (bsd_signal, ssignal), sysv_signal, sigset,
 *    sigignore and siginterrupt read and write the program's disposition,
 *    and answer with it, as the kernel would have;
 *  - tangle's requests are sent with sigqueue and a value no program
 *    sends; the dispatcher runs tangle's handler for them and nothing else;
 *  - any other instance of the signal (raise, kill, sigqueue, a timer) is
 *    the program's: the dispatcher applies the program's disposition
 *    (its handler with its mask and flags, nothing if ignored, and the
 *    default action, which ends the process, if default);
 *  - while the program ignores the signal, the kernel ignores it too
 *    (tangle's requests are then lost, which costs only a stack), so that
 *    an exec keeps it ignored;
 *  - sigwait, sigwaitinfo and sigtimedwait never return one of tangle's
 *    requests, and a request is never sent to a thread that blocks the
 *    signal (its mask in /proc), where it would stay pending.
 * What is not covered: the raw rt_sigaction system call, and a signalfd
 * read of a request sent just before its thread blocked the signal. */
#include "preload/preload.h"
#include "core/lock.h"
#include "core/procstat.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value tangle's requests carry ("tangle!"); a fixed value, so that
 * a request still pending across an exec is known in the new image. */
#define REQUEST_VALUE ((void *)(uintptr_t)0x21656c676e6174ULL)

struct private_signal {
    int sig;                                   /* 0: slot free */
    void (*fn)(int, siginfo_t *, void *);      /* tangle's handler for its requests */
    unsigned seq;                              /* even: prog is stable (a seqlock) */
    struct sigaction prog;                     /* the program's disposition */
    int interrupt;                             /* siginterrupt(sig, 1) was called */
};

#define MAX_PRIVATE 2
static struct private_signal privs[MAX_PRIVATE];
static tg_lock_t privs_lock = TG_LOCK_INIT; /* writers, with every signal blocked */
static int added_flags;                     /* flags the C library adds (SA_RESTORER) */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigwaitinfo_fn)(const sigset_t *, siginfo_t *);
typedef int (*sigtimedwait_fn)(const sigset_t *, siginfo_t *, const struct timespec *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* The next definition of name after this library's, resolved once. */
static void *next_fn(void **cache, const char *name)
{
    void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        __atomic_store_n(cache, f, __ATOMIC_RELEASE);
    }
    return f;
}
#define NEXT_FN(type, name)                                                       \
    ({                                                                           \
        static void *cache_;                                                     \
        (type) next_fn(&cache_, name);                                           \
    })

/* Resolved by tg__private_signal_install, before any handler needs it. */
static sigaction_fn sigaction_next(void)
{
    return NEXT_FN(sigaction_fn, "sigaction");
}

static struct private_signal *slot_of(int sig)
{
    for (int i = 0; i < MAX_PRIVATE; i++)
        if (sig > 0 && __atomic_load_n(&privs[i].sig, __ATOMIC_ACQUIRE) == sig)
            return &privs[i];
    return NULL;
}

/* Writers block every signal first: a handler on the same thread cannot
 * then wait for a lock its own thread holds. */
static void write_begin(sigset_t *saved)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, saved);
    tg__lock_take(&privs_lock);
}

static void write_end(const sigset_t *saved)
{
    tg__lock_give(&privs_lock);
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* A consistent copy of the program's disposition; safe in a handler. */
static void read_prog(struct private_signal *p, struct sigaction *out)
{
    for (;;) {
        unsigned s = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
        if (s & 1) {
            tg__cpu_relax();
            continue;
        }
        memcpy(out, &p->prog, sizeof *out);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&p->seq, __ATOMIC_RELAXED) == s)
            return;
    }
}

static void dispatch(int sig, siginfo_t *info, void *uc);

/* What the kernel must hold for the program's disposition prog: tangle's
 * dispatcher, or SIG_IGN while the program ignores the signal. Lock held. */
static int install_kernel(const struct private_signal *p, const struct sigaction *prog)
{
    struct sigaction k;
    memset(&k, 0, sizeof k);
    sigemptyset(&k.sa_mask);
    if (prog->sa_handler == SIG_IGN) {
        k.sa_handler = SIG_IGN;
    } else {
        k.sa_sigaction = dispatch;
        k.sa_flags = SA_SIGINFO | SA_RESTART | (prog->sa_flags & SA_ONSTACK);
    }
    return sigaction_next()(p->sig, &k, NULL);
}

/* Sets the program's disposition (lock held) as the kernel keeps what the
 * C library's sigaction gives it (with the flags the library adds, if
 * `as_set`). */
static void set_prog(struct private_signal *p, const struct sigaction *act, int as_set)
{
    struct sigaction v = *act;
    sigdelset(&v.sa_mask, SIGKILL);
    sigdelset(&v.sa_mask, SIGSTOP);
    if (as_set)
        v.sa_flags |= added_flags;
    __atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    p->prog = v;
    __atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELEASE);
}

int tg__private_signal_install(int sig, void (*fn)(int, siginfo_t *, void *))
{
    if (slot_of(sig))
        return 0;
    if (!sigaction_next())
        return -1;
    sigset_t saved;
    int rc = -1;
    write_begin(&saved);
    struct private_signal *p = NULL;
    for (int i = 0; i < MAX_PRIVATE && !p; i++)
        if (!privs[i].sig)
            p = &privs[i];
    struct sigaction cur, probe;
    if (p && sigaction_next()(sig, NULL, &cur) == 0) {
        /* The program's disposition so far (inherited, or set before
         * tangle took the signal) is known before the dispatcher can run. */
        p->fn = fn;
        set_prog(p, &cur, 0);
        __atomic_store_n(&p->sig, sig, __ATOMIC_RELEASE);
        if (install_kernel(p, &cur) == 0) {
            if (!added_flags && cur.sa_handler != SIG_IGN &&
                sigaction_next()(sig, NULL, &probe) == 0)
                added_flags = probe.sa_flags & ~(SA_SIGINFO | SA_RESTART | SA_ONSTACK);
            rc = 0;
        } else {
            __atomic_store_n(&p->sig, 0, __ATOMIC_RELEASE);
        }
    }
    write_end(&saved);
    return rc;
}

void tg__private_signal_after_fork(void)
{
    privs_lock.state = 0; /* a thread that held it lives on in the parent only */
    for (int i = 0; i < MAX_PRIVATE; i++)
        privs[i].seq += privs[i].seq & 1;
}

int tg__private_signal_is_request(const siginfo_t *info)
{
    return info && info->si_code == SI_QUEUE && info->si_value.sival_ptr == REQUEST_VALUE;
}

uintptr_t tg__private_signal_program_handler(int sig)
{
    struct private_signal *p = slot_of(sig);
    if (!p)
        return (uintptr_t)SIG_DFL;
    struct sigaction v;
    read_prog(p, &v);
    return (uintptr_t)v.sa_handler;
}

/* Whether thread tid blocks sig, from /proc/self/task/TID/status; 1 when
 * that cannot be read (a request would then be sent blind). */
static int blocks(long tid, int sig)
{
    char buf[2048];
    if (tg__proc_task_read(0, tid, "status", buf, sizeof buf) < 0)
        return 1;
    const char *s = strstr(buf, "\nSigBlk:");
    if (!s)
        return 1;
    unsigned long long mask = strtoull(s + 8, NULL, 16);
    return sig - 1 < 64 ? (int)((mask >> (sig - 1)) & 1) : 1;
}

int tg__private_signal_send(pthread_t t, long tid, int sig)
{
    struct private_signal *p = slot_of(sig);
    if (!p || tg__private_signal_program_handler(sig) == (uintptr_t)SIG_IGN)
        return -1; /* the kernel ignores it */
    if (tid <= 0 || blocks(tid, sig))
        return -1; /* it would stay pending, perhaps for the program's sigwait */
    return pthread_sigqueue(t, sig, (union sigval){.sival_ptr = REQUEST_VALUE}) == 0 ? 0 : -1;
}

/* The program's instance of the signal, handled as its disposition says. */
static void forward(struct private_signal *p, int sig, siginfo_t *info, void *uc)
{
    struct sigaction v;
    read_prog(p, &v);
    if (v.sa_handler == SIG_IGN)
        return;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    if (v.sa_handler == SIG_DFL) {
        /* A real-time signal's default action ends the process: let the
         * kernel take it, as it would have without tangle. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction_next()(sig, &dfl, NULL);
        raise(sig);
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
        return; /* not reached */
    }
    if (v.sa_flags & SA_RESETHAND) {
        sigset_t saved;
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        write_begin(&saved);
        set_prog(p, &dfl, 1);
        install_kernel(p, &dfl); /* its SA_ONSTACK goes */
        write_end(&saved);
    }
    /* The mask the kernel would have set: the handler's, and the signal
     * itself unless SA_NODEFER. The return from this handler restores the
     * interrupted code's mask. */
    pthread_sigmask(SIG_BLOCK, &v.sa_mask, NULL);
    if (v.sa_flags & SA_NODEFER)
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    if (v.sa_flags & SA_SIGINFO)
        v.sa_sigaction(sig, info, uc);
    else
        v.sa_handler(sig);
}

static void dispatch(int sig, siginfo_t *info, void *uc)
{
    struct private_signal *p = slot_of(sig);
    if (!p)
        return;
    if (tg__private_signal_is_request(info)) {
        int saved = errno;
        p->fn(sig, info, uc);
        errno = saved;
        return;
    }
    forward(p, sig, info, uc);
}

/* ---- the program's calls ---------------------------------------------------- */

/* sigaction on a private signal: old gets the program's disposition, act
 * (if any) becomes it. */
static int private_sigaction(struct private_signal *p, const struct sigaction *act,
                             struct sigaction *old)
{
    sigset_t saved;
    int rc = 0;
    write_begin(&saved);
    struct sigaction prev = p->prog;
    if (act) {
        rc = install_kernel(p, act);
        if (rc == 0)
            set_prog(p, act, 1);
    }
    write_end(&saved);
    if (rc == 0 && old)
        *old = prev;
    return rc;
}

static int any_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct private_signal *p = slot_of(sig);
    if (p)
        return private_sigaction(p, act, old);
    sigaction_fn next = sigaction_next();
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(sig, act, old);
}

TG_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return any_sigaction(sig, act, old);
}

TG_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return any_sigaction(sig, act, old);
}

/* A handler set the way signal()/sysv_signal() set it. */
static sighandler_t set_handler(struct private_signal *p, sighandler_t h, int flags, int self_masked)
{
    if (h == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    if (self_masked)
        sigaddset(&act.sa_mask, p->sig);
    if (private_sigaction(p, &act, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

/* signal() and its relatives: BSD semantics (restarting, handler kept) or
 * System V (reset to default on delivery, not blocked while it runs). */
static sighandler_t signal_style(int sig, sighandler_t h, const char *name, int sysv)
{
    struct private_signal *p = slot_of(sig);
    if (p)
        return sysv ? set_handler(p, h, SA_RESETHAND | SA_NODEFER, 0)
                    : set_handler(p, h, p->interrupt ? 0 : SA_RESTART, 1);
    signal_fn next = NEXT_FN(signal_fn, name);
    return next ? next(sig, h) : SIG_ERR;
}

TG_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    return signal_style(sig, h, "signal", 0);
}

TG_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
    return signal_style(sig, h, "bsd_signal", 0);
}

TG_EXPORT sighandler_t ssignal(int sig, sighandler_t h)
{
    return signal_style(sig, h, "ssignal", 0);
}

TG_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    return signal_style(sig, h, "sysv_signal", 1);
}

TG_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h)
{
    return signal_style(sig, h, "__sysv_signal", 1);
}

/* sigset (System V): SIG_HOLD blocks the signal; any other disposition is
 * set and unblocks it. Answers SIG_HOLD if the signal was blocked. */
TG_EXPORT sighandler_t sigset(int sig, sighandler_t h)
{
    struct private_signal *p = slot_of(sig);
    if (!p) {
        signal_fn next = NEXT_FN(signal_fn, "sigset");
        return next ? next(sig, h) : SIG_ERR;
    }
    sigset_t one, was;
    sigemptyset(&one);
    sigaddset(&one, sig);
    struct sigaction old;
    if (h == SIG_HOLD) {
        if (private_sigaction(p, NULL, &old) != 0 || sigprocmask(SIG_BLOCK, &one, &was) != 0)
            return SIG_ERR;
        return sigismember(&was, sig) ? SIG_HOLD : old.sa_handler;
    }
    sighandler_t prev = set_handler(p, h, 0, 0);
    if (prev == SIG_ERR || sigprocmask(SIG_UNBLOCK, &one, &was) != 0)
        return SIG_ERR;
    return sigismember(&was, sig) ? SIG_HOLD : prev;
}

TG_EXPORT int sigignore(int sig)
{
    struct private_signal *p = slot_of(sig);
    if (!p) {
        int (*next)(int) = NEXT_FN(int (*)(int), "sigignore");
        return next ? next(sig) : -1;
    }
    return set_handler(p, SIG_IGN, 0, 0) == SIG_ERR ? -1 : 0;
}

TG_EXPORT int siginterrupt(int sig, int flag)
{
    struct private_signal *p = slot_of(sig);
    if (!p) {
        int (*next)(int, int) = NEXT_FN(int (*)(int, int), "siginterrupt");
        return next ? next(sig, flag) : -1;
    }
    sigset_t saved;
    struct sigaction v;
    write_begin(&saved);
    p->interrupt = flag != 0;
    v = p->prog;
    v.sa_flags = flag ? v.sa_flags & ~SA_RESTART : v.sa_flags | SA_RESTART;
    set_prog(p, &v, 0);
    write_end(&saved);
    return 0;
}

/* ---- waits for a signal: never one of tangle's requests ---------------------- */

static int has_private(const sigset_t *set)
{
    for (int i = 0; i < MAX_PRIVATE; i++) {
        int sig = __atomic_load_n(&privs[i].sig, __ATOMIC_ACQUIRE);
        if (sig && sigismember(set, sig) == 1)
            return 1;
    }
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

TG_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    sigtimedwait_fn next = NEXT_FN(sigtimedwait_fn, "sigtimedwait");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    if (!has_private(set))
        return next(set, info, timeout);
    int64_t end = timeout ? now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec : 0;
    for (;;) {
        siginfo_t got;
        struct timespec left, *lp = NULL;
        if (timeout) {
            int64_t l = end - now_ns();
            if (l < 0)
                l = 0;
            left.tv_sec = l / 1000000000;
            left.tv_nsec = l % 1000000000;
            lp = &left;
        }
        int sig = next(set, &got, lp);
        if (sig > 0 && slot_of(sig) && tg__private_signal_is_request(&got))
            continue; /* tangle's own request, pending from a moment it was blocked */
        if (sig > 0 && info)
            *info = got;
        return sig;
    }
}

TG_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    if (has_private(set))
        return sigtimedwait(set, info, NULL);
    sigwaitinfo_fn next = NEXT_FN(sigwaitinfo_fn, "sigwaitinfo");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(set, info);
}

TG_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    if (!has_private(set)) {
        int (*next)(const sigset_t *, int *) = NEXT_FN(int (*)(const sigset_t *, int *), "sigwait");
        return next ? next(set, sig) : ENOSYS;
    }
    for (;;) { /* sigwait itself never fails with EINTR */
        int got = sigtimedwait(set, NULL, NULL);
        if (got > 0) {
            *sig = got;
            return 0;
        }
        if (errno != EINTR)
            return errno;
    }
}
