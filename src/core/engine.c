/* SPDX-License-Identifier: MIT */
/* engine.c: engine lifetime, the engine lock, the actor registry, and the
 * publication of waits. Detection itself is in detect.c. */
#define _GNU_SOURCE
#include "core/internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/lock.h"
#include "report/report.h"

__thread struct tg_self tg__self_tls __attribute__((tls_model("initial-exec")));

struct tg_actor **tg__actors;
int tg__actor_slots;
struct tg_actor **tg__threads;
int tg__n_threads;
static int cap_threads;
int tg__changed = 1;
void (*tg__first_wait_hook)(void);
int (*tg__stuck_hook)(struct tg_actor *a);
union tg_modes tg__modes;

static tg_lock_t engine_lock = TG_LOCK_INIT;
/* The registry: tg__actors has room for actors_cap entries, grown on
 * demand up to max_threads; free_slots lists the empty ones below
 * tg__actor_slots, so that a slot is reused before the table grows. */
static int actors_cap;
static int *free_slots;
static int n_free_slots;
static int initialized;    /* 1 ok, -1 failed */
static _Atomic int init_state;
static uint64_t next_actor_id; /* atomic: the last id given out */
static struct tg_actor *free_actors;
/* Threads that ended holding locks and were joined or detached keep their
 * records (marked joined == 2) while a hold stands; kept_ended counts them,
 * and each thread creation looks at two records of tg__threads from
 * kept_cursor on for one whose holds have all ended since (reap_kept). */
static int kept_ended, kept_cursor;
/* Task actors that ended holding locks and were handed back by their
 * scheduler (marked joined == 2) are kept here while a hold stands: tasks
 * are in no list of their own. Each one kept looks at two of them first
 * (reap_kept_tasks), so the list stays within twice the ones still
 * holding. */
/* Listed thread actors by handle (tg_actor.user, a pthread_t): an
 * open-addressing table with linear probing, at most half full, under the
 * engine lock. An entry stands while its actor is listed in tg__threads
 * with that handle: it goes when the record is reaped, kept without its
 * handle, or forgotten by a fork. Joins, detaches and names find the
 * actor of a handle through it, without a walk of every thread. */
struct handle_slot {
    uintptr_t h;
    struct tg_actor *a;
};
static struct handle_slot *handles;
static size_t handles_mask, handles_used;
static int handles_bits;
static void handle_put(uintptr_t h, struct tg_actor *a);
static struct tg_actor **kept_tasks;
static int n_kept_tasks, cap_kept_tasks, kept_tasks_cursor;
static int registry_warned, held_warned;
static _Atomic int first_wait_done;

int *tg__guard_of_self(void)
{
    return &tg__guard;
}

void tg__lock(void)
{
    tg__own_lock(&engine_lock);
}

int tg__trylock(void)
{
    tg__guard++;
    if (tg__lock_try(&engine_lock))
        return 1;
    tg__guard--;
    return 0;
}

void tg__unlock(void)
{
    tg__own_unlock(&engine_lock);
}

uint64_t tg__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tg__warn_once(int *once, const char *fmt, ...)
{
    if (__atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char line[600];
    int m = snprintf(line, sizeof line, "tangle: warning: %s\n", n > 0 ? msg : "");
    if (m > 0 && write(2, line, (size_t)m < sizeof line ? (size_t)m : sizeof line - 1) < 0)
        return;
}

void tg__out_of_memory(const char *consequence)
{
    static int once;
    tg__warn_once(&once, "the system refused tangle memory (an address-space limit such as "
                  "ulimit -v, or memory exhausted): %s; the program runs on. Raise the limit "
                  "to watch all of it.", consequence);
}

/* Doubles the registry (under the engine lock, or at init). The old array
 * is not freed: a racy reader (known_threads_alive in the preload library)
 * may still look at it, and tangle attach reads whichever is current. The
 * new one is published before tg__actor_slots passes the old size, so a
 * reader that loads the count, then the array, never reads past its end.
 * Returns 0, or -1 if the table is at max_threads or memory is refused. */
static int registry_grow(void)
{
    int cap = actors_cap ? 2 * actors_cap : 64;
    if (cap > tg__opt.max_threads)
        cap = tg__opt.max_threads;
    if (cap <= actors_cap)
        return -1;
    struct tg_actor **v = tg__alloc((size_t)cap * sizeof *v);
    int *f = tg__alloc((size_t)cap * sizeof *f);
    if (!v || !f) {
        tg__free(v);
        tg__free(f);
        return -1;
    }
    if (actors_cap) {
        memcpy(v, tg__actors, (size_t)actors_cap * sizeof *v);
        memcpy(f, free_slots, (size_t)n_free_slots * sizeof *f);
    }
    tg__free(free_slots);
    free_slots = f;
    __atomic_store_n(&tg__actors, v, __ATOMIC_RELEASE);
    actors_cap = cap;
    return 0;
}

int tg__engine_init(void)
{
    if (TG_LIKELY(initialized))
        return initialized > 0 ? 0 : -1;
    /* The first caller initializes; others (rare: threads before main)
     * wait for it. A re-entrant call from the same thread gets -1. */
    int expected = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (tg__guard)
            return -1;
        while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
            sched_yield();
        return initialized > 0 ? 0 : -1;
    }
    tg__guard++;
    tg__options_defaults(&tg__opt);
    const char *spec = getenv("TANGLE_OPTIONS");
    char err[512];
    if ((spec && tg__options_parse(&tg__opt, spec, err, sizeof err) != 0) ||
        tg__filter_init(err, sizeof err) != 0) {
        char line[700];
        int n = snprintf(line, sizeof line,
                         "tangle: error in TANGLE_OPTIONS: %s. The program was not started.\n", err);
        if (n > 0 && write(2, line, (size_t)n) < 0)
            _exit(2);
        _exit(2);
    }
    tg__a2l_read_env();
    tg__hold_watch = tg__opt.hold_ms > 0;
    tg__lockorder_on = tg__opt.lock_order;
    registry_grow();
    tg__res_table_init();
    tg__stack_init();
    initialized = tg__actors ? 1 : -1;
    if (!tg__actors)
        tg__out_of_memory("tangle watches nothing");
    tg__guard--;
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
    return initialized > 0 ? 0 : -1;
}

