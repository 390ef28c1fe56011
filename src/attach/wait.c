/* SPDX-License-Identifier: MIT */
/* wait.c: what each stopped thread is blocked in.
 *
 * The registers say which system call a thread sleeps in (a blocked call
 * interrupted by our stop returns -ERESTART*, or -EINTR) and its
 * arguments: for a futex, the address of the word it sleeps on and
 * whether it has a timeout. The stack says which libc entry point it came
 * from (the first frame, from the inside, that is pthread_mutex_lock,
 * pthread_join, sem_wait, ...), which tells what that word belongs to.
 * glibc's fields of that object, read from the target, name the owner. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "attach/attach.h"

#define ERESTARTSYS_ 512
#define ERESTARTNOINTR_ 513
#define ERESTARTNOHAND_ 514
#define ERESTART_RESTARTBLOCK_ 516

#define FUTEX_CMD_MASK_ 0x7f
#define FUTEX_TID_MASK_ 0x3fffffff

/* The libc entry points that block, by what they wait on. Names are
 * compared after leading underscores, so __pthread_mutex_lock_full counts. */
static const struct {
    const char *prefix;
    enum tg__wait_kind kind;
    int write;
} apis[] = {
    {"pthread_mutex_lock", TG_W_MUTEX, 1},
    {"pthread_mutex_timedlock", TG_W_MUTEX, 1},
    {"pthread_mutex_clocklock", TG_W_MUTEX, 1},
    {"pthread_mutex_cond_lock", TG_W_MUTEX, 1},
    {"pthread_rwlock_wrlock", TG_W_RWLOCK, 1},
    {"pthread_rwlock_timedwrlock", TG_W_RWLOCK, 1},
    {"pthread_rwlock_clockwrlock", TG_W_RWLOCK, 1},
    {"pthread_rwlock_rdlock", TG_W_RWLOCK, 0},
    {"pthread_rwlock_timedrdlock", TG_W_RWLOCK, 0},
    {"pthread_rwlock_clockrdlock", TG_W_RWLOCK, 0},
    {"pthread_join", TG_W_JOIN, 0},
    {"pthread_timedjoin", TG_W_JOIN, 0},
    {"pthread_clockjoin", TG_W_JOIN, 0},
    {"pthread_cond_wait", TG_W_COND, 0},
    {"pthread_cond_timedwait", TG_W_COND, 0},
    {"pthread_cond_clockwait", TG_W_COND, 0},
    {"sem_wait", TG_W_SEM, 0},
    {"sem_timedwait", TG_W_SEM, 0},
    {"sem_clockwait", TG_W_SEM, 0},
    {"new_sem_wait", TG_W_SEM, 0},
    {"pthread_barrier_wait", TG_W_BARRIER, 0},
};

static int api_of(const char *fn, int *write)
{
    if (!fn)
        return -1;
    while (*fn == '_')
        fn++;
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++) {
        size_t n = strlen(apis[i].prefix);
        if (!strncmp(fn, apis[i].prefix, n) && (fn[n] == '\0' || fn[n] == '_' || fn[n] == '@' ||
                                                 (fn[n] >= '0' && fn[n] <= '9'))) {
            *write = apis[i].write;
            return (int)i;
        }
    }
    return -1;
}

static int interrupted(long ret)
{
    return ret == -ERESTARTSYS_ || ret == -ERESTARTNOINTR_ || ret == -ERESTARTNOHAND_ ||
           ret == -ERESTART_RESTARTBLOCK_ || ret == -EINTR;
}

/* A blocking call stopped before is resumed by the kernel as
 * restart_syscall, and only blocking calls with a timeout are: the call
 * is then told by the libc wrapper it sleeps in (frame 0); the argument
 * registers still hold its arguments. */
