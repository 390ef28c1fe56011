/* SPDX-License-Identifier: MIT */
/* thread.c: threads as actors: registration, create/join/detach, exit,
 * fork, the watchdog, and the library's constructor and destructor. */
#include "preload/preload.h"
#include "core/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <threads.h>
#include <ucontext.h>
#include <unistd.h>

__thread int tg__no_actor __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static _Atomic int setup_state; /* 0 not yet, 1 running, 2 done */
int tg__watchdog_started;

/* The watchdog starts with the first thread the program creates (or the
 * first published wait), not before: a second thread makes glibc use
 * atomic instructions in every lock, which a single-threaded program does
 * not pay. Until then mutex.c checks every hold for relocks itself
 * (tg__watchdog_running). */

/* The pthread_t of each actor is kept in its `user` field while it lives,
 * and the engine finds the actor of a handle in O(1) (a walk of every
 * thread before: a server with a thousand threads paid it per join). */
static struct tg_actor *actor_of(pthread_t t)
{
    return tg__actor_by_handle((void *)t);
}

/* Locks that live on the stack of a thread that ends go away with it. */
static void check_stack_locks(struct tg_actor *a)
{
    pthread_attr_t attr;
    void *lo;
    size_t size;
    if (a->n_held == 0 || pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0)
        tg__misuse_freed(a, (uintptr_t)lo, (uintptr_t)lo + size,
                         "released with the stack of its ending thread", 0);
    pthread_attr_destroy(&attr);
}

static void on_thread_exit(void *p)
{
    struct tg_actor *a = p;
    tg__sem_deferred_posts(a);
    check_stack_locks(a);
    tg__current = NULL;
    tg__no_actor = 1;
    tg__actor_exit(a, 1);
    if (a->joined) /* detached: nobody will join it */
        tg__actor_reap(a);
}

/* Whether a thread of the program still runs, as far as tangle knows: a
 * racy look at the actor table, only a hint for the check below. */
static int known_threads_alive(void)
{
    int n = __atomic_load_n(&tg__actor_slots, __ATOMIC_ACQUIRE);
    struct tg_actor **actors = __atomic_load_n(&tg__actors, __ATOMIC_ACQUIRE); /* after n: grows */
    for (int i = 0; i < n; i++) {
        struct tg_actor *a = __atomic_load_n(&actors[i], __ATOMIC_ACQUIRE);
        if (a && a->kind == TG_ACTOR_THREAD &&
            __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED)
            return 1;
    }
    return 0;
}

/* Whether the calling thread is the only live one in the process, by the
 * kernel's list (a leader that ended with pthread_exit stays there as a
 * zombie). Reads /proc with system calls only. */
static int alone_in_process(void)
{
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    pid_t me = gettid();
    int others = 0;
    char buf[4096];
    long n;
    while (!others && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n && !others;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            long tid = strtol(d->d_name, NULL, 10);
            if (tid <= 0 || tid == me)
                continue;
            char state = tg__proc_thread_state(tid);
            if (!state)
                continue; /* gone meanwhile */
            others = state != 'Z' && state != 'X';
        }
    }
    close(dir);
    return !others && n == 0;
}

