/* SPDX-License-Identifier: MIT */
/* detect.h: the seam between the task runtime and tangle's engine.
 *
 * Every function is a no-op when detection is off (tg_config.detect == 0) or
 * when the runtime is built without the engine (TG_TASK_NO_ENGINE), so the
 * runtime itself never depends on detection to work. The fast paths (holds,
 * switches) are inline and touch only the task's own actor.
 */
#ifndef TG_TASK_DETECT_H
#define TG_TASK_DETECT_H

#include "task/task_int.h"

#ifndef TG_TASK_NO_ENGINE
#include "core/engine.h"
#else
#define TG_RF_WRITER_PREF 0
#define TG_RF_OWNED_PERMITS 0
#endif

extern int tg__detect_on; /* copy of tg__config.detect taken by the first tg_run */
/* tg__detect_on, known to be 0 in a runtime built without the engine (so
 * that its fast paths keep no test of it). */
#ifndef TG_TASK_NO_ENGINE
#define tg__det_on() (tg__detect_on)
#else
#define tg__det_on() 0
#endif
/* tg__config.long_hold_ns as the first tg_run saw it, INT64_MAX if 0: a
 * release checks one comparison. */
extern int64_t tg__long_hold_after;
/* The coarse time a mutex hold must have begun before to have lasted
 * longer than that (tg__coarse_now minus tg__long_hold_after, set with it
 * by the watchdog; INT64_MIN while the limit is off): an unlock compares
 * its mutex's start with it, one comparison. */
extern int64_t tg__long_hold_before;

/* Roles a primitive's engine record remembers the last task in
 * (tg__det_used): a channel's sender and receiver, an event's setter and
 * resetter, a wait group's adder and finisher, a semaphore's releaser
 * (in last_by[1]: a semaphore's last_by[0] is its clock, tg_res.hb). */
enum { TG__BY_SEND = 0, TG__BY_RECV = 1, TG__BY_SET = 0, TG__BY_RESET = 1, TG__BY_ADD = 0,
       TG__BY_DONE = 1, TG__BY_RELEASE = 1 };

/* Wait kinds for tg__det_wait (mapped to the engine's resource kinds). */
enum { TG__W_LOCK, TG__W_READ, TG__W_WRITE, TG__W_PERMIT, TG__W_SIGNAL, TG__W_JOIN,
       TG__W_CHANNEL, TG__W_SLEEP, TG__W_ANY };

/* A select's arms, passed as the obj of a TG__W_ANY wait. */
struct tg__sel_set {
    const struct tg_sel *arms;
    int n;
};
/* An arm's wait kind (TG__W_*); *target is the task awaited by a join. */
int tg__arm_kind(const struct tg_sel *a, struct tg_task **target);

/* Sets tg__detect_on from the configuration (once the engine is usable). */
void tg__det_configure(void);
/* Scheduler threads become hosts; 0 or -1 (then detection is off for it). */
void tg__det_sched_start(struct tg__sched *s);
void tg__det_sched_end(struct tg__sched *s);
/* t gets its actor: the one its scheduler kept from the last task it freed
 * (tg__det_task_keep), renewed, or a new one. */
static inline void tg__det_task_new(struct tg_task *t, struct tg_task *parent);
void tg__det_task_new_slow(struct tg_task *t, struct tg_task *parent);
/* The task ended; its remaining holds are reported. */
static inline void tg__det_task_exit(struct tg_task *t);
/* t's record is freed by a task of scheduler s (its own, or its joiner's). */
void tg__det_task_reap(struct tg__sched *s, struct tg_task *t);
/* 1 if every hold t (ended) had when it ended has ended since (released
 * for it, or its lock made again or its memory reused for another): no
 * lock points at t's record any more. 0 while one stands, or if the
 * engine cannot tell (t had no actor, or a hold went unrecorded). */
int tg__det_holds_ended(struct tg_task *t);
/* Its usual case, inline: s keeps t's actor for its next spawn, if it
 * keeps none yet (then 1). Only s's thread touches what s keeps. */
static inline int tg__det_task_keep(struct tg__sched *s, struct tg_task *t);
/* tg__det_used for whoever calls (events, wait groups and semaphores may
 * be used by threads too), registering a statically initialized p first;
 * call it only while tg__detect_on. */
