/* SPDX-License-Identifier: MIT */
/* sched.c: schedulers, task lifetime, parking and waking.
 *
 * A scheduler belongs to the thread that called tg_run() and runs only that
 * thread's tasks; a task never migrates. Its run queue is touched only by
 * that thread. Other threads wake its tasks through the inbox (a lock-free
 * stack) and an eventfd, which the scheduler reads only when it has nothing
 * to run, so cross-thread wake-ups never use a lock tangle would record.
 *
 * A task that parks or yields switches directly to the next runnable task;
 * every 64 switches (a yield with nothing else runnable counts as one), and
 * whenever nothing is runnable, control returns to the scheduler loop, which
 * fires timers, polls descriptors and handles cancellations. So a task
 * polling a flag with tg_yield() cannot starve timers or descriptors.
 */
#define _GNU_SOURCE
#include "task/task_int.h"
#include "task/detect.h"
#include "task/io.h"
#include "task/watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/membarrier.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define TG__ASAN 1
#endif

__thread struct tg__sched *tg__sched_self __attribute__((tls_model("initial-exec")));
struct tg_config tg__config = {
    .stack_size = 256 * 1024,
    .detect = 1,
    .long_task_ns = 1000000000,
    .long_hold_ns = 5000000000,
    .starvation_fatal = 0,
    .budget = 128,
};
/* What a switch refills tg__sched.budget with: tg_config.budget, or (off)
 * more operations than a program can make between two switches. */
static unsigned long tg__budget_full = 128;

/* ---- solo mode (see task_int.h) ------------------------------------------ */
int tg__shared;
int tg__solo_busy;
__thread int tg__solo_me __attribute__((tls_model("initial-exec")));
static int tg__solo_claimed; /* a thread became the solo thread */

static long tg__membarrier(int cmd)
{
#ifdef SYS_membarrier
    return syscall(SYS_membarrier, cmd, 0, 0);
#else
    (void)cmd;
    errno = ENOSYS;
    return -1;
#endif
}

/* In a fork child only the forking thread is left: solo sections of the
 * solo thread, if that was another one, will never close. */
static void tg__solo_after_fork(void)
{
    if (!tg__solo_me) {
        tg__solo_busy = 0;
        tg__shared = 2;
    }
}

/* The first tg_run's thread asks to be the solo thread. */
static void tg__solo_claim(void)
{
    if (__atomic_load_n(&tg__shared, __ATOMIC_ACQUIRE) ||
        __atomic_exchange_n(&tg__solo_claimed, 2, __ATOMIC_ACQ_REL))
        return;
    if (tg__membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0 ||
        pthread_atfork(NULL, NULL, tg__solo_after_fork) != 0) {
        __atomic_store_n(&tg__shared, 2, __ATOMIC_RELEASE); /* not available: always shared */
        return;
    }
    /* Pairs with tg__share: store ours, fence, read theirs. */
    __atomic_store_n(&tg__solo_claimed, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&tg__shared, __ATOMIC_SEQ_CST))
        tg__solo_me = 1;
}

static void tg__backoff(unsigned n)
{
    if (n < 64)
        tg__cpu_relax();
    else
        sched_yield();
}