void tg__engine_after_fork_child(struct tg_actor *survivor)
{
    engine_lock.state = 0;
    for (int i = 0; i < tg__actor_slots; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || a == survivor)
            continue;
        /* Threads other than the forking one do not exist in the child;
         * what they held is held by nobody who can release it, so they are
         * kept as exited holders. */
        __atomic_store_n(&a->state, TG_ST_EXITED, __ATOMIC_RELAXED);
        if (a->n_held == 0)
            tg__actors[i] = NULL;
    }
    n_free_slots = 0;
    for (int i = 0; i < tg__actor_slots; i++)
        if (!tg__actors[i])
            free_slots[n_free_slots++] = i;
    tg__n_threads = 0;
    kept_ended = kept_cursor = 0; /* the kept records are out of tg__threads */
    if (handles) { /* and the handles of the threads left behind */
        memset(handles, 0, (handles_mask + 1) * sizeof *handles);
        handles_used = 0;
    }
    if (survivor && tg__actors[survivor->slot] == survivor && survivor->kind == TG_ACTOR_THREAD &&
        cap_threads > 0) {
        survivor->thread_at = 0;
        tg__threads[tg__n_threads++] = survivor;
        if (survivor->user) /* (its TID is the parent's: the child's comes next) */
            handle_put((uintptr_t)survivor->user, survivor);
    }
    tg__changed = 1;
    __atomic_store_n(&first_wait_done, 0, __ATOMIC_RELAXED);
    tg__alloc_after_fork();
    tg__res_after_fork();
    tg__hb_after_fork();
    tg__report_after_fork();
    /* Nestings the threads left behind had queued after fork_prepare
     * emptied the queues: their edges are part of what the child knows. */
    tg__lockorder_drain_all();
}

/* ---- actors ------------------------------------------------------------ */

static struct tg_actor *actor_new(struct tg_actor *old, enum tg_actor_kind kind, const char *name,
                                   uint64_t parent, uint32_t created, uintptr_t created_pc);
static int reapable(const struct tg_actor *a);

struct tg_actor *tg__actor_new(enum tg_actor_kind kind, const char *name, uint64_t parent)
{
    if (tg__engine_init() != 0)
        return NULL;
    return actor_new(NULL, kind, name, parent, tg__stack_capture(1), 0);
}

struct tg_actor *tg__actor_new_at(enum tg_actor_kind kind, const char *name, uint64_t parent,
                                  const uintptr_t *pcs, int n)
{
    if (tg__engine_init() != 0)
        return NULL;
    /* One frame needs no interning: it is kept as the call site itself. */
    if (n == 1)
        return actor_new(NULL, kind, name, parent, 0, pcs[0]);
    return actor_new(NULL, kind, name, parent, n > 1 ? tg__stack_intern(pcs, n) : 0, 0);
}

/* Task actors take their ids from a block of the spawning thread (a
 * scheduler spawns every task of its own): one atomic addition per 64
 * tasks, and the tasks of one scheduler still count up 1, 2, 3 when
 * nothing else is created meanwhile. */
enum { TASK_ID_BLOCK = 64 };
__thread uint64_t tg__task_id_next __attribute__((tls_model("initial-exec")));
__thread uint64_t tg__task_id_end __attribute__((tls_model("initial-exec")));

static uint64_t task_id(void)
{
    if (TG_UNLIKELY(tg__task_id_next == tg__task_id_end)) {
        tg__task_id_next = __atomic_fetch_add(&next_actor_id, TASK_ID_BLOCK, __ATOMIC_RELAXED) + 1;
        tg__task_id_end = tg__task_id_next + TASK_ID_BLOCK;
    }
    return tg__task_id_next++;
}

