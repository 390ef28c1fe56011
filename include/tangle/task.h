/* SPDX-License-Identifier: MIT */
/* tangle/task.h: tasks for C in which a deadlock cannot hide.
 *
 * Stackful tasks run on schedulers, one per OS thread that calls tg_run().
 * Primitives (mutex, rwlock, semaphore, event, condition, wait group,
 * channels, select) are structs owned by the caller; they may be shared by
 * tasks of different schedulers. Every primitive is FIFO-fair and hands off:
 * a released lock goes to the task that waited longest, never to a newcomer.
 *
 * Every call returns 0 (or, for select, a non-negative arm index) or a
 * negative TG_E* code; tg_strerror() names it. Every blocking call has an
 * `_until` variant taking an absolute deadline in nanoseconds of
 * tg_now()'s clock; TG_FOREVER waits without one.
 *
 * When the program runs under tangle (linked with libtangle or preloaded),
 * holds and waits are recorded for tangle's engine: a wait-for cycle through
 * mutexes and joins is reported the moment it closes, other cycles within
 * about a second, a set of schedulers with nothing left to run reports who
 * waits for whom, and by default the program then ends with exit status 66.
 * See docs/tasks.md.
 *
 * Blocking calls must be made from a task. Called from a thread that is not
 * running a task they return TG_ENOTASK.
 */
#ifndef TANGLE_TASK_H
#define TANGLE_TASK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* ---- errors ------------------------------------------------------------ */
enum {
    TG_ETIMEDOUT = -1,  /* the deadline passed first */
    TG_ECANCELED = -2,  /* the task was cancelled (tg_cancel) */
    TG_ECLOSED = -3,    /* the channel is closed (and, for receives, drained) */
    TG_ENOMEM = -4,     /* out of memory (or address space for stacks) */
    TG_EINVAL = -5,     /* an argument is invalid */
    TG_EAGAIN = -6,     /* a try operation would have to wait */
    TG_EDEADLK = -7,    /* the wait could never end (a task joining itself) */
    TG_EPERM = -8,      /* the caller does not hold what it releases */
    TG_ENOTASK = -9,    /* called outside a task */
    TG_EBUSY = -10,     /* destroy of a primitive that is held or waited on */
    TG_ESYS = -11       /* a system call failed; errno says why */
};
/* A static sentence describing err (0 included); never NULL. */
const char *tg_strerror(int err);

/* ---- time -------------------------------------------------------------- */
#define TG_FOREVER INT64_MAX
/* Monotonic clock in nanoseconds; deadlines are values of this clock. */
int64_t tg_now(void);

/* ---- tasks and schedulers ---------------------------------------------- */
typedef struct tg_task tg_task;
typedef void *(*tg_fn)(void *arg);

struct tg_config {
    size_t stack_size;        /* bytes per task stack (default 256 KiB) */
    int detect;               /* 1: record waits and holds in tangle (default) */
    int64_t long_task_ns;     /* hazard: running without a switch this long (default 1 s; 0 off) */
    int64_t long_hold_ns;     /* hazard: a task lock held this long (default 5 s; 0 off) */
    int starvation_fatal;     /* 1: a long-running task starving others is treated as a
                                 deadlock (the program ends with status 66); default 0 */
    int budget;               /* cooperative budget: after this many calls that may wait
                                 (lock, acquire, send, receive, select, join, event and
                                 wait-group waits) without a switch, the next such call
                                 yields first, so that a loop of calls that succeed at
                                 once cannot starve the other tasks (default 128, like
                                 Tokio; 0 off). try calls never yield. */
};
/* The configuration in force; change it before the first tg_run(). */
void tg_config_get(struct tg_config *c);
void tg_config_set(const struct tg_config *c);

/* Runs `main` as a task named "main" on a new scheduler bound to the calling
 * thread, and returns once every task spawned on this scheduler has
 * finished. Several threads may each call tg_run(). Returns 0, TG_ENOMEM, or
 * TG_EINVAL when the thread already runs a scheduler. */