static long restarted_call(struct tg__target *t, const struct tg__tthread *th)
{
    static const struct { const char *name; long nr; } wrappers[] = {
        {"poll", SYS_poll}, {"ppoll", SYS_ppoll}, {"select", SYS_select},
        {"pselect", SYS_pselect6}, {"epoll_wait", SYS_epoll_wait}, {"epoll_pwait", SYS_epoll_pwait},
        {"clock_nanosleep", SYS_clock_nanosleep}, {"nanosleep", SYS_nanosleep},
        {"futex", SYS_futex}, {"lll_lock_wait", SYS_futex}, {"pthread_", SYS_futex},
        {"sem_", SYS_futex},
    };
    const char *fn = th->n_pcs ? tg__function_at(t, th->pcs[0], 1) : NULL;
    if (!fn)
        return -1;
    while (*fn == '_')
        fn++;
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (!strncmp(fn, wrappers[i].name, strlen(wrappers[i].name)))
            return wrappers[i].nr;
    return -1;
}

/* System calls that wait for the world outside (or for time). */
static void classify_syscall(struct tg__tthread *th)
{
    struct tg__wait_info *w = &th->wait;
    const uint64_t *a = th->regs.arg;
    w->kind = TG_W_IO;
    switch (th->regs.syscall) {
    case SYS_read: w->syscall = "read"; break;
    case SYS_readv: w->syscall = "readv"; break;
    case SYS_write: w->syscall = "write"; break;
    case SYS_recvfrom: w->syscall = "recvfrom"; break;
    case SYS_recvmsg: w->syscall = "recvmsg"; break;
    case SYS_accept: w->syscall = "accept"; break;
    case SYS_accept4: w->syscall = "accept4"; break;
    case SYS_connect: w->syscall = "connect"; break;
    case SYS_wait4: w->syscall = "wait4"; break;
    case SYS_waitid: w->syscall = "waitid"; break;
    case SYS_flock: w->syscall = "flock"; break;
    case SYS_fcntl: w->syscall = "fcntl"; break;
    case SYS_msgrcv: w->syscall = "msgrcv"; break;
    case SYS_poll: w->syscall = "poll"; w->timed = (int)a[2] >= 0; break;
    case SYS_ppoll: w->syscall = "ppoll"; w->timed = a[2] != 0; break;
    case SYS_select: w->syscall = "select"; w->timed = a[4] != 0; break;
    case SYS_pselect6: w->syscall = "pselect6"; w->timed = a[4] != 0; break;
    case SYS_epoll_wait: w->syscall = "epoll_wait"; w->timed = (int)a[3] >= 0; break;
    case SYS_epoll_pwait: w->syscall = "epoll_pwait"; w->timed = (int)a[3] >= 0; break;
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2: w->syscall = "epoll_pwait2"; w->timed = a[3] != 0; break;
#endif
    case SYS_nanosleep: w->syscall = "nanosleep"; w->kind = TG_W_SLEEP; w->timed = 1; break;
    case SYS_clock_nanosleep: w->syscall = "clock_nanosleep"; w->kind = TG_W_SLEEP; w->timed = 1; break;
    case SYS_pause: w->syscall = "pause"; w->kind = TG_W_SLEEP; break;
    case SYS_rt_sigsuspend: w->syscall = "sigsuspend"; w->kind = TG_W_SLEEP; break;
    case SYS_rt_sigtimedwait: w->syscall = "sigtimedwait"; w->kind = TG_W_SLEEP; w->timed = a[2] != 0; break;
    default: w->syscall = NULL; w->kind = TG_W_SYSCALL; break;
    }
}

static int read_int(struct tg__target *t, uintptr_t addr, int *v)
{
    return tg__target_read(t, addr, v, sizeof *v);
}

/* An rwlock waiter sleeps on one of three words: __writers_futex or
 * __wrphase_futex (their expected values carry FUTEX_USED), or, a reader
 * of a writer-preferring rwlock that a writer is queued on, __readers
 * itself (with RWAITING set). Of the candidate bases the one whose shape
 * fits (__shared 0/1, __flags 0..2, padding zero), preferring one a symbol
 * names exactly. */