/* tg__actor_renew of an actor that ended holding locks (or otherwise not
 * renewable in place): the reap and the new actor under the engine lock. */
static __attribute__((noinline)) struct tg_actor *
actor_renew_locked(struct tg_actor *old, const char *name, uint64_t parent, uintptr_t pc,
                   struct tg_actor *host, void *user)
{
    struct tg_actor *a = actor_new(old, TG_ACTOR_TASK, name, parent, 0, pc);
    if (a) {
        a->host = host;
        a->tid = host ? host->tid : 0;
        a->user = user;
    }
    return a;
}

struct tg_actor *tg__actor_renew(struct tg_actor *old, const char *name, uint64_t parent,
                                 uintptr_t pc, struct tg_actor *host, void *user)
{
    if (tg__engine_init() != 0)
        return NULL;
    struct tg_actor *a = old;
    if (TG_UNLIKELY(!tg__actor_renewable(a)))
        return actor_renew_locked(old, name, parent, pc, host, user);
    tg__actor_renew_in_place(a, task_id(), name, parent, pc, host, user);
    return a;
}

int tg__actor_ident(const struct tg_actor *a, struct tg_actor_ident *out)
{
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t id = __atomic_load_n(&a->id, __ATOMIC_ACQUIRE);
        memcpy(out->name, (const char *)a->name, sizeof out->name);
        out->parent = a->parent;
        out->created = a->created;
        out->created_pc = a->created_pc;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (id != 0 && __atomic_load_n(&a->id, __ATOMIC_RELAXED) == id) {
            out->name[sizeof out->name - 1] = 0;
            out->id = id;
            return 0;
        }
        sched_yield(); /* its scheduler is between the two stores */
    }
    memset(out, 0, sizeof *out);
    return -1;
}

int tg__actor_of_tag(uint64_t tag, struct tg_tagged *out)
{
    const uint64_t mask = (1ull << TG_TAG_ID_BITS) - 1;
    memset(out, 0, sizeof *out);
    out->task = (int)(tag >> TG_TAG_ID_BITS & 1);
    if (!(tag & mask) || __atomic_load_n(&next_actor_id, __ATOMIC_RELAXED) > mask)
        return -1;
    out->who.id = tag & mask;
    uint64_t slot = tag >> (TG_TAG_ID_BITS + 1);
    /* Records are never freed and registries never unmapped: a slot below
     * the high-water mark reads a record, whoever it serves now. */
    if (slot >= (uint64_t)__atomic_load_n(&tg__actor_slots, __ATOMIC_ACQUIRE))
        return 0;
    const struct tg_actor *a = __atomic_load_n(&__atomic_load_n(&tg__actors, __ATOMIC_ACQUIRE)[slot],
                                               __ATOMIC_ACQUIRE);
    struct tg_actor_ident who;
    if (!a || tg__actor_ident(a, &who) != 0 || who.id != out->who.id)
        return 0;
    /* The state, then the id again: a renewal stores the new id before it
     * makes the state running, so a state read while the id still names
     * this actor is this actor's. */
    uint32_t state = __atomic_load_n(&a->state, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&a->id, __ATOMIC_ACQUIRE) != who.id)
        return 0;
    out->who = who;
    out->actor = a;
    out->state = state;
    return 1;
}

/* Under the engine lock: an empty registry slot, the most recently freed
 * first (so the part of the table in use follows the actors alive, not
 * the actors ever made), else the next never used; -1 if the table is
 * full. O(1) but for the rare doubling. */
static int slot_take(void)
{
    if (n_free_slots > 0)
        return free_slots[--n_free_slots];
    if (tg__actor_slots == actors_cap && registry_grow() != 0)
        return -1;
    return tg__actor_slots;
}

/* Under the engine lock: a thread actor joins or leaves tg__threads. A
 * list that cannot grow leaves the actor out: its pending lock calls are
 * then not watched (the table-full warning says the same of the registry). */
/* Room for one more actor in list *v of n (capacity *cap), doubled when
 * full: 0, or -1 if it cannot grow (the list is unchanged). */
static int actors_room(struct tg_actor ***v, int n, int *cap)
{
    if (n < *cap)
        return 0;
    int c = *cap ? 2 * *cap : 64;
    struct tg_actor **nv = tg__alloc((size_t)c * sizeof *nv);
    if (!nv)
        return -1;
    if (n)
        memcpy(nv, *v, (size_t)n * sizeof *nv);
    tg__free(*v);
    *v = nv;
    *cap = c;
    return 0;
}

static void threads_add(struct tg_actor *a)
{
    if (actors_room(&tg__threads, tg__n_threads, &cap_threads) != 0) {
        a->thread_at = -1;
        return;
    }
    a->thread_at = tg__n_threads;
    tg__threads[tg__n_threads++] = a;
}

static void threads_remove(struct tg_actor *a)
{
    int i = a->thread_at;
    if (i < 0 || i >= tg__n_threads || tg__threads[i] != a)
        return; /* left out (the list could not grow), or forgotten by a fork */
    struct tg_actor *last = tg__threads[--tg__n_threads];
    tg__threads[i] = last;
    last->thread_at = i;
    a->thread_at = -1;
}