int tg_run(tg_fn main, void *arg);

struct tg_spawn_opts {
    size_t stack_size;        /* 0: the configured default */
};
/* Creates a runnable task on the caller's scheduler. With t == NULL the task
 * is detached (nobody joins it); otherwise *t must be joined exactly once,
 * which frees it. The name (truncated to 31 bytes) appears in reports. */
int tg_spawn(tg_task **t, const char *name, tg_fn fn, void *arg);
int tg_spawn_opts(tg_task **t, const char *name, tg_fn fn, void *arg,
                  const struct tg_spawn_opts *opts);
/* Waits for t to finish, stores its result in *result (if not NULL) and
 * frees t. Joining oneself returns TG_EDEADLK. On timeout or cancellation t
 * is not freed and may be joined again. */
int tg_join(tg_task *t, void **result);
int tg_join_until(tg_task *t, void **result, int64_t deadline);
/* Lets every other runnable task of this scheduler run once. */
int tg_yield(void);
int tg_sleep(int64_t ns);
int tg_sleep_until(int64_t deadline);
/* Cancels t: its current wait (if any) and every later blocking call return
 * TG_ECANCELED. Cancellation removes t from every wait queue; it releases
 * nothing t holds: t must unwind and release its own locks (a task that ends
 * holding a lock is reported). Cancelling a finished task does nothing. */
int tg_cancel(tg_task *t);
/* 1 if the calling task has been cancelled. */
int tg_cancelled(void);
/* The calling task, NULL outside tasks. */
tg_task *tg_self(void);
const char *tg_task_name(const tg_task *t);

/* ---- file descriptors --------------------------------------------------- */
#define TG_READABLE 0x1
#define TG_WRITABLE 0x2
/* Waits until fd is readable and/or writable (events: TG_READABLE |
 * TG_WRITABLE) without blocking the scheduler thread. Returns the ready
 * events (> 0) or an error. fd must not be waited on by two tasks at once. */
int tg_fd_wait(int fd, int events);
int tg_fd_wait_until(int fd, int events, int64_t deadline);

/* ---- primitives: shared internals ---------------------------------------- */
/* Opaque to users; the layout only lets callers own the storage. */
struct tg__waitq { void *head, *tail; };
struct tg__prim {
    int lock;                 /* spinlock guarding the state and queues */
    int kind;                 /* which primitive this is */
    void *res;                /* tangle's record of this resource, or NULL */
};

/* ---- static initializers --------------------------------------------------
 * Every primitive may be initialized statically instead of by its _init
 * call, like PTHREAD_MUTEX_INITIALIZER:
 *
 *     static tg_mutex cache_lock = TG_MUTEX_INIT;
 *     static tg_chan jobs = TG_CHAN_INIT(sizeof(struct job), 16);
 *
 * tangle registers such a primitive on its first acquisition or wait (its
 * creation site in reports is that first use). A statically initialized
 * buffered channel allocates its ring on its first buffered send. Calling
 * the _destroy function is optional for them. */
#define TG__PRIM_INIT(kind) { 0, (kind), NULL }
#define TG__WAITQ_INIT { NULL, NULL }
#define TG_MUTEX_INIT { TG__PRIM_INIT(1), 0, 0, TG__WAITQ_INIT }
#define TG_RWLOCK_INIT { TG__PRIM_INIT(2), 0, NULL, 0, TG__WAITQ_INIT }
/* permits >= 0; flags 0 or TG_SEM_SIGNAL, as for tg_sem_init. */
#define TG_SEM_INIT(permits, flags) { TG__PRIM_INIT(3), (permits), (flags), TG__WAITQ_INIT, 0 }
#define TG_EVENT_INIT { TG__PRIM_INIT(4), 0, TG__WAITQ_INIT }
#define TG_COND_INIT { TG__PRIM_INIT(5), TG__WAITQ_INIT }
#define TG_WAITGROUP_INIT { TG__PRIM_INIT(6), 0, TG__WAITQ_INIT }
/* elem_size > 0; capacity 0, > 0 or TG_CHAN_UNBOUNDED, as for tg_chan_init. */
#define TG_CHAN_INIT(elem_size, capacity)                                             \
    { TG__PRIM_INIT(7), (elem_size), (capacity), NULL,                                \
      (capacity) == TG_CHAN_UNBOUNDED ? 16 : (capacity), 0, 0, 0, TG__WAITQ_INIT, TG__WAITQ_INIT }

