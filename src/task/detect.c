/* SPDX-License-Identifier: MIT */
/* detect.c: the task runtime's calls into tangle's engine.
 *
 * Tasks are actors hosted by their scheduler thread; every task-level wait
 * is published with TG_WF_PARKED (the task is parked, its host runs on).
 * Detection runs at once only when a wait can end through a specific holder
 * that is itself blocked (a lock or join whose holder waits, any rwlock or
 * owned-permit wait); everything else is caught by scans when a scheduler
 * runs out of work, so the common paths stay cheap.
 */
#define _GNU_SOURCE
#include "task/detect.h"
#ifndef TG_TASK_NO_ENGINE
#include "report/report.h"
#endif

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* task.h's static initializers (TG_MUTEX_INIT, ...) spell the kinds. */
_Static_assert(TG__K_MUTEX == 1 && TG__K_RWLOCK == 2 && TG__K_SEM == 3 && TG__K_EVENT == 4 &&
               TG__K_COND == 5 && TG__K_WAITGROUP == 6 && TG__K_CHAN == 7,
               "update the TG_*_INIT macros in include/tangle/task.h");

int tg__detect_on;
int64_t tg__long_hold_after = INT64_MAX;
int64_t tg__long_hold_before = INT64_MIN;

#ifdef TG_TASK_NO_ENGINE

void tg__det_configure(void) { tg__detect_on = 0; }
void tg__det_sched_start(struct tg__sched *s) { (void)s; }
void tg__det_sched_end(struct tg__sched *s) { (void)s; }
void tg__det_task_new_slow(struct tg_task *t, struct tg_task *parent) { (void)t; (void)parent; }
void tg__det_task_reap(struct tg__sched *s, struct tg_task *t) { (void)s; (void)t; }
int tg__det_holds_ended(struct tg_task *t) { (void)t; return 0; }
void tg__det_res_init(struct tg__prim *p, int flags, uintptr_t pc) { (void)flags; (void)pc; p->res = NULL; }
void tg__det_res_destroy(struct tg__prim *p) { (void)p; }
void tg__det_used_by_caller(struct tg__prim *p, int role, uintptr_t pc) { (void)p; (void)role; (void)pc; }
void *tg__det_res_lazy(struct tg__prim *p, uintptr_t pc) { (void)pc; return p->res; }
int tg__det_wait(struct tg_task *t, int wkind, void *obj, struct tg_task *target, int timed,
                 uintptr_t pc, int check)
{
    (void)t; (void)wkind; (void)obj; (void)target; (void)timed; (void)pc; (void)check;
    return 0;
}
void tg__det_wait_end(struct tg_task *t) { (void)t; }
void tg__det_publish_parked(struct tg__sched *s) { (void)s; }
int tg__det_task_blocked(struct tg_task *t) { (void)t; return 0; }
int tg__det_holder_blocked(struct tg_task *h, struct tg__prim *p) { (void)h; (void)p; return 0; }
int tg__det_holds(struct tg_task *t, struct tg__prim *p) { (void)t; (void)p; return 0; }
void tg__det_idle(struct tg__sched *s) { (void)s; }
void tg__det_busy(struct tg__sched *s) { (void)s; }
void tg__det_hold_across_switch(struct tg_task *t) { (void)t; }
void tg__det_hazard_long_task(struct tg__sched *s, struct tg_task *t, int64_t ns, int starving,
                              const uintptr_t *pcs, int n)
{
    (void)s; (void)t; (void)ns; (void)starving; (void)pcs; (void)n;
}
void tg__det_hazard_long_hold(struct tg_task *t, struct tg__prim *p, int64_t ns)
{
    (void)t; (void)p; (void)ns;
}
int tg__det_dump(int fd) { (void)fd; return -1; }

#else

/* ---- who could end a wait: what a primitive's record remembers ---------- */

/* 1 if the task of actor a (id: the id it was found with) is parked: a
 * channel wait is published to the engine only once its scheduler runs
 * out of work, so the task's own state is read too, inside
 * tg__rec_read_begin/end, while its actor still names it. */
static int tg__task_parked(const struct tg_actor *a, uint64_t id)
{
    int parked = 0;
    tg__rec_read_begin();
    const struct tg_task *t = __atomic_load_n(&a->user, __ATOMIC_ACQUIRE);
    if (t && __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED &&
        __atomic_load_n(&a->id, __ATOMIC_ACQUIRE) == id) {
        parked = __atomic_load_n(&t->state, __ATOMIC_RELAXED) == TG__T_BLOCKED;
        parked &= __atomic_load_n(&a->id, __ATOMIC_ACQUIRE) == id;
    }
    tg__rec_read_end();
    return parked;
}

/* The name of the task with actor id `id` if a scheduler's ring of ended
 * tasks still has it (copied into name[32]); 0 if none does. */
static int tg__ended_name(uint64_t id, char *name)
{
    for (struct tg__sched *s = tg__sched_list(); s; s = s->all_next) {
        const struct tg__ended *ring = __atomic_load_n(&s->ended, __ATOMIC_ACQUIRE);
        for (int i = 0; ring && i < TG__ENDED; i++) {
            if (__atomic_load_n(&ring[i].id, __ATOMIC_ACQUIRE) != id)
                continue;
            memcpy(name, ring[i].name, sizeof ring[i].name);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&ring[i].id, __ATOMIC_RELAXED) == id) {
                name[sizeof ring[i].name - 1] = 0;
                return 1;
            }
        }
    }
    return 0;
}

/* Appends the actor tag stands for, named the way reports name actors
 * ("task 5 \"right\""), then what it does now (", which is blocked",
 * ", which can run", ", which has ended"); "this task" for self, the actor
 * whose wait is described. Returns 0 (appending nothing) when the tag
 * names nobody tangle can tell. */
