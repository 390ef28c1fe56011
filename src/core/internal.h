/* SPDX-License-Identifier: MIT */
/* internal.h: engine state shared by the files of src/core only. */
#ifndef TG_CORE_INTERNAL_H
#define TG_CORE_INTERNAL_H

#include "core/engine.h"
#include "core/lock.h"
#include "core/options.h"

/* tg__guard (engine.h): >0 while this thread runs tangle's own code. */

/* tangle's own locks (lock.h), taken with tg__guard raised: a thread
 * holding one runs tangle's code, so a signal handler that interrupts it
 * and calls a hook (sem_post is async-signal-safe: a handler may) passes
 * straight through instead of waiting for a lock its own thread holds. */
static inline void tg__own_lock(tg_lock_t *l)
{
    tg__guard++;
    tg__lock_take(l);
}

static inline void tg__own_unlock(tg_lock_t *l)
{
    tg__lock_give(l);
    tg__guard--;
}

/* The engine lock: a leaf, taken only on slow paths. */
void tg__lock(void);
void tg__unlock(void);
/* Takes the engine lock if it is free (1), else returns 0 at once. */
int tg__trylock(void);

/* The registry, read under the engine lock. */
extern struct tg_actor **tg__actors; /* grows (engine.c): reload it after tg__actor_slots */
extern int tg__actor_slots; /* high-water mark of used slots; freed slots are reused first */
/* The thread actors among them (no tasks), also under the engine lock:
 * what the watchdog walks on every tick, so that its cost follows the
 * number of threads, not of tasks. */
extern struct tg_actor **tg__threads;
extern int tg__n_threads;

/* Set when something happened that could make an actor stuck (a wait
 * began, an actor ended); cleared by a scan. A scan that found nothing
 * stuck is not repeated until it is set again, so an idle process with
 * many blocked tasks costs the watchdog nothing per tick. A store only
 * when it was clear, so that the line stays shared between threads. */
extern int tg__changed;
static inline void tg__note_change(void)
{
    if (!__atomic_load_n(&tg__changed, __ATOMIC_RELAXED))
        __atomic_store_n(&tg__changed, 1, __ATOMIC_RELAXED);
}

/* Called once, on the first wait, by tg__wait_begin; the frontend sets it
 * to start its watchdog. */
extern void (*tg__first_wait_hook)(void);
/* Called (engine lock held) when an actor's published lock call is first
 * seen stuck, so the frontend can have the actor capture its own stack
 * (a thread cannot unwind another); 0 when the request was sent (the
 * watchdog then waits a while for the answer before it counts the actor
 * as blocked), -1 when it could not be. NULL if the frontend cannot. */
extern int (*tg__stuck_hook)(struct tg_actor *a);
/* The flags an object's own memory shows (process-shared, robust), for
 * entries the engine creates itself (a lock first seen held or waited
 * for); set by the frontend, NULL if it cannot tell. Safe on memory that
 * is gone. */
extern uint32_t (*tg__res_flags_hook)(uintptr_t addr, enum tg_res_kind kind);
/* The owner a mutex's own memory names (glibc keeps the owner's tid), 0
 * if none, -1 if it cannot tell; set by the frontend. Safe on memory
 * that is gone. */
extern long (*tg__mutex_owner_hook)(uintptr_t addr);
/* The count a POSIX semaphore's own memory holds, -1 if it cannot tell;
 * set by the frontend, asked for TG_WF_COUNTED waits. A waiter that was
 * posted but not yet scheduled still shows its wait: the count says it
 * will pass. Safe on memory that is gone. */
extern int (*tg__sem_count_hook)(uintptr_t addr);
/* What may wake a stalled process unseen (unseen.c), asked before a stall
 * is declared, engine lock held. tg__threads_unseen: 1 if the kernel lists
 * a live thread of the process that no live actor stands for (only once
 * the frontend sets tg__os_threads_known: it registers every thread that
 * calls it, with its tid; tg__watchdog_tid is its own). tg__signal_may_post:
 * 1 if the program has a handler for a signal that can come from outside
 * (a timer, another process), which may post a semaphore. */
extern int tg__os_threads_known;
extern _Atomic long tg__watchdog_tid;
int tg__threads_unseen(void);
/* The watchdog's tick for threads asleep on the C library's own locks
 * (libcwait.c): 1 if one started or stopped counting as blocked. Engine
 * lock held. */
int tg__libc_wait_watch(void);
/* 1 while a thread is seen blocked on the dynamic loader's lock: reports
 * must not dlopen then (its holder may be blocked too). */
extern int tg__loader_busy;
int tg__signal_may_post(void);
/* The program's own handler for a signal whose kernel handler is tangle's
 * (a private signal of the frontend), SIG_DFL if none; NULL: no such signal. */
extern uintptr_t (*tg__program_handler_hook)(int sig);
/* tg__stack_capture with the engine lock held (it is released around the
 * unwinder, if the stack was not seen before: then *unlocked is set to 1,
 * if unlocked is not NULL). */