/* ---- mutex ---------------------------------------------------------------- */
typedef struct tg_mutex {
    struct tg__prim p;
    uintptr_t state;          /* owner task | waiters bit */
    int64_t since;            /* coarse time of the last acquisition */
    struct tg__waitq q;
} tg_mutex;
int tg_mutex_init(tg_mutex *m);
int tg_mutex_destroy(tg_mutex *m);
int tg_mutex_lock(tg_mutex *m);
int tg_mutex_lock_until(tg_mutex *m, int64_t deadline);
int tg_mutex_trylock(tg_mutex *m);
int tg_mutex_unlock(tg_mutex *m);

/* ---- rwlock (task-fair: a queued writer blocks new readers) --------------- */
typedef struct tg_rwlock {
    struct tg__prim p;
    int readers;              /* read holders */
    void *writer;             /* write holder task */
    int64_t since;
    struct tg__waitq q;
} tg_rwlock;
int tg_rwlock_init(tg_rwlock *l);
int tg_rwlock_destroy(tg_rwlock *l);
int tg_rwlock_rdlock(tg_rwlock *l);
int tg_rwlock_rdlock_until(tg_rwlock *l, int64_t deadline);
int tg_rwlock_wrlock(tg_rwlock *l);
int tg_rwlock_wrlock_until(tg_rwlock *l, int64_t deadline);
int tg_rwlock_tryrdlock(tg_rwlock *l);
int tg_rwlock_trywrlock(tg_rwlock *l);
int tg_rwlock_unlock(tg_rwlock *l);

/* ---- semaphore ------------------------------------------------------------ */
/* By default a permit is owned by the task that acquired it and returned by
 * that task (like tokio's SemaphorePermit): reports list the permits each
 * task holds. With TG_SEM_SIGNAL any task may release and no hold is
 * recorded. Either way a permit cycle is reported as a stall (docs/tasks.md,
 * engine request 1). */
#define TG_SEM_SIGNAL 0x1
typedef struct tg_sem {
    struct tg__prim p;
    long permits;
    unsigned flags;
    struct tg__waitq q;
    void *holders;            /* with detection: the tasks holding its permits */
} tg_sem;
int tg_sem_init(tg_sem *s, long permits, unsigned flags);
int tg_sem_destroy(tg_sem *s);
int tg_sem_acquire(tg_sem *s);
int tg_sem_acquire_until(tg_sem *s, int64_t deadline);
int tg_sem_tryacquire(tg_sem *s);
int tg_sem_release(tg_sem *s);

/* ---- event: a flag tasks wait to see set ----------------------------------- */
typedef struct tg_event {
    struct tg__prim p;
    int set;
    struct tg__waitq q;
} tg_event;
int tg_event_init(tg_event *e);
int tg_event_destroy(tg_event *e);
/* Sets the flag and wakes every waiter; it stays set until tg_event_reset. */
int tg_event_set(tg_event *e);
int tg_event_reset(tg_event *e);
int tg_event_wait(tg_event *e);
int tg_event_wait_until(tg_event *e, int64_t deadline);

/* ---- condition, used with a tg_mutex ------------------------------------- */
typedef struct tg_cond {
    struct tg__prim p;
    struct tg__waitq q;
} tg_cond;
int tg_cond_init(tg_cond *c);
int tg_cond_destroy(tg_cond *c);
/* Releases m, waits for a signal, re-acquires m (also on timeout and
 * cancellation, so the caller always holds m when it returns). */
