/* SPDX-License-Identifier: MIT */
/* preload.h: what the pthread interposition files share. */
#ifndef TG_PRELOAD_PRELOAD_H
#define TG_PRELOAD_PRELOAD_H

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>

#include "core/internal.h"

#define TG_EXPORT __attribute__((visibility("default")))
#define CALLER_PC ((uintptr_t)__builtin_return_address(0))
/* A hook without a frame of its own (tangle keeps frame pointers
 * elsewhere: CMakeLists.txt), for the hooks every lock runs: a push, a move
 * and a pop less, and its caller's address read from the stack. Only for
 * a hook whose calls into tangle that may capture a stack are all tail
 * calls: a capture follows tangle's frame pointers out to the program's
 * frame (core/stack.c), and from a frame called by a frameless hook it
 * would take the hook's caller's frame for the program's. */
#define TG_FRAMELESS __attribute__((optimize("omit-frame-pointer", "no-tree-slp-vectorize")))

/* The real functions, from dlsym(RTLD_NEXT) (dlvsym where glibc keeps two
 * versions), resolved on first use so hooks work before our constructor. */
struct tg_real {
    int (*mutex_lock)(pthread_mutex_t *);
    int (*mutex_trylock)(pthread_mutex_t *);
    int (*mutex_unlock)(pthread_mutex_t *);
    int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
    int (*mutex_destroy)(pthread_mutex_t *);
    int (*rwlock_rdlock)(pthread_rwlock_t *);
    int (*rwlock_wrlock)(pthread_rwlock_t *);
    int (*rwlock_tryrdlock)(pthread_rwlock_t *);
    int (*rwlock_trywrlock)(pthread_rwlock_t *);
    int (*rwlock_unlock)(pthread_rwlock_t *);
    int (*rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
    int (*rwlock_destroy)(pthread_rwlock_t *);
    int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
    int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*cond_init)(pthread_cond_t *, const pthread_condattr_t *);
    int (*cond_signal)(pthread_cond_t *);
    int (*cond_broadcast)(pthread_cond_t *);
    int (*cond_destroy)(pthread_cond_t *);
    int (*sem_init)(sem_t *, int, unsigned);
    int (*sem_destroy)(sem_t *);
    int (*sem_wait)(sem_t *);
    int (*sem_trywait)(sem_t *);
    int (*sem_timedwait)(sem_t *, const struct timespec *);
    int (*sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
    int (*sem_post)(sem_t *);
    int (*barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);
    int (*barrier_wait)(pthread_barrier_t *);
    int (*barrier_destroy)(pthread_barrier_t *);
    int (*spin_lock)(pthread_spinlock_t *);
    int (*spin_trylock)(pthread_spinlock_t *);
    int (*spin_unlock)(pthread_spinlock_t *);
    int (*spin_init)(pthread_spinlock_t *, int);
    int (*spin_destroy)(pthread_spinlock_t *);
    int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*join)(pthread_t, void **);
    int (*timedjoin_np)(pthread_t, void **, const struct timespec *);
    int (*clockjoin_np)(pthread_t, void **, clockid_t, const struct timespec *);
    int (*tryjoin_np)(pthread_t, void **);
    int (*detach)(pthread_t);
    void (*exit)(void *) __attribute__((noreturn));
    int (*setname_np)(pthread_t, const char *);
    int (*c11_create)(pthread_t *, int (*)(void *), void *); /* thrd_create; NULL before glibc 2.28 */
    int ready;
};
extern TG_HIDDEN struct tg_real tg__real;
void tg__real_resolve(void);
#define REAL(f) (TG_LIKELY(tg__real.ready) ? 0 : (tg__real_resolve(), 0), tg__real.f)
/* The same for mutex_lock, mutex_trylock and mutex_unlock, without the
 * check: until resolved, they point to functions that resolve, then call
 * the real one. */
#define REAL_MUTEX(f) (tg__real.f)

/* This thread's actor, registering the thread on first use; NULL inside
 * tangle, in its own threads, while the thread exits, or if tangle is off. */