static uintptr_t rwlock_base(struct tg__target *t, const struct tg__glibc *g, uintptr_t futex,
                             unsigned expected)
{
    int on_readers = !(expected & TG__RW_FUTEX_USED) && (expected & TG__RW_RWAITING);
    uintptr_t cand[2] = {futex - (uintptr_t)g->rw_writers_futex, futex - (uintptr_t)g->rw_wrphase_futex};
    if (on_readers)
        cand[0] = futex - (uintptr_t)g->rw_readers;
    int fits[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        int w[14];
        if (tg__target_read(t, cand[i], w, sizeof w) != 0)
            continue;
        int flags = w[g->rw_flags / 4], shared = w[7];
        fits[i] = flags >= 0 && flags <= 2 && (shared == 0 || shared == 1) && w[4] == 0 && w[5] == 0;
        char *name = tg__data_name(t, cand[i]);
        if (name && !strchr(name, '+')) {
            free(name);
            return cand[i];
        }
        free(name);
    }
    return fits[0] || !fits[1] ? cand[0] : cand[1];
}

/* A condition's futex is one of its two __g_signals words. */
static uintptr_t cond_base(struct tg__target *t, const struct tg__glibc *g, uintptr_t futex)
{
    uintptr_t cand[2] = {futex - (uintptr_t)g->cond_g_signals, futex - (uintptr_t)g->cond_g_signals - 4};
    for (int i = 0; i < 2; i++) {
        char *name = tg__data_name(t, cand[i]);
        if (name && !strchr(name, '+')) {
            free(name);
            return cand[i];
        }
        free(name);
    }
    for (int i = 0; i < 2; i++) {
        int wrefs;
        if (read_int(t, cand[i] + (uintptr_t)g->cond_wrefs, &wrefs) == 0 && ((unsigned)wrefs >> 3) > 0)
            return cand[i];
    }
    return cand[0];
}

/* glibc answers EDEADLK from FUTEX_LOCK_PI (the kernel saw the cycle) by
 * sleeping forever on a word of the thread's own stack. The mutex is then
 * no longer in any argument register; a callee-saved register of the lock
 * function's frame still points at it or into it (glibc 2.36 keeps
 * &mutex->__kind). A candidate counts only if it looks like a PI mutex
 * owned by another live thread of the process. Returns it, or 0. */
static uintptr_t parked_pi_mutex(struct tg__target *t, const struct tg__glibc *g,
                                 const struct tg__tthread *th)
{
    int last = th->wait.api_frame + 1;
    if (last >= TG__ATTACH_SAVED_FRAMES)
        last = TG__ATTACH_SAVED_FRAMES - 1;
    for (int f = 0; f <= last && f < th->n_pcs; f++)
        for (int k = 0; k < TG__ATTACH_SAVED_REGS * 4; k++) {
            const int into[4] = {0, g->mutex_kind, g->mutex_owner, g->mutex_count};
            uintptr_t m = (uintptr_t)th->saved[f][k / 4] - (uintptr_t)into[k % 4];
            int lock, kind;
            if (m < 4096 || (m & 3) || read_int(t, m, &lock) != 0 ||
                read_int(t, m + (uintptr_t)g->mutex_kind, &kind) != 0)
                continue;
            long owner = lock & FUTEX_TID_MASK_;
            if ((kind & 32) && (kind & ~0xff) == 0 && owner != th->tid &&
                tg__thread_index(t, owner) >= 0)
                return m;
        }
    return 0;
}

