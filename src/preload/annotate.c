/* SPDX-License-Identifier: MIT */
/* annotate.c: locks the program describes itself (include/tangle/annotate.h).
 *
 * An annotated lock goes through the engine as a pthread mutex does
 * (mutex.c): pre_lock publishes the call on the thread's own actor with
 * plain stores, and the watchdog takes a call it sees unchanged over two
 * ticks for a blocked wait (asking the thread, by a signal, for its
 * stack); post_lock pushes the hold on the thread's own list and feeds the
 * lock-order graph; pre_unlock pops it, and reports an unlock of a lock the
 * thread does not hold. Like the pthread mutex hook, the uncontended path
 * knows the lock by its address alone: the hold carries what the flags say
 * the lock is (tg__ann_as), and the slow paths that need its entry look it
 * up, or make it as the hold says, never reading the lock's memory. Only an
 * operation whose flags carry creation flags looks the entry up itself.
 *
 * Between a pre call and its post call the thread runs the lock's own code,
 * which may take other locks or wait on a futex: tangle's guard is raised
 * there, so those are not watched on their own (what ThreadSanitizer does
 * too). A bracket opened while the thread is not watched (inside another
 * bracket, in tangle's own threads) is counted and closed without effect.
 *
 * An annotated lock is a mutex to the engine until a slow path sees it
 * read-locked, which makes it an rwlock; a lock never created is created
 * by the first slow path that needs it (a lock used again after its
 * destroy, without a create, is a new instance when a call with creation
 * flags, a relock or a misuse looks it up). */
#include "preload/annotate.h"

#include <string.h>

#define TLS __thread __attribute__((tls_model("initial-exec")))

/* The thread's annotation state, in one thread-local struct (one address
 * computation per call in a shared library). */
static TLS struct {
    /* Brackets opened while the thread was not watched, still open. */
    unsigned ignored;
    /* Watched brackets open; pre_divert lowered the guard of the one at
     * this depth (0: none). */
    unsigned guard_depth, diverted_at;
    /* The watched lock bracket in progress: its lock (its entry if the
     * flags asked for it to be looked up), and what was published for it
     * (published again after a divert; op_as 0 if nothing was). */
    struct tg_res *op_res;
    uintptr_t op_addr, op_pc;
    unsigned op_flags, op_as;
    int op_waiting; /* the bracket published a wait (pre_wait) */
    /* A condition-like wait's lock, given up for the wait. */
    int saved_had;
    uintptr_t saved_addr;
    struct tg_held saved_hold;
} T;

/* Set by the public calls: `pc` is a line of the lock's own code, shared
 * by every use of the lock, so a misuse report is kept once per caller of
 * that code rather than once per pc. */
#define FROM_LOCK_CODE (1u << 31)

/* The key under which a misuse at pc is reported once (a slow path: a
 * stack is taken). */
static uintptr_t misuse_site(uintptr_t pc, unsigned flags)
{
    if (!(flags & FROM_LOCK_CODE))
        return pc;
    const uintptr_t *pcs;
    int n = tg__stack_get(tg__stack_capture(0), &pcs);
    for (int i = 0; i + 1 < n; i++)
        if (pcs[i] == pc)
            return pc ^ (pcs[i + 1] * 0x9E3779B97F4A7C15ull);
    return pc;
}

static uint32_t create_flags(unsigned flags)
{
    uint32_t f = TG_RF_DESCRIBED;
    if (flags & TG_LOCK_WRITE_REENTRANT)
        f |= TG_RF_RECURSIVE;
    if (flags & TG_LOCK_WRITER_PREFERRING)
        f |= TG_RF_WRITER_PREF;
    if (flags & TG_LOCK_LINKER_INIT)
        f |= TG_RF_STATIC_INIT;
    return f;
}

/* The kind of a lock created with flags (a read lock makes it an rwlock
 * later). */
static enum tg_res_kind kind_of(unsigned flags)
{
    return (flags & (TG_LOCK_WRITER_PREFERRING | TG__LOCK_RWLOCK)) ? TG_RES_RWLOCK : TG_RES_MUTEX;
}

struct tg_res *tg__ann_lock_res_slow(uintptr_t addr, unsigned flags, uintptr_t pc, struct tg_res *r)
{
    uint32_t want = create_flags(flags);
    enum tg_res_kind kind = kind_of(flags | (flags & TG_LOCK_READ ? TG__LOCK_RWLOCK : 0));
    if (r && TG_UNLIKELY(__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) & TG_RF_DESTROYED))
        return tg__res_init(addr, kind, want | TG_RF_STATIC_INIT, pc);
    return tg__res_described(addr, kind, want, pc, r);
}