static int tg__who(struct tg_buf *b, uint64_t tag, const struct tg_actor *self)
{
    struct tg_tagged w;
    int found = tg__actor_of_tag(tag, &w);
    const char *kind = w.task ? "task" : "thread";
    if (found < 0)
        return 0;
    if (found == 0) { /* its record serves another: its name, if kept, is in a ring */
        char name[32];
        tg__buf_printf(b, "%s %llu", kind, (unsigned long long)w.who.id);
        if (w.task && tg__ended_name(w.who.id, name) && name[0])
            tg__buf_printf(b, " \"%s\"", name);
        tg__buf_printf(b, ", which has %s", w.task ? "ended" : "exited");
        return 1;
    }
    if (w.actor == self) {
        tg__buf_printf(b, "this %s", kind);
        return 1;
    }
    tg__buf_printf(b, "%s %llu", kind, (unsigned long long)w.who.id);
    if (w.who.name[0])
        tg__buf_printf(b, " \"%s\"", w.who.name);
    tg__buf_printf(b, ", which %s",
                   w.state == TG_ST_EXITED ? (w.task ? "has ended" : "has exited")
                   : w.state == TG_ST_BLOCKED || (w.task && tg__task_parked(w.actor, w.who.id))
                       ? "is blocked"
                   : w.task ? "can run" : "is running");
    return 1;
}

/* Appends the clause on the last user of p in `role`: "the last to
 * receive from it was task 5 \"right\", which is blocked" (did: "to
 * receive from it"), or "nobody has received from it yet" (done: "received
 * from it"); a new sentence when `first` (" The last ..."), else after
 * "; ". Nothing when the one it was cannot be told. Returns 1 if it
 * appended. */
static int tg__last(struct tg_buf *b, int first, const struct tg__prim *p, int role,
                    const char *did, const char *done, const struct tg_actor *self)
{
    const struct tg_res *r = p->res;
    uint64_t tag = r ? __atomic_load_n(&r->last_by[role], __ATOMIC_RELAXED) : 0;
    struct tg_tagged w;
    if (tag && tg__actor_of_tag(tag, &w) < 0)
        return 0;
    tg__buf_puts(b, first ? " " : "; ");
    if (!tag) {
        tg__buf_printf(b, "%s has %s yet", first ? "Nobody" : "nobody", done);
        return 1;
    }
    tg__buf_printf(b, "%s last %s was ", first ? "The" : "the", did);
    return tg__who(b, tag, self);
}

/* The malloc'd text of b (the caller frees it), NULL if it failed. */
static char *tg__buf_take(struct tg_buf *b)
{
    if (b->failed) {
        tg__buf_free(b);
        return NULL;
    }
    return b->data;
}

/* Appends who last used p each way, the role that could end the wait
 * first: see tg__last. */
static void tg__lasts(struct tg_buf *b, const struct tg__prim *p, const struct tg_actor *self,
                      int r1, const char *did1, const char *done1, int r2, const char *did2,
                      const char *done2)
{
    int said = tg__last(b, 1, p, r1, did1, done1, self);
    if (r2 >= 0)
        said |= tg__last(b, !said, p, r2, did2, done2, self);
    if (said)
        tg__buf_puts(b, ".");
}

/* A report's words on a task's wait, which only the runtime knows: which
 * way a channel wait goes, how full the channel is, whether anyone waits
 * on the other side, and who last used it each way; a wait group's count and who last
 * finished and added; who last set and reset an event; who last released
 * a signalling semaphore. self is the waiting task's actor. Read without
 * the primitive's lock (a report must not take it): exact when the tasks
 * are stuck, which is when a report names them. */
static char *tg__wait_note(const struct tg_task *t, const struct tg__prim *p,
                           const struct tg_actor *self)
{
    struct tg_buf b = { 0 };
    if (p->kind == TG__K_CHAN) {
        const tg_chan *c = (const tg_chan *)p;
        long n = __atomic_load_n(&c->count, __ATOMIC_RELAXED);
        int send = t->wait_op == TG_SEL_SEND;
        tg__buf_printf(&b, "it waits to %s: ", send ? "send" : "receive");
        if (c->capacity == 0)
            tg__buf_puts(&b, "the channel is unbuffered");
        else if (c->capacity < 0)
            tg__buf_printf(&b, "the channel is unbounded and holds %ld", n);
        else
            tg__buf_printf(&b, "the channel %s (%ld of %ld)",
                           n == 0 ? "is empty" : n >= c->capacity ? "is full" : "holds some", n,
                           c->capacity);
        /* (A channel hands a value over as soon as both sides are there:
         * a task that stays on the other side's queue is leaving it.) */
        int other =
            __atomic_load_n(send ? &c->recvq.head : &c->sendq.head, __ATOMIC_RELAXED) != NULL;
        tg__buf_printf(&b, " and %s", other ? "a task waits" : "no task waits");
        tg__buf_puts(&b, send ? " to receive from it; any task receiving from it would complete "
                                "the send."
                              : " to send on it; any task sending on it (or closing it) would "
                                "complete the receive.");
        /* Who could complete it first: the last on the other side. */
        if (send)
            tg__lasts(&b, p, self, TG__BY_RECV, "to receive from it", "received from it",
                      TG__BY_SEND, "to send on it", "sent on it");
        else
            tg__lasts(&b, p, self, TG__BY_SEND, "to send on it", "sent on it", TG__BY_RECV,
                      "to receive from it", "received from it");
    } else if (p->kind == TG__K_WAITGROUP) {
        long n = __atomic_load_n(&((const tg_waitgroup *)p)->count, __ATOMIC_RELAXED);
        tg__buf_printf(&b, "the wait group still counts %ld: it opens after %ld more "
                           "tg_waitgroup_done() call%s.", n, n, n == 1 ? "" : "s");
        tg__lasts(&b, p, self, TG__BY_DONE, "to call tg_waitgroup_done() on it",
                  "called tg_waitgroup_done() on it", TG__BY_ADD, "to add to it",
                  "added to it");
    } else if (p->kind == TG__K_EVENT) {
        tg__buf_puts(&b, "it waits for the event to be set; a task or thread calling "
                         "tg_event_set() on it would end the wait.");
        tg__lasts(&b, p, self, TG__BY_SET, "to set it", "set it", TG__BY_RESET, "to reset it",
                  "reset it");
    } else if (p->kind == TG__K_SEM && (((const tg_sem *)p)->flags & TG_SEM_SIGNAL)) {
        tg__buf_printf(&b, "it waits for a permit of a signalling semaphore (it has %ld); any "
                           "task releasing it would end the wait.",
                       __atomic_load_n(&((const tg_sem *)p)->permits, __ATOMIC_RELAXED));
        tg__lasts(&b, p, self, TG__BY_RELEASE, "to release it", "released it", -1, NULL, NULL);
    } else {
        return NULL;
    }
    return tg__buf_take(&b);
}

