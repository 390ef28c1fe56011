/* SPDX-License-Identifier: MIT */
/* sem.c: POSIX semaphores. A semaphore has no owner, so waits on it can be
 * satisfied by anyone (only a whole stall proves them stuck). A binary
 * semaphore (initial value 1) is treated as a lock held by the thread that
 * took it, so reports can say who holds it; CPython's threading.Lock is
 * built this way. */
#include "preload/preload.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

TG_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
    int rc = REAL(sem_init)(s, pshared, value);
    struct tg_actor *a;
    if (rc != 0 && value > SEM_VALUE_MAX && (a = tg__self()) != NULL) {
        int saved = errno;
        tg__misuse(TG_HAZARD_SEM_MISUSE, a, CALLER_PC,
                   "a semaphore's value is at most SEM_VALUE_MAX; check sem_init's result.",
                   "initialises a semaphore with %u, above SEM_VALUE_MAX (%d); sem_init fails",
                   value, SEM_VALUE_MAX);
        errno = saved;
    }
    tg__initialized(rc, (uintptr_t)s, TG_RES_SEM,
                    (pshared ? TG_RF_PSHARED : 0) | (value == 1 ? TG_RF_LOCKLIKE : 0), CALLER_PC);
    return rc;
}

TG_EXPORT int sem_destroy(sem_t *s)
{
    struct tg_res *r = tg__destroying((uintptr_t)s, TG_RES_SEM, CALLER_PC);
    int rc = REAL(sem_destroy)(s);
    tg__destroyed(r, rc);
    return rc;
}

/* Drops a's entries for r's address that no longer stand for a hold of
 * r: released for it by another thread, or left from an earlier semaphore
 * at the same address. Each would otherwise stay on the list for good
 * (only a itself may edit it) and could be taken for the real hold. */
static void drop_stale(struct tg_actor *a, const struct tg_res *r)
{
    int n = a->n_held, k = 0;
    for (int i = 0; i < n; i++) {
        const struct tg_held *h = &a->held[i];
        if (h->addr == r->addr && !tg__held_is(h, r))
            continue;
        if (k != i) {
            a->held[k] = *h;
            a->held[k].chain = 0; /* it counted the holds dropped below it */
        }
        k++;
    }
    if (k != n)
        __atomic_store_n(&a->n_held, k, __ATOMIC_RELEASE);
}

/* Gives up a's newest live hold of r; -1 if a has none (a post by a
 * thread that did not take it: a hand-off, as CPython's locks allow). A
 * match by address alone would pop an entry of the kind drop_stale
 * removes, and leave the taker's real hold standing. */
static int give_back(struct tg_actor *a, const struct tg_res *r)
{
    drop_stale(a, r);
    for (int i = a->n_held - 1; i >= 0; i--) {
        if (a->held[i].addr != r->addr)
            continue;
        tg__held_remove(a, i);
        return 0;
    }
    return -1;
}

/* The engine keeps, for a lock-like semaphore, its last taker that has not
 * given it back and how many holds are not given back, so that a post by
 * another thread (a hand-off) ends the right hold without a search of
 * every actor (with many threads or tasks, each such post searched them
 * all). Only a semaphore posted above 1 and held by several at once, whose
 * last taker gave it back already, is searched for.
 * Both live in one word, tg_res.sem_taken (engine.h), changed by compare
 * and swap, so that a post reads a taker and a count of one moment. A
 * taker above 2^48, which does not fit, is kept as NULL (a post by
 * another then looks for the holder); the holds stay at TG_SEM_HOLDS_MAX
 * once there (then a post by another always looks, as it does while any
 * is held), so that the count never reads 0 while one is held. */
static uint32_t holds_in(uint64_t w)
{
    return (uint32_t)(w >> TG_SEM_HOLDS_SHIFT);
}

static struct tg_actor *taker_in(uint64_t w)
{
    return (struct tg_actor *)(uintptr_t)(w & TG_SEM_TAKER);
}