uint32_t tg__stack_capture_locked(int skip, int *unlocked);
/* tg__stack_capture for a caller with a memo of its own (*own, NULL at
 * first; one per actor): a stack captured before from the same call
 * sites is recognised without any lock; otherwise it is captured as
 * tg__stack_capture does and, if the shared memo keeps it, copied into
 * *own. Only the memo's actor may use it. */
struct tg_stack_memo;
uint32_t tg__stack_capture_own(struct tg_stack_memo **own, int skip);
/* tg__stack_intern with the engine lock already held. */
uint32_t tg__stack_intern_locked(const uintptr_t *pcs, int n);

/* The system refused tangle memory (an address-space limit such as
 * ulimit -v, or memory exhausted): one warning for the process, saying
 * what tangle no longer watches (`consequence`). */
void tg__out_of_memory(const char *consequence);

/* One-line warning on stderr, printed once per `once` flag. */
void tg__warn_once(int *once, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills an actor description (wait, holds, creation stack) from a
 * consistent copy of its state. `holds` may be NULL (no holds shown). */
void tg__describe_actor(struct tg_actor_info *info, const struct tg_actor *a,
                        const struct tg_wait_desc *wait, uint32_t wait_stack,
                        const struct tg_held *held, int n_held);
void tg__stack_to_info(struct tg_stack *out, uint32_t id, uintptr_t fallback_pc);

/* Findings the user turned off (filter.c). */
int tg__filter_init(char *err, size_t n);
int tg__hazard_on(enum tg_hazard h);
int tg__suppressed(const struct tg_finding *f);

/* tangle's own allocator (alloc.c): what is allocated under the engine
 * lock comes from here, never from the program's malloc. Zeroed. */
/* Bytes tg__alloc keeps before each block it returns (16-byte aligned):
 * a block of n bytes takes the size class of n + TG_ALLOC_HEADER. */
#define TG_ALLOC_HEADER 16
void *tg__alloc(size_t n);
/* The same, not zeroed: for large tables whose places are filled before
 * use (a fresh mapping's pages are touched only as they fill). */
void *tg__alloc_uninit(size_t n);
void tg__free(void *p);
void *tg__realloc(void *p, size_t n);
void tg__alloc_after_fork(void);

void tg__stack_init(void);
/* Return addresses of the calling thread, innermost first, without this
 * function's own frame; never calls malloc, dlopen or a pthread lock
 * (unwind.c). Returns 0 frames until tg__unwind_init has run, which must
 * be called where the program holds none of its locks (a constructor). */
int tg__backtrace(void **pcs, int max);
/* The same, with where each return address was found on the stack
 * (meaningful on x86-64 only; a caller checks them before relying on them). */
int tg__backtrace_at(void **pcs, uintptr_t *slots, int max);
void tg__unwind_init(void);
/* 1 if pc is in tangle's own code (known once tg__stack_init has run);
 * async-signal-safe. */
int tg__in_self(uintptr_t pc);
void tg__res_table_init(void);
/* The most slots of an old resource index that one insert moved into the
 * index that took over from it (for tests: a bound, MOVE_PACE in res.c). */
size_t tg__res_moved_most(void);
void tg__res_after_fork(void);
/* In a fork child: the happens-before slot pool's lock is free (lockorder.c). */
void tg__hb_after_fork(void);
void tg__report_after_fork(void);
void tg__report_flush(void);
/* The file an output option names for this process (see report.c). */
void tg__output_path(const char *opt, char *out, size_t n);
/* The text report's file (the log option with %p expanded). */
void tg__log_path(char *out, size_t n);
/* The run as a whole (run.c): its start and end for the JSON report, and
 * the note a reporting process leaves for `tangle run`. run_mark writes the
 * JSON with them (report.c). */
void tg__run_begin(void);
void tg__run_after_fork(void);
void tg__run_end(void);
int tg__run_is_owner(void);
void tg__run_note(unsigned long n);
struct tg_report_meta;
void tg__run_meta(struct tg_report_meta *m);
void tg__report_run_mark(void);
/* Called by tg__deadlock_policy before the process ends (the recorder
 * finishes its trace); NULL if none. */
extern void (*tg__before_exit_hook)(void);
/* The report lock, held across a report so that a deadlock policy (which
 * takes it too) never ends the process in the middle of one. Order: the
 * engine lock, then the report lock. */
void tg__report_hold(void);
void tg__report_release(void);
int tg__report_locked(struct tg_finding *f);
/* 1 if hazard h was already reported from call site pc (its repeat count
 * is bumped), or h is turned off: then the caller builds nothing. */
int tg__hazard_repeat(enum tg_hazard h, uintptr_t pc);
/* Remember that finding f (just reported) came from call site pc. */
void tg__hazard_site(enum tg_hazard h, uintptr_t pc, const struct tg_finding *f);

#endif