void tg__share(void)
{
    int zero = 0;
    if (__atomic_compare_exchange_n(&tg__shared, &zero, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        if (__atomic_load_n(&tg__solo_claimed, __ATOMIC_SEQ_CST) == 1) {
            /* Registered before tg__solo_claimed became 1, so this works. */
            tg__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
            for (unsigned n = 0; __atomic_load_n(&tg__solo_busy, __ATOMIC_ACQUIRE); n++)
                tg__backoff(n);
        }
        __atomic_store_n(&tg__shared, 2, __ATOMIC_RELEASE);
        return;
    }
    for (unsigned n = 0; __atomic_load_n(&tg__shared, __ATOMIC_ACQUIRE) != 2; n++)
        tg__backoff(n);
}

static int tg__scheds_lock;
static struct tg__sched *tg__scheds; /* every scheduler ever made; never freed */

int64_t tg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tg_config_get(struct tg_config *c) { *c = tg__config; }
void tg_config_set(const struct tg_config *c) { tg__config = *c; }

struct tg__sched *tg__sched_list(void)
{
    return __atomic_load_n(&tg__scheds, __ATOMIC_ACQUIRE);
}

/* ---- run queue (tg__rq_push: task_int.h) -------------------------------- */
static inline struct tg_task *tg__rq_pop(struct tg__sched *s)
{
    struct tg_task *t = s->rq_head;
    if (t) {
        s->rq_head = t->next;
        if (!s->rq_head)
            s->rq_tail = NULL;
    }
    return t;
}

static void tg__inbox_take(struct tg__sched *s);
/* Makes the tasks other threads woke runnable (a load when there are none). */
static inline void tg__inbox_drain(struct tg__sched *s)
{
    if (__atomic_load_n(&s->inbox, __ATOMIC_RELAXED))
        tg__inbox_take(s);
}

static void tg__inbox_take(struct tg__sched *s)
{
    struct tg_task *t = __atomic_exchange_n(&s->inbox, NULL, __ATOMIC_ACQUIRE), *rev = NULL;
    while (t) { /* the inbox is newest first: restore wake-up order */
        struct tg_task *n = t->next;
        t->next = rev;
        rev = t;
        t = n;
    }
    while (rev) {
        struct tg_task *n = rev->next;
        tg__rq_push(s, rev);
        rev = n;
    }
}

void tg__task_wake_remote(struct tg_task *t)
{
    struct tg__sched *s = t->sched;
    tg__det_woken(t); /* before t can run and wait again */
    struct tg_task *h = __atomic_load_n(&s->inbox, __ATOMIC_RELAXED);
    do
        t->next = h;
    while (!__atomic_compare_exchange_n(&s->inbox, &h, t, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    /* Pairs with the scheduler storing `sleeping` then reading the inbox:
     * one of the two sees the other's write. */
    if (__atomic_load_n(&s->sleeping, __ATOMIC_SEQ_CST))
        tg__io_poke(s);
}

/* ---- switching ------------------------------------------------------------ */
static inline __attribute__((always_inline)) void tg__reap_zombie(struct tg__sched *s);

/* What every switch to `to` (NULL: the scheduler loop) does first. */
static inline __attribute__((always_inline)) void tg__jump_prep(struct tg__sched *s, struct tg_task *to)
{
    s->current = to;
    s->budget = tg__budget_full;
    if (to)
        to->state = TG__T_RUNNING;
    tg__det_switch(s, to); /* (a host only while detection is on) */
    __atomic_store_n(&s->switches, s->switches + 1, __ATOMIC_RELAXED);
    s->run_since = tg__coarse();
}

/* Resumes `to` (NULL: the scheduler loop) from the context saved in *from. */
static inline __attribute__((always_inline)) void tg__jump(struct tg__sched *s, struct tg__ctx *from,
                                                         void **fake, struct tg_task *to)
{
    tg__jump_prep(s, to);
#ifdef TG__ASAN
    __sanitizer_start_switch_fiber(fake, to ? to->stack.base : s->asan_bottom,
                                   to ? to->stack.size : s->asan_size);
    tg__ctx_switch(from, to ? &to->ctx : &s->ctx);
    __sanitizer_finish_switch_fiber(fake ? *fake : NULL, NULL, NULL);
#else
    (void)fake;
    tg__ctx_switch(from, to ? &to->ctx : &s->ctx);
#endif
    /* Back on this context: a task that ended by switching here is off its
     * stack now, and is finished before anything else runs. */
    if (__builtin_expect(s->zombie != NULL, 0))
        tg__reap_zombie(s);
}

/* The ending task's last switch: its context (saved in *from only where
 * the platform needs somewhere to save it) is never resumed. */
static inline __attribute__((always_inline, noreturn)) void tg__jump_exit(struct tg__sched *s,
                                                                        struct tg__ctx *from,
                                                                        struct tg_task *to)
{
    tg__jump_prep(s, to);
#ifdef TG__ASAN
    __sanitizer_start_switch_fiber(NULL, to ? to->stack.base : s->asan_bottom,
                                   to ? to->stack.size : s->asan_size);
#endif
    tg__ctx_exit(from, to ? &to->ctx : &s->ctx);
}

/* What runs after the current task: the next runnable one, or (NULL) the
 * loop, every 64 switches, so that timers and descriptors are served. */
static inline struct tg_task *tg__next(struct tg__sched *s)
{
    tg__inbox_drain(s);
    return (s->switches & 63) ? tg__rq_pop(s) : NULL;
}

/* The running task t stops running (it is queued or parked already). */
static inline __attribute__((always_inline)) void tg__switch_out(struct tg__sched *s, struct tg_task *t)
{
    if (t->actor) /* (only while detection is on) */
        tg__det_switch_out_check(t);
    struct tg_task *next = tg__next(s);
    if (next == t) {
        /* Nothing else to run: counted as a switch all the same, so that
         * a task yielding in a loop still lets the loop fire timers. */
        t->state = TG__T_RUNNING;
        s->budget = tg__budget_full;
        __atomic_store_n(&s->switches, s->switches + 1, __ATOMIC_RELAXED);
        __atomic_store_n(&s->run_since, tg__coarse(), __ATOMIC_RELAXED);
        return;
    }
    tg__jump(s, &t->ctx, &t->asan_fake, next);
}

void tg__coop_yield(struct tg__sched *s)
{
    struct tg_task *t = s->current;
    tg__rq_push(s, t);
    tg__switch_out(s, t);
}

#define TG__HOT static inline __attribute__((always_inline))

TG__HOT int tg__park_wait_in(struct tg__sched *s, struct tg__park *p)
{
    struct tg_task *t = p->task;
    /* A claim made here by the task itself needs no wake-up; any other claim
     * comes with one, which the switch below consumes. */
    int self_claimed = 0;
    if (p->deadline != TG_FOREVER && tg__timer_add(s, p) != 0)
        self_claimed = tg__park_claim(p, TG_ENOMEM);
    if (!self_claimed && !p->nocancel && __atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
        self_claimed = tg__park_claim(p, TG_ECANCELED);
    t->park = p;
    t->state = TG__T_BLOCKED;
    if (!self_claimed)
        tg__switch_out(s, t);
    t->state = TG__T_RUNNING;
    t->park = NULL;
    if (p->heap_idx >= 0)
        tg__timer_remove(s, p);
    return __atomic_load_n(&p->outcome, __ATOMIC_ACQUIRE);
}

int tg__park_wait(struct tg__park *p)
{
    return tg__park_wait_in(tg__sched_self, p);
}

TG__HOT int tg__park_as_in(struct tg__sched *s, struct tg__park *p, int flags, int kind, void *obj,
                           struct tg_task *target, int check, const char *what, uintptr_t pc)
{
    struct tg_task *t = p->task;
    /* A claim made here by the task itself means nobody will wake it. */
    int self_claimed = 0;
    if (p->deadline != TG_FOREVER && p->deadline <= tg_now())
        self_claimed = tg__park_claim(p, TG_ETIMEDOUT);
    p->nocancel = (flags & TG__B_NOCANCEL) != 0;
    int published = !self_claimed && t->actor; /* (only while detection is on) */
    /* A reported deadlock ends the program under the default policy; under
     * on_deadlock=hang the task blocks, as the program would. */
    if (published)
        tg__det_park(t, kind, obj, target, p->deadline != TG_FOREVER, pc, check);
    int r;
    if (self_claimed) {
        r = p->outcome;
    } else {
        t->wait_what = what;
        /* tg_dump shows a select's first arm */
        t->wait_obj = kind == TG__W_ANY ? ((struct tg__sel_set *)obj)->arms[0].obj : obj;
        t->wait_pc = pc;
        r = tg__park_wait_in(s, p);
        t->wait_obj = NULL;
    }
    if (published)
        tg__det_unpark(t);
    return r;
}

int tg__park_as(struct tg__park *p, int flags, int kind, void *obj, struct tg_task *target,
                int check, const char *what, uintptr_t pc)
{
    return tg__park_as_in(tg__sched_self, p, flags, kind, obj, target, check, what, pc);
}

/* A blocking channel call with no deadline (chan.c), made holding the
 * channel's lock after its try found no peer: queues the calling task t on
 * q (op: its direction; data: its element or slot), drops the lock and
 * parks; returns the call's result (0, TG_ECLOSED, or TG_ECANCELED). The
 * park and the waiter live in this frame, so a channel wait costs one call
 * into the switch path, with the wait's kind known here. */
int tg__park_chan(struct tg_task *t, tg_chan *c, struct tg__waitq *q, int op, void *data,
                  uintptr_t pc)
{
    struct tg__park p;
    struct tg__waiter w;
    tg__park_init(&p, t, TG_FOREVER);
    p.lock = &c->p.lock; /* every claim will hold it */
    w.park = &p;
    w.arm = 0;
    w.op = op;
    w.data = data;
    w.result = 0;
    tg__waitq_push(q, &c->p.lock, &w);
    tg__spin_unlock(&c->p.lock);
    t->wait_op = op;
    int r = tg__park_as_in(tg__sched_self, &p, 0, TG__W_CHANNEL, c, NULL, 0, NULL, pc);
    tg__waiter_withdraw(&w, r);
    return r < 0 ? r : w.result;
}

int tg_yield(void)
{
    struct tg__sched *s = tg__sched_self;
    struct tg_task *t = s ? s->current : NULL;
    if (!t)
        return TG_ENOTASK;
    tg__rq_push(s, t);
    tg__switch_out(s, t);
    return 0;
}

int tg_sleep_until(int64_t deadline)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    if (__atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
        return TG_ECANCELED;
    if (deadline <= tg_now())
        return tg_yield();
    struct tg__park p;
    tg__park_init(&p, t, deadline);
    t->wait_what = "sleep";
    int r = tg__park_wait(&p);
    t->wait_what = NULL;
    return r == TG_ETIMEDOUT ? 0 : r;
}

int tg_sleep(int64_t ns)
{
    return tg_sleep_until(ns >= TG_FOREVER - tg_now() ? TG_FOREVER : tg_now() + ns);
}

/* ---- task lifetime --------------------------------------------------------- *
 * A task's record lives at the top of its own stack mapping, so a spawn
 * allocates nothing when a cached stack fits, and the record is freed with
 * the stack: by its joiner once tg_join returns, or, for a detached task,
 * by its scheduler once the task has switched away for the last time. A
 * task that ended holding task locks is not freed while they stand: it
 * stays their (dead) holder in reports and for the waiters' detection
 * (tg__ended_holding).
 *
 * A task ends on its own stack. Its joiner of the same scheduler, if one
 * waits (t->join_park: the usual spawn-then-join), is claimed at once and
 * resumed straight from the ending task, ahead of the run queue (unless
 * the loop is due: every 64 switches). Whatever context runs next on the
 * thread finishes the ended task first (tg__reap_zombie): only then, off its
 * stack, is it unlisted and marked done, and are its other joiners (those
 * of other threads, queued on joinq) woken, since those may free it at
 * once. */
/* The list of s's records (tg_task.all_next): every record from its first
 * spawn until its mapping is returned, whether its task lives, ended or
 * the record waits on the free list, so that a spawn reusing a record and
 * the end of a task touch no list. Those that read it from other threads
 * (tg_dump) hold list_lock and skip the records whose state is DONE; the
 * host thread moves a listed record into and out of DONE only holding
 * list_lock or inside a solo section (which, by tg__share, no such reader
 * overlaps), so that a reader that saw a live task reads that task's
 * fields, not those of the next task of its record. */
static void tg__unlist(struct tg__sched *s, struct tg_task *t)
{
    if (!t->listed)
        return;
    int solo = tg__solo_enter();
    if (!solo)
        tg__spin_lock_shared(&s->list_lock);
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        s->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->listed = 0;
    if (solo)
        tg__solo_leave();
    else
        tg__spin_unlock(&s->list_lock);
}

static void tg__task_free_slow(struct tg__sched *s, struct tg_task *t)
{
    if (tg__detect_on && t->actor)
        tg__det_task_reap(s, t);
    if (t->permits[1].more)
        tg__permits_free(t);
    tg__task_rec_free(s, t, tg__unlist);
}

TG__HOT void tg__task_free(struct tg__sched *s, struct tg_task *t)
{
    if (!t->permits[1].more && s->n_free_recs < TG__FREE_RECS &&
        (!t->actor || tg__det_task_keep(s, t))) {
        t->next = s->free_recs;
        s->free_recs = t;
        s->n_free_recs++;
        return;
    }
    tg__task_free_slow(s, t);
}

/* With detection on, a task that ended holding task locks (mutexes and
 * write locks name their holder by its record: a task reusing the record
 * would pass for their owner) has its record queued on s, instead of
 * freed, once its joiner is done with it (or, detached, once it is done).
 * The engine says when each of those holds has ended since (the lock made
 * again where it was, or its memory reused for another lock): then
 * nothing points at the record and it is freed. Each record queued looks
 * at the two oldest first, so the queue stays within about twice the
 * records still holding, whatever the number of tasks the program has
 * run. Without detection nothing tells when such a hold ends: the record
 * stays for good. */
static void tg__held_push(struct tg__sched *s, struct tg_task *t)
{
    tg__tasks_append(&s->held_head, &s->held_tail, t);
}

static void tg__ended_holding(struct tg__sched *s, struct tg_task *t)
{
    if (!tg__detect_on)
        return;
    for (int k = 0; k < 2 && s->held_head; k++) {
        struct tg_task *o = s->held_head;
        s->held_head = o->next;
        if (!s->held_head)
            s->held_tail = NULL;
        if (tg__det_holds_ended(o)) {
            o->holds = o->task_holds = 0;
            tg__task_free(s, o);
        } else {
            tg__held_push(s, o);
        }
    }
    tg__held_push(s, t);
}

static void tg__task_main(void *arg)
{
    struct tg_task *t = arg;
    struct tg__sched *s = t->sched;
#ifdef TG__ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    if (s->zombie)
        tg__reap_zombie(s);
    t->result = t->fn(t->arg);
    if (tg__detect_on)
        tg__det_task_exit(t);
    struct tg_task *next = NULL;
    struct tg__park *jp = t->join_park;
    if (jp) {
        t->join_park = NULL;
        /* Every claim of jp is made on this thread (timers, cancellations
         * and this end): no lock is needed to decide who wins. */
        if (jp->outcome == TG__PENDING) {
            __atomic_store_n(&jp->outcome, 0, __ATOMIC_RELEASE);
            __atomic_store_n(&jp->task->claimed, 1, __ATOMIC_RELEASE);
            next = jp->task;
        }
    }
    s->zombie = t;
    if (next && !(s->switches & 63)) { /* the loop is due: the joiner waits its turn */
        tg__rq_push(s, next);
        next = NULL;
    }
    tg__jump_exit(s, &t->ctx, next ? next : tg__next(s));
}

/* Copies a task's name, truncated to 31 bytes. Spawn is hot: on x86-64
 * the 32 bytes from name are copied at once when they lie in one page
 * (bytes past the terminator are copied too, and never read: a page is
 * readable as a whole, and x86-64 has no memory tagging); elsewhere, and
 * under AddressSanitizer, which would see the read past a short name, byte
 * by byte. */
TG__HOT void tg__name_copy(char *dst, const char *name)
{
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
    if (((uintptr_t)name & 4095) <= 4096 - 32) {
        __asm__("" : "+r"(name)); /* the compiler must not judge the read by the object */
        memcpy(dst, name, 32);
        dst[31] = 0;
        return;
    }
#endif
    char *end = dst + 31;
    while (dst < end && (*dst = *name))
        dst++, name++;
    *dst = 0;
}

TG__HOT int tg__spawn(tg_task **out, const char *name, tg_fn fn, void *arg, size_t stack_size,
                     uintptr_t pc)
{
    struct tg__sched *s = tg__sched_self;
    if (!s)
        return TG_ENOTASK;
    if (!fn)
        return TG_EINVAL;
    struct tg_task *t = tg__task_rec_get(s, stack_size ? stack_size : tg__config.stack_size);
    if (!t)
        return TG_ENOMEM;
    /* A reused record keeps what its last task left. A record is freed
     * only with its task at rest: no park, no joiner, no actor, no holds,
     * join_lock free (a fresh mapping is zero). Everything else a task's
     * life may change is set here (the select arms are valid only up to
     * lz.n_any, the seqlock's version only grows, claimed is read only
     * while lz.state is set). */
    t->cancelled = 0;
    t->hazard_said = 0;
    t->wait_what = NULL;
    t->wait_obj = NULL;
    t->permits[0].sem = t->permits[1].sem = NULL;
    t->permits[1].more = NULL;
    t->lz.state = 0;
    t->sched = s;
    t->fn = fn;
    t->arg = arg;
    t->detached = out == NULL;
    t->spawn_pc = pc;
    tg__name_copy(t->name, name ? name : "task");
    tg__ctx_make(&t->ctx, t->stack.base, (uintptr_t)t - (uintptr_t)t->stack.base, tg__task_main, t);
    /* Its actor first: a live task on the list has its own (tg_dump reads
     * it). The record is DONE until the state below makes it live: a dump
     * skips it until then (see tg__unlist). */
    if (tg__detect_on)
        tg__det_task_new(t, s->current);
    int solo = tg__solo_enter();
    if (!solo)
        tg__spin_lock_shared(&s->list_lock);
    if (__builtin_expect(!t->listed, 0)) { /* a new mapping */
        t->all_prev = NULL;
        t->all_next = s->all;
        if (s->all)
            s->all->all_prev = t;
        s->all = t;
        t->listed = 1;
    }
    tg__rq_push(s, t);
    if (solo)
        tg__solo_leave();
    else
        tg__spin_unlock(&s->list_lock);
    s->n_tasks++;
    if (out)
        *out = t;
    return 0;
}

int tg_spawn(tg_task **t, const char *name, tg_fn fn, void *arg)
{
    return tg__spawn(t, name, fn, arg, 0, (uintptr_t)__builtin_return_address(0));
}

int tg_spawn_opts(tg_task **t, const char *name, tg_fn fn, void *arg, const struct tg_spawn_opts *o)
{
    return tg__spawn(t, name, fn, arg, o ? o->stack_size : 0,
                     (uintptr_t)__builtin_return_address(0));
}

/* The thread's half of a task's end, run off its stack: mark it done (its
 * record stays listed: tg__unlist), wake the joiners queued on joinq. One
 * solo section (or the two locks, outside solo mode) covers both. */
static inline __attribute__((always_inline)) void tg__reap_zombie(struct tg__sched *s)
{
    struct tg_task *t = s->zombie;
    struct tg__wakes k = { 0 };
    s->zombie = NULL;
    s->n_tasks--;
    int solo = tg__solo_enter();
    if (!solo) {
        tg__spin_lock_shared(&s->list_lock);
        tg__spin_lock_shared(&t->join_lock);
    }
    int detached = t->detached;
    t->state = TG__T_DONE;
    struct tg__waiter *w;
    while (t->joinq.head && (w = tg__waitq_claim_first(&t->joinq, -1)))
        tg__wakes_add(&k, w);
    if (solo) {
        tg__solo_leave();
    } else {
        tg__spin_unlock(&t->join_lock);
        tg__spin_unlock(&s->list_lock);
    }
    /* From here a joiner may free t. */
    if (detached && t->holds == 0 && t->task_holds == 0)
        tg__task_free(s, t);
    else if (detached)
        tg__ended_holding(s, t);
    if (k.head)
        tg__wakes_flush(&k);
}

int tg__join_try(struct tg_task *t, struct tg__waiter *w)
{
    (void)w;
    return t->state == TG__T_DONE;
}

/* A join of a task of the same scheduler, with no deadline: the task's end
 * claims the park and resumes this joiner directly (tg__task_main). */
TG__HOT int tg__join_here(struct tg__sched *s, struct tg_task *self, struct tg_task *t, uintptr_t pc)
{
    struct tg__park p;
    tg__park_init(&p, self, TG_FOREVER);
    p.lock = &t->join_lock; /* a cancellation claims it holding this lock */
    t->join_park = &p;
    int r = tg__park_as_in(s, &p, 0, TG__W_JOIN, t, t, 0, NULL, pc);
    if (r != 0 && t->join_park == &p)
        t->join_park = NULL;
    return r;
}

/* Any other join: queued on t->joinq, woken once t is done. */
static int tg__join_queued(struct tg_task *self, struct tg_task *t, int64_t deadline, uintptr_t pc)
{
    struct tg__park p;
    struct tg__waiter w; /* tg__waitq_push sets the links */
    w.park = &p;
    w.arm = 0;
    w.op = TG__OP_JOIN;
    tg__park_init(&p, self, deadline);
    if (deadline == TG_FOREVER)
        p.lock = &t->join_lock; /* every claim will hold it */
    tg__spin_lock(&t->join_lock);
    int done = t->state == TG__T_DONE;
    if (!done)
        tg__waitq_push(&t->joinq, &t->join_lock, &w);
    tg__spin_unlock(&t->join_lock);
    if (done)
        return 0;
    int r = tg__park_as(&p, 0, TG__W_JOIN, t, t, 0, NULL, pc);
    if (r != 0)
        tg__waiters_withdraw(&w, 1, -1);
    return r;
}

/* tg_join_until, inline into both public calls so that tg_join makes no
 * second call (through the PLT: tg_join_until may be interposed); pc is
 * the caller's return address. */
TG__HOT int tg__join(tg_task *t, void **result, int64_t deadline, uintptr_t pc)
{
    struct tg__sched *s = tg__sched_self;
    struct tg_task *self = s ? s->current : NULL;
    if (!self)
        return TG_ENOTASK;
    if (t == self)
        return TG_EDEADLK;
    if (!t || t->detached)
        return TG_EINVAL;
    int r = tg__block_start(&self, 0);
    if (r)
        return r;
    if (t->sched == s && deadline == TG_FOREVER && !t->join_park) {
        if (t->state != TG__T_DONE) /* written by this thread only */
            r = tg__join_here(s, self, t, pc);
    } else {
        r = tg__join_queued(self, t, deadline, pc);
    }
    if (r)
        return r;
    if (result)
        *result = t->result;
    /* A task that ended holding task locks stays allocated while they
     * stand: it remains their (dead) holder in reports and for the
     * waiters' detection. */
    if (t->holds == 0 && t->task_holds == 0)
        tg__task_free(s, t);
    else
        tg__ended_holding(s, t);
    return 0;
}

int tg_join_until(tg_task *t, void **result, int64_t deadline)
{
    return tg__join(t, result, deadline, (uintptr_t)__builtin_return_address(0));
}

int tg_join(tg_task *t, void **result)
{
    return tg__join(t, result, TG_FOREVER, (uintptr_t)__builtin_return_address(0));
}

static void tg__cancel_now(struct tg__sched *s, struct tg_task *t)
{
    struct tg__park *p = t->park;
    if (t->state == TG__T_BLOCKED && p && !p->nocancel && tg__park_claim(p, TG_ECANCELED))
        tg__rq_push(s, t);
}

int tg_cancel(tg_task *t)
{
    if (!t)
        return TG_EINVAL;
    __atomic_store_n(&t->cancelled, 1, __ATOMIC_SEQ_CST);
    struct tg__sched *s = t->sched;
    if (s == tg__sched_self) {
        tg__cancel_now(s, t);
    } else {
        __atomic_store_n(&s->poll_cancel, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->sleeping, __ATOMIC_SEQ_CST))
            tg__io_poke(s);
    }
    return 0;
}

int tg_cancelled(void)
{
    struct tg_task *t = tg__self();
    return t && __atomic_load_n(&t->cancelled, __ATOMIC_RELAXED);
}

tg_task *tg_self(void) { return tg__self(); }
const char *tg_task_name(const tg_task *t) { return t ? t->name : "(none)"; }

/* ---- the loop ----------------------------------------------------------------- */
static void tg__fire_timers(struct tg__sched *s)
{
    struct tg__park *p = tg__timer_first(s);
    if (!p)
        return;
    int64_t now = tg_now();
    while ((p = tg__timer_first(s)) && p->deadline <= now) {
        tg__timer_remove(s, p);
        if (tg__park_claim(p, TG_ETIMEDOUT))
            tg__rq_push(s, p->task);
    }
}

static void tg__poll_cancels(struct tg__sched *s)
{
    if (!__atomic_load_n(&s->poll_cancel, __ATOMIC_RELAXED) ||
        !__atomic_exchange_n(&s->poll_cancel, 0, __ATOMIC_SEQ_CST))
        return;
    for (struct tg_task *t = s->all; t; t = t->all_next)
        if (__atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
            tg__cancel_now(s, t);
}

/* Nothing is runnable: wait for a timer, a descriptor or a wake-up. */
static void tg__idle(struct tg__sched *s)
{
    struct tg__park *p = tg__timer_first(s);
    int timeout = -1;
    if (p) {
        int64_t left = p->deadline - tg_now();
        timeout = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
    }
    if (timeout < 0 && s->n_fd_waits == 0 && tg__detect_on) {
        /* Only another thread can wake us now. Wait a while, then let the
         * engine decide whether anyone at all can still progress; the
         * engine reports a stall once it has lasted (stall_ms). */
        if (tg__io_wait(s, 100) == 0 && !__atomic_load_n(&s->inbox, __ATOMIC_SEQ_CST) &&
            !__atomic_load_n(&s->poll_cancel, __ATOMIC_SEQ_CST)) {
            tg__det_publish_parked(s);
            tg__det_idle(s);
        } else {
            tg__det_busy(s);
        }
        return;
    }
    tg__io_wait(s, timeout);
}

static void tg__loop(struct tg__sched *s)
{
    for (;;) {
        if (s->n_tasks == 0)
            break;
        tg__inbox_drain(s);
        tg__poll_cancels(s);
        tg__fire_timers(s);
        if (s->n_fd_waits)
            tg__io_poll(s);
        struct tg_task *t = tg__rq_pop(s);
        if (t) {
            if (s->host_idle)
                tg__det_busy(s);
            tg__jump(s, &s->ctx, &s->asan_fake, t);
        } else {
            tg__idle(s);
        }
    }
}

static struct tg__sched *tg__sched_get(void)
{
    tg__spin_lock(&tg__scheds_lock);
    struct tg__sched *s;
    for (s = tg__scheds; s && s->in_use; s = s->all_next)
        ;
    if (s)
        s->in_use = 1;
    tg__spin_unlock(&tg__scheds_lock);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (tg__io_init(s) != 0) {
        free(s);
        return NULL;
    }
    s->in_use = 1;
    tg__spin_lock(&tg__scheds_lock);
    s->all_next = tg__scheds;
    __atomic_store_n(&tg__scheds, s, __ATOMIC_RELEASE);
    tg__spin_unlock(&tg__scheds_lock);
    return s;
}

int tg_run(tg_fn main_fn, void *arg)
{
    if (tg__sched_self)
        return TG_EINVAL;
    tg__solo_claim();
    struct tg__sched *s = tg__sched_get();
    if (!s)
        return TG_ENOMEM;
#ifdef TG__ASAN
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &s->asan_bottom, &s->asan_size);
        pthread_attr_destroy(&attr);
    }
#endif
    tg__det_configure();
    tg__budget_full = tg__config.budget > 0 ? (unsigned long)tg__config.budget : ULONG_MAX;
    s->budget = tg__budget_full;
    tg__task_watchdog_start(0);
    s->thread = pthread_self();
    s->tid = (long)syscall(SYS_gettid);
    s->watch_sw = ~0ul; /* the watchdog has seen no run of this host yet */
    s->asleep_cpu = -1;
    s->host_guard = NULL; /* (a scheduler is reused by later tg_run calls) */
    tg__sched_self = s;
    if (tg__detect_on)
        tg__det_sched_start(s);
    int r = tg__spawn(NULL, "main", main_fn, arg, 0, (uintptr_t)__builtin_return_address(0));
    if (r == 0)
        tg__loop(s);
    if (tg__detect_on) {
        tg__det_busy(s);
        tg__det_sched_end(s);
    }
    tg__task_rec_drop(s, tg__unlist);
    free(s->heap);
    s->heap = NULL;
    s->heap_n = s->heap_cap = 0;
    tg__sched_self = NULL;
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
    return r;
}