/* The engine's hook: the same for a task's published one-arm wait. */
static char *tg__det_wait_note(const struct tg_actor *a, const struct tg_wait_desc *w)
{
    if (a->kind != TG_ACTOR_TASK || !a->user || !w->res || w->n_any > 0 ||
        (w->kind != TG_RES_CHANNEL && w->kind != TG_RES_EVENT && w->kind != TG_RES_SEM))
        return NULL;
    return tg__wait_note(a->user, (const struct tg__prim *)w->res->addr, a);
}

/* ---- the hold record (detect.h) ---------------------------------------- */
/* A record entry's mutex, without the mark of a mirrored entry. */
static tg_mutex *tg__hold_mutex(const struct tg__hold *h)
{
    return (tg_mutex *)((uintptr_t)h->m & ~(uintptr_t)1);
}

/* A mutex taken while the record is full goes to the engine's list at
 * once, as every hold once did, and is counted in t->holds (the record
 * does not count it). */
void tg__det_hold_full(struct tg_task *t, tg_mutex *m, uintptr_t pc)
{
    t->holds++;
    tg__det_acquired(t, &m->p, TG__MODE_EXCL, pc);
}

/* The unlock of a hold that is not the newest of the record, or is in the
 * engine's list already. */
__attribute__((noinline)) void tg__det_hold_unpop(struct tg_task *t, tg_mutex *m)
{
    struct tg__hold *first = t->hold_in + 1, *top = t->hold_top, *h = top;
    while (h > first && tg__hold_mutex(&h[-1]) != m)
        h--;
    if (h == first) { /* taken while the record was full */
        t->holds--;
        tg__det_released(t, &m->p);
        return;
    }
    h--;
    if (h < t->hold_mirror) { /* mirrored: the engine's entry goes too */
        tg__det_released(t, &m->p);
        t->hold_mirror--;
    }
    memmove(h, h + 1, (size_t)(top - h - 1) * sizeof *h);
    t->hold_top = top - 1;
}

/* Mirrors the holds the engine's list lacks into it, on top, and marks
 * their entries (bit 0 of m) so that their unlocks take the slow path,
 * which releases them from the list too. */
void tg__det_hold_sync(struct tg_task *t)
{
    for (struct tg__hold *h = t->hold_mirror; h < t->hold_top; h++) {
        tg__det_acquired(t, &h->m->p, TG__MODE_EXCL, h->pc);
        h->m = (tg_mutex *)((uintptr_t)h->m | 1);
    }
    t->hold_mirror = t->hold_top;
}

/* tg__held_sync_hook: the task itself, about to have a chain of its held
 * list validated, puts its unmirrored holds below the newest entry (the
 * lock it just took), which stays on top. */
static void tg__det_held_insert(struct tg_actor *a)
{
    struct tg_task *t = a->user;
    if (a->kind != TG_ACTOR_TASK || !t || t->actor != a || t->hold_mirror == t->hold_top ||
        a->n_held < 1)
        return;
    struct tg_held newest = a->held[a->n_held - 1];
    a->n_held--; /* only this thread reads its own list while it runs */
    tg__det_hold_sync(t);
    if (TG_UNLIKELY(a->n_held == a->cap_held) && tg__held_grow(a) != 0)
        return; /* out of memory (warned): the newest hold goes untracked */
    newest.chain = 0;
    a->held[a->n_held] = newest;
    __atomic_store_n(&a->n_held, a->n_held + 1, __ATOMIC_RELEASE);
}

/* The end of a task record that holds its hold record (struct tg_task,
 * from hold_top on), copied to be read in one piece. */
struct hold_view {
    struct tg__hold *top, *mirror, *end;
    struct tg__hold in[1 + TG__HOLD_IN];
};
_Static_assert(offsetof(struct tg_task, hold_mirror) - offsetof(struct tg_task, hold_top) ==
                       offsetof(struct hold_view, mirror) &&
                   offsetof(struct tg_task, hold_in) - offsetof(struct tg_task, hold_top) ==
                       offsetof(struct hold_view, in),
               "struct hold_view follows struct tg_task's hold record");

/* tg__held_more_hook: the holds task actor a has in its record and not in
 * its held list. Called by other threads: the detector, for a blocked
 * actor (a task blocked in a pthread call keeps its record as it is),
 * whose copy it then validates; and a hazard about a task running on
 * another thread (the watchdog's long-running task). Either task may wake,
 * end and have its record (inside its stack mapping) unmapped by its
 * joiner at any moment: the record is read inside tg__rec_read_begin/end,
 * after its actor was seen not ended (the state first, then the record it
 * names: a renewed actor's state is stored after its new record), and no
 * record is unmapped while a reader is inside. A torn or reused record
 * gives wrong entries, never a wild one: the pointers are bounded by the
 * record and each entry's resource is looked up by address. */
static int tg__det_held_more(const struct tg_actor *a, struct tg_held *out, int max)
{
    if (a->kind != TG_ACTOR_TASK)
        return 0;
    struct hold_view v;
    tg__rec_read_begin();
    int state = __atomic_load_n(&a->state, __ATOMIC_ACQUIRE);
    const struct tg_task *t = __atomic_load_n(&a->user, __ATOMIC_ACQUIRE);
    int live = t && state != TG_ST_EXITED;
    if (live) {
        v.top = __atomic_load_n(&t->hold_top, __ATOMIC_RELAXED);
        v.mirror = __atomic_load_n(&t->hold_mirror, __ATOMIC_RELAXED);
        for (int i = 1; i <= TG__HOLD_IN; i++) {
            v.in[i].m = __atomic_load_n(&t->hold_in[i].m, __ATOMIC_RELAXED);
            v.in[i].pc = __atomic_load_n(&t->hold_in[i].pc, __ATOMIC_RELAXED);
        }
    }
    tg__rec_read_end();
    if (!live || v.mirror < t->hold_in + 1 || v.top > t->hold_in + 1 + TG__HOLD_IN)
        return 0;
    int n = 0;
    for (long i = v.mirror - t->hold_in; i < v.top - t->hold_in && n < max; i++) {
        uintptr_t addr = (uintptr_t)tg__hold_mutex(&v.in[i]); /* (marked: a torn copy) */
        if (!addr)
            continue;
        out[n] = (struct tg_held){ .addr = addr, .res = tg__res_lookup(addr), .pc = v.in[i].pc,
                                   .mode = TG_MODE_EXCL };
        /* A statically initialized mutex never waited on has no entry yet:
         * it is made as a lock tangle does not read. */
        out[n].as = out[n].res ? 0 : TG_AS_DESCRIBED;
        n++;
    }
    return n;
}

