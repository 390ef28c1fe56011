/* SPDX-License-Identifier: MIT */
/* task_int.h: the runtime's internal types, shared by src/task/ only.
 *
 * Waiting has two parts. A park (struct tg__park) is one blocking call of
 * one task: its outcome starts PENDING and is claimed exactly once, by the
 * first of: an arm that completes, the deadline, a cancellation. A waiter
 * (struct tg__waiter) is one arm of that call, linked in one primitive's
 * FIFO queue. Whoever claims the park completes the winning arm (hands off
 * the lock, copies the value) and then wakes the task; the task, once awake,
 * unlinks its other waiters. A waiter whose park was already claimed is
 * skipped by everyone, so nothing is ever handed to an arm that lost.
 */
#ifndef TG_TASK_INT_H
#define TG_TASK_INT_H

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stddef.h>
#include "tangle/task.h"
#include "task/ctx.h"

#define TG__PENDING INT_MIN

/* Primitive kinds (tg__prim.kind). */
enum { TG__K_MUTEX = 1, TG__K_RWLOCK, TG__K_SEM, TG__K_EVENT, TG__K_COND,
       TG__K_WAITGROUP, TG__K_CHAN, TG__K_JOIN };

/* ---- spinlock: short critical sections only, never held across a switch -- */
#if defined(__x86_64__) || defined(__i386__)
#define tg__cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define tg__cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define tg__cpu_relax() ((void)0)
#endif
/* ---- solo mode: one thread, no atomic read-modify-writes ------------------
 * An atomic exchange or compare-and-swap costs about 7 ns here, and a
 * channel round trip made four of them. Most programs run one scheduler and
 * nothing else touches the runtime, so the first thread to call tg_run
 * becomes the solo thread: while tg__shared is 0, it takes spinlocks and
 * updates mutex words and wait records with plain stores, inside a section
 * bracketed by tg__solo_busy (a count only it writes). Any other thread,
 * before its first such operation, calls tg__share(), which ends solo mode
 * for good: it stores tg__shared = 1, runs membarrier() so that every later
 * read of tg__shared on the solo thread sees it, waits until tg__solo_busy is
 * 0 (no section that read 0 is still open), then stores 2. The solo side
 * stores its count before it reads tg__shared, so with the membarrier either
 * the solo thread sees the flag or the other thread sees the count (the
 * asymmetric fence of liburcu and of Linux's membarrier(2) page). Without
 * membarrier there is no solo thread. (sched.c) */
extern int tg__shared;                /* 0 solo, 1 ending, 2 shared */
extern int tg__solo_busy;             /* the solo thread's open sections */
extern __thread int tg__solo_me __attribute__((tls_model("initial-exec")));
void tg__share(void);
/* Opens (+1) or closes (-1) one of the solo thread's sections. Only that
 * thread writes the count, so x86 needs no atomic instruction, and one
 * plain add does it: the compiler keeps it in program order (a memory
 * clobber) and x86 makes its store a release. Elsewhere, a relaxed store
 * (opening; the membarrier of tg__share makes it a fence) or a release
 * store (closing). */
static inline void tg__solo_busy_add(int d)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("addl %1, %0" : "+m"(tg__solo_busy) : "ir"(d) : "memory");
#else
    if (d > 0) {
        __atomic_store_n(&tg__solo_busy, tg__solo_busy + d, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_store_n(&tg__solo_busy, tg__solo_busy + d, __ATOMIC_RELEASE);
    }
#endif
}
/* 1: the caller may use plain operations until tg__solo_leave(); 0: it must
 * use atomic ones (and must not call tg__solo_leave). */
static inline __attribute__((always_inline)) int tg__solo_enter(void)
{
    if (!tg__solo_me) {
        if (__builtin_expect(__atomic_load_n(&tg__shared, __ATOMIC_ACQUIRE) != 2, 0))
            tg__share();
        return 0;
    }
    tg__solo_busy_add(1); /* the membarrier makes it a fence */
    if (__builtin_expect(!__atomic_load_n(&tg__shared, __ATOMIC_RELAXED), 1))
        return 1;
    tg__solo_busy_add(-1);
    return 0;
}
static inline __attribute__((always_inline)) void tg__solo_leave(void)
{
    tg__solo_busy_add(-1);
}

