/* SPDX-License-Identifier: MIT */
/* tangle/annotate.h: a program describes its own locks to tangle.
 *
 * tangle sees pthread locks by interposing them. A lock the program builds
 * itself (a spinlock on an atomic flag, a mutex on a futex, a lock from a
 * library tangle does not know) is invisible until the program says what
 * happens to it. These calls say it. A lock described this way gets what a
 * pthread mutex gets: a cycle of waits is reported while it happens, a
 * nesting of locks feeds the lock-order graph (potential deadlocks), and
 * misuse (unlock of a lock the thread does not hold, destroy while held) is
 * reported; every report has stacks.
 *
 * The calls are modelled on ThreadSanitizer's mutex annotations
 * (<sanitizer/tsan_interface.h>, __tsan_mutex_*): the same operations, the
 * same flag values, the same order of calls. Code annotated for
 * ThreadSanitizer is watched by tangle after a rebuild that maps the names
 * (define TANGLE_TSAN_NAMES, below; docs/annotate.md has the table).
 *
 * A lock operation is bracketed by two calls:
 *
 *     tg_annotate_pre_lock(l, 0);        before the first attempt
 *     ... spin, or wait on a futex ...
 *     tg_annotate_post_lock(l, 0, 0);    once it is held
 *
 *     tg_annotate_pre_unlock(l, 0);
 *     ... release ...
 *     tg_annotate_post_unlock(l, 0);
 *
 * Between pre and post, the calling thread is taken to be waiting for the
 * lock: if it is still there when tangle's watchdog looks twice (about
 * 200 ms), it counts as blocked, and its stack is taken then. Locks and
 * waits made inside the bracket (an inner pthread mutex, a futex wait) are
 * not watched on their own, as ThreadSanitizer ignores them too.
 *
 * The calls are cheap on the uncontended path: thread-local stores only,
 * the same work as tangle's pthread mutex hook (no table probe). They are defined in libtangle.so: link with it (pkg-config
 * tangle, or CMake's tangle::tangle). A program that must also run without
 * tangle declares them weak itself and calls them only when they resolve.
 * Every pre call needs its post call on the same thread.
 */
#ifndef TANGLE_ANNOTATE_H
#define TANGLE_ANNOTATE_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* ---- flags (the values of ThreadSanitizer's __tsan_mutex_* flags) ------- */
/* At creation (also accepted by pre/post lock for a lock never created): */
#define TG_LOCK_LINKER_INIT      (1u << 0) /* static storage: destroy is a no-op */
#define TG_LOCK_WRITE_REENTRANT  (1u << 1) /* its holder may lock it again */
#define TG_LOCK_READ_REENTRANT   (1u << 2) /* a reader may read-lock it again */
#define TG_LOCK_NOT_STATIC       (1u << 8) /* must not be used after destroy */
/* tangle's own: new readers queue behind a waiting writer, so a second read
 * lock by a reader deadlocks once a writer waits (no ThreadSanitizer twin). */
#define TG_LOCK_WRITER_PREFERRING (1u << 16)
/* Per operation: */
#define TG_LOCK_READ             (1u << 3) /* a shared (read) lock or unlock */
#define TG_LOCK_TRY              (1u << 4) /* a try: it never waits */
#define TG_LOCK_TRY_FAILED       (1u << 5) /* post_lock: the try did not get it */
#define TG_LOCK_RECURSIVE_LOCK   (1u << 6) /* post_lock takes `recursion` levels */
#define TG_LOCK_RECURSIVE_UNLOCK (1u << 7) /* pre_unlock gives up every level */

/* The lock at addr starts a new life (its constructor ran). A lock that is
 * never created is created by its first use. */
void tg_annotate_lock_create(void *addr, unsigned flags);
/* The lock at addr ends; destroying it while someone holds or waits for it
 * is reported. Ignored for a lock created with TG_LOCK_LINKER_INIT (or
 * never created). */
void tg_annotate_lock_destroy(void *addr, unsigned flags);

/* About to lock (TG_LOCK_READ for a read lock, TG_LOCK_TRY for a try). */
void tg_annotate_pre_lock(void *addr, unsigned flags);
/* Locked: the same flags as pre_lock, plus TG_LOCK_TRY_FAILED if a try did
 * not get the lock, or TG_LOCK_RECURSIVE_LOCK with the number of levels
 * taken at once in `recursion` (as returned by pre_unlock). */