/* Fibonacci hashing: the product's top bits are the slot. */
static size_t handle_home(uintptr_t h)
{
    return (size_t)(((uint64_t)h * 0x9E3779B97F4A7C15ull) >> (64 - handles_bits));
}

/* Under the engine lock: the slot of handle h, or of the empty slot where
 * it would go; NULL if there is no table. */
static struct handle_slot *handle_find(uintptr_t h)
{
    if (!handles)
        return NULL;
    size_t i = handle_home(h);
    while (handles[i].h && handles[i].h != h)
        i = (i + 1) & handles_mask;
    return &handles[i];
}

/* Under the engine lock: doubles the table (64 slots at first); -1 if
 * memory is refused. */
static int handles_grow(void)
{
    size_t cap = handles ? 2 * (handles_mask + 1) : 64;
    struct handle_slot *old = handles, *v = tg__alloc(cap * sizeof *v);
    if (!v)
        return -1;
    memset(v, 0, cap * sizeof *v);
    size_t old_cap = old ? handles_mask + 1 : 0;
    handles = v;
    handles_mask = cap - 1;
    handles_bits = __builtin_ctzll(cap);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].h)
            *handle_find(old[i].h) = old[i];
    tg__free(old);
    return 0;
}

/* Under the engine lock: h no longer names a (if it did). Linear probing
 * without tombstones: the entries after the hole that probed past it move
 * back into it. */
static void handle_drop(uintptr_t h, const struct tg_actor *a)
{
    struct handle_slot *e = h ? handle_find(h) : NULL;
    if (!e || !e->h || e->a != a)
        return;
    size_t hole = (size_t)(e - handles), i = hole;
    for (;;) {
        i = (i + 1) & handles_mask;
        if (!handles[i].h)
            break;
        size_t home = handle_home(handles[i].h);
        /* It stays unless its home lies cyclically outside (hole, i]. */
        if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
            handles[hole] = handles[i];
            hole = i;
        }
    }
    handles[hole].h = 0;
    handles[hole].a = NULL;
    handles_used--;
}

/* A thread's id (TID) as a key of the same table: handles are addresses
 * below 2^63, so the top bit keeps the two kinds of key apart. */
#define TID_KEY(tid) ((uintptr_t)(unsigned long)(tid) | ((uintptr_t)1 << 63))

/* Under the engine lock: thread actor a leaves the handle table (its
 * handle is dead or its record goes), by its handle and by its TID. */
static void handle_forget(struct tg_actor *a)
{
    if (a->kind == TG_ACTOR_THREAD) {
        handle_drop((uintptr_t)a->user, a);
        if (a->tid > 0)
            handle_drop(TID_KEY(a->tid), a);
    }
}

/* Under the engine lock: key h names a from now on (a stale entry of the
 * same key gives way); nothing if the table cannot grow. */
static void handle_put(uintptr_t h, struct tg_actor *a)
{
    if (2 * (handles_used + 1) > (handles ? handles_mask + 1 : 0) && handles_grow() != 0)
        return;
    struct handle_slot *e = handle_find(h);
    if (!e->h)
        handles_used++;
    e->h = h;
    e->a = a;
}

void tg__actor_set_handle(struct tg_actor *a, void *h, int locked)
{
    if (!locked) {
        tg__guard++;
        tg__lock();
    }
    if ((uintptr_t)a->user != (uintptr_t)h)
        handle_drop((uintptr_t)a->user, a);
    a->user = h;
    if (h)
        handle_put((uintptr_t)h, a);
    if (a->tid > 0)
        handle_put(TID_KEY(a->tid), a);
    if (!locked) {
        tg__unlock();
        tg__guard--;
    }
}

struct tg_actor *tg__actor_by_handle(void *h)
{
    tg__guard++;
    tg__lock();
    struct handle_slot *e = h ? handle_find((uintptr_t)h) : NULL;
    struct tg_actor *a = e && e->h ? e->a : NULL;
    tg__unlock();
    tg__guard--;
    return a;
}

/* Under the engine lock: a zeroed record never used before. Records are
 * never freed (an ended actor's goes to free_actors), so they are carved
 * from blocks of many, without the allocator's header on each: a task's
 * record costs sizeof(struct tg_actor) and nothing more. */
static struct tg_actor *actor_carve(void)
{
    enum { BLOCK = 16 << 10, HEADER = 16 }; /* one allocator size class, its header */
    static char *pos, *end;
    if (!pos || end - pos < (ptrdiff_t)sizeof(struct tg_actor)) {
        size_t n = (BLOCK - HEADER) / sizeof(struct tg_actor) * sizeof(struct tg_actor);
        if (!(pos = tg__alloc(n)))
            return NULL;
        end = pos + n;
    }
    struct tg_actor *a = (struct tg_actor *)(void *)pos;
    pos += sizeof(struct tg_actor);
    return a;
}