/* Compare-and-swap of *p from *expected to `to` (on failure *expected gets
 * the current value), done with plain operations on the solo thread. */
#define tg__cas(p, expected, to)                                                         \
    __extension__({                                                                      \
        __typeof__(p) p_ = (p);                                                          \
        __typeof__(expected) e_ = (expected);                                            \
        int ok_;                                                                         \
        if (tg__solo_enter()) {                                                          \
            __typeof__(*p_) cur_ = __atomic_load_n(p_, __ATOMIC_RELAXED);                \
            if ((ok_ = cur_ == *e_))                                                     \
                __atomic_store_n(p_, (to), __ATOMIC_RELAXED);                            \
            else                                                                         \
                *e_ = cur_;                                                              \
            tg__solo_leave();                                                            \
        } else {                                                                         \
            ok_ = __atomic_compare_exchange_n(p_, e_, (to), 0, __ATOMIC_ACQ_REL,         \
                                              __ATOMIC_ACQUIRE);                         \
        }                                                                                \
        ok_;                                                                             \
    })

/* A spinlock word is 0 (free), 1 (taken atomically) or 2 (taken by the solo
 * thread with a store: its unlock closes the solo section). */
/* Takes l with atomic operations (outside solo mode). */
static inline void tg__spin_lock_shared(int *l)
{
    for (unsigned n = 0;; n++) {
        if (!__atomic_load_n(l, __ATOMIC_RELAXED) &&
            !__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
            return;
        if (n < 64)
            tg__cpu_relax();
        else
            sched_yield(); /* the holder's thread was preempted */
    }
}
static inline void tg__spin_lock(int *l)
{
    if (tg__solo_enter()) {
        __atomic_store_n(l, 2, __ATOMIC_RELAXED);
        return;
    }
    tg__spin_lock_shared(l);
}
static inline void tg__spin_unlock(int *l)
{
    int solo = __atomic_load_n(l, __ATOMIC_RELAXED) == 2; /* our own store */
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
    if (solo)
        tg__solo_leave();
}

struct tg__park {
    struct tg_task *task;
    int outcome;              /* TG__PENDING, then an arm index or a TG_E* code */
    int heap_idx;             /* position in the scheduler's timer heap, -1 if none */
    int nocancel;             /* cancellation does not claim this park */
    int *lock;                /* if set, every claim is made holding this lock */
    int64_t deadline;         /* TG_FOREVER: none */
};

struct tg__waiter {
    struct tg__waiter *prev, *next;
    struct tg__park *park;
    struct tg__waitq *q;      /* the queue it is linked in; NULL once unlinked */
    int *lock;                /* the spinlock guarding q */
    int arm;                  /* the outcome that means "this arm won" */
    int op;                   /* enum tg_sel_op */
    void *data;               /* channels: the element to send or the slot to fill */
    int result;               /* set by the completer: 0 or TG_ECLOSED */
};

struct tg__stack {
    void *base;               /* lowest usable address (above the guard page) */
    size_t size;              /* usable bytes */
    size_t want;              /* the size asked for when it was mapped */
    void *map;                /* the whole mapping */
    size_t map_size;
    int guarded;              /* 1 if the page below base is PROT_NONE */
};

enum { TG__T_RUNNABLE, TG__T_RUNNING, TG__T_BLOCKED, TG__T_DONE };

/* The permits one task holds of one owned semaphore, with detection on: a
 * node of the semaphore's holder list (tg_sem.holders), so that a permit
 * released by a task that does not hold one ends a known holder's hold
 * without a search of every actor. A task has two nodes in its record and
 * allocates more only while it holds permits of three semaphores or more. */
struct tg__permits {
    struct tg__permits *prev, *next; /* in sem->holders; guarded by its lock */
    tg_sem *sem;              /* NULL: the node is free */
    struct tg_task *task;
    long n;                   /* permits held */
    struct tg__permits *more; /* the task's next node */
};

/* One arm of a select as tangle's engine sees it: a TG__W_* kind and the
 * primitive (for joins, the task awaited). A select of more arms than fit
 * is published at once and not followed by chain walks. */
#define TG__LZ_ANY 8
struct tg__lz_arm {
    int kind;
    void *obj;
};

/* One task mutex a task holds, and where it took it (tg_task.hold_in). */
#define TG__HOLD_IN 4
struct tg__hold {
    tg_mutex *m;
    uintptr_t pc;
};

struct tg_task {
    struct tg__ctx ctx;
    struct tg__sched *sched;
    struct tg_task *next;     /* run queue, inbox or free-record link */
    /* The scheduler's list of records (sched.c): a record is listed from
     * its first task's spawn until its mapping goes back to the system,
     * so that a record reused by a spawn is already there. */
    struct tg_task *all_prev, *all_next;
    int listed;
    tg_fn fn;
    void *arg, *result;
    struct tg__stack stack;   /* the mapping the record lives in (stack.c) */
    int state;                /* TG__T_*; written by the host thread */
    int detached;
    uintptr_t spawn_pc;
    void *asan_fake;
    /* From here to permits: zero when a task starts (one short memset; a
     * spawn writes the fields above and the few below itself). */
    int cancelled;            /* atomic: set by tg_cancel */
    int hazard_said;          /* hold-across-switch reported once per task */
    struct tg__park *park;    /* the current blocking call, while BLOCKED */
    int join_lock;
    int claimed;              /* atomic: its current wait was claimed (it will run) */
    struct tg__waitq joinq;   /* joiners other than join_park's, under join_lock */
    /* The park of a joiner of the same scheduler (the usual join): only the
     * host thread touches it, and the task's end hands control straight to
     * that joiner. */
    struct tg__park *join_park;
    struct tg_actor *actor;   /* tangle's actor, or NULL */
    uint64_t actor_tag;       /* with an actor: tg__actor_tag(actor), what a primitive
                                 it uses records of it (tg__det_used) */
    int holds;                /* task mutexes and write locks it holds (they point at it) */
    int task_holds;           /* holds of task primitives recorded in the actor */
    int hold_untracked;       /* with detection on: a hold of a task primitive went
                                 unrecorded (no actor or no record of the primitive),
                                 so the engine cannot tell when its holds end */
    const char *wait_what;    /* for tg_dump: what it waits on */
    const void *wait_obj;
    uintptr_t wait_pc;
    int wait_op;              /* a one-arm wait's enum tg_sel_op (reports: a channel's direction) */
    struct tg__permits permits[2]; /* (sem.c); permits[1].more: allocated ones */
    struct {                  /* the current wait, as tangle's engine sees it */
        int state;            /* atomic: 0 none, 1 deferred, 2 published, 3 being published */
        unsigned ver;         /* atomic: odd while the fields below are rewritten */
        int kind, timed;
        void *obj;
        struct tg_task *target;
        uintptr_t pc;
        int chained;          /* it ends only through the tasks named (locks, joins) */
        int n_any;            /* a select (kind TG__W_ANY): its arms, if they fit */
        struct tg__lz_arm any[TG__LZ_ANY];
    } lz;
    char name[32];
    /* Its task mutexes, with detection on (detect.h): the hold record,
     * oldest first, in hold_in[1, hold_top); written only by the task.
     * hold_in[0] is a sentinel (its m is NULL), so that an unlock compares
     * the top entry with its mutex and nothing else. The entries below
     * hold_mirror are also in its actor's held list (the engine's view),
     * and their m has bit 0 set so that no unlock takes them for its own;
     * the others reach it only when the task ends or nests pthread locks
     * under them (detect.h), and the engine reads them through
     * tg__held_more_hook. A mutex taken while all TG__HOLD_IN are in use
     * goes straight to the actor's held list. Set up by tg__det_task_new
     * (outside the region a spawn clears). While detection is on, `holds`
     * counts no hold of this record until the task ends. */
    struct tg__hold *hold_top, *hold_mirror, *hold_end;
    struct tg__hold hold_in[1 + TG__HOLD_IN];
};

/* A task this scheduler ended, named (tg__sched.ended). */
#define TG__ENDED 256
struct tg__ended {
    uint64_t id;              /* its actor's id; 0 while the entry is rewritten */
    char name[32];
};

struct tg__sched {
    struct tg__ctx ctx;       /* the scheduler loop, on the thread's own stack */
    struct tg_task *current;  /* the running task, NULL in the loop */
    struct tg_task *rq_head, *rq_tail;
    struct tg_task *inbox;    /* atomic stack of tasks woken by other threads */
    int sleeping;             /* atomic: the loop is (about to be) in epoll_wait */
    int poll_cancel;          /* atomic: a cancellation from another thread is pending */
    int epfd, evfd;
    long n_tasks, n_fd_waits;
    struct tg__park **heap;
    int heap_n, heap_cap;
    struct tg_task *zombie;   /* a task that just ended, finished by the next context */
    struct tg_task *free_recs; /* ended tasks' records with their stacks, for reuse */
    int n_free_recs;
    int list_lock;
    struct tg_task *all;      /* every live task of this scheduler */
    struct tg_actor *host;
    struct tg_actor *reaped;  /* the last ended task's actor, recycled by the next spawn */
    /* With detection on: records of ended tasks that still hold task locks,
     * oldest first, linked by next, until those holds end (sched.c). */
    struct tg_task *held_head, *held_tail;
    void *idle_res;           /* engine resource the idle host is shown waiting on */
    int host_idle;            /* the host's idle wait is published */
    unsigned long switches;   /* atomic (relaxed): read by the watchdog */
    unsigned long budget;     /* operations the running task may still make before
                                 it yields (tg__coop); refilled by every switch */
    int64_t run_since;        /* coarse time the current task started running */
    unsigned long starve_said; /* switch count of the run last reported */
    unsigned long watch_sw;   /* watchdog only: switch count it last saw, and */
    int64_t watch_cpu;        /* the host thread's CPU time (ns) when it saw it */
    int64_t asleep_cpu;       /* watchdog only: that CPU time at its last check if
                                 the thread was asleep in a call then, else -1 */
    int64_t asleep_ns;        /* watchdog only: time of this run the thread slept
                                 in calls of its own (watchdog.c) */
    int64_t watch_at;         /* watchdog only: coarse time of its last check */
    int *host_guard;          /* the host thread's tg__guard (>0 while it runs
                                 tangle's own code), with detection on */
    unsigned long published_at; /* switch count when parked waits were last published */
    pthread_t thread;         /* the host thread, for the watchdog's stack sample */
    long tid;
    unsigned sample_req;      /* atomic: the watchdog's last request for a sample */
    unsigned sample_seq;      /* atomic: the request the sample below answers */
    int sample_n;
    uintptr_t sample_pcs[32]; /* the host thread's stack, innermost first */
    /* With detection on: the last TG__ENDED tasks it ended, a ring written
     * only by its thread (detect.h), so that a report can still name a
     * task that last used a primitive after its actor record went to
     * another task. NULL until its first tg_run with detection on. */
    struct tg__ended *ended;
    unsigned ended_at;        /* the entry the next end writes, modulo TG__ENDED */
    struct tg__sched *pool_next, *all_next;
    int in_use;
    void *asan_bottom;
    size_t asan_size;
    void *asan_fake;
};

extern __thread struct tg__sched *tg__sched_self __attribute__((tls_model("initial-exec")));
extern struct tg_config tg__config;
/* Coarse monotonic time in ns, advanced by the watchdog (about every 10 ms). */
extern int64_t tg__coarse_now;
static inline int64_t tg__coarse(void) { return __atomic_load_n(&tg__coarse_now, __ATOMIC_RELAXED); }

/* ---- scheduler (sched.c) ---------------------------------------------------- */
static inline struct tg_task *tg__self(void)
{
    struct tg__sched *s = tg__sched_self;
    return s ? s->current : NULL;
}
/* The cooperative budget (tg_config.budget, like Tokio's): every operation
 * that may wait spends one unit of the running task's budget, and the one
 * that finds it spent yields first, so a loop of operations that always
 * succeed at once cannot keep the scheduler's other tasks from running.
 * Every switch refills it. */
void tg__coop_yield(struct tg__sched *s);
static inline void tg__coop(struct tg__sched *s)
{
    if (__builtin_expect(s->budget-- <= 1, 0)) /* 0: a fast path spent the last unit */
        tg__coop_yield(s);
}
/* Appends t to the singly linked list from *head to *tail (by t->next). */
static inline void tg__tasks_append(struct tg_task **head, struct tg_task **tail,
                                    struct tg_task *t)
{
    t->next = NULL;
    if (*tail)
        (*tail)->next = t;
    else
        *head = t;
    *tail = t;
}
/* Appends t to s's run queue (s is the calling thread's scheduler). */
static inline void tg__rq_push(struct tg__sched *s, struct tg_task *t)
{
    t->state = TG__T_RUNNABLE;
    tg__tasks_append(&s->rq_head, &s->rq_tail, t);
}
/* tg__task_wake for a task of another thread's scheduler: its inbox. */
void tg__task_wake_remote(struct tg_task *t);
/* Makes a parked task runnable; callable from any thread, once per park. */
static inline void tg__task_wake(struct tg_task *t)
{
    struct tg__sched *s = t->sched;
    if (s == tg__sched_self)
        tg__rq_push(s, t);
    else
        tg__task_wake_remote(t);
}
/* Parks the calling task until p is claimed; returns the outcome. */
int tg__park_wait(struct tg__park *p);
/* Every scheduler, for the watchdog and tg_dump (linked through all_next). */
struct tg__sched *tg__sched_list(void);

/* ---- timers (timer.c): a min-heap of parks by deadline, per scheduler ----- */
int tg__timer_add(struct tg__sched *s, struct tg__park *p);
void tg__timer_remove(struct tg__sched *s, struct tg__park *p);
struct tg__park *tg__timer_first(struct tg__sched *s);

/* ---- stacks and records (stack.c) -------------------------------------------
 * A task's record lives at the top of its own stack mapping. A scheduler
 * keeps the records of a few ended tasks, stack and all, on a free list:
 * a spawn whose stack size matches one takes it without a system call. */
/* A record whose stack has at least `size` usable bytes (rounded up to
 * pages), or NULL. Its stack field is set; its other fields are zero if it
 * is new, or as the last task left them if it was reused. */
struct tg_task *tg__task_rec_alloc(struct tg__sched *s, size_t size);
/* At most this many ended tasks' records are kept per scheduler. */
enum { TG__FREE_RECS = 16 };
/* tg__task_rec_alloc, taking the newest free record at once when it was
 * mapped for the same size (a spawn loop's case). */
static inline struct tg_task *tg__task_rec_get(struct tg__sched *s, size_t size)
{
#if !defined(__SANITIZE_ADDRESS__) /* there the stack must be unpoisoned */
    struct tg_task *t = s->free_recs;
    if (t && t->stack.want == size) {
        s->free_recs = t->next;
        s->n_free_recs--;
        return t;
    }
#endif
    return tg__task_rec_alloc(s, size);
}
/* Gives t's record and stack back: to s's free list, or (when it is full)
 * to the system after unlist(s, t). */
void tg__task_rec_free(struct tg__sched *s, struct tg_task *t,
                       void (*unlist)(struct tg__sched *, struct tg_task *));
/* Unmaps every record on s's free list, each after unlist(s, t). */
void tg__task_rec_drop(struct tg__sched *s, void (*unlist)(struct tg__sched *, struct tg_task *));
/* Another thread (the detector) may read a task's record directly, without
 * tg__peek, between tg__rec_read_begin and tg__rec_read_end, provided the
 * task had not ended when it looked after the begin (its actor's state):
 * no record is unmapped while such a reader is inside (tg__task_rec_free
 * and tg__task_rec_drop wait for it; they are rare, and a reader reads a
 * few words). A record may still be reused for another task meanwhile:
 * what the reader copies may be torn, never unmapped. */
extern int tg__rec_readers;
static inline void tg__rec_read_begin(void)
{
    __atomic_fetch_add(&tg__rec_readers, 1, __ATOMIC_SEQ_CST);
}
static inline void tg__rec_read_end(void)
{
    __atomic_fetch_sub(&tg__rec_readers, 1, __ATOMIC_RELEASE);
}

/* ---- parks and queues (park.c) ----------------------------------------------- */
static inline void tg__park_init(struct tg__park *p, struct tg_task *t, int64_t deadline)
{
    p->task = t;
    p->outcome = TG__PENDING;
    p->heap_idx = -1;
    p->nocancel = 0;
    p->lock = NULL;
    p->deadline = deadline;
}
/* Claims p for `outcome` on behalf of a caller that holds the lock of a
 * queue p has a waiter in (or that knows p has none queued yet); 1 if this
 * caller won (and must then complete and wake it). A park whose every claim
 * happens under one lock (p->lock: one arm, no deadline) needs no atomic
 * read-modify-write. */
static inline int tg__park_claim_locked(struct tg__park *p, int outcome)
{
    if (p->lock) {
        if (p->outcome != TG__PENDING)
            return 0;
        __atomic_store_n(&p->outcome, outcome, __ATOMIC_RELEASE);
    } else {
        int pending = TG__PENDING;
        if (!__atomic_compare_exchange_n(&p->outcome, &pending, outcome, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 0;
    }
    /* Deadlock detection must not count a task whose wait has ended. */
    __atomic_store_n(&p->task->claimed, 1, __ATOMIC_RELEASE);
    return 1;
}
/* Claims p from anywhere (timers, cancellation, descriptors, the task). */
static inline int tg__park_claim(struct tg__park *p, int outcome)
{
    int *l = p->lock;
    if (!l)
        return tg__park_claim_locked(p, outcome);
    tg__spin_lock(l);
    int won = tg__park_claim_locked(p, outcome);
    tg__spin_unlock(l);
    return won;
}
static inline void tg__park_wake(struct tg__park *p) { tg__task_wake(p->task); }
/* Waiters whose parks a caller claimed, woken once it dropped its locks. */
struct tg__wakes {
    struct tg__waiter *head, *tail;
};
static inline void tg__wakes_add(struct tg__wakes *k, struct tg__waiter *w)
{
    w->next = NULL;
    if (k->tail)
        k->tail->next = w;
    else
        k->head = w;
    k->tail = w;
}
/* Wakes every collected task, in the order they were added. */
static inline void tg__wakes_flush(struct tg__wakes *k)
{
    struct tg__waiter *w = k->head;
    while (w) {
        /* Once woken, the waiter's task may return and its stack reuse w. */
        struct tg__waiter *next = w->next;
        tg__park_wake(w->park);
        w = next;
    }
    k->head = k->tail = NULL;
}

/* Queues (inline: a channel round trip and a join make several calls). A
 * queue is guarded by its primitive's spinlock. A waiter is unlinked exactly
 * once: by whoever claims it, by a pruning pass that finds its park already
 * claimed by another arm, or by its own task withdrawing it. w->q is NULL
 * once unlinked; it is read without the lock only to skip a waiter that is
 * already gone (it never goes back to non-NULL). */
static inline void tg__waitq_push(struct tg__waitq *q, int *lock, struct tg__waiter *w)
{
    struct tg__waiter *tail = (struct tg__waiter *)q->tail;
    w->next = NULL;
    w->prev = tail;
    w->lock = lock;
    if (tail)
        tail->next = w;
    else
        q->head = w;
    q->tail = w;
    __atomic_store_n(&w->q, q, __ATOMIC_RELAXED);
}

static inline void tg__waitq_unlink(struct tg__waitq *q, struct tg__waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    __atomic_store_n(&w->q, NULL, __ATOMIC_RELAXED);
}

static inline int tg__waiter_live(const struct tg__waiter *w)
{
    return __atomic_load_n(&w->park->outcome, __ATOMIC_ACQUIRE) == TG__PENDING;
}

/* Under the queue's lock: unlinks heads whose park was claimed by another
 * arm; returns the first live waiter or NULL. */
static inline struct tg__waiter *tg__waitq_live_head(struct tg__waitq *q)
{
    struct tg__waiter *w;
    while ((w = (struct tg__waiter *)q->head) && !tg__waiter_live(w))
        tg__waitq_unlink(q, w);
    return w;
}

/* Under the queue's lock: unlinks waiters from the head until one whose park
 * this call claims and returns it (the caller completes it and hands it to
 * tg__wakes_add), or NULL when none is left. With op >= 0, stops at a live
 * head whose op differs. */
static inline struct tg__waiter *tg__waitq_claim_first(struct tg__waitq *q, int op)
{
    struct tg__waiter *w;
    while ((w = tg__waitq_live_head(q))) {
        if (op >= 0 && w->op != op)
            return NULL;
        tg__waitq_unlink(q, w);
        if (tg__park_claim_locked(w->park, w->arm))
            return w;
    }
    return NULL;
}

/* The calling task unlinks each of its n waiters still queued, except `won`. */
void tg__waiters_withdraw(struct tg__waiter *w, int n, int won);
/* The same for a one-arm wait (most often claimed, so already unlinked). */
static inline void tg__waiter_withdraw(struct tg__waiter *w, int won)
{
    if (won != 0 && __atomic_load_n(&w->q, __ATOMIC_RELAXED))
        tg__waiters_withdraw(w, 1, won);
}

/* ---- blocking on arms (select.c) ------------------------------------------- */
/* Internal arm ops besides enum tg_sel_op. */
enum { TG__OP_JOIN = 16, TG__OP_WG, TG__OP_COND };
#define TG__B_TRY 0x1       /* never wait: TG_EAGAIN instead */
#define TG__B_NOCANCEL 0x2  /* cancellation does not end this wait */
/* The start of every blocking call: the calling task in *tp, or a TG_E* code.
 * A cancelled task does not start a wait (unless flags say so). */
static inline __attribute__((always_inline)) int tg__block_start(struct tg_task **tp, int flags)
{
    struct tg__sched *s = tg__sched_self;
    struct tg_task *t = s ? s->current : NULL;
    if (!t)
        return TG_ENOTASK;
    if (!(flags & TG__B_TRY))
        tg__coop(s);
    if (!(flags & (TG__B_NOCANCEL | TG__B_TRY)) && __atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
        return TG_ECANCELED;
    /* Before anything is queued: a claim of this wait sets it again. */
    __atomic_store_n(&t->claimed, 0, __ATOMIC_RELAXED);
    *tp = t;
    return 0;
}
/* Completes one arm (returns its index), or waits until a peer completes one,
 * the deadline passes (TG_ETIMEDOUT) or the task is cancelled
 * (TG_ECANCELED). Every arm's lock is held while the arms are tried and
 * queued, so the task's park cannot be claimed before all are queued. */
int tg__task_block(struct tg_sel *arms, int n, int64_t deadline, int flags, uintptr_t pc);
/* The waiting half of it, for a park whose waiters are queued already:
 * publishes the wait to the engine (kind: TG__W_*, check: run detection
 * now), parks, withdraws the publication; returns the park's outcome. The
 * caller withdraws its waiters. (Channels call it directly.) */
int tg__park_as(struct tg__park *p, int flags, int kind, void *obj, struct tg_task *target,
                int check, const char *what, uintptr_t pc);

/* A blocking channel call with no deadline, from holding the channel's
 * lock (which it drops) to the call's result (sched.c). */
int tg__park_chan(struct tg_task *t, tg_chan *c, struct tg__waitq *q, int op, void *data,
                  uintptr_t pc);

/* Per-primitive parts, called with the primitive's lock held. try: complete
 * w now if possible (1) or not (0); enqueue: link w in the right queue. */
int tg__mutex_try(tg_mutex *m, struct tg__waiter *w);
int tg__rwlock_try(tg_rwlock *l, struct tg__waiter *w);
int tg__sem_try(tg_sem *s, struct tg__waiter *w);
int tg__event_try(tg_event *e, struct tg__waiter *w);
int tg__waitgroup_try(tg_waitgroup *g, struct tg__waiter *w);
int tg__chan_try(tg_chan *c, struct tg__waiter *w, struct tg__wakes *k);
int tg__join_try(struct tg_task *t, struct tg__waiter *w);
/* After a queue lost a waiter without a grant: pass the primitive on to the
 * next live waiters if it is free (rwlock, semaphore). */
void tg__rwlock_grant(tg_rwlock *l, struct tg__wakes *k);
void tg__sem_grant(tg_sem *s, struct tg__wakes *k);
/* Re-takes m after a condition wait, ignoring cancellation. */
int tg__mutex_relock(tg_mutex *m, uintptr_t pc);
/* The winner of a lock-like arm records its hold, on its own thread. */
void tg__mutex_won(tg_mutex *m, struct tg_task *t, uintptr_t pc);
void tg__rwlock_won(tg_rwlock *l, struct tg_task *t, int write, uintptr_t pc);
void tg__sem_won(tg_sem *s, struct tg_task *t, uintptr_t pc);
/* Frees the permit nodes t allocated (sem.c). */
void tg__permits_free(struct tg_task *t);

/* A primitive's spinlock (first field of every primitive). */
static inline int *tg__prim_lock(void *obj) { return &((struct tg__prim *)obj)->lock; }

#endif