void tg__det_configure(void)
{
    static int state; /* 0: not yet, 1: being decided, 2: decided */
    int expected = 0;
    if (__atomic_compare_exchange_n(&state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&tg__detect_on, tg__config.detect && tg__engine_init() == 0, __ATOMIC_RELAXED);
        if (tg__detect_on) {
            tg__wait_note_hook = tg__det_wait_note;
            tg__held_more_hook = tg__det_held_more;
            tg__held_sync_hook = tg__det_held_insert;
            if (tg__config.long_hold_ns > 0)
                tg__long_hold_after = tg__config.long_hold_ns;
        }
        __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2) /* another scheduler decides */
        tg__cpu_relax();
}

void tg__det_sched_start(struct tg__sched *s)
{
    struct tg_actor *h = tg__current;
    if (!h) {
        /* The thread was not seen by the preload hooks (none are loaded, or
         * it started before them): register it here. */
        h = tg__actor_new(TG_ACTOR_THREAD, "scheduler", 0);
        if (!h)
            return;
        h->tid = (long)gettid();
        tg__current = h;
    }
    h->aflags |= TG_AF_HOST;
    if (!s->ended) /* kept when the scheduler is reused; never freed */
        s->ended = calloc(TG__ENDED, sizeof *s->ended);
    s->host = h;
    s->host_guard = tg__guard_of_self();
}

void tg__det_sched_end(struct tg__sched *s)
{
    if (s->reaped)
        tg__actor_reap(s->reaped);
    s->reaped = NULL;
    if (s->host) {
        tg__actor_switch(s->host, NULL);
        s->host->aflags &= ~TG_AF_HOST;
    }
    s->host = NULL;
    s->host_guard = NULL;
}

void tg__det_task_new_slow(struct tg_task *t, struct tg_task *parent)
{
    struct tg__sched *s = t->sched;
    t->actor_tag = TG_TAG_UNKNOWN;
    if (!s->host)
        return;
    uint64_t pid = parent && parent->actor ? parent->actor->id : s->host->id;
    struct tg_actor *a = tg__actor_new_at(TG_ACTOR_TASK, t->name, pid, &t->spawn_pc, t->spawn_pc ? 1 : 0);
    if (a) {
        a->host = s->host;
        a->tid = s->host->tid;
        a->user = t;
    }
    t->actor = a;
    if (a)
        t->actor_tag = tg__actor_tag(a);
}

void tg__det_task_reap(struct tg__sched *s, struct tg_task *t)
{
    /* Kept for the next spawn of s (the freeing thread's own scheduler, so
     * no other thread touches it): one engine lock instead of two per task. */
    if (t->actor) {
        tg__actor_reap(s->reaped); /* the one kept before, if any */
        s->reaped = t->actor;
    }
    t->actor = NULL;
}

int tg__det_holds_ended(struct tg_task *t)
{
    return t->actor && !t->hold_untracked && tg__actor_holds_ended(t->actor);
}

static enum tg_res_kind tg__res_kind(int k)
{
    switch (k) {
    case TG__K_MUTEX: return TG_RES_MUTEX;
    case TG__K_RWLOCK: return TG_RES_RWLOCK;
    case TG__K_SEM: return TG_RES_SEM;
    case TG__K_COND: return TG_RES_COND;
    case TG__K_CHAN: return TG_RES_CHANNEL;
    default: return TG_RES_EVENT;
    }
}

void tg__det_res_init(struct tg__prim *p, int flags, uintptr_t pc)
{
    p->res = NULL;
    if (!tg__config.detect || tg__engine_init() != 0)
        return;
    p->res = tg__res_init((uintptr_t)p, tg__res_kind(p->kind), (uint32_t)flags, pc);
}

/* A primitive initialized statically (TG_*_INIT in task.h) has no record
 * until its first acquisition or wait registers one, found or made under
 * the engine's insert lock, so two first uses at once get the same. */
void *tg__det_res_lazy(struct tg__prim *p, uintptr_t pc)
{
    void *r = __atomic_load_n(&p->res, __ATOMIC_ACQUIRE);
    if (r || p->kind < TG__K_MUTEX || p->kind > TG__K_CHAN || !tg__config.detect ||
        tg__engine_init() != 0)
        return r;
    int flags = p->kind == TG__K_RWLOCK ? TG_RF_WRITER_PREF
              : p->kind == TG__K_SEM && !(((tg_sem *)p)->flags & TG_SEM_SIGNAL) ? TG_RF_OWNED_PERMITS
              : 0;
    r = tg__res_get((uintptr_t)p, tg__res_kind(p->kind), (uint32_t)flags, pc);
    __atomic_store_n(&p->res, r, __ATOMIC_RELEASE);
    return r;
}

void tg__det_used_by_caller(struct tg__prim *p, int role, uintptr_t pc)
{
    struct tg_res *r = p->res ? p->res : tg__det_res_lazy(p, pc);
    if (!r)
        return;
    struct tg_task *t = tg__self();
    struct tg_actor *a = tg__current;
    uint64_t tag = t ? t->actor_tag : a ? tg__actor_tag(a) : TG_TAG_UNKNOWN;
    __atomic_store_n(&r->last_by[role], tag, __ATOMIC_RELAXED);
}

void tg__det_res_destroy(struct tg__prim *p)
{
    if (p->res)
        tg__res_destroy(p->res);
    p->res = NULL;
}