int tg_cond_wait(tg_cond *c, tg_mutex *m);
int tg_cond_wait_until(tg_cond *c, tg_mutex *m, int64_t deadline);
int tg_cond_signal(tg_cond *c);
int tg_cond_broadcast(tg_cond *c);

/* ---- wait group ------------------------------------------------------------ */
typedef struct tg_waitgroup {
    struct tg__prim p;
    long count;
    struct tg__waitq q;
} tg_waitgroup;
int tg_waitgroup_init(tg_waitgroup *g);
int tg_waitgroup_destroy(tg_waitgroup *g);
int tg_waitgroup_add(tg_waitgroup *g, long n);
int tg_waitgroup_done(tg_waitgroup *g);
int tg_waitgroup_wait(tg_waitgroup *g);
int tg_waitgroup_wait_until(tg_waitgroup *g, int64_t deadline);

/* ---- channels --------------------------------------------------------------- */
/* capacity 0: unbuffered (a send completes when a receiver takes the value);
 * > 0: bounded; TG_CHAN_UNBOUNDED: sends never wait. Values are copied, each
 * elem_size bytes. */
#define TG_CHAN_UNBOUNDED (-1L)
typedef struct tg_chan {
    struct tg__prim p;
    size_t elem_size;
    long capacity;
    char *buf;                /* ring of cap elements (grown when unbounded) */
    long cap, head, count;
    int closed;
    struct tg__waitq sendq, recvq;
} tg_chan;
int tg_chan_init(tg_chan *c, size_t elem_size, long capacity);
int tg_chan_destroy(tg_chan *c);
int tg_chan_send(tg_chan *c, const void *elem);
int tg_chan_send_until(tg_chan *c, const void *elem, int64_t deadline);
int tg_chan_trysend(tg_chan *c, const void *elem);
/* Returns TG_ECLOSED once the channel is closed and drained. */
int tg_chan_recv(tg_chan *c, void *elem);
int tg_chan_recv_until(tg_chan *c, void *elem, int64_t deadline);
int tg_chan_tryrecv(tg_chan *c, void *elem);
/* Waiting senders then fail with TG_ECLOSED, receivers once it is drained. */
int tg_chan_close(tg_chan *c);

/* ---- select ----------------------------------------------------------------- */
enum tg_sel_op {
    TG_SEL_SEND,    /* obj: tg_chan *, data: the element to send */
    TG_SEL_RECV,    /* obj: tg_chan *, data: where to store it */
    TG_SEL_LOCK,    /* obj: tg_mutex * */
    TG_SEL_RDLOCK,  /* obj: tg_rwlock * */
    TG_SEL_WRLOCK,  /* obj: tg_rwlock * */
    TG_SEL_ACQUIRE, /* obj: tg_sem * */
    TG_SEL_WAIT     /* obj: tg_event * */
};
struct tg_sel {
    int op;                   /* enum tg_sel_op */
    void *obj;
    void *data;
    int result;               /* out, for the arm that won: 0 or TG_ECLOSED */
};
/* Completes exactly one arm and returns its index, or returns TG_ETIMEDOUT /
 * TG_ECANCELED having completed none. Arms are tried in order. The arms that
 * lose are withdrawn from their queues atomically with the win: no lock,
 * permit or value is ever handed to an arm that did not win, so a select can
 * never leave a lock granted to code nobody runs (no futurelock). */
int tg_select(struct tg_sel *arms, int n, int64_t deadline);

/* ---- inspection --------------------------------------------------------------- */
/* Writes every task (state, what it waits for, spawn site) and every
 * primitive (holders, waiters) to fd. Safe to call from any thread. */
void tg_dump(int fd);
/* Makes signal `sig` (e.g. SIGUSR1) write tg_dump() to stderr; 0 or TG_ESYS. */
int tg_dump_on_signal(int sig);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