static void reap_locked(struct tg_actor *a);
static void reap_kept(void);
static void keep_or_mark(struct tg_actor *a);

static struct tg_actor *actor_new(struct tg_actor *old, enum tg_actor_kind kind, const char *name,
                                   uint64_t parent, uint32_t created, uintptr_t created_pc)
{
    tg__guard++;
    tg__lock();
    if (kind == TG_ACTOR_THREAD && kept_ended > 0)
        reap_kept();
    /* A reapable old record goes to the new actor, slot and all. */
    struct tg_actor *a = old && reapable(old) ? old : NULL;
    int slot = a ? a->slot : -1;
    if (a && a->joined == 2 && kept_ended > 0)
        kept_ended--;
    if (a && a->kind == TG_ACTOR_THREAD) {
        handle_forget(a);
        threads_remove(a);
    }
    if (old && !a && tg__actors[old->slot] == old) /* not forgotten by a fork */
        keep_or_mark(old);
    if (!a && (a = free_actors)) {
        free_actors = a->user;
    } else if (!a && (a = actor_carve())) {
        a->cap_held = (int)(sizeof a->held_inline / sizeof a->held_inline[0]);
        a->held = a->held_inline;
    }
    if (a && kind == TG_ACTOR_THREAD) { /* both kept across reuse */
        if (!a->pending_pcs)
            a->pending_pcs = tg__alloc(TG_PENDING_PCS * sizeof *a->pending_pcs);
        if (!a->side)
            a->side = tg__alloc(sizeof *a->side);
        else /* the watchdog's look starts afresh; the words stay (reports may point there) */
            memset(a->side, 0, offsetof(struct tg_thread_side, raw_word));
    }
    if (a && slot < 0) {
        slot = slot_take();
        if (slot < 0) {
            a->user = free_actors;
            free_actors = a;
            a = NULL;
        }
    }
    if (a) {
        struct tg_held *held = a->held;
        int cap = a->cap_held;
        struct tg_vc *vc = a->vc;
        memset(a, 0, TG__ACTOR_CLEARED);
        a->held = held;
        a->cap_held = cap;
        a->vc = vc; /* stale: its owner is the record's last user */
        a->id = kind == TG_ACTOR_TASK ? task_id()
                                      : __atomic_add_fetch(&next_actor_id, 1, __ATOMIC_RELAXED);
        a->chain_salt = a->id * 0x9E3779B97F4A7C15ull; /* ids start at 1: never 0 */
        a->chain_stale = a->chain_cache != NULL;
        a->chain_shift = 0; /* the record may serve a task now */
        a->kind = kind;
        a->parent = parent;
        a->created = created;
        a->created_pc = created_pc;
        a->slot = slot;
        if (name) { /* not snprintf: this runs for every task spawned */
            size_t len = strnlen(name, sizeof a->name - 1);
            memcpy(a->name, name, len); /* the terminator is from the memset */
        }
        __atomic_store_n(&tg__actors[slot], a, __ATOMIC_RELEASE);
        if (slot >= tg__actor_slots)
            __atomic_store_n(&tg__actor_slots, slot + 1, __ATOMIC_RELEASE);
        if (kind == TG_ACTOR_THREAD)
            threads_add(a);
    }
    tg__unlock();
    tg__guard--;
    if (!a && actors_cap == tg__opt.max_threads) /* else memory was refused, and said so */
        tg__warn_once(&registry_warned,
                      "the thread table is full (%d); new threads are not watched. Raise it with "
                      "TANGLE_OPTIONS=max_threads=N.", tg__opt.max_threads);
    return a;
}

void tg__actor_set_name(struct tg_actor *a, const char *name)
{
    if (!a || !name)
        return;
    snprintf(a->name, sizeof a->name, "%s", name);
    __atomic_fetch_add(&a->name_gen, 1, __ATOMIC_RELEASE);
}

const char *tg__label(const struct tg_actor *a, char *buf, size_t n)
{
    const char *what = a->kind == TG_ACTOR_TASK ? "task" : "thread";
    struct tg_actor_ident who;
    tg__actor_ident(a, &who);
    if (who.name[0])
        snprintf(buf, n, "%s %llu \"%s\"", what, (unsigned long long)who.id, who.name);
    else
        snprintf(buf, n, "%s %llu", what, (unsigned long long)who.id);
    return buf;
}

int tg__holds(const struct tg_actor *a, const struct tg_res *r, enum tg_mode *mode)
{
    for (int i = a->n_held - 1; i >= 0; i--) {
        if (tg__held_is(&a->held[i], r)) {
            if (mode)
                *mode = (enum tg_mode)a->held[i].mode;
            return 1;
        }
    }
    return 0;
}

int (*tg__held_more_hook)(const struct tg_actor *a, struct tg_held *out, int max);
void (*tg__held_sync_hook)(struct tg_actor *a);