/* Publishes w as t's wait; runs detection now when `check` is set. */
static int tg__det_begin(struct tg_task *t, const struct tg_wait_desc *w, int check)
{
    tg__wait_begin(t->actor, w);
    /* Already ended by another thread (published late: by its own idle
     * thread, or a chain walk), it does not count as blocked. */
    if (__atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE))
        tg__actor_woken_published(t->actor);
    if (check && tg__wait_check(t->actor) == TG_CHECK_DEADLOCK) {
        tg__deadlock_policy();
        return 1;
    }
    return 0;
}

static uint8_t tg__det_mode(int wkind)
{
    return wkind == TG__W_READ ? TG_MODE_READ : wkind == TG__W_WRITE ? TG_MODE_WRITE : TG_MODE_EXCL;
}

int tg__det_wait(struct tg_task *t, int wkind, void *obj, struct tg_task *target, int timed,
                 uintptr_t pc, int check)
{
    struct tg_wait_desc w = { 0 };
    w.flags = TG_WF_PARKED | (timed ? TG_WF_TIMED : 0);
    w.pc = pc;
    if (wkind == TG__W_JOIN) {
        w.kind = TG_RES_JOIN;
        w.target = target ? target->actor : NULL;
        if (!w.target)
            return 0;
    } else {
        w.res = ((struct tg__prim *)obj)->res;
        if (!w.res)
            w.res = tg__det_res_lazy(obj, pc);
        if (!w.res)
            return 0;
        w.kind = tg__res_kind_of(w.res);
        w.mode = tg__det_mode(wkind);
    }
    return tg__det_begin(t, &w, check);
}

/* A select's wait: any one of its arms may end it. */
static int tg__det_wait_arms(struct tg_task *t, const struct tg__lz_arm *arms, int n, int timed,
                             uintptr_t pc, int check)
{
    struct tg_wait_alt alts[n];
    for (int i = 0; i < n; i++) {
        alts[i] = (struct tg_wait_alt){ .kind = TG_RES_JOIN };
        if (arms[i].kind == TG__W_JOIN) {
            alts[i].target = ((struct tg_task *)arms[i].obj)->actor;
        } else if ((alts[i].res = tg__det_res_lazy(arms[i].obj, pc))) {
            alts[i].kind = tg__res_kind_of(alts[i].res);
            alts[i].mode = tg__det_mode(arms[i].kind);
        } else { /* a primitive the engine does not know: anyone may end it */
            alts[i].kind = TG_RES_EVENT;
        }
    }
    struct tg_wait_desc w = { .res = alts[0].res, .kind = alts[0].kind, .mode = alts[0].mode,
                              .target = alts[0].target, .pc = pc, .any = alts, .n_any = n,
                              .flags = TG_WF_PARKED | (timed ? TG_WF_TIMED : 0) };
    return tg__det_begin(t, &w, check);
}

/* Publishes the wait t's record describes. */
static int tg__det_wait_rec(struct tg_task *t, int check)
{
    if (t->lz.kind == TG__W_ANY)
        return tg__det_wait_arms(t, t->lz.any, t->lz.n_any, t->lz.timed, t->lz.pc, check);
    return tg__det_wait(t, t->lz.kind, t->lz.obj, t->lz.target, t->lz.timed, t->lz.pc, check);
}

void tg__det_wait_end(struct tg_task *t)
{
    if (__atomic_load_n(&t->actor->wait_seq, __ATOMIC_RELAXED) & 1)
        tg__wait_end(t->actor);
}

/* The wait record (t->lz) protocol. Only t's thread writes the fields, and
 * only while state is 0 or TG__LZ_PARKED, bracketed by ver (a seqlock for
 * other threads' reads). Another thread publishes a deferred wait by
 * moving state 1 -> 3, calling the engine, then 3 -> 2; t's tg__det_unpark
 * moves 1 -> 0 with one compare-and-swap, or waits out 3 and withdraws a
 * published wait. A channel wait (TG__LZ_PARKED) is recorded by its park
 * alone and published only by t's own thread (TG__LZ_PARKED -> 2). So the
 * engine's record of a wait is never written by two threads at once. */