enum tg_res_kind tg__ann_rec_kind(uintptr_t addr, unsigned as, uintptr_t pc)
{
    struct tg_res *r = tg__res_described(addr, tg__as_kind(as), tg__as_flags(as), pc,
                                         tg__res_lookup(addr));
    return r ? tg__res_kind_of(r) : tg__as_kind(as);
}

/* Opens a watched bracket: nothing the lock's code does inside is seen. */
static inline void bracket_open(void)
{
    tg__guard++;
    T.guard_depth++;
}

/* Closes a bracket: 1 if it was a watched one (then the thread is watched
 * again), 0 if it was opened while not watched. */
static inline int bracket_close(void)
{
    if (TG_UNLIKELY(T.ignored)) {
        T.ignored--;
        return 0;
    }
    if (TG_UNLIKELY(T.guard_depth == 0))
        return 0; /* a post without its pre: nothing to undo */
    if (TG_UNLIKELY(T.diverted_at == T.guard_depth)) { /* a divert left open */
        T.diverted_at = 0;
        tg__guard++;
    }
    T.guard_depth--;
    tg__guard--;
    return 1;
}

/* A lock call in a process whose watchdog has not started: a relock (one
 * thread so far), or any lock in a fork child whose parent's other
 * threads held locks at the fork (they were not copied: a lock they held
 * is never released). Only the watchdog can see such a call hang, so it
 * starts now. */
static void lock_without_watchdog(struct tg_actor *a, uintptr_t addr)
{
    if (!tg__first_wait_hook)
        return;
    if (tg__inherited_holds) {
        tg__first_wait_hook();
        return;
    }
    for (int i = 0; i < a->n_held; i++)
        if (a->held[i].addr == addr) {
            tg__first_wait_hook();
            return;
        }
}

/* The entry of the lock at addr for an operation whose flags carry
 * creation flags (kept off the inline paths). */
static __attribute__((noinline)) struct tg_res *entry_given_flags(uintptr_t addr, unsigned flags,
                                                                 uintptr_t pc)
{
    return tg__ann_lock_res(addr, flags, pc);
}

void tg__ann_create(uintptr_t addr, unsigned flags, uintptr_t pc)
{
    tg__initialized(0, addr, kind_of(flags), create_flags(flags), pc);
}

void tg__ann_destroy(uintptr_t addr, unsigned flags, uintptr_t pc)
{
    (void)flags;
    struct tg_res *r = tg__res_lookup(addr);
    if (!r || (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & TG_RF_STATIC_INIT))
        return; /* linker-initialised, or never created: it lives on */
    /* Nobody holds or waits for a lock whose first word is 0: a free
     * spinlock or futex word (GMutex), a GLib lock whose implementation was
     * never allocated (GRecMutex, GRWLock). Its memory is not a pthread
     * object of its kind: an rwlock's is not read as glibc's rwlock. */
    uint32_t word;
    memcpy(&word, (const void *)addr, sizeof word);
    r = tg__destroying_word(addr, tg__res_kind_of(r), word == 0, misuse_site(pc, flags));
    tg__destroyed(r, 0);
}

void tg__ann_pre_lock(uintptr_t addr, unsigned flags, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a)) {
        T.ignored++;
        return;
    }
    /* Plain flags need only the address (tg__ann_as); creation flags are
     * given to the lock's entry now. */
    unsigned as = tg__ann_as(flags);
    struct tg_res *r = TG_LIKELY(as) ? NULL : entry_given_flags(addr, flags, pc);
    T.op_res = r;
    T.op_addr = addr;
    T.op_pc = pc;
    T.op_flags = flags;
    T.op_as = 0;
    T.op_waiting = 0;
    if (!(flags & TG_LOCK_TRY) && TG_LIKELY(as || r)) {
        if (TG_UNLIKELY(a->n_held > 0 || tg__inherited_holds) && !tg__watchdog_running())
            lock_without_watchdog(a, addr);
        T.op_as = as ? as : TG_AS_DESCRIBED;
        tg__ann_publish(a, addr, flags, pc, T.op_as);
    }
    bracket_open();
}

/* A post_lock whose flags do not let it take its hold by the address
 * alone (creation flags), or that takes several levels at once. */