void tg__det_used_by_caller(struct tg__prim *p, int role, uintptr_t pc);
/* Register a primitive (its engine record goes to p->res). */
void tg__det_res_init(struct tg__prim *p, int engine_flags, uintptr_t pc);
void tg__det_res_destroy(struct tg__prim *p);
/* p->res, registering a statically initialized primitive on first use. */
void *tg__det_res_lazy(struct tg__prim *p, uintptr_t pc);
/* Publishes that t waits (wkind on obj; target for joins) and, when `check`
 * is set, runs detection now. Returns 1 when a deadlock was reported and the
 * policy let the program continue. */
int tg__det_wait(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                 int timed, uintptr_t pc, int check);
void tg__det_wait_end(struct tg_task *t);
/* Before t parks: publishes its wait now when it can end only through a
 * specific holder (locks, joins) or when `check` is set; otherwise (waits
 * anyone can end: channels, events, conditions, selects) only records it,
 * to be published by tg__det_publish_parked once the scheduler runs out of
 * work, since only a stall can involve such a wait. Returns as
 * tg__det_wait. */
static inline int tg__det_park(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                               int timed, uintptr_t pc, int check);
/* After t woke: withdraws its published wait, forgets a deferred one. */
static inline void tg__det_unpark(struct tg_task *t);
/* Their out-of-line parts (detect.c). */
int tg__det_park_slow(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                      int timed, uintptr_t pc, int check);
int tg__det_lock_walk(struct tg_task *t);
void tg__det_unpark_slow(struct tg_task *t, int st);
/* The scheduler has nothing to run: publish its parked tasks' deferred waits. */
void tg__det_publish_parked(struct tg__sched *s);
/* 1 if task t is blocked in a wait or has ended (as a holder, it then
 * cannot release soon: worth running detection now). */
int tg__det_task_blocked(struct tg_task *t);
/* Like tg__det_task_blocked for the holder of p, but 0 when the holder is
 * still parked on p itself: p was just handed to it and it is about to run. */
int tg__det_holder_blocked(struct tg_task *holder, struct tg__prim *p);
/* 1 if the engine records t as holding p (in any mode). */
int tg__det_holds(struct tg_task *t, struct tg__prim *p);
/* The scheduler has nothing to run and nothing external to wait for:
 * publish that the host thread waits (for another thread to wake one of its
 * tasks) and scan for a stall. */
void tg__det_idle(struct tg__sched *s);
/* The scheduler has work again: withdraw the host's idle wait. */
void tg__det_busy(struct tg__sched *s);
/* The scheduler is about to switch away from t (yield or park): reports a
 * thread-level lock it still holds (tg__det_hold_across_switch), once. */
void tg__det_hold_across_switch(struct tg_task *t);
/* Writes every task as a symbolized report (states, waits, holds with
 * sites) to fd; -1 when the engine is not available (then the caller writes
 * a plain dump). */
int tg__det_dump(int fd);
/* Hazards raised by the runtime itself (watchdog, lock held too long). */
/* pcs (n of them, innermost first; n may be 0) is where t runs, sampled. */
void tg__det_hazard_long_task(struct tg__sched *s, struct tg_task *t, int64_t ns, int starving,
                              const uintptr_t *pcs, int n);
void tg__det_hazard_long_hold(struct tg_task *t, struct tg__prim *p, int64_t ns);

#ifndef TG_TASK_NO_ENGINE
static inline __attribute__((always_inline)) void tg__det_task_new(struct tg_task *t, struct tg_task *parent)
{
    struct tg__sched *s = t->sched;
    t->hold_in[0].m = NULL; /* the sentinel below the oldest hold */
    t->hold_untracked = 0;
    t->hold_top = t->hold_mirror = t->hold_in + 1;
    t->hold_end = t->hold_in + 1 + TG__HOLD_IN;
    struct tg_actor *old = s->reaped; /* kept only while s has a host */
    if (!old) {
        tg__det_task_new_slow(t, parent);
        return;
    }
    s->reaped = NULL;
    /* The spawn site is the caller of tg_spawn, known already: no unwinding. */
    uint64_t pid = parent && parent->actor ? parent->actor->id : s->host->id;
    t->actor = tg__actor_renew_task(old, t->name, pid, t->spawn_pc, s->host, t);
    t->actor_tag = t->actor ? tg__actor_tag(t->actor) : TG_TAG_UNKNOWN;
}
static inline int tg__det_task_keep(struct tg__sched *s, struct tg_task *t)
{
    if (s->reaped)
        return 0;
    s->reaped = t->actor;
    t->actor = NULL;
    return 1;
}
/* Another thread ended t's wait (claimed its park) and is about to queue
 * it: t's wait no longer counts as blocked while t waits for its own
 * thread to run it (tg__actor_woken; a wait published later is marked by
 * tg__det_begin). */