static void tg__lz_publish(struct tg_task *h, int foreign)
{
    int one = 1;
    if (!h->actor || !__atomic_compare_exchange_n(&h->lz.state, &one, 3, 0, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_RELAXED))
        return;
    if (foreign && !h->lz.chained) {
        /* h moved on to a wait only its own thread publishes (its unpark of
         * such a wait is a plain store, which may already have cleared 3). */
        int three = 3;
        __atomic_compare_exchange_n(&h->lz.state, &three, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
        return;
    }
    tg__det_wait_rec(h, 0);
    __atomic_store_n(&h->lz.state, 2, __ATOMIC_RELEASE);
}

/* Publishes the channel wait t's park describes (lz.state TG__LZ_PARKED),
 * on t's own thread while t is parked: the record is written first, so
 * that a chain walk that then sees state 2 reads this wait, not the last
 * one (a walk that sees TG__LZ_PARKED reads nothing more). */
static void tg__lz_publish_parked(struct tg_task *t)
{
    tg__lz_record(t, TG__W_CHANNEL, (void *)t->wait_obj, NULL, t->park->deadline != TG_FOREVER,
                  t->wait_pc, 0);
    tg__det_wait_rec(t, 0);
    __atomic_store_n(&t->lz.state, 2, __ATOMIC_RELEASE);
}

/* h's recorded wait as arms (one, or a select's) into arms[TG__LZ_ANY];
 * returns their count, 0 if the record is being rewritten (h runs between
 * waits). *chained says whether only the tasks named can end it. */
static int tg__lz_read(const struct tg_task *h, struct tg__lz_arm *arms, int *chained)
{
    unsigned v1 = __atomic_load_n(&h->lz.ver, __ATOMIC_ACQUIRE);
    int kind = h->lz.kind, n = 1;
    *chained = h->lz.chained;
    if (kind == TG__W_ANY) {
        n = h->lz.n_any;
        if (n < 1 || n > TG__LZ_ANY)
            n = 0; /* too wide to record: published, not followed */
        else
            memcpy(arms, h->lz.any, (size_t)n * sizeof *arms);
    } else {
        arms[0].kind = kind;
        arms[0].obj = kind == TG__W_JOIN ? (void *)h->lz.target : h->lz.obj;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if ((v1 & 1) || __atomic_load_n(&h->lz.ver, __ATOMIC_RELAXED) != v1)
        return 0;
    if (n == 0)
        *chained = 0;
    return n ? n : -1;
}

/* Queues the tasks that can end the wait of h (arms, all lock or join
 * arms) on todo; 0 when one of the arms can end without them (the lock is
 * free or already h's: it was just handed over). */
static int tg__lz_push(const struct tg_task *h, const struct tg_task *t,
                       const struct tg__lz_arm *arms, int n, struct tg_task **todo, int *n_todo)
{
    for (int i = 0; i < n; i++) {
        struct tg_task *next = tg__lz_next(arms[i].kind, arms[i].obj);
        if (!next || (next == h && h != t) || *n_todo == 64)
            return 0;
        todo[(*n_todo)++] = next;
    }
    return 1;
}

/* Follows, from t's deferred wait, the tasks that can end it, through
 * those whose own waits are lock, join or select-of-locks waits (a select
 * branches: every arm's holder is followed). Returns 1 (after publishing
 * every deferred wait on the way) when nothing it reaches can run: every
 * branch comes back to t or to a task already seen, or reaches a task that
 * ended, is blocked outside tasks, or whose wait the engine already has.
 * Then the engine must decide now. Returns 0 when some task reached can run
 * or waits for anyone: no deadlock can have closed through t yet (if one
 * closes later, the task that closes it walks back here). Both sides store
 * their own state, fence, then read the other's, so of two tasks closing a
 * cycle at once at least one sees the other. */
static int tg__lz_chain(struct tg_task *t)
{
    struct tg_task *seen[32], *todo[64];
    struct tg__lz_arm arms[TG__LZ_ANY];
    int n_seen = 0, n_todo = 0, chained;
    int n = tg__lz_read(t, arms, &chained);
    if (n <= 0 || !tg__lz_push(t, t, arms, n, todo, &n_todo))
        return 0;
    while (n_todo > 0) {
        struct tg_task *h = todo[--n_todo];
        int known = h == t;
        for (int i = 0; i < n_seen && !known; i++)
            known = seen[i] == h;
        if (known)
            continue;
        int st = __atomic_load_n(&h->lz.state, __ATOMIC_ACQUIRE);
        if (n_seen == 32 || tg__lz_runs(h, t, st) || st == TG__LZ_PARKED)
            return 0; /* (a channel wait, deferred: anyone may end it) */
        seen[n_seen++] = h;
        if (st == 0) {
            if (tg__det_task_blocked(h))
                continue; /* blocked in a thread-level wait, or ended */
            return 0;
        }
        n = tg__lz_read(h, arms, &chained);
        if (n == 0)
            return 0;
        if (!chained) {
            if (st >= 2)
                continue; /* the engine has it and decides it */
            return 0;     /* a deferred wait anyone may end */
        }
        if (!tg__lz_push(h, t, arms, n, todo, &n_todo))
            return 0;
    }
    for (int i = 0; i < n_seen; i++)
        tg__lz_publish(seen[i], seen[i]->sched != t->sched);
    return 1;
}

/* A select's arms as wait records. A statically initialized channel gets
 * its engine record here, at its first wait (see tg__det_park). */
static void tg__sel_arms(const struct tg__sel_set *set, struct tg__lz_arm *out, uintptr_t pc)
{
    for (int i = 0; i < set->n; i++) {
        struct tg_task *target;
        out[i].kind = tg__arm_kind(&set->arms[i], &target);
        out[i].obj = set->arms[i].obj;
        if (out[i].kind == TG__W_CHANNEL && !((struct tg__prim *)out[i].obj)->res)
            tg__det_res_lazy(out[i].obj, pc);
    }
}

/* A select too wide for the wait record: published now, never followed. */
static __attribute__((noinline)) int tg__det_park_wide(struct tg_task *t, const struct tg__sel_set *set,
                                                       int timed, uintptr_t pc)
{
    struct tg__lz_arm arms[set->n];
    tg__sel_arms(set, arms, pc);
    unsigned v = tg__lz_open(t);
    t->lz.n_any = 0; /* published, never walked: tg__lz_read sees kind ANY with no arms */
    tg__lz_close(t, v);
    tg__lz_record(t, TG__W_ANY, NULL, NULL, timed, pc, 0);
    t->lz.state = 2;
    return tg__det_wait_arms(t, arms, set->n, timed, pc, 0);
}

/* The chain walk from t's lock wait (its first step, inline in
 * tg__det_park, found no holder that will run): publishes and decides when
 * the walk says so. */
int tg__det_lock_walk(struct tg_task *t)
{
    if (!tg__lz_chain(t))
        return 0;
    tg__lz_publish(t, 0);
    if (tg__wait_check(t->actor) == TG_CHECK_DEADLOCK) {
        tg__deadlock_policy();
        return 1;
    }
    return 0;
}

int tg__det_park_slow(struct tg_task *t, int wkind, void *obj, struct tg_task *target, int timed,
                      uintptr_t pc, int check)
{
    int chained = wkind == TG__W_LOCK || wkind == TG__W_JOIN;
    int deferred = chained || ((wkind == TG__W_CHANNEL || wkind == TG__W_SIGNAL) && !check);
    if (wkind == TG__W_ANY) {
        const struct tg__sel_set *set = obj;
        if (set->n > TG__LZ_ANY)
            return tg__det_park_wide(t, set, timed, pc);
        unsigned v = tg__lz_open(t);
        t->lz.n_any = set->n;
        tg__sel_arms(set, t->lz.any, pc);
        tg__lz_close(t, v);
        /* Arms only named tasks can complete are walked like a lock wait;
         * with one arm anyone may complete, it is deferred like a channel
         * wait; otherwise (rwlock, permit arms) it is published now. */
        int anyone = 0;
        chained = 1;
        for (int i = 0; i < set->n; i++) {
            int k = t->lz.any[i].kind;
            chained &= k == TG__W_LOCK || k == TG__W_JOIN;
            anyone |= k == TG__W_CHANNEL || k == TG__W_SIGNAL;
        }
        deferred = chained || anyone;
    }
    tg__lz_record(t, wkind, obj, target, timed, pc, chained);
    if (!deferred) {
        t->lz.state = 2;
        return tg__det_wait_rec(t, check);
    }
    if (!chained) { /* only this thread publishes anyone-can-wake waits */
        __atomic_store_n(&t->lz.state, 1, __ATOMIC_RELEASE);
        return 0;
    }
    /* A join's awaited task is usually queued to run; a select walks. */
    return tg__lz_defer_chained(t, wkind == TG__W_ANY ? NULL
                                   : tg__lz_next(wkind, wkind == TG__W_JOIN ? target : obj));
}

void tg__det_unpark_slow(struct tg_task *t, int st)
{
    while (st == 3) { /* another thread is publishing it: let it finish */
        tg__cpu_relax();
        st = __atomic_load_n(&t->lz.state, __ATOMIC_ACQUIRE);
    }
    if (st == 2)
        tg__det_wait_end(t);
    __atomic_store_n(&t->lz.state, 0, __ATOMIC_RELEASE);
}

void tg__det_publish_parked(struct tg__sched *s)
{
    /* Waits are deferred only by tasks that ran: if none ran since the
     * last time, every deferred wait is published already. */
    unsigned long sw = __atomic_load_n(&s->switches, __ATOMIC_RELAXED);
    if (s->published_at == sw)
        return;
    s->published_at = sw;
    tg__spin_lock(&s->list_lock);
    for (struct tg_task *t = s->all; t; t = t->all_next) {
        if (t->state != TG__T_BLOCKED)
            continue;
        int st = __atomic_load_n(&t->lz.state, __ATOMIC_ACQUIRE);
        if (st == 1)
            tg__lz_publish(t, 0);
        else if (st == TG__LZ_PARKED)
            tg__lz_publish_parked(t);
    }
    tg__spin_unlock(&s->list_lock);
}

int tg__det_task_blocked(struct tg_task *t)
{
    if (!t || !t->actor)
        return 0;
    uint32_t st = __atomic_load_n(&t->actor->state, __ATOMIC_ACQUIRE);
    return st == TG_ST_BLOCKED || st == TG_ST_EXITED;
}

int tg__det_holder_blocked(struct tg_task *h, struct tg__prim *p)
{
    if (!h || !h->actor)
        return 0;
    uint32_t st = __atomic_load_n(&h->actor->state, __ATOMIC_ACQUIRE);
    if (st == TG_ST_EXITED)
        return 1;
    return st == TG_ST_BLOCKED && __atomic_load_n(&h->actor->wait.res, __ATOMIC_RELAXED) != p->res;
}

int tg__det_holds(struct tg_task *t, struct tg__prim *p)
{
    return t->actor && p->res && tg__holds(t->actor, p->res, NULL);
}

void tg__det_idle(struct tg__sched *s)
{
    if (s->host && !s->host_idle) {
        /* An idle host waits like a thread in a condition wait: anyone who
         * progresses may wake it. Without this, a thread joining a
         * scheduler thread whose tasks are all stuck would count as able to
         * progress, and so would every task it could wake. */
        if (!s->idle_res)
            s->idle_res = tg__res_init((uintptr_t)s, TG_RES_IDLE, 0, 0);
        if (s->idle_res) {
            struct tg_wait_desc w = { .res = s->idle_res, .kind = TG_RES_IDLE };
            tg__wait_begin(s->host, &w);
            s->host_idle = 1;
        }
    }
    if (tg__scan(0))
        tg__deadlock_policy();
}

void tg__det_busy(struct tg__sched *s)
{
    if (s->host_idle) {
        tg__wait_end(s->host);
        s->host_idle = 0;
    }
}

void tg__det_hold_across_switch(struct tg_task *t)
{
    struct tg_actor *a = t->actor;
    t->hazard_said = 1;
    struct tg_finding *f = tg__hazard_new(
        TG_HAZARD_HOLD_ACROSS_SWITCH, a,
        "task \"%s\" switched away while holding a thread-level lock (a pthread mutex or "
        "similar): every other task of its scheduler thread that takes that lock blocks the "
        "whole thread", t->name);
    if (f) {
        f->advice = tg__strdup("release thread-level locks before any call that can wait "
                               "(tg_yield, tg_sleep, channel and lock operations), or use "
                               "tg_mutex, which parks only the task");
        tg__report(f);
    }
}

static void tg__dump_stack(struct tg_stack *out, uint32_t id, uintptr_t pc);

static void tg__finding_clear_where(struct tg_finding *f)
{
    struct tg_finding *empty = tg__finding_new(f->kind, f->hazard);
    if (!empty)
        return;
    struct tg_stack tmp = f->where;
    f->where = empty->where;
    empty->where = tmp;
    tg__finding_free(empty);
}

/* Adds the tasks waiting in s's run queue to f: they are what a task that
 * does not yield starves. The watchdog reads the queue while the scheduler
 * thread has not switched since the last check, so only the running task
 * can touch it (by appending); tasks in it are not freed before they run. */
static void tg__add_starved(struct tg_finding *f, struct tg__sched *s)
{
    const struct tg_task *q = __atomic_load_n(&s->rq_head, __ATOMIC_ACQUIRE);
    for (int n = 0; q && n < 8; n++, q = __atomic_load_n(&q->next, __ATOMIC_ACQUIRE)) {
        struct tg_actor_info *info = tg__finding_add_actor(f);
        if (!info)
            return;
        info->id = q->actor ? q->actor->id : 0;
        info->tid = q->actor ? q->actor->tid : 0;
        info->kind = "task";
        info->name = tg__strdup(q->name);
        info->state = "running"; /* runnable: it would progress if it ran */
        tg__dump_stack(&info->created, q->actor ? q->actor->created : 0, q->spawn_pc);
    }
}

void tg__det_hazard_long_task(struct tg__sched *s, struct tg_task *t, int64_t ns, int starving,
                              const uintptr_t *pcs, int n)
{
    /* The watchdog calls this for the task s ran a moment ago, which may
     * have ended since and its record been unmapped: what the report says
     * of the task is copied with tg__peek (its actor is the engine's). */
    struct tg_actor *a;
    char name[sizeof t->name];
    if (tg__peek((uintptr_t)&t->actor, &a, sizeof a) != 0 || !a ||
        tg__peek((uintptr_t)t->name, name, sizeof name) != 0)
        return;
    name[sizeof name - 1] = 0;
    struct tg_finding *f = tg__hazard_new(
        TG_HAZARD_LONG_RUNNING_TASK, a,
        "task \"%s\" has run for %.1f s without yielding%s%s", name, (double)ns / 1e9,
        n > 0 ? " (\"at\" below: where it runs now)" : "",
        starving ? ": the runnable tasks listed after it cannot run on its scheduler thread" : "");
    if (f) {
        tg__finding_clear_where(f); /* the watchdog's own stack says nothing */
        if (n > 0)
            tg__stack_from_pcs(&f->where, pcs, n);
        if (starving)
            tg__add_starved(f, s);
        f->advice = tg__strdup("a task runs until it waits or calls tg_yield(); break long "
                               "computations and busy-wait loops with tg_yield(), or move "
                               "them to a thread of their own");
        tg__report(f);
    }
}

void tg__det_hazard_long_hold(struct tg_task *t, struct tg__prim *p, int64_t ns)
{
    if (!t->actor)
        return;
    struct tg_finding *f = tg__hazard_new(
        TG_HAZARD_LOCK_HELD_TOO_LONG, t->actor,
        "task \"%s\" held a task %s for %.1f s", t->name,
        p->res ? tg__res_kind_name(tg__res_kind_of((struct tg_res *)p->res)) : "lock", (double)ns / 1e9);
    if (f) {
        f->advice = tg__strdup("every other task that needs this lock waited that long; keep "
                               "critical sections short and do not wait for other tasks "
                               "while holding a lock");
        tg__report(f);
    }
}

/* ---- dump ------------------------------------------------------------- */
static const char *tg__dump_state(const struct tg_task *t)
{
    switch (t->state) {
    case TG__T_BLOCKED: return "blocked";
    case TG__T_DONE: return "exited";
    default: return "running"; /* running or runnable: it can progress */
    }
}

static void tg__dump_stack(struct tg_stack *out, uint32_t id, uintptr_t pc)
{
    const uintptr_t *pcs;
    int n = id ? tg__stack_get(id, &pcs) : 0;
    if (n > 0)
        tg__stack_from_pcs(out, pcs, n);
    else if (pc)
        tg__stack_from_pcs(out, &pc, 1);
}

static void tg__dump_wait(struct tg_actor_info *info, const struct tg_task *t)
{
    const void *obj = __atomic_load_n(&t->wait_obj, __ATOMIC_RELAXED);
    if (t->state != TG__T_BLOCKED || !obj)
        return;
    info->wait.present = 1;
    const struct tg__prim *p = obj;
    if (p->kind >= TG__K_MUTEX && p->kind <= TG__K_CHAN && p->res) {
        tg__res_describe(p->res, &info->wait.res);
        if (!t->wait_what) /* a one-arm wait (not a select) */
            info->wait.note = tg__wait_note(t, p, t->actor);
        if (p->kind == TG__K_MUTEX) {
            const struct tg_task *o = (const struct tg_task *)(
                __atomic_load_n(&((const tg_mutex *)obj)->state, __ATOMIC_RELAXED) & ~(uintptr_t)1);
            if (o && o->actor)
                info->wait.holder = o->actor->id;
        }
    } else { /* a join: obj is the task waited for (not freed before t runs again) */
        const struct tg_task *target = obj;
        info->wait.res.kind = "task";
        info->wait.res.id = target->actor ? target->actor->id : 0;
        info->wait.res.name = tg__strdup(target->name);
    }
    tg__dump_stack(&info->wait.stack, 0, t->wait_pc);
}

static void tg__dump_holds(struct tg_actor_info *info, const struct tg_actor *a)
{
    int n;
    struct tg_held *held = tg__held_copy(a, &n); /* with a running task's newest holds */
    for (int i = 0; i < n; i++) {
        const struct tg_res *r = tg__held_res(&held[i]);
        if (held[i].released_by_other || !r)
            continue;
        struct tg_hold *h = tg__actor_info_add_hold(info);
        if (!h)
            break;
        tg__res_describe(r, &h->res);
        h->mode = held[i].mode == TG_MODE_READ ? "read" : held[i].mode == TG_MODE_WRITE ? "write" : NULL;
        h->count = 1;
        tg__dump_stack(&h->acquired, held[i].stack, held[i].pc);
    }
    tg__free(held);
}

static void tg__dump_task(struct tg_finding *f, const struct tg_task *t)
{
    struct tg_actor_info *info = tg__finding_add_actor(f);
    if (!info)
        return;
    const struct tg_actor *a = t->actor;
    info->id = a ? a->id : 0;
    info->tid = a ? a->tid : 0;
    info->kind = "task";
    info->name = tg__strdup(t->name);
    info->state = tg__dump_state(t);
    tg__dump_stack(&info->created, a ? a->created : 0, t->spawn_pc);
    tg__dump_wait(info, t);
    if (a)
        tg__dump_holds(info, a);
}

int tg__det_dump(int fd)
{
    if (!tg__detect_on)
        return -1;
    struct tg_finding *f = tg__finding_new(TG_FINDING_HAZARD, TG_HAZARD_NONE);
    if (!f)
        return -1;
    int nt = 0, ns = 0;
    for (struct tg__sched *s = tg__sched_list(); s; s = s->all_next) {
        if (!__atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE))
            continue;
        ns++;
        tg__spin_lock(&s->list_lock);
        for (struct tg_task *t = s->all; t; t = t->all_next) {
            if (t->state == TG__T_DONE) /* ended, or a record kept for reuse */
                continue;
            tg__dump_task(f, t);
            nt++;
        }
        tg__spin_unlock(&s->list_lock);
    }
    tg__symbolize_findings(&f, 1);
    struct tg_buf b = { 0 };
    tg__buf_printf(&b, "tangle: task dump (pid %ld): %d task%s on %d scheduler%s\n", (long)getpid(),
                   nt, nt == 1 ? "" : "s", ns, ns == 1 ? "" : "s");
    struct tg_buf body = { 0 };
    tg__render_text(&body, f, 0);
    const char *rest = body.data ? strchr(body.data, '\n') : NULL; /* past the header line */
    if (rest)
        tg__buf_puts(&b, rest + 1);
    tg__buf_write_fd(&b, fd);
    tg__buf_free(&b);
    tg__buf_free(&body);
    tg__finding_free(f);
    return 0;
}

#endif