static void holds_less(struct tg_res *r)
{
    uint64_t w = __atomic_load_n(&r->sem_taken, __ATOMIC_RELAXED);
    while (holds_in(w) > 0 && holds_in(w) < TG_SEM_HOLDS_MAX &&
           !__atomic_compare_exchange_n(&r->sem_taken, &w, w - (1ull << TG_SEM_HOLDS_SHIFT), 1,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static void taker_gone(struct tg_res *r, struct tg_actor *a)
{
    uint64_t w = __atomic_load_n(&r->sem_taken, __ATOMIC_RELAXED);
    while (taker_in(w) == a &&
           !__atomic_compare_exchange_n(&r->sem_taken, &w, w & ~TG_SEM_TAKER, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
}

/* a took r: it is the taker, with one hold more (release: a reader of the
 * taker reads the hold a pushed before). */
static void taker_is(struct tg_res *r, struct tg_actor *a)
{
    uint64_t me = (uintptr_t)a & ~TG_SEM_TAKER ? 0 : (uintptr_t)a;
    uint64_t w = __atomic_load_n(&r->sem_taken, __ATOMIC_RELAXED), to;
    do {
        uint32_t n = holds_in(w);
        to = (uint64_t)(n < TG_SEM_HOLDS_MAX ? n + 1 : n) << TG_SEM_HOLDS_SHIFT | me;
    } while (!__atomic_compare_exchange_n(&r->sem_taken, &w, to, 1, __ATOMIC_RELEASE,
                                          __ATOMIC_RELAXED));
}

/* A post of r by a, which holds none of it: ends another holder's hold. */
static void post_for_other(struct tg_actor *a, struct tg_res *r)
{
    uint64_t w = __atomic_load_n(&r->sem_taken, __ATOMIC_ACQUIRE);
    if (!holds_in(w))
        return; /* nobody holds it: a signal, or a count raised above 1 */
    struct tg_actor *h = taker_in(w);
    if (h && h != a && tg__released_for(h, r)) {
        taker_gone(r, h);
        holds_less(r);
    } else if (tg__released_by_other(a, r, 0)) {
        holds_less(r);
    }
}

/* The bookkeeping of a's post of the lock-like semaphore r: a's own hold
 * ends, or else, if hand_off, the taker's. */
static void gave(struct tg_actor *a, struct tg_res *r, int hand_off)
{
    if (give_back(a, r) == 0) {
        taker_gone(r, a);
        holds_less(r);
    } else if (hand_off) {
        post_for_other(a, r);
    }
}

/* Posts made by a signal handler while its thread was inside tangle (its
 * actor then cannot be edited, and the post goes through unwatched): kept
 * here, by the handler, and their holds ended at the thread's next
 * semaphore call or at its end, so that the taker does not keep the
 * semaphore in tangle's view for good. Beyond DEFERRED_MAX such posts in
 * between, the rest are not seen (as before). */
#define DEFERRED_MAX 16
static __thread uintptr_t deferred[DEFERRED_MAX] __attribute__((tls_model("initial-exec")));
static __thread volatile sig_atomic_t n_deferred __attribute__((tls_model("initial-exec")));

static void defer_post(sem_t *s)
{
    int n = n_deferred;
    if (n < DEFERRED_MAX) {
        deferred[n] = (uintptr_t)s;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        n_deferred = n + 1;
    }
}

void tg__sem_deferred_posts(struct tg_actor *a)
{
    if (TG_LIKELY(!n_deferred) || !a)
        return;
    uintptr_t addrs[DEFERRED_MAX];
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved); /* a handler may add one meanwhile */
    int n = n_deferred;
    memcpy(addrs, deferred, (size_t)n * sizeof *addrs);
    n_deferred = 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    for (int i = 0; i < n; i++) {
        struct tg_res *r = tg__res_lookup(addrs[i]);
        /* Posted already: a hand-off may end another's hold only while
         * nobody has taken the semaphore since. */
        if (r && (r->flags & TG_RF_LOCKLIKE))
            gave(a, r, tg__sem_count_hook && tg__sem_count_hook(r->addr) > 0);
    }
}

static void took(struct tg_actor *a, struct tg_res *r, uintptr_t pc, int slow)
{
    REC(tg__rec_sem(a, r, 0, pc));
    if (!(r->flags & TG_RF_LOCKLIKE)) {
        tg__hb_wait(a, r); /* after the posts that let it through */
        return;
    }
    drop_stale(a, r);
    if (slow)
        tg__acquired_slow(a, r, TG_MODE_EXCL, pc);
    else
        tg__acquired(a, r, TG_MODE_EXCL, pc);
    taker_is(r, a);
}

static int sem_timed(void *s, clockid_t clk, const struct timespec *abs)
{
    int rc = REAL(sem_clockwait)(s, clk, abs);
    return rc == 0 ? 0 : errno;
}

static int sem_untimed(void *s)
{
    return REAL(sem_wait)(s) == 0 ? 0 : errno;
}

static int wait_common(sem_t *s, clockid_t clk, const struct timespec *abs, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    tg__sem_deferred_posts(a);
    if (!a)
        return abs ? REAL(sem_clockwait)(s, clk, abs) : REAL(sem_wait)(s);
    struct tg_res *r = tg__res_get((uintptr_t)s, TG_RES_SEM, tg__object_flags(s, TG_RES_SEM), pc);
    r = tg__live_res(a, r, s, pc);
    if (!tg__object_valid(s, TG_RES_SEM))
        tg__misuse(TG_HAZARD_SEM_MISUSE, a, pc,
                   "initialise a semaphore with sem_init (or open it with sem_open) before use, "
                   "and do not write over it.",
                   "waits on %p, whose bytes are not a semaphore's (never initialised, or "
                   "overwritten); glibc may let the wait through", (void *)s);
    if (REAL(sem_trywait)(s) == 0) {
        if (r)
            took(a, r, pc, 0);
        return 0;
    }
    if (!r || errno != EAGAIN)
        return abs ? REAL(sem_clockwait)(s, clk, abs) : REAL(sem_wait)(s);
    uint32_t site = tg__wait_site(pc);
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_SEM, .mode = TG_MODE_EXCL,
                             .flags = TG_WF_COUNTED | (abs ? TG_WF_TIMED : 0), .pc = pc};
    tg__wait_begin(a, &w);
    a->wait_stack = site;
    int rc = abs ? sem_timed(s, clk, abs) : sem_untimed(s);
    tg__wait_end(a);
    if (rc == 0) {
        took(a, r, pc, 1);
        return 0;
    }
    errno = rc;
    return -1;
}

TG_EXPORT int sem_wait(sem_t *s)
{
    return wait_common(s, CLOCK_REALTIME, NULL, CALLER_PC);
}

TG_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abs)
{
    return wait_common(s, CLOCK_REALTIME, abs, CALLER_PC);
}

TG_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abs)
{
    return wait_common(s, clk, abs, CALLER_PC);
}

TG_EXPORT int sem_trywait(sem_t *s)
{
    int rc = REAL(sem_trywait)(s);
    struct tg_actor *a = tg__self();
    tg__sem_deferred_posts(a);
    if (rc == 0 && a) {
        struct tg_res *r = tg__res_get((uintptr_t)s, TG_RES_SEM, tg__object_flags(s, TG_RES_SEM),
                                       CALLER_PC);
        r = tg__live_res(a, r, s, CALLER_PC);
        if (r)
            took(a, r, CALLER_PC, 0);
    }
    return rc;
}

TG_EXPORT int sem_post(sem_t *s)
{
    struct tg_actor *a = tg__self();
    tg__sem_deferred_posts(a);
    struct tg_res *r = !a ? NULL
                       : tg__live_res(a, tg__lockorder_on ? tg__res_get((uintptr_t)s, TG_RES_SEM, 0,
                                                                          CALLER_PC)
                                                          : tg__res_lookup((uintptr_t)s),
                                      s, CALLER_PC);
    tg__hb_post(a, r); /* before the post: its waiter must find the clock */
    if (a)
        REC(tg__rec_sem(a, r, 1, CALLER_PC)); /* before it too: the trace has it first */
    if (r && (r->flags & TG_RF_LOCKLIKE))
        gave(a, r, 1);
    else if (!a && tg__guard && tg__current)
        defer_post(s); /* a handler that interrupted tangle on this thread */
    int rc = REAL(sem_post)(s);
    int value = 0;
    if (rc != 0 && a && sem_getvalue(s, &value) == 0 && value == SEM_VALUE_MAX) {
        tg__misuse(TG_HAZARD_SEM_MISUSE, a, CALLER_PC,
                   "something posts more often than anyone waits; a semaphore used as a flag "
                   "wants a condition variable instead.",
                   "posts a semaphore already at SEM_VALUE_MAX (%d); sem_post fails with "
                   "EOVERFLOW", SEM_VALUE_MAX);
        errno = EOVERFLOW;
    }
    return rc;
}