static void post_lock_slow(struct tg_actor *a, uintptr_t addr, unsigned flags, int recursion,
                           uintptr_t pc, unsigned as)
{
    struct tg_res *r = NULL;
    if (!as) {
        r = T.op_res && T.op_addr == addr ? T.op_res : tg__ann_lock_res(addr, flags, pc);
        T.op_res = NULL;
        if (!r)
            return;
    }
    enum tg_mode m = (flags & TG_LOCK_READ) ? TG_MODE_READ : TG_MODE_EXCL;
    int levels = (flags & TG_LOCK_RECURSIVE_LOCK) && recursion > 1 ? recursion : 1;
    for (int i = 0; i < levels; i++) {
        if (as)
            tg__acquired_as(a, addr, m, pc, as);
        else
            tg__acquired(a, r, m, pc);
    }
    if (!(flags & TG_LOCK_TRY))
        tg__lockorder_note(a);
    REC(tg__rec_acquire(a, addr, r ? tg__res_kind_of(r) : tg__ann_rec_kind(addr, as, pc), m,
                        (flags & TG_LOCK_TRY) != 0, pc, 0));
}

void tg__ann_post_lock(uintptr_t addr, unsigned flags, int recursion, uintptr_t pc)
{
    if (!bracket_close())
        return;
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a))
        return;
    tg__ann_unpublish(a);
    T.op_as = 0;
    if (flags & TG_LOCK_TRY_FAILED)
        return;
    unsigned as = tg__ann_as(flags);
    if (TG_UNLIKELY(!as || (flags & TG_LOCK_RECURSIVE_LOCK))) {
        post_lock_slow(a, addr, flags, recursion, pc, as);
        return;
    }
    enum tg_mode m = (flags & TG_LOCK_READ) ? TG_MODE_READ : TG_MODE_EXCL;
    tg__acquired_as(a, addr, m, pc, as);
    if (!(flags & TG_LOCK_TRY))
        tg__lockorder_note(a);
    REC(tg__rec_acquire(a, addr, tg__ann_rec_kind(addr, as, pc), m, (flags & TG_LOCK_TRY) != 0, pc, 0));
}

/* A pre_unlock that gives up every level, or of a lock the thread does not
 * hold (a misuse, reported). */
static int pre_unlock_slow(struct tg_actor *a, uintptr_t addr, unsigned flags, uintptr_t pc)
{
    int levels = 0;
    if (flags & TG_LOCK_RECURSIVE_UNLOCK) {
        while (tg__release_addr(a, addr, pc) == 0)
            levels++;
    } else {
        levels = tg__release_addr(a, addr, pc) == 0;
    }
    if (levels > 0) {
        REC(tg__rec_release(a, addr, TG_RES_MUTEX, pc));
    } else {
        struct tg_res *r = tg__ann_lock_res(addr, flags & (TG_LOCK_READ | TG__LOCK_RWLOCK), pc);
        enum tg_res_kind kind = r ? tg__res_kind_of(r) : TG_RES_MUTEX;
        tg__misuse_unlock(a, addr, kind, 0, misuse_site(pc, flags));
        if (r)
            tg__released_by_other(a, r, 0);
    }
    return (flags & TG_LOCK_RECURSIVE_UNLOCK) ? levels : 0;
}

int tg__ann_pre_unlock(uintptr_t addr, unsigned flags, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a)) {
        T.ignored++;
        return 0;
    }
    int levels = 0;
    if (TG_LIKELY(!(flags & TG_LOCK_RECURSIVE_UNLOCK)) && tg__release_addr(a, addr, pc) == 0)
        REC(tg__rec_release(a, addr, TG_RES_MUTEX, pc));
    else
        levels = pre_unlock_slow(a, addr, flags, pc);
    T.op_res = NULL;
    T.op_as = 0;
    bracket_open();
    return levels;
}

void tg__ann_post_unlock(uintptr_t addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    bracket_close();
    struct tg_actor *a = tg__self();
    if (a)
        tg__lockorder_idle(a); /* its first nestings, now that the lock is given back */
}

void tg__ann_quiet_begin(void)
{
    if (tg__self() == NULL)
        T.ignored++;
    else
        bracket_open();
}

void tg__ann_quiet_end(void)
{
    bracket_close();
}

/* Divert: inside a watched bracket, the thread is watched again until
 * post_divert; a lock call it makes there replaces the published call,
 * which post_divert publishes again. */
static void divert_begin(void)
{
    if (T.ignored || T.guard_depth == 0 || T.diverted_at)
        return;
    T.diverted_at = T.guard_depth;
    tg__guard--;
}

static void divert_end(void)
{
    if (T.ignored || !T.diverted_at || T.diverted_at != T.guard_depth)
        return;
    T.diverted_at = 0;
    struct tg_actor *a = tg__self();
    if (a && T.op_as && !T.op_waiting)
        tg__ann_publish(a, T.op_addr, T.op_flags, T.op_pc, T.op_as);
    tg__guard++;
}