void tg_annotate_post_lock(void *addr, unsigned flags, int recursion);
/* About to unlock. With TG_LOCK_RECURSIVE_UNLOCK every level the thread
 * holds is given up; returns how many (else 0). */
int tg_annotate_pre_unlock(void *addr, unsigned flags);
void tg_annotate_post_unlock(void *addr, unsigned flags);
/* Around a signal or broadcast made by the lock's own code: what happens
 * inside is not watched. */
void tg_annotate_pre_signal(void *addr, unsigned flags);
void tg_annotate_post_signal(void *addr, unsigned flags);
/* Inside a bracket, around code that is not part of the lock (a callback,
 * a scheduler): it is watched again until post_divert. */
void tg_annotate_pre_divert(void *addr, unsigned flags);
void tg_annotate_post_divert(void *addr, unsigned flags);

/* ---- waits that anyone may end ------------------------------------------
 * A home-made event, latch or queue: the thread waits for something that
 * any other thread may provide, not for a lock's holder. Such a wait is
 * never part of a cycle, but when every thread of the process waits and
 * none can wake another, the global-stall report names this one, with its
 * stack. Between pre_wait and post_wait, other locks and waits of the
 * thread are not watched. */
#define TG_WAIT_TIMED  (1u << 0) /* it ends by itself after a while: never a stall */
#define TG_WAIT_SHARED (1u << 1) /* another process may end it: never a stall */
void tg_annotate_pre_wait(void *addr, unsigned flags);
void tg_annotate_post_wait(void *addr, unsigned flags);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

/* ---- ThreadSanitizer's names --------------------------------------------
 * With TANGLE_TSAN_NAMES defined before this header is included, code that
 * calls __tsan_mutex_* is compiled into calls to tangle, for example
 *     cc -DTANGLE_TSAN_NAMES -include tangle/annotate.h ...
 * on a project whose annotations are switched on by a macro of its own.
 * Include <sanitizer/tsan_interface.h> before this header or not at all
 * (its flag constants are defined here when it is absent). */
#ifdef TANGLE_TSAN_NAMES
#ifndef SANITIZER_TSAN_INTERFACE_H
static const unsigned __tsan_mutex_linker_init = TG_LOCK_LINKER_INIT;
static const unsigned __tsan_mutex_write_reentrant = TG_LOCK_WRITE_REENTRANT;
static const unsigned __tsan_mutex_read_reentrant = TG_LOCK_READ_REENTRANT;
static const unsigned __tsan_mutex_not_static = TG_LOCK_NOT_STATIC;
static const unsigned __tsan_mutex_read_lock = TG_LOCK_READ;
static const unsigned __tsan_mutex_try_lock = TG_LOCK_TRY;
static const unsigned __tsan_mutex_try_lock_failed = TG_LOCK_TRY_FAILED;
static const unsigned __tsan_mutex_recursive_lock = TG_LOCK_RECURSIVE_LOCK;
static const unsigned __tsan_mutex_recursive_unlock = TG_LOCK_RECURSIVE_UNLOCK;
static const unsigned __tsan_mutex_try_read_lock = TG_LOCK_READ | TG_LOCK_TRY;
static const unsigned __tsan_mutex_try_read_lock_failed =
    TG_LOCK_READ | TG_LOCK_TRY | TG_LOCK_TRY_FAILED;
#endif
#define __tsan_mutex_create tg_annotate_lock_create
#define __tsan_mutex_destroy tg_annotate_lock_destroy
#define __tsan_mutex_pre_lock tg_annotate_pre_lock
#define __tsan_mutex_post_lock tg_annotate_post_lock
#define __tsan_mutex_pre_unlock tg_annotate_pre_unlock
#define __tsan_mutex_post_unlock tg_annotate_post_unlock
#define __tsan_mutex_pre_signal tg_annotate_pre_signal
#define __tsan_mutex_post_signal tg_annotate_post_signal
#define __tsan_mutex_pre_divert tg_annotate_pre_divert
#define __tsan_mutex_post_divert tg_annotate_post_divert
#endif

#endif