static void read_owner(struct tg__target *t, const struct tg__glibc *g, struct tg__tthread *th)
{
    struct tg__wait_info *w = &th->wait;
    uintptr_t futex = (uintptr_t)th->regs.arg[0];
    int v;
    switch (w->kind) {
    case TG_W_MUTEX: {
        /* A futex word on the thread's own stack is no mutex. */
        if (g->known && futex >= th->regs.sp && futex < th->regs.sp + 65536) {
            uintptr_t m = parked_pi_mutex(t, g, th);
            if (!m) {
                w->kind = TG_W_FUTEX;
                w->obj = futex;
                return;
            }
            w->parked = 1;
            futex = m;
        }
        w->obj = futex;
        int lock, owner = 0, kind = -1, count = 0;
        if (read_int(t, futex, &lock) != 0)
            return;
        if (g->known) {
            read_int(t, futex + (uintptr_t)g->mutex_owner, &owner);
            read_int(t, futex + (uintptr_t)g->mutex_kind, &kind);
            read_int(t, futex + (uintptr_t)g->mutex_count, &count);
            w->mutex_kind = kind & 0xff;
            w->count = count;
            /* Robust and PI mutexes keep the owner in the lock word too. */
            if (owner <= 0 && (kind & 0x30))
                owner = lock & FUTEX_TID_MASK_;
            w->owner = owner > 0 ? owner : 0;
        }
        break;
    }
    case TG_W_RWLOCK:
        if (!g->known) {
            w->obj = futex;
            return;
        }
        w->obj = rwlock_base(t, g, futex, (unsigned)th->regs.arg[2]);
        if (read_int(t, w->obj + (uintptr_t)g->rw_cur_writer, &v) == 0 && v > 0)
            w->owner = v;
        if (read_int(t, w->obj + (uintptr_t)g->rw_flags, &v) == 0)
            w->rw_flags = v;
        if (read_int(t, w->obj + (uintptr_t)g->rw_readers, &v) == 0) {
            w->rw_state = (unsigned)v;
            w->count = (int)((unsigned)v >> TG__RW_READER_SHIFT);
        }
        break;
    case TG_W_JOIN:
        /* The joiner sleeps on the joined thread's TID word. */
        w->obj = g->known ? futex - (uintptr_t)g->pthread_tid : 0;
        if (read_int(t, futex, &v) == 0 && v > 0)
            w->owner = v;
        break;
    case TG_W_COND:
        w->obj = g->known ? cond_base(t, g, futex) : futex;
        break;
    case TG_W_BARRIER:
        w->obj = g->known ? futex - (uintptr_t)g->barrier_round : futex;
        if (g->known && read_int(t, w->obj + (uintptr_t)g->barrier_count, &v) == 0)
            w->count = v;
        break;
    default:
        w->obj = futex;
        break;
    }
}

void tg__attach_classify(struct tg__target *t, const struct tg__glibc *g)
{
    for (int i = 0; i < t->n_threads; i++) {
        struct tg__tthread *th = &t->threads[i];
        struct tg__wait_info *w = &th->wait;
        memset(w, 0, sizeof *w);
        w->api_frame = -1;
        w->mutex_kind = -1;
        w->rw_flags = -1;
        if (th->regs.syscall < 0 || !interrupted(th->regs.ret)) {
            w->kind = TG_W_RUNNING;
            continue;
        }
        int restarted = th->regs.syscall == SYS_restart_syscall;
        if (restarted)
            th->regs.syscall = restarted_call(t, th);
        if (th->regs.syscall != SYS_futex) {
            classify_syscall(th);
            if (restarted)
                w->timed = 1;
            continue;
        }
        int op = (int)th->regs.arg[1] & FUTEX_CMD_MASK_;
        w->syscall = "futex";
        /* Without FUTEX_PRIVATE_FLAG the word is shared with other
         * processes, which can end the wait (not for a join: glibc waits on
         * the TID word as a shared futex because the kernel wakes it). */
        w->shared = !(th->regs.arg[1] & 128);
        (void)op; /* WAIT, WAIT_BITSET, LOCK_PI and LOCK_PI2 all take the timeout 4th */
        w->timed = restarted || th->regs.arg[3] != 0;
        w->kind = TG_W_FUTEX;
        for (int k = 0; k < th->n_pcs; k++) {
            int write = 0;
            int api = api_of(tg__function_at(t, th->pcs[k], k == 0), &write);
            if (api >= 0) {
                w->kind = apis[api].kind;
                w->write = write;
                w->api_frame = k;
                break;
            }
        }
        read_owner(t, g, th);
        if (w->kind == TG_W_JOIN)
            w->shared = 0;
    }
}