struct tg_held *tg__held_copy(const struct tg_actor *a, int *n)
{
    struct tg_held more[8];
    int k = a->kind == TG_ACTOR_TASK && tg__held_more_hook ? tg__held_more_hook(a, more, 8) : 0;
    int own = __atomic_load_n(&a->n_held, __ATOMIC_ACQUIRE);
    const struct tg_held *src = __atomic_load_n(&a->held, __ATOMIC_ACQUIRE);
    struct tg_held *h = own + k > 0 ? tg__alloc((size_t)(own + k) * sizeof *h) : NULL;
    if (!h) {
        *n = 0;
        return NULL;
    }
    memcpy(h, src, (size_t)own * sizeof *h);
    memcpy(h + own, more, (size_t)k * sizeof *h);
    *n = own + k;
    return h;
}

int tg__held_grow(struct tg_actor *a)
{
    /* The old array is not freed: a detector may still be reading it (it
     * reads a blocked actor's holds, and this actor was blocked a moment
     * ago). Growth doubles, so the leak is bounded by the final size. */
    int cap = a->cap_held < 16 ? 16 : a->cap_held * 2; /* out of held_inline: 16 at once */
    struct tg_held *h = tg__alloc((size_t)cap * sizeof *h);
    if (!h) {
        tg__warn_once(&held_warned, "out of memory for held locks; some are not watched.");
        return -1;
    }
    memcpy(h, a->held, (size_t)a->n_held * sizeof *h);
    __atomic_store_n(&a->held, h, __ATOMIC_RELEASE);
    a->cap_held = cap;
    return 0;
}

/* Under the engine lock: marks a's newest live hold of r released; 1 if
 * it had one. */
static int release_one_for(struct tg_actor *a, struct tg_res *r)
{
    for (int j = a->n_held - 1; j >= 0; j--) {
        struct tg_held *h = &a->held[j];
        if (tg__held_is(h, r)) {
            __atomic_store_n(&h->released_by_other, 1, __ATOMIC_RELEASE);
            return 1;
        }
    }
    return 0;
}

/* Under the engine lock: ends the hold of r by the thread whose TID is
 * tid (or by the task it runs now); 1 if it had one. */
static int release_by_tid(struct tg_actor *releaser, struct tg_res *r, long tid)
{
    struct handle_slot *e = tid > 0 ? handle_find(TID_KEY(tid)) : NULL;
    struct tg_actor *a = e && e->h ? e->a : NULL, *task;
    if (!a)
        return 0;
    if (a != releaser && release_one_for(a, r))
        return 1;
    task = __atomic_load_n(&a->running, __ATOMIC_ACQUIRE);
    return task && task != releaser && release_one_for(task, r);
}

int tg__released_by_other(struct tg_actor *releaser, struct tg_res *r, long owner_tid)
{
    tg__lock();
    int done = release_by_tid(releaser, r, owner_tid);
    for (int i = 0; i < tg__actor_slots && !done; i++) {
        struct tg_actor *a = tg__actors[i];
        done = a && a != releaser && release_one_for(a, r);
    }
    tg__unlock();
    return done;
}

int tg__released_for(struct tg_actor *holder, struct tg_res *r)
{
    if (!holder)
        return 0;
    tg__lock();
    int done = release_one_for(holder, r);
    tg__unlock();
    return done;
}

struct tg_res *tg__held_res(const struct tg_held *h)
{
    if (h->res)
        return h->res;
    struct tg_res *r = tg__res_lookup(h->addr);
    if (h->as)
        return tg__res_described(h->addr, tg__as_kind(h->as), tg__as_flags(h->as), h->pc, r);
    if (r)
        return r;
    return tg__res_get(h->addr, TG_RES_MUTEX,
                       tg__res_flags_hook ? tg__res_flags_hook(h->addr, TG_RES_MUTEX) : 0, h->pc);
}

/* 1 if h still stands for a hold of the instance it was taken on. */
static int hold_valid(const struct tg_held *h)
{
    if (h->released_by_other)
        return 0;
    const struct tg_res *r = tg__held_res(h);
    return !r || h->res_id == 0 || h->res_id == r->id;
}

static int valid_holds(const struct tg_actor *a)
{
    int n = 0;
    for (int i = 0; i < a->n_held; i++)
        n += hold_valid(&a->held[i]);
    return n;
}

static __attribute__((noinline)) void actor_exit_held(struct tg_actor *a, int report_holds);

/* A scan that saw a not yet internal thread running took it for a possible
 * waker and, finding nothing stuck, stopped scanning until the next
 * change (scan_quiet): without a change noted here a stall or permit
 * deadlock that formed meanwhile was never reported (the task runtime's
 * watchdog thread, slow to start on a loaded machine, hung
 * task.multi.chans and task.example.sem_permits). */