static void *watchdog(void *arg)
{
    (void)arg;
    tg__no_actor = 1;
    __atomic_store_n(&tg__watchdog_tid, (long)gettid(), __ATOMIC_RELAXED);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct timespec ts = {tg__opt.watchdog_ms / 1000, (long)(tg__opt.watchdog_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        /* Nestings of threads that keep their locks (or are stuck) first:
         * a deadlock they predicted is reported before the one it became. */
        tg__lockorder_drain_all();
        if (tg__scan(0))
            tg__deadlock_policy();
        tg__thread_dump_poll();
        REC(tg__record_tick());
        /* The program's last thread ended with pthread_exit (main may):
         * without tangle the process would end now, with exit(0), as glibc
         * does for the last thread. The watchdog must not keep it alive. */
        if (!known_threads_alive() && alone_in_process())
            exit(0);
    }
    return NULL;
}

/* A thread stuck in a published mutex call is asked, by a signal, to record
 * its own stack (no thread can unwind another). The handler does so only
 * while the call it was asked about is still in progress: inside glibc's
 * lock, where it holds none of tangle's locks nor the loader's. The signal
 * is tangle's for good (signal.c): the program's own use of it goes on as
 * without tangle, and never sees a request. */
#define STACK_SIGNAL (SIGRTMAX - 7)

/* The instruction the signal interrupted, 0 if unknown. */
static uintptr_t interrupted_pc(const void *uc)
{
#if defined(__x86_64__)
    return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static void on_stack_signal(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    int saved = errno;
    struct tg_actor *a = tg__current;
    uint64_t seq = a ? __atomic_load_n(&a->pending_seq, __ATOMIC_RELAXED) : 0;
    if (a && a->pending_pcs && __atomic_load_n(&a->pending, __ATOMIC_ACQUIRE) && a->watch_stuck &&
        seq == a->watch_seq) {
        void *raw[64];
        int n = tg__backtrace(raw, 64), k = 0, from = -1;
        /* The stack starts at the caller of the lock, the program's frame;
         * a lock the program annotated itself (annotate.c) has returned
         * from its pre-lock call and spins or waits in the program's own
         * code: from the interrupted instruction there. */
        uintptr_t here = interrupted_pc(uc);
        for (int i = 0; i < n; i++)
            if ((uintptr_t)raw[i] == a->pending_pc || (from < 0 && here && (uintptr_t)raw[i] == here))
                from = i;
        for (int i = from; from >= 0 && i < n && k < TG_PENDING_PCS; i++)
            if (!tg__in_self((uintptr_t)raw[i])) /* thread_start of a C11 thread */
                a->pending_pcs[k++] = (uintptr_t)raw[i];
        a->pending_n = k;
        __atomic_store_n(&a->pending_stack_seq, seq, __ATOMIC_RELEASE);
    }
    errno = saved;
}

/* signal.c keeps tangle's handler installed whatever the program does with
 * the signal, and sends the request only to a thread that can take it. */
static int ask_for_stack(struct tg_actor *a)
{
    if (a->kind != TG_ACTOR_THREAD || !a->user)
        return -1;
    return tg__private_signal_send((pthread_t)a->user, a->tid, STACK_SIGNAL);
}

static void start_watchdog(void)
{
    if (__atomic_exchange_n(&tg__watchdog_started, 1, __ATOMIC_ACQ_REL))
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    tg__guard++;
    if (REAL(create)(&t, &attr, watchdog, NULL) != 0)
        dprintf(2, "tangle: warning: could not start the watchdog thread; global stalls will "
                   "not be reported.\n");
    tg__guard--;
    pthread_attr_destroy(&attr);
}

/* fork() is async-signal-safe: a handler may call it while its thread
 * is inside tangle (tg__guard). The engine lock is then not taken (the
 * thread may hold it already); the child's thread stays guarded, so
 * tangle watches nothing in that child rather than hang it. */
static __thread int fork_locked;

static void fork_prepare(void)
{
    if (tg__guard)
        return;
    tg__lockorder_drain_all(); /* the child starts from every edge seen so far */
    tg__lock();
    fork_locked = 1;
}

static void fork_parent(void)
{
    if (fork_locked) {
        fork_locked = 0;
        tg__unlock();
    }
}

/* tg__inherited_holds (a switch of tg__modes) is set in a fork child when
 * other threads held locks at fork(): its mutex locks (in any of its
 * threads) then try first, so that a wait for one of those (which hangs
 * for good) is checked even before the child has a watchdog. A global, not
 * per thread: the lock hook reads it with the other switches. */

/* In a fork child, before the engine forgets the other threads: those
 * alive at fork() live on in the parent only. Returns how many of them
 * held something. */
static int mark_forked_away(const struct tg_actor *me)
{
    int n = 0;
    for (int i = 0; i < tg__actor_slots; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || a == me || __atomic_load_n(&a->state, __ATOMIC_RELAXED) == TG_ST_EXITED)
            continue;
        a->aflags |= TG_AF_FORKED_AWAY;
        n += a->n_held > 0;
    }
    return n;
}

/* Their holds are tied to the lock instances of the moment: an init in
 * the child (the usual reset) starts a new lock that nobody holds. */
static void pin_forked_holds(void)
{
    for (int i = 0; i < tg__actor_slots; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || !(a->aflags & TG_AF_FORKED_AWAY))
            continue;
        for (int k = 0; k < a->n_held; k++) {
            struct tg_held *h = &a->held[k];
            struct tg_res *r = tg__held_res(h);
            if (!r)
                continue;
            h->res = r;
            if (!h->res_id)
                h->res_id = r->id;
        }
    }
}

static void fork_child(void)
{
    struct tg_actor *me = tg__current;
    tg__private_signal_after_fork();
    if (!fork_locked) { /* forked from inside tangle: see fork_prepare */
        tg__recording = 0; /* the trace is the parent's */
        return;
    }
    fork_locked = 0;
    tg__guard--; /* fork_prepare's tg__lock, which the engine resets below */
    int inherited = mark_forked_away(me);
    tg__engine_after_fork_child(me);
    if (inherited) {
        pin_forked_holds();
        tg__inherited_holds = 1;
    }
    if (me) {
        me->tid = gettid();
        if (me->user) /* found by its new TID too */
            tg__actor_set_handle(me, me->user, 0);
    }
    __atomic_store_n(&tg__watchdog_started, 0, __ATOMIC_RELAXED);
    tg__record_after_fork_child();
}