static inline void tg__det_woken(struct tg_task *t)
{
    if (t->actor)
        tg__actor_woken(t->actor);
}
static inline void tg__det_switch(struct tg__sched *s, struct tg_task *to)
{
    if (s->host)
        tg__actor_switch(s->host, to && to->actor ? to->actor : NULL);
}
static inline __attribute__((always_inline)) void tg__det_acquired(struct tg_task *t, struct tg__prim *p,
                                                                    int mode, uintptr_t pc)
{
    if (t->actor && (p->res || tg__det_res_lazy(p, pc))) {
        tg__acquired(t->actor, (struct tg_res *)p->res, (enum tg_mode)mode, pc);
        t->task_holds++;
    } else {
        t->hold_untracked = 1;
    }
}
/* The engine's record of p (when it has one: detection is on) notes t as
 * the last task to use p in `role` (tg_res.last_by, TG__BY_*): reports name
 * it among those who could end a wait on p. */
static inline __attribute__((always_inline)) void tg__det_used(struct tg__prim *p, int role,
                                                                const struct tg_task *t)
{
    struct tg_res *r = p->res;
    if (r)
        __atomic_store_n(&r->last_by[role], t->actor_tag, __ATOMIC_RELAXED);
}
/* Both roles at once, t in role and t2 in the other (a channel's direct
 * hand-off): one test, both tags
 * read before either store (which the compiler would take for a barrier). */
static inline __attribute__((always_inline)) void tg__det_used2(struct tg__prim *p, int role,
                                                                 const struct tg_task *t,
                                                                 const struct tg_task *t2)
{
    struct tg_res *r = p->res;
    if (r) {
        uint64_t a = t->actor_tag, b = t2->actor_tag;
        __atomic_store_n(&r->last_by[role], a, __ATOMIC_RELAXED);
        __atomic_store_n(&r->last_by[1 - role], b, __ATOMIC_RELAXED);
    }
}
/* The task hold record (tg_task.hold_in). An uncontended task mutex lock
 * writes two words of it and its unlock compares the top entry with the
 * mutex (the sentinel below the oldest and the entries the engine's list
 * has too never match: see tg_task.hold_in): the engine reads
 * the record through tg__held_more_hook wherever it reads a task's holds
 * (running, parked, or blocked in a pthread call), and the engine's held
 * list gets the hold only when the task ends (tg__det_hold_sync) or nests
 * pthread locks under it (tg__held_sync_hook, for lock order). */
void tg__det_hold_full(struct tg_task *t, tg_mutex *m, uintptr_t pc);
void tg__det_hold_unpop(struct tg_task *t, tg_mutex *m);
void tg__det_hold_sync(struct tg_task *t);
static inline __attribute__((always_inline)) void tg__det_hold_push(struct tg_task *t, tg_mutex *m,
                                                                     uintptr_t pc)
{
    struct tg__hold *h = t->hold_top;
    if (TG_UNLIKELY(h == t->hold_end)) {
        tg__det_hold_full(t, m, pc);
        return;
    }
    h->m = m;
    h->pc = pc;
    t->hold_top = h + 1;
}
/* The newest hold, not yet in the engine's list, is the usual unlock: one
 * comparison tells it (every task has its record set up while detection
 * is on, by tg__det_task_new). */
static inline __attribute__((always_inline)) void tg__det_hold_pop(struct tg_task *t, tg_mutex *m)
{
    struct tg__hold *top = t->hold_top;
    if (TG_LIKELY(top[-1].m == m))
        t->hold_top = top - 1;
    else
        tg__det_hold_unpop(t, m);
}
/* Before t ends: a dead holder's holds are in the engine's list (the hook
 * reads no ended task's record). */
static inline void tg__det_hold_synced(struct tg_task *t)
{
    if (TG_UNLIKELY(t->hold_mirror != t->hold_top))
        tg__det_hold_sync(t);
}
/* Before t ends: its name and id go to its scheduler's ring of ended
 * tasks (a seqlock on the id: tg__det_ended_name reads it from any
 * thread). */