void tg__actor_set_internal(struct tg_actor *a)
{
    __atomic_fetch_or(&a->aflags, TG_AF_INTERNAL, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the scan's clear of tg__changed */
    tg__note_change();
}

void tg__actor_exit(struct tg_actor *a, int report_holds)
{
    if (!a)
        return;
    if (a->defer) /* its record may serve another actor next (an actor that never
                     nested a lock has no queue) */
        tg__lockorder_end(a);
    __atomic_store_n(&a->state, TG_ST_EXITED, __ATOMIC_RELEASE);
    /* A task that holds nothing leaves its host thread running (an idle
     * host asks for a scan itself): the many tasks that come and go cost
     * the watchdog no scan, and their end no fence (tg__actor_exit_task). */
    if (TG_LIKELY(a->kind == TG_ACTOR_TASK && a->n_held == 0))
        return;
    actor_exit_held(a, report_holds);
}

static void actor_exit_held(struct tg_actor *a, int report_holds)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the scan's clear of tg__changed */
    /* An end can leave others stuck: on its holds, or, for a thread, by
     * leaving only blocked actors behind. */
    tg__note_change();
    int lock_holds = 0;
    uintptr_t site = 0;
    for (int i = 0; i < a->n_held; i++) {
        struct tg_held *h = &a->held[i];
        struct tg_res *r = tg__held_res(h);
        /* An ended actor's holds are tied to the instances of the moment
         * (the fast path leaves res_id 0: whatever lives at the address):
         * once a lock is destroyed and made again, or its memory freed and
         * reused for another, the ended thread or task holds nothing there
         * and its record can go (reap_kept, reap_kept_tasks). */
        if (r && !h->released_by_other) {
            h->res = r;
            if (!h->res_id)
                h->res_id = r->id;
        }
        /* Semaphores have no owner; a robust mutex's next locker gets
         * EOWNERDEAD (nobody waits forever). */
        if (hold_valid(h) && (!r || (tg__res_kind_of(r) != TG_RES_SEM && !(r->flags & TG_RF_ROBUST))) &&
            !lock_holds++)
            site = h->pc;
    }
    /* Once per place the first lock was taken, as other hazards are once
     * per site: the threads of a pool that all end holding a lock taken
     * there are one mistake (each was a report of its own, kept with its
     * stacks, and the JSON rewritten whole for each). */
    if (report_holds && lock_holds && tg__opt.exit_holding &&
        !tg__hazard_repeat(TG_HAZARD_EXIT_HOLDING_LOCK, site)) {
        struct tg_finding *f = tg__hazard_new(
            TG_HAZARD_EXIT_HOLDING_LOCK, a, "%s ended while holding %d lock%s", TG_LABEL(a),
            lock_holds, lock_holds > 1 ? "s" : "");
        if (f) {
            f->advice = tg__strdup(a->kind == TG_ACTOR_TASK
                ? "release every lock on every path out of the task (early returns, error "
                  "paths, failed or cancelled waits); anyone who waits for these locks now "
                  "waits forever."
                : "release every lock on every path out of the thread "
                  "(early returns, error paths, pthread_exit, cancellation); "
                  "anyone who waits for these locks now waits forever.");
            if (tg__report(f))
                tg__hazard_site(TG_HAZARD_EXIT_HOLDING_LOCK, site, f);
        }
    }
}

/* Under the engine lock: a has ended and holds nothing, so its record may
 * be reused. */
static int reapable(const struct tg_actor *a)
{
    return __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == TG_ST_EXITED && valid_holds(a) == 0 &&
           tg__actors[a->slot] == a;
}

/* Under the engine lock: a's record goes to the free list. A kept task
 * goes only through reap_kept_tasks, which unlists it. */
static void reap_locked(struct tg_actor *a)
{
    if (a->joined == 2 && a->kind == TG_ACTOR_THREAD && kept_ended > 0)
        kept_ended--;
    if (a->kind == TG_ACTOR_THREAD) {
        handle_forget(a);
        threads_remove(a);
    }
    tg__actors[a->slot] = NULL;
    free_slots[n_free_slots++] = a->slot;
    a->user = free_actors;
    free_actors = a;
}

/* Under the engine lock, while threads are kept for their holds: frees
 * the records among the next two of tg__threads whose holds have all
 * ended since. Nothing else looks at them again, and a program whose
 * threads end holding locks that are then destroyed or freed would
 * otherwise keep a record (some 10 kB with its buffers) per such thread
 * for good, and make every walk of tg__threads longer. Two per creation
 * free them faster than creations make them. */
static void reap_kept(void)
{
    for (int k = 0; k < 2 && tg__n_threads > 0; k++) {
        if (kept_cursor >= tg__n_threads)
            kept_cursor = 0;
        struct tg_actor *a = tg__threads[kept_cursor];
        if (a->joined == 2 && reapable(a))
            reap_locked(a); /* the last of tg__threads moves to the cursor */
        else
            kept_cursor++;
    }
}

int tg__actor_holds_ended(struct tg_actor *a)
{
    tg__guard++;
    tg__lock();
    int ended = valid_holds(a) == 0;
    tg__unlock();
    tg__guard--;
    return ended;
}

/* Under the engine lock: frees the records among the next two of
 * kept_tasks whose holds have all ended since. */