static struct tg_actor *register_thread(void)
{
    struct tg_actor *a = tg__actor_new(TG_ACTOR_THREAD, NULL, 0);
    if (!a)
        return NULL;
    a->tid = gettid();
    tg__actor_set_handle(a, (void *)pthread_self(), 0);
    tg__current = a;
    pthread_setspecific(exit_key, a);
    return a;
}

/* One-time set-up; returns 0 once tangle is usable. */
static int setup(void)
{
    int st = __atomic_load_n(&setup_state, __ATOMIC_ACQUIRE);
    if (TG_LIKELY(st == 2))
        return 0;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&setup_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return -1; /* being set up (by this thread, re-entered, or another) */
    tg__free_resolve();
    tg__real_resolve();
    if (tg__engine_init() != 0) {
        __atomic_store_n(&setup_state, 3, __ATOMIC_RELEASE);
        return -1;
    }
    tg__guard++;
    pthread_key_create(&exit_key, on_thread_exit);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    tg__guard--;
    tg__first_wait_hook = start_watchdog;
    if (tg__private_signal_install(STACK_SIGNAL, on_stack_signal) == 0) {
        tg__program_handler_hook = tg__private_signal_program_handler;
        tg__stuck_hook = ask_for_stack;
    }
    if (tg__opt.dump_signal > 0) { /* the watchdog writes the dumps: start it now */
        tg__thread_dump_install();
        start_watchdog();
    }
    tg__objects_setup();
    tg__os_threads_known = 1; /* every thread that calls us is registered with its tid */
    tg__before_exit_hook = tg__record_finish;
    tg__record_start();
    __atomic_store_n(&setup_state, 2, __ATOMIC_RELEASE);
    return 0;
}

struct tg_actor *tg__self_slow(void)
{
    if (tg__guard || tg__no_actor || setup() != 0)
        return NULL;
    return tg__current ? tg__current : register_thread();
}

/* ---- create / join --------------------------------------------------------- */

struct start {
    void *(*fn)(void *);
    int (*c11_fn)(void *); /* thrd_create: fn is NULL, the result an int */
    void *arg;
    struct tg_actor *actor;
};

static void *thread_start(void *p)
{
    struct start s = *(struct start *)p;
    tg__free(p);
    if (s.actor) {
        s.actor->tid = gettid();
        tg__actor_set_handle(s.actor, (void *)pthread_self(), 0);
        tg__current = s.actor;
        pthread_setspecific(exit_key, s.actor);
    }
    if (s.c11_fn) /* as glibc's own C11 threads return their int */
        return (void *)(uintptr_t)s.c11_fn(s.arg);
    return s.fn(s.arg);
}

/* Without tangle's start record: the call as the program made it. */
static int create_unwatched(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                            int (*c11_fn)(void *), void *arg)
{
    if (!c11_fn)
        return REAL(create)(t, attr, fn, arg);
    if (!REAL(c11_create))
        return EAGAIN;
    int rc = REAL(c11_create)(t, c11_fn, arg);
    return rc == thrd_success ? 0 : rc == thrd_nomem ? ENOMEM : EAGAIN;
}

int tg__thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                      int (*c11_fn)(void *), void *arg)
{
    struct tg_actor *parent = tg__self();
    if (!parent)
        return create_unwatched(t, attr, fn, c11_fn, arg);
    struct start *s = tg__alloc(sizeof *s); /* not malloc: a fork child may not have a usable one */
    if (!s)
        return create_unwatched(t, attr, fn, c11_fn, arg);
    s->fn = fn;
    s->c11_fn = c11_fn;
    s->arg = arg;
    s->actor = tg__actor_new(TG_ACTOR_THREAD, NULL, parent->id);
    int detached = 0;
    if (attr)
        pthread_attr_getdetachstate(attr, &detached);
    if (s->actor) {
        s->actor->joined = detached == PTHREAD_CREATE_DETACHED;
        __atomic_store_n(&s->actor->state, TG_ST_RUNNING, __ATOMIC_RELAXED);
    }
    struct tg_actor *child = s->actor;
    uint64_t child_id = child ? child->id : 0;
    tg__hb_fork(parent, child);
    REC(tg__rec_fork(parent, child, child ? child->created : 0));
    int rc = REAL(create)(t, attr, thread_start, s); /* s belongs to the child now */
    if (rc == 0)
        start_watchdog(); /* after: the program's thread comes first where memory is short */
    if (rc != 0) {
        if (child) {
            tg__actor_exit(child, 0);
            tg__actor_reap(child);
        }
        tg__free(s);
        return rc;
    }
    if (child) {
        /* The child records its handle too; the parent does it so that a
         * join right after create finds it. If the thread was detached and
         * quick, its record may have been reaped (its `user` then links
         * the free records: overwriting it with the handle once made the
         * next thread's start zero that thread's own descriptor) or reused. */
        tg__guard++;
        tg__lock();
        if (child->id == child_id && tg__actors[child->slot] == child)
            tg__actor_set_handle(child, (void *)*t, 1);
        tg__unlock();
        tg__guard--;
    }
    return 0;
}