void tg__ann_pre_wait(uintptr_t addr, unsigned flags, uintptr_t mutex, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a)) {
        T.ignored++;
        return;
    }
    uint32_t rf = (flags & TG_WAIT_SHARED) ? TG_RF_PSHARED : 0;
    struct tg_res *r = tg__res_get(addr, mutex ? TG_RES_COND : TG_RES_EVENT, rf, pc);
    struct tg_res *mr = mutex ? tg__ann_lock_res(mutex, 0, pc) : NULL;
    T.saved_had = 0;
    T.saved_addr = mutex;
    for (int i = a->n_held - 1; mutex && i >= 0; i--) {
        if (a->held[i].addr == mutex) {
            T.saved_hold = a->held[i];
            T.saved_had = 1;
            tg__release_addr(a, mutex, pc);
            REC(tg__rec_release(a, mutex, TG_RES_MUTEX, pc));
            break;
        }
    }
    T.op_res = NULL;
    T.op_as = 0;
    T.op_waiting = 0;
    if (r) {
        uint32_t site = tg__wait_site(pc);
        struct tg_wait_desc w = {.res = r, .kind = tg__res_kind_of(r), .mode = TG_MODE_EXCL,
                                 .flags = (flags & TG_WAIT_TIMED) ? TG_WF_TIMED : 0,
                                 .mutex = mr, .pc = pc};
        if (mutex)
            r->cond_mutex = mutex;
        tg__wait_begin(a, &w);
        a->wait_stack = site;
        T.op_waiting = 1;
    }
    bracket_open();
}

void tg__ann_post_wait(uintptr_t addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    if (!bracket_close())
        return;
    struct tg_actor *a = tg__self();
    if (!a)
        return;
    if (T.op_waiting)
        tg__wait_end(a);
    T.op_waiting = 0;
    if (!T.saved_addr)
        return;
    if (T.saved_had) {
        const struct tg_held *h = &T.saved_hold;
        tg__push_hold_as(a, h->addr, h->res, h->res_id, (enum tg_mode)h->mode, h->pc, h->as);
        a->held[a->n_held - 1].stack = h->stack;
    } else {
        tg__acquired_as(a, T.saved_addr, TG_MODE_EXCL, 0, TG_AS_DESCRIBED);
    }
    REC(tg__rec_acquire(a, T.saved_addr, TG_RES_MUTEX, TG_MODE_EXCL, 0, T.saved_hold.pc, 0));
    T.saved_addr = 0;
}

/* ---- whole calls, for hooks: the cases the inline paths leave ----------- */

void tg__ann_lock_bracketed(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc)
{
    tg__ann_pre_lock((uintptr_t)l, flags, pc);
    fn(l);
    tg__ann_post_lock((uintptr_t)l, flags, 0, pc);
}

void tg__ann_unlock_bracketed(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc)
{
    tg__ann_pre_unlock((uintptr_t)l, flags, pc);
    fn(l);
    tg__ann_post_unlock((uintptr_t)l, flags);
}

/* ---- the public calls --------------------------------------------------- */

TG_EXPORT void tg_annotate_lock_create(void *addr, unsigned flags)
{
    tg__ann_create((uintptr_t)addr, flags, CALLER_PC);
}

TG_EXPORT void tg_annotate_lock_destroy(void *addr, unsigned flags)
{
    tg__ann_destroy((uintptr_t)addr, flags | FROM_LOCK_CODE, CALLER_PC);
}

TG_EXPORT void tg_annotate_pre_lock(void *addr, unsigned flags)
{
    tg__ann_pre_lock((uintptr_t)addr, flags, CALLER_PC);
}

TG_EXPORT void tg_annotate_post_lock(void *addr, unsigned flags, int recursion)
{
    tg__ann_post_lock((uintptr_t)addr, flags, recursion, CALLER_PC);
}

TG_EXPORT int tg_annotate_pre_unlock(void *addr, unsigned flags)
{
    return tg__ann_pre_unlock((uintptr_t)addr, flags | FROM_LOCK_CODE, CALLER_PC);
}

TG_EXPORT void tg_annotate_post_unlock(void *addr, unsigned flags)
{
    tg__ann_post_unlock((uintptr_t)addr, flags);
}

TG_EXPORT void tg_annotate_pre_signal(void *addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    tg__ann_quiet_begin();
}

TG_EXPORT void tg_annotate_post_signal(void *addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    tg__ann_quiet_end();
}

TG_EXPORT void tg_annotate_pre_divert(void *addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    divert_begin();
}

TG_EXPORT void tg_annotate_post_divert(void *addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    divert_end();
}

TG_EXPORT void tg_annotate_pre_wait(void *addr, unsigned flags)
{
    tg__ann_pre_wait((uintptr_t)addr, flags, 0, CALLER_PC);
}

TG_EXPORT void tg_annotate_post_wait(void *addr, unsigned flags)
{
    tg__ann_post_wait((uintptr_t)addr, flags);
}