static void reap_kept_tasks(void)
{
    for (int k = 0; k < 2 && n_kept_tasks > 0; k++) {
        if (kept_tasks_cursor >= n_kept_tasks)
            kept_tasks_cursor = 0;
        struct tg_actor *a = kept_tasks[kept_tasks_cursor];
        if (reapable(a)) {
            kept_tasks[kept_tasks_cursor] = kept_tasks[--n_kept_tasks];
            reap_locked(a);
        } else {
            kept_tasks_cursor++;
        }
    }
}

/* Under the engine lock: task actor a, ended holding locks, is handed
 * back by its scheduler. It is kept (its holds stay visible: whoever
 * waits for them waits forever) until they end, as a thread's is; its
 * frontend data goes with the task. A list that cannot grow leaves it
 * out, kept for good as before. */
static void keep_task(struct tg_actor *a)
{
    reap_kept_tasks();
    a->joined = 2;
    a->user = NULL;
    if (actors_room(&kept_tasks, n_kept_tasks, &cap_kept_tasks) != 0)
        return;
    kept_tasks[n_kept_tasks++] = a;
}

/* Under the engine lock: the holder of old is done with it, and old still
 * holds: a thread's joiner marks it (joined 1; 2 once ended, for
 * reap_kept), a task's scheduler hands it to keep_task. */
static void keep_or_mark(struct tg_actor *a)
{
    int ended = __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == TG_ST_EXITED &&
                tg__actors[a->slot] == a;
    if (a->joined == 2 || !ended) {
        if (!a->joined)
            a->joined = 1;
    } else if (a->kind == TG_ACTOR_TASK) {
        keep_task(a);
    } else {
        /* Ended holding locks: kept until they end (reap_kept). Its handle
         * is dead (glibc gives the next thread the same value): a join or
         * detach that finds it by handle would take it for that thread. */
        handle_forget(a);
        a->joined = 2;
        a->user = NULL;
        kept_ended++;
    }
}

void tg__actor_reap(struct tg_actor *a)
{
    if (!a)
        return;
    tg__guard++;
    tg__lock();
    if (reapable(a))
        reap_locked(a);
    else
        keep_or_mark(a);
    tg__unlock();
    tg__guard--;
}

/* ---- waits ------------------------------------------------------------- */

/* Wait ages only decide when a stall is old enough: a coarse clock (a few
 * ns, no fence) is precise enough. */
static uint64_t coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Copies an "any of" wait's alternatives into a's own buffer. A buffer
 * outgrown is freed while a reader may still copy from it: tg__alloc never
 * unmaps small blocks, and the reader's seqlock check discards the copy. */
static void wait_any_copy(struct tg_actor *a, const struct tg_wait_desc *w)
{
    if (w->n_any > a->any_cap) {
        int cap = w->n_any < 8 ? 8 : w->n_any;
        struct tg_wait_alt *buf = tg__alloc((size_t)cap * sizeof *buf);
        if (!buf) { /* cannot say which: a wait anyone may end (no false report) */
            a->wait.any = NULL;
            a->wait.n_any = 0;
            a->wait.kind = TG_RES_EVENT;
            return;
        }
        tg__free(a->any_buf);
        a->any_buf = buf;
        a->any_cap = cap;
    }
    memcpy(a->any_buf, w->any, (size_t)w->n_any * sizeof *w->any);
    a->wait.any = a->any_buf;
}

void tg__wait_begin(struct tg_actor *a, const struct tg_wait_desc *w)
{
    a->wait = *w;
    if (TG_UNLIKELY(w->n_any > 0))
        wait_any_copy(a, w);
    a->wait_stack = 0;
    a->wait_since_ns = coarse_ns();
    if (w->res && w->kind == TG_RES_COND) /* only conditions count their waiters */
        __atomic_fetch_add(&w->res->waiters, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&a->state, TG_ST_BLOCKED, __ATOMIC_RELAXED);
    /* Only this thread writes its wait_seq: a store, not a read-modify-write. */
    __atomic_store_n(&a->wait_seq, a->wait_seq + 1, __ATOMIC_RELEASE); /* now odd */
    /* "I am waiting" must be visible before this thread reads anyone
     * else's state, so two threads blocking at once cannot both miss the
     * cycle. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    tg__note_change();
    if (TG_UNLIKELY(!__atomic_load_n(&first_wait_done, __ATOMIC_RELAXED)) &&
        !__atomic_exchange_n(&first_wait_done, 1, __ATOMIC_ACQ_REL) && tg__first_wait_hook)
        tg__first_wait_hook();
}

void tg__wait_end(struct tg_actor *a)
{
    if (a->wait.res && a->wait.kind == TG_RES_COND)
        __atomic_fetch_sub(&a->wait.res->waiters, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&a->state, TG_ST_RUNNING, __ATOMIC_RELAXED);
    __atomic_store_n(&a->wait_seq, a->wait_seq + 1, __ATOMIC_RELEASE); /* now even */
    /* The holds this actor changes next must not be seen before "even" by
     * a reader validating its copy (free on x86, a barrier on arm64). */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