/* ts plus ms milliseconds, normalised (the first, short leg of a wait). */
static inline void tg__add_ms(struct timespec *ts, int ms)
{
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* tangle's private signals (signal.c): installed for good, the program's
 * own disposition kept and applied beside them. install: fn runs for
 * tangle's requests only; 0, or -1 if the signal cannot be had. send: a
 * request to thread t (kernel id tid), unless the program ignores the
 * signal or t blocks it; 0 if sent. after_fork: in a fork child. */
int tg__private_signal_install(int sig, void (*fn)(int, siginfo_t *, void *));
int tg__private_signal_send(pthread_t t, long tid, int sig);
int tg__private_signal_is_request(const siginfo_t *info);
uintptr_t tg__private_signal_program_handler(int sig);
void tg__private_signal_after_fork(void);

/* Ends the holds that a's signal handlers gave back, by sem_post, while
 * the thread was inside tangle (sem.c); a may be NULL. */
void tg__sem_deferred_posts(struct tg_actor *a);

struct tg_actor *tg__self_slow(void);
extern __thread int tg__no_actor __attribute__((tls_model("initial-exec")));
static inline struct tg_actor *tg__self(void)
{
    struct tg_actor *a = tg__current;
    if (TG_LIKELY(a != NULL))
        return TG_UNLIKELY(tg__guard) ? NULL : a;
    return tg__self_slow();
}

/* 1 in a fork child when other threads of the parent held locks at
 * fork() (thread.c; a switch of tg__modes). */
#define tg__inherited_holds (tg__modes.on.inherited_holds)

/* A wait with tangle's cycle check in the middle: `timed` is called first
 * with a deadline check_ms away (skipped if it is NULL or answers EINVAL),
 * then the check runs, then the call proper: `timed` with the user's
 * deadline, or `untimed`. Handles the on_deadlock policy. Returns the
 * result of the real call. */
typedef int (*tg_timed_fn)(void *obj, clockid_t clk, const struct timespec *abs);
typedef int (*tg_untimed_fn)(void *obj);
int tg__block(struct tg_actor *a, const struct tg_wait_desc *w, void *obj, tg_timed_fn timed,
              tg_untimed_fn untimed, clockid_t user_clk, const struct timespec *user_abs);

/* Stack of the current wait, captured once per call site in a row. */
uint32_t tg__wait_site(uintptr_t pc);

/* Misuse reports (misuse.c); see there. */
void tg__misuse_unlock(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, int rc, uintptr_t pc);
void tg__misuse_destroy(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, uintptr_t pc);
void tg__misuse_after_destroy(struct tg_actor *a, struct tg_res *r, uintptr_t pc);
void tg__misuse(enum tg_hazard h, struct tg_actor *a, uintptr_t pc, const char *advice,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tg__misuse_freed(struct tg_actor *a, uintptr_t lo, uintptr_t hi, const char *how, uintptr_t pc);
void tg__misuse_hold_time(struct tg_actor *a, const struct tg_held *h, uintptr_t pc);
void tg__free_resolve(void);

/* Object lifetimes, shared by every init and destroy hook: after a
 * successful init, a new instance; before a destroy, the misuse checks and
 * the entry to end (NULL if none), ended by tg__destroyed when glibc
 * accepted the destroy. */
void tg__initialized_slow(int rc, uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc);
static inline void tg__initialized(int rc, uintptr_t addr, enum tg_res_kind kind, uint32_t flags,
                                   uintptr_t pc)
{
    /* A registered thread outside tangle: the engine is up. */
    if (TG_LIKELY(rc == 0 && tg__current != NULL && !tg__guard))
        tg__res_init(addr, kind, flags, pc);
    else
        tg__initialized_slow(rc, addr, kind, flags, pc);
}
struct tg_res *tg__destroying(uintptr_t addr, enum tg_res_kind kind, uintptr_t pc);
/* The same for a lock whose memory is not a pthread object (annotated and
 * GLib locks): idle (1) or not (0) as the caller read it, -1 to read it as
 * the pthread object of that kind. */
struct tg_res *tg__destroying_word(uintptr_t addr, enum tg_res_kind kind, int idle, uintptr_t pc);
void tg__destroyed(struct tg_res *r, int rc);

/* What glibc's objects say about themselves (objects.c). The flags of an
 * object from its own bytes (process-shared, robust, kind); its size. */
uint32_t tg__object_flags(const void *obj, enum tg_res_kind kind);
size_t tg__object_size(enum tg_res_kind kind);
/* r, the entry of the object at obj, fit for use: if r was destroyed and
 * the bytes show a new object there (a static initialiser, a C++
 * constructor), a new instance; if they do not, r after a use-after-
 * destroy report. */
struct tg_res *tg__live_res(struct tg_actor *a, struct tg_res *r, const void *obj, uintptr_t pc);
void tg__objects_setup(void);
/* 1 if glibc's own bytes say that nobody holds or waits for the lock at
 * obj (a mutex or spinlock unlocked, an rwlock in its initial state); 0 if
 * someone may, or the kind keeps no such record. Lets a destroy skip the
 * search for holders and waiters. */
int tg__object_idle(const void *obj, enum tg_res_kind kind);
/* 0 if obj cannot be an object of that kind (a semaphore's bytes
 * overwritten or never set, a misaligned mutex); 1 if it may be. */
int tg__object_valid(const void *obj, enum tg_res_kind kind);

/* The recorder (record.c); every call is guarded by REC(). */
#define tg__recording (tg__modes.on.recording) /* a switch of tg__modes */
#define REC(call)                                                                       \
    do {                                                                                \
        if (TG_UNLIKELY(tg__recording))                                                 \
            call;                                                                       \
    } while (0)
void tg__record_start(void);
void tg__record_finish(void);
/* Writes the block in progress (the watchdog, every tick). */
void tg__record_tick(void);
void tg__record_after_fork_child(void);
void tg__rec_acquire(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, int mode,
                     int try_, uintptr_t pc, uint32_t stack);
void tg__rec_release(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, uintptr_t pc);
void tg__rec_fork(struct tg_actor *parent, struct tg_actor *child, uint32_t stack);
void tg__rec_join(struct tg_actor *joiner, struct tg_actor *joined, uintptr_t pc);
void tg__rec_wait(struct tg_actor *a, uintptr_t cond, uintptr_t mutex, uintptr_t pc);
void tg__rec_notify(struct tg_actor *a, uintptr_t cond, int broadcast, uintptr_t pc);
void tg__rec_sem(struct tg_actor *a, struct tg_res *r, int post, uintptr_t pc);
/* 1 once the watchdog thread runs (thread.c). */
extern TG_HIDDEN int tg__watchdog_started;
static inline int tg__watchdog_running(void)
{
    return __atomic_load_n(&tg__watchdog_started, __ATOMIC_RELAXED);
}

/* Pops the newest hold of addr (any kind) after checking its hold time;
 * 0, or -1 if a does not hold it. */
static inline int tg__release_addr(struct tg_actor *a, uintptr_t addr, uintptr_t pc)
{
    int n = a->n_held;
    int i = n - 1;
    if (TG_UNLIKELY(i < 0 || a->held[i].addr != addr)) {
        while (--i >= 0 && a->held[i].addr != addr)
            ;
        if (i < 0)
            return -1;
    }
    if (TG_UNLIKELY(tg__hold_watch))
        tg__misuse_hold_time(a, &a->held[i], pc);
    tg__held_remove(a, i);
    return 0;
}

/* The hooks proper, with the caller's return address given: the pthread
 * entry points and C11's (c11.c, which maps their errno results to thrd_*
 * codes) share them. Each returns what glibc's pthread call returns. */
int tg__mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr, uintptr_t pc);
int tg__mutex_destroy(pthread_mutex_t *m, uintptr_t pc);
int tg__mutex_lock(pthread_mutex_t *m, uintptr_t pc);
int tg__mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs, uintptr_t pc);
int tg__mutex_trylock(pthread_mutex_t *m, uintptr_t pc);
int tg__mutex_unlock(pthread_mutex_t *m, uintptr_t pc);
int tg__cond_init(pthread_cond_t *c, const pthread_condattr_t *attr, uintptr_t pc);
int tg__cond_destroy(pthread_cond_t *c, uintptr_t pc);
/* A wait with a CLOCK_REALTIME deadline, or untimed if abs is NULL. */
int tg__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs, uintptr_t pc);
int tg__cond_notify(pthread_cond_t *c, int broadcast, uintptr_t pc);
/* Creates a thread running fn(arg), or, if fn is NULL, the C11 start
 * c11_fn(arg), whose int result becomes the thread's result. */
int tg__thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                      int (*c11_fn)(void *), void *arg);
int tg__thread_join(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs, uintptr_t pc);
int tg__thread_detach(pthread_t t);

/* After an acquisition that went through tg__block: the hold keeps the
 * full stack of the wait. */
void tg__acquired_slow(struct tg_actor *a, struct tg_res *r, enum tg_mode m, uintptr_t pc);

#endif