static inline void tg__det_note_ended(struct tg_task *t)
{
    struct tg__sched *s = t->sched;
    if (TG_UNLIKELY(!s->ended))
        return;
    struct tg__ended *e = &s->ended[s->ended_at++ % TG__ENDED];
    __atomic_store_n(&e->id, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(e->name, t->name, sizeof e->name);
    __atomic_store_n(&e->id, t->actor_tag & ((1ull << TG_TAG_ID_BITS) - 1), __ATOMIC_RELEASE);
}
/* The holds left in t's record as it ends join its holds count: a task
 * that ended holding task locks stays allocated (sched.c). */
static inline void tg__det_hold_count(struct tg_task *t)
{
    if (TG_UNLIKELY(t->hold_top != t->hold_in + 1))
        t->holds += (int)(t->hold_top - (t->hold_in + 1));
}
static inline void tg__det_task_exit(struct tg_task *t)
{
    tg__det_hold_count(t);
    if (t->actor) {
        tg__det_hold_synced(t); /* what it still holds, its dead holder keeps */
        tg__det_note_ended(t);
        tg__actor_exit_task(t->actor, 1);
    }
}
static inline void tg__det_switch_out_check(struct tg_task *t)
{
    /* Holds the engine has beyond the task's own primitives are thread-level
     * locks (pthread mutexes taken by the task). */
    if (TG_UNLIKELY(t->actor->n_held > t->task_holds) && !t->hazard_said)
        tg__det_hold_across_switch(t);
}
static inline void tg__det_released(struct tg_task *t, struct tg__prim *p)
{
    if (!t->actor || !p->res)
        return;
    if (tg__released(t->actor, (struct tg_res *)p->res) == 0) {
        t->task_holds--;
        tg__lockorder_idle(t->actor);
    } else /* a permit returned for someone else: their hold ends */
        tg__released_by_other(t->actor, (struct tg_res *)p->res, 0);
}
/* Another task returned a permit of p that `holder` held: its hold ends. */
static inline void tg__det_released_for(struct tg_task *holder, struct tg__prim *p)
{
    if (holder->actor && p->res)
        tg__released_for(holder->actor, (struct tg_res *)p->res);
}

/* t->lz.state (the protocol is described in detect.c): 0 no wait
 * recorded; 1 deferred, described by the record; 2 published; 3 being
 * published by another thread; TG__LZ_PARKED: a channel wait deferred with
 * no record at all: its park describes it (tg_task.wait_obj, wait_pc,
 * wait_op, park->deadline), and only its own thread publishes it or reads
 * those fields for the engine. */
#define TG__LZ_PARKED 4

/* Writes t's wait record (the seqlock protocol is described in detect.c):
 * tg__lz_open, the fields, tg__lz_close. */
static inline unsigned tg__lz_open(struct tg_task *t)
{
    unsigned v = t->lz.ver;
    __atomic_store_n(&t->lz.ver, v + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return v + 2;
}
static inline void tg__lz_close(struct tg_task *t, unsigned v)
{
    __atomic_store_n(&t->lz.ver, v, __ATOMIC_RELEASE);
}
static inline void tg__lz_record(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                                 int timed, uintptr_t pc, int chained)
{
    unsigned v = tg__lz_open(t);
    t->lz.kind = wkind;
    t->lz.obj = obj;
    t->lz.target = target;
    t->lz.timed = timed;
    t->lz.pc = pc;
    t->lz.chained = chained;
    tg__lz_close(t, v);
}

/* Who can end a lock or join wait: the mutex owner, or the task joined. */
static inline struct tg_task *tg__lz_next(int kind, void *obj)
{
    if (kind == TG__W_LOCK)
        return (struct tg_task *)(__atomic_load_n(&((tg_mutex *)obj)->state, __ATOMIC_ACQUIRE) &
                                  ~(uintptr_t)1);
    return kind == TG__W_JOIN ? obj : NULL;
}

/* 1 if h, reached by t's chain walk with wait-record state st, will run:
 * its wait was claimed, or it is queued on t's scheduler (it yielded holding
 * the lock, or was just handed it). */
static inline int tg__lz_runs(const struct tg_task *h, const struct tg_task *t, int st)
{
    if (h == t)
        return 0;
    if (st >= 1)
        return __atomic_load_n(&h->claimed, __ATOMIC_ACQUIRE);
    return h->sched == t->sched && h->state == TG__T_RUNNABLE;
}

/* Marks t's recorded wait, which only the tasks named can end, as deferred,
 * then walks from it unless h (the one task it waits for, NULL for a
 * select) will run, as most holders will. */
static inline int tg__lz_defer_chained(struct tg_task *t, struct tg_task *h)
{
    /* The exchange is also the fence between "I wait" and reading others.
     * The solo thread has no others on other threads: a store will do (a
     * thread that ends solo mode sees it through its membarrier). */
    if (tg__solo_enter()) {
        __atomic_store_n(&t->lz.state, 1, __ATOMIC_RELAXED);
        tg__solo_leave();
    } else {
        __atomic_exchange_n(&t->lz.state, 1, __ATOMIC_SEQ_CST);
    }
    if (h && tg__lz_runs(h, t, __atomic_load_n(&h->lz.state, __ATOMIC_ACQUIRE)))
        return 0;
    return tg__det_lock_walk(t);
}

/* The waits of every contended lock, join and blocking channel call are
 * recorded here, inline; everything else goes to tg__det_park_slow. */
static inline int tg__det_park(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                               int timed, uintptr_t pc, int check)
{
    if (wkind == TG__W_CHANNEL && !check) {
        /* Anyone can end it: only this thread publishes it, when its
         * scheduler runs out of work, from what the park itself records
         * (tg__det_publish_parked). Nothing else to write now, but for a
         * statically initialized channel's first wait: its record is made
         * now, so that it notes from the start who sends and receives
         * (tg__det_used). */
        if (TG_UNLIKELY(!((struct tg__prim *)obj)->res))
            tg__det_res_lazy(obj, pc);
        __atomic_store_n(&t->lz.state, TG__LZ_PARKED, __ATOMIC_RELAXED);
        return 0;
    }
    if (wkind == TG__W_LOCK) {
        tg__lz_record(t, wkind, obj, NULL, timed, pc, 1);
        return tg__lz_defer_chained(t, tg__lz_next(wkind, obj));
    }
    if (wkind == TG__W_JOIN) { /* the awaited task is usually queued to run */
        tg__lz_record(t, wkind, obj, target, timed, pc, 1);
        return tg__lz_defer_chained(t, target);
    }
    return tg__det_park_slow(t, wkind, obj, target, timed, pc, check);
}

static inline __attribute__((always_inline)) void tg__det_unpark(struct tg_task *t)
{
    int st = __atomic_load_n(&t->lz.state, __ATOMIC_ACQUIRE);
    if (TG_LIKELY(st == TG__LZ_PARKED)) { /* only this thread moves it */
        __atomic_store_n(&t->lz.state, 0, __ATOMIC_RELAXED);
        return;
    }
    if (TG_LIKELY(st == 1)) {
        if (!t->lz.chained) {
            __atomic_store_n(&t->lz.state, 0, __ATOMIC_RELAXED);
            return;
        }
        if (tg__cas(&t->lz.state, &st, 0))
            return;
    }
    tg__det_unpark_slow(t, st);
}
#else
static inline int tg__det_park(struct tg_task *t, int wkind, void *obj, struct tg_task *target,
                               int timed, uintptr_t pc, int check)
{
    (void)t; (void)wkind; (void)obj; (void)target; (void)timed; (void)pc; (void)check;
    return 0;
}
static inline void tg__det_unpark(struct tg_task *t) { (void)t; }
static inline void tg__det_woken(struct tg_task *t) { (void)t; }
static inline void tg__det_switch(struct tg__sched *s, struct tg_task *to) { (void)s; (void)to; }
static inline void tg__det_task_new(struct tg_task *t, struct tg_task *parent) { (void)t; (void)parent; }
static inline void tg__det_task_exit(struct tg_task *t) { (void)t; }
static inline int tg__det_task_keep(struct tg__sched *s, struct tg_task *t) { (void)s; (void)t; return 0; }
static inline void tg__det_acquired(struct tg_task *t, struct tg__prim *p, int mode, uintptr_t pc)
{ (void)t; (void)p; (void)mode; (void)pc; }
static inline void tg__det_released(struct tg_task *t, struct tg__prim *p) { (void)t; (void)p; }
static inline void tg__det_released_for(struct tg_task *h, struct tg__prim *p) { (void)h; (void)p; }
static inline void tg__det_used(struct tg__prim *p, int role, const struct tg_task *t)
{ (void)p; (void)role; (void)t; }
static inline void tg__det_used2(struct tg__prim *p, int role, const struct tg_task *t,
                                 const struct tg_task *t2)
{ (void)p; (void)role; (void)t; (void)t2; }
static inline void tg__det_switch_out_check(struct tg_task *t) { (void)t; }
static inline void tg__det_hold_push(struct tg_task *t, tg_mutex *m, uintptr_t pc)
{ (void)t; (void)m; (void)pc; }
static inline void tg__det_hold_pop(struct tg_task *t, tg_mutex *m) { (void)t; (void)m; }
static inline void tg__det_hold_synced(struct tg_task *t) { (void)t; }
#endif

#define TG__MODE_EXCL 0
#define TG__MODE_READ 1
#define TG__MODE_WRITE 2

#endif
