/* SPDX-License-Identifier: MIT */
/* glib.c: GLib's locks, which bypass pthreads.
 *
 * GLib 2.74's GMutex and GCond are bare futexes, so a program whose locks
 * are GMutexes calls no pthread lock at all. tangle interposes GLib's
 * exported entry points (g_mutex_*, g_rec_mutex_*, g_rw_lock_*, g_cond_*)
 * and describes each call to the engine as an annotated lock would
 * (annotate.c), with the caller's line as the call site; the real GLib
 * function runs inside the bracket, unwatched. Nothing here needs GLib's
 * headers or library: the objects are opaque pointers, and the real
 * functions are looked up with dlsym(RTLD_NEXT) at their first use.
 *
 * GLib's calls to these functions from inside libglib itself (GAsyncQueue,
 * GThreadPool, GMainContext, g_once) are bound within the library and never
 * reach an interposer: those locks are not seen here. Their futex waits are
 * (futex.c), as waits anyone may end. */
#include "preload/annotate.h"

#include <dlfcn.h>

typedef void (*obj_fn)(void *);
typedef int (*try_fn)(void *);

static struct {
    obj_fn mutex_init, mutex_clear, mutex_lock, mutex_unlock;
    try_fn mutex_trylock;
    obj_fn rec_init, rec_clear, rec_lock, rec_unlock;
    try_fn rec_trylock;
    obj_fn rw_init, rw_clear, rw_wlock, rw_wunlock, rw_rlock, rw_runlock;
    try_fn rw_trywlock, rw_tryrlock;
    obj_fn cond_init, cond_clear, cond_signal, cond_broadcast;
    void (*cond_wait)(void *, void *);
    int (*cond_wait_until)(void *, void *, int64_t);
} g;

/* The next definition of name (GLib's), looked up once. */
static void *next(void **slot, const char *name)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (TG_LIKELY(f != NULL))
        return f;
    tg__guard++;
    f = dlsym(RTLD_NEXT, name);
    tg__guard--;
    if (!f) {
        static int warned;
        tg__warn_once(&warned, "%s was called but GLib's own definition cannot be found; "
                               "GLib locks are not watched and the call does nothing.", name);
        return NULL;
    }
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    return f;
}
#define GLIB(field, name) ((__typeof__(g.field))next((void **)&g.field, name))

/* A call that only runs GLib's function, unwatched. */
#define QUIET(call)                                                                     \
    do {                                                                                \
        tg__ann_quiet_begin();                                                          \
        call;                                                                           \
        tg__ann_quiet_end();                                                            \
    } while (0)

/* An init and a clear: GLib's function runs unwatched; the lock exists for
 * tangle from after its init until before its clear. */
static void created(void *o, unsigned fl, obj_fn f, uintptr_t pc)
{
    if (f)
        QUIET(f(o));
    tg__ann_create((uintptr_t)o, fl, pc);
}

static void destroyed(void *o, obj_fn f, uintptr_t pc)
{
    tg__ann_destroy((uintptr_t)o, 0, pc);
    if (f)
        QUIET(f(o));
}

/* A lock, trylock or unlock call described to the engine, with flags fl
 * (TG_LOCK_READ, TG_LOCK_WRITE_REENTRANT). A missing GLib function (warned
 * once) does nothing and is not described. */
__attribute__((always_inline)) static inline void watched_lock(void *l, unsigned fl, obj_fn f, uintptr_t pc)
{
    if (f)
        tg__ann_lock_call(l, fl, f, pc);
}

static int watched_trylock(void *l, unsigned fl, try_fn f, uintptr_t pc)
{
    tg__ann_pre_lock((uintptr_t)l, fl | TG_LOCK_TRY, pc);
    int ok = f ? f(l) : 0;
    tg__ann_post_lock((uintptr_t)l, fl | TG_LOCK_TRY | (ok ? 0 : TG_LOCK_TRY_FAILED), 0, pc);
    return ok;
}

__attribute__((always_inline)) static inline void watched_unlock(void *l, unsigned fl, obj_fn f, uintptr_t pc)
{
    if (f)
        tg__ann_unlock_call(l, fl, f, pc);
}

/* ---- GMutex ------------------------------------------------------------ */

TG_EXPORT void g_mutex_init(void *m)
{
    created(m, 0, GLIB(mutex_init, "g_mutex_init"), CALLER_PC);
}

TG_EXPORT void g_mutex_clear(void *m)
{
    destroyed(m, GLIB(mutex_clear, "g_mutex_clear"), CALLER_PC);
}

TG_EXPORT void g_mutex_lock(void *m)
{
    watched_lock(m, 0, GLIB(mutex_lock, "g_mutex_lock"), CALLER_PC);
}

TG_EXPORT int g_mutex_trylock(void *m)
{
    return watched_trylock(m, 0, GLIB(mutex_trylock, "g_mutex_trylock"), CALLER_PC);
}

TG_EXPORT void g_mutex_unlock(void *m)
{
    watched_unlock(m, 0, GLIB(mutex_unlock, "g_mutex_unlock"), CALLER_PC);
}

/* ---- GRecMutex ---------------------------------------------------------- */