TG_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    return tg__thread_create(t, attr, fn, NULL, arg);
}

static int join_timed(void *p, clockid_t clk, const struct timespec *abs);
static int join_untimed(void *p);

struct join_args {
    pthread_t t;
    void **ret;
};

static int join_timed(void *p, clockid_t clk, const struct timespec *abs)
{
    struct join_args *j = p;
    return REAL(clockjoin_np)(j->t, j->ret, clk, abs);
}

static int join_untimed(void *p)
{
    struct join_args *j = p;
    return REAL(join)(j->t, j->ret);
}

/* a has joined target: a comes after everything target did, and target's
 * record is freed (or reused). */
static void joined(struct tg_actor *a, struct tg_actor *target, uintptr_t pc)
{
    tg__hb_join(a, target);
    REC(tg__rec_join(a, target, pc));
    tg__actor_reap(target);
}

int tg__thread_join(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    struct tg_actor *target = a ? actor_of(t) : NULL;
    struct join_args j = {t, ret};
    int rc;
    if (!target || target == a ||
        __atomic_load_n(&target->state, __ATOMIC_ACQUIRE) == TG_ST_EXITED) {
        rc = abs ? REAL(clockjoin_np)(t, ret, clk, abs) : REAL(join)(t, ret);
    } else {
        struct tg_wait_desc w = {.kind = TG_RES_JOIN, .target = target,
                                 .flags = abs ? TG_WF_TIMED : 0, .pc = pc};
        rc = tg__block(a, &w, &j, REAL(clockjoin_np) ? join_timed : NULL, join_untimed, clk, abs);
    }
    if (rc == 0 && target)
        joined(a, target, pc);
    return rc;
}

TG_EXPORT int pthread_join(pthread_t t, void **ret)
{
    return tg__thread_join(t, ret, CLOCK_REALTIME, NULL, CALLER_PC);
}

TG_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abs)
{
    return tg__thread_join(t, ret, CLOCK_REALTIME, abs, CALLER_PC);
}

TG_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs)
{
    return tg__thread_join(t, ret, clk, abs, CALLER_PC);
}

/* Never waits, so it is no wait for the engine; a successful one is a
 * join like any other. Without it, a thread ended by tryjoin kept its
 * record (and its clock slot) until the process ended. The target is
 * found before the call, as for a join: once joined, its pthread_t may
 * already name a new thread. */
TG_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
    struct tg_actor *a = tg__self();
    struct tg_actor *target = a ? actor_of(t) : NULL;
    int rc = REAL(tryjoin_np)(t, ret);
    if (rc == 0 && target)
        joined(a, target, CALLER_PC);
    return rc;
}

TG_EXPORT int pthread_detach(pthread_t t)
{
    return tg__thread_detach(t);
}

int tg__thread_detach(pthread_t t)
{
    int rc = REAL(detach)(t);
    struct tg_actor *a = (rc == 0 && tg__self()) ? actor_of(t) : NULL;
    if (a)
        tg__actor_reap(a); /* frees it if it has exited, else marks it detached */
    return rc;
}

TG_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    int rc = REAL(setname_np)(t, name);
    struct tg_actor *me = tg__self();
    if (rc == 0 && me) {
        struct tg_actor *a = pthread_equal(t, pthread_self()) ? me : actor_of(t);
        tg__actor_set_name(a, name);
    }
    return rc;
}

/* ---- library lifetime ------------------------------------------------------ */

__attribute__((constructor)) static void tangle_start(void)
{
    tg__unwind_init(); /* here, where the program is inside none of its locks */
    tg__run_begin();
    if (setup() != 0)
        return;
    tg__report_run_mark(); /* the JSON says the run is watched */
    if (!tg__current) {
        struct tg_actor *main_actor = register_thread();
        if (main_actor) {
            main_actor->created = 0; /* the process made it, not a call */
            tg__actor_set_name(main_actor, "main");
        }

    }
}

__attribute__((destructor)) static void tangle_end(void)
{
    if (__atomic_load_n(&setup_state, __ATOMIC_ACQUIRE) != 2)
        return;
    tg__lockorder_drain_all(); /* nestings not handled yet are checked before the end */
    tg__record_finish();
    tg__run_end();
    tg__report_run_mark(); /* the JSON gets its end time */
    if (tg__reports_made() == 0)
        return;
    /* Like the sanitizers: a run that reported anything ends with
     * exitcode. Flush the program's own buffered output first. */
    tg__report_flush();
    fflush(NULL);
    _exit(tg__opt.exitcode);
}