TG_EXPORT void g_rec_mutex_init(void *m)
{
    created(m, TG_LOCK_WRITE_REENTRANT, GLIB(rec_init, "g_rec_mutex_init"), CALLER_PC);
}

TG_EXPORT void g_rec_mutex_clear(void *m)
{
    destroyed(m, GLIB(rec_clear, "g_rec_mutex_clear"), CALLER_PC);
}

TG_EXPORT void g_rec_mutex_lock(void *m)
{
    watched_lock(m, TG_LOCK_WRITE_REENTRANT, GLIB(rec_lock, "g_rec_mutex_lock"), CALLER_PC);
}

TG_EXPORT int g_rec_mutex_trylock(void *m)
{
    return watched_trylock(m, TG_LOCK_WRITE_REENTRANT, GLIB(rec_trylock, "g_rec_mutex_trylock"), CALLER_PC);
}

TG_EXPORT void g_rec_mutex_unlock(void *m)
{
    watched_unlock(m, 0, GLIB(rec_unlock, "g_rec_mutex_unlock"), CALLER_PC);
}

/* ---- GRWLock: glibc's default rwlock inside, so readers are preferred;
 * an rwlock to the engine from its init (or first use) on -------------- */

TG_EXPORT void g_rw_lock_init(void *l)
{
    created(l, TG__LOCK_RWLOCK, GLIB(rw_init, "g_rw_lock_init"), CALLER_PC);
}

TG_EXPORT void g_rw_lock_clear(void *l)
{
    destroyed(l, GLIB(rw_clear, "g_rw_lock_clear"), CALLER_PC);
}

TG_EXPORT void g_rw_lock_writer_lock(void *l)
{
    watched_lock(l, TG__LOCK_RWLOCK, GLIB(rw_wlock, "g_rw_lock_writer_lock"), CALLER_PC);
}

TG_EXPORT int g_rw_lock_writer_trylock(void *l)
{
    return watched_trylock(l, TG__LOCK_RWLOCK, GLIB(rw_trywlock, "g_rw_lock_writer_trylock"), CALLER_PC);
}

TG_EXPORT void g_rw_lock_writer_unlock(void *l)
{
    watched_unlock(l, TG__LOCK_RWLOCK, GLIB(rw_wunlock, "g_rw_lock_writer_unlock"), CALLER_PC);
}

TG_EXPORT void g_rw_lock_reader_lock(void *l)
{
    watched_lock(l, TG_LOCK_READ | TG__LOCK_RWLOCK, GLIB(rw_rlock, "g_rw_lock_reader_lock"), CALLER_PC);
}

TG_EXPORT int g_rw_lock_reader_trylock(void *l)
{
    return watched_trylock(l, TG_LOCK_READ | TG__LOCK_RWLOCK, GLIB(rw_tryrlock, "g_rw_lock_reader_trylock"), CALLER_PC);
}

TG_EXPORT void g_rw_lock_reader_unlock(void *l)
{
    watched_unlock(l, TG_LOCK_READ | TG__LOCK_RWLOCK, GLIB(rw_runlock, "g_rw_lock_reader_unlock"), CALLER_PC);
}

/* ---- GCond: a wait gives up its GMutex and needs it back ---------------- */

TG_EXPORT void g_cond_init(void *c)
{
    obj_fn f = GLIB(cond_init, "g_cond_init");
    if (f)
        QUIET(f(c));
}

TG_EXPORT void g_cond_clear(void *c)
{
    obj_fn f = GLIB(cond_clear, "g_cond_clear");
    if (f)
        QUIET(f(c));
}

TG_EXPORT void g_cond_wait(void *c, void *m)
{
    void (*f)(void *, void *) = GLIB(cond_wait, "g_cond_wait");
    tg__ann_pre_wait((uintptr_t)c, 0, (uintptr_t)m, CALLER_PC);
    if (f)
        f(c, m);
    tg__ann_post_wait((uintptr_t)c, 0);
}

TG_EXPORT int g_cond_wait_until(void *c, void *m, int64_t end_time)
{
    int (*f)(void *, void *, int64_t) = GLIB(cond_wait_until, "g_cond_wait_until");
    tg__ann_pre_wait((uintptr_t)c, TG_WAIT_TIMED, (uintptr_t)m, CALLER_PC);
    int ok = f ? f(c, m, end_time) : 0;
    tg__ann_post_wait((uintptr_t)c, TG_WAIT_TIMED);
    return ok;
}

static void notify(void *c, int all, obj_fn f, uintptr_t pc)
{
    struct tg_actor *a;
    if (TG_UNLIKELY(tg__recording) && (a = tg__self()) != NULL)
        tg__rec_notify(a, (uintptr_t)c, all, pc);
    if (f)
        QUIET(f(c));
}

TG_EXPORT void g_cond_signal(void *c)
{
    notify(c, 0, GLIB(cond_signal, "g_cond_signal"), CALLER_PC);
}

TG_EXPORT void g_cond_broadcast(void *c)
{
    notify(c, 1, GLIB(cond_broadcast, "g_cond_broadcast"), CALLER_PC);
}
