/* SPDX-License-Identifier: MIT */
/* engine.h: actors, resources, who holds what, who waits for what.
 *
 * The engine is shared by every frontend: the pthread preload library
 * (actors are threads), the task runtime (actors are tasks hosted on
 * scheduler threads) and annotations. It knows nothing of where its events
 * come from.
 *
 * Concurrency contract
 * - An actor's held list is written only by the OS thread currently running
 *   that actor, without any lock (the fast path). Other threads read it only
 *   while the actor is blocked, validated by the actor's wait sequence number
 *   (a seqlock: odd while waiting). A blocked actor cannot change its holds,
 *   so a deadlocked set is read consistently.
 * - Everything else that spans actors (registration, detection, reports) is
 *   serialized by one internal engine lock. Its holders never call back into
 *   user code, so it is always a leaf.
 * - Resources live in entries that never move, found by address through a
 *   growing open-addressing index (res.c), looked up without locks. A
 *   destroyed entry keeps its slot until another address claims it; init
 *   at the same address starts a new identity (a new serial number).
 */
#ifndef TG_CORE_ENGINE_H
#define TG_CORE_ENGINE_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "finding.h"

#define TG_LIKELY(x) __builtin_expect(!!(x), 1)
#define TG_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For data the lock fast path reads: declared hidden, it is addressed
 * directly instead of through the GOT (the library's own definitions are
 * hidden anyway). */
#define TG_HIDDEN __attribute__((visibility("hidden")))

enum tg_actor_kind { TG_ACTOR_THREAD, TG_ACTOR_TASK };

enum tg_res_kind {
    TG_RES_MUTEX,
    TG_RES_RWLOCK,
    TG_RES_SEM,
    TG_RES_COND,
    TG_RES_BARRIER,
    TG_RES_SPIN,
    TG_RES_CHANNEL,
    TG_RES_EVENT,     /* events, wait groups: anything a peer signals */
    TG_RES_JOIN,      /* waiting for an actor to end; see tg_wait_desc.target */
    TG_RES_IDLE,      /* a scheduler host with nothing to run: any task's waker ends it */
    TG_RES__COUNT
};

enum tg_mode { TG_MODE_EXCL = 0, TG_MODE_READ = 1, TG_MODE_WRITE = 2 };

/* Resource flags (tg_res.flags). */
#define TG_RF_RECURSIVE    0x0001u /* its holder may take it again */
#define TG_RF_ERRORCHECK   0x0002u /* relock by the holder fails with EDEADLK */
#define TG_RF_WRITER_PREF  0x0004u /* a queued writer blocks new readers */
#define TG_RF_PSHARED      0x0008u /* shared with other processes: wakers unseen */
#define TG_RF_ROBUST       0x0010u /* a dead holder's waiter gets EOWNERDEAD */
#define TG_RF_LOCKLIKE     0x0020u /* binary semaphore: the taker holds it */
#define TG_RF_OWNED_PERMITS 0x0040u /* semaphore whose permits only holders return */
#define TG_RF_DESTROYED    0x0080u
#define TG_RF_STATIC_INIT  0x0100u /* first seen in use, never initialised */
#define TG_RF_IN_GRAPH     0x0200u /* lock order names this instance: its end is told (lockorder.c) */
#define TG_RF_CLAIMED      0x0400u /* a destroyed entry being given to another address */
#define TG_RF_FUTEX        0x0800u /* event: a bare futex word (tg_thread_side.futex_word) */
#define TG_RF_DESCRIBED    0x1000u /* a lock its user describes: its memory is no pthread object */
/* Lock order's own marks on an instance (lockorder.c), cleared at its end: */
#define TG_RF_LO_PINNED    0x2000u /* its address counts in free()'s buckets on its own;
                                      may outlive its instance, without TG_RF_IN_GRAPH, for
                                      the next one there (lockorder.c's sticky pins) */
#define TG_RF_LO_NODE      0x4000u /* a node of the lock-order graph */
#define TG_RF_LO_OUT       0x8000u /* a queued first nesting took a lock under it or into
                                      it, or its kept nestings went to the graph: none is
                                      kept now */
#define TG_RF_LO_MARKS (TG_RF_IN_GRAPH | TG_RF_LO_PINNED | TG_RF_LO_NODE | TG_RF_LO_OUT)
#define TG_RF_REINIT       0x10000u /* an init at its address is checking that it is still
                                       there (res.c): the entry is not claimed meanwhile */
#define TG_RF_OWN_WORD     0x20000u /* tg__res_own_word of its kind and flags: set by
                                       res.c's fill, so that the next init tests one bit */

/* The kind of an entry's instance lives in the top byte of its flags
 * word, so that fill_id publishes kind and flags in one release store and
 * a reader gets a consistent pair from one load (tg__res_kind_of). The
 * TG_RF_ flags stay below bit 24. */
#define TG_RF_KIND_SHIFT 24
#define TG_RF_KIND_MASK (0xffu << TG_RF_KIND_SHIFT)
_Static_assert(TG_RF_OWN_WORD < (1u << TG_RF_KIND_SHIFT), "the flags leave the top byte to the kind");

/* A lock's entry: 48 bytes (res.c asserts it). Which kinds use which of
 * the shared words:
 *   word at 20 (4 bytes): graph_node for kinds that can be held (lock-order
 *     nodes); waiters for conditions; futex_value for bare futex words;
 *   word at 32 (8 bytes): class_key or lo_kept for locks; hb for
 *     semaphores not used as locks; last_by[0] for the task runtime's
 *     channels and events;
 *   word at 40 (8 bytes): cond_mutex for conditions; sem_taken for
 *     lock-like semaphores; futex_moved_ns for bare futex words;
 *     last_by[1] for the task runtime's channels, events and semaphores.
 * A kind never writes a word another kind reads in the same instance; an
 * entry that serves another kind gets the words the new kind reads reset
 * (res.c's fill_id and shared_word). */
struct tg_res {
    _Atomic uintptr_t addr;   /* key; 0 = empty slot */
    uint64_t id;              /* serial of the current instance */
    _Atomic uint32_t flags;   /* TG_RF_*, and the kind above TG_RF_KIND_SHIFT */
    union {
        /* Lock order (lockorder.c, under the engine lock): where this
         * instance's node was last put, a hint checked against the
         * node's key (so a stale value is harmless). Written only for the
         * current instance of a lock held or marked in the graph, which
         * stays a lock meanwhile; zeroed at each new instance. */
        int32_t graph_node;
        _Atomic uint32_t waiters;   /* conditions: actors now waiting on it */
        uint32_t futex_value;       /* bare futex words: the value the waiter sleeps on */
    };
    uintptr_t created_pc;     /* caller of init, or of the first use */
    union {
        struct {
            union {
                uintptr_t class_key;  /* lock_classes: init's call site and its caller, 0 if unknown */
                /* Otherwise, for mutexes, rwlocks and spinlocks: the first
                 * nestings into this instance kept while it is a leaf
                 * (lockorder.c), NULL if none. Lock order empties it at every end
                 * of an instance that named it, so a new instance finds it NULL. */
                struct tg_kept *_Atomic lo_kept;
                /* Semaphores not used as locks (TG_RES_SEM without TG_RF_LOCKLIKE,
                 * tg__res_sem_clock), which are never lock-order nodes: the clock
                 * their posts carry to their waiters while lock order is on
                 * (lockorder.c), NULL if none yet. Kept across such instances
                 * (reset by owner); freed when the entry serves another kind. */
                struct tg_vc *_Atomic hb;
            };
            union {
                uintptr_t cond_mutex; /* cond: address of the mutex its waiters use, 0 if none */
                /* Lock-like semaphores (TG_RF_LOCKLIKE), in one word so that
                 * a reader sees both at one time: the last actor that took it
                 * and has not given it back, or NULL (below 2^48:
                 * TG_SEM_TAKER), and above it how many holds are not given
                 * back (preload/sem.c). */
                _Atomic uint64_t sem_taken;
                /* Bare futex words (TG_RF_FUTEX): when the stall check first saw
                 * the word no longer hold futex_value, 0 if it has not. */
                uint64_t futex_moved_ns;
            };
        };
        /* The task runtime's channels, events, wait groups and semaphores
         * (kinds TG_RES_CHANNEL, TG_RES_EVENT, TG_RES_SEM; none of the
         * above is theirs but a semaphore's hb): the tags (tg__actor_tag)
         * of the tasks that last used it each way, 0 for nobody yet;
         * reports name them as those who could end a wait on it. A
         * channel's are its last sender and receiver; an event's, its last
         * setter and resetter; a wait group's, the last to add and to
         * finish; a semaphore's, its last releaser (last_by[1] only: its
         * hb is in last_by[0]'s place). Zero from each new instance on
         * (fill_id, shared_word). */
        _Atomic uint64_t last_by[2];
    };
};

/* Lock-like semaphores' sem_taken: the taker in the low bits, the holds
 * above; the holds stay at TG_SEM_HOLDS_MAX once there (then a post by
 * another always looks for the holder, as it does while any is held). */
#define TG_SEM_TAKER ((1ull << 48) - 1)
#define TG_SEM_HOLDS_SHIFT 48
#define TG_SEM_HOLDS_MAX 0xffffu

/* The kind of r's current instance. */
static inline enum tg_res_kind tg__res_kind_of(const struct tg_res *r)
{
    return (enum tg_res_kind)(__atomic_load_n(&r->flags, __ATOMIC_RELAXED) >> TG_RF_KIND_SHIFT);
}

/* The kind in a flags word read from an entry. */
static inline enum tg_res_kind tg__res_kind_in(uint32_t flags)
{
    return (enum tg_res_kind)(flags >> TG_RF_KIND_SHIFT);
}

/* 1 if an instance of kind and flags keeps a semaphore's clock in
 * tg_res.hb (and no class key or kept nestings there). */
static inline int tg__res_sem_clock(uint32_t kind, uint32_t flags)
{
    return kind == TG_RES_SEM && !(flags & TG_RF_LOCKLIKE);
}

/* tg__res_sem_clock of r's current instance, from one read of its flags. */
static inline int tg__res_sem_clock_of(const struct tg_res *r)
{
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    return tg__res_sem_clock(tg__res_kind_in(f), f);
}

/* 1 if an instance of kind and flags has the word at 32 to itself (a
 * semaphore's clock, or the task runtime's last_by[0]), not as a lock's
 * class key or kept nestings: an entry going to or from such a kind has
 * that word reset (res.c's shared_word). */
static inline int tg__res_own_word(uint32_t kind, uint32_t flags)
{
    return kind == TG_RES_CHANNEL || kind == TG_RES_EVENT || tg__res_sem_clock(kind, flags);
}

/* What a lock known only by its address is, for the slow path that makes
 * its entry (tg_held.as, tg_actor.pending_as): 0 for a pthread object,
 * whose own memory says what it is; else a lock its user describes
 * (annotations, library hooks such as GLib's), whose memory is not a
 * pthread object and is never read: a mutex, or with TG_AS_RWLOCK an
 * rwlock, recursive with TG_AS_RECURSIVE. */
#define TG_AS_DESCRIBED 0x1u
#define TG_AS_RWLOCK    0x2u
#define TG_AS_RECURSIVE 0x4u

/* One held lock; the held list is a stack, usually popped from the top.
 * Holds are matched by address. A hold taken on the cheapest path
 * (tg__acquired_addr) has no resource entry yet (res NULL, res_id 0): slow
 * paths look it up with tg__held_res, made as `as` says if it has none. */
struct tg_held {
    uintptr_t addr;
    uintptr_t pc;             /* caller of the acquire: always known */
    struct tg_res *res;       /* NULL until looked up */
    uint64_t res_id;          /* instance serial when taken, 0 if unknown */
    uint64_t chain;           /* hash of this and every older hold (lock order cache key),
                                 0 until a nesting above it needs it (tg__chain_key) */
    uint32_t stack;           /* interned full stack if the acquire blocked, else 0 */
    uint8_t mode;             /* enum tg_mode */
    uint8_t released_by_other;
    uint8_t as;               /* TG_AS_* of a hold taken by address only */
    uint8_t zero;             /* always 0: the four fields above are written as one word */
    uint64_t since;           /* when taken (ns), written only while hold_ms is set */
    uint64_t pad;             /* unused: 64 bytes a hold, so that the list is indexed by a shift */
};

/* Chain keys (tg_held.chain) mix in a generation per address bucket,
 * bumped when a lock instance at an address of that bucket leaves the
 * lock-order graph: a chain validated for an ended instance is not taken
 * for one validated for the next instance at the same address. */
#define TG_CHAIN_GENS 4096 /* 1 << (64 - 52): the top bits of a product by TG_CHAIN_MUL */
#define TG_CHAIN_MUL 0x9E3779B97F4A7C15ull
#define TG_CHAIN_GEN_OF(addr) ((size_t)(((uint64_t)(addr) * TG_CHAIN_MUL) >> 52))
extern TG_HIDDEN uint32_t tg__chain_gen[TG_CHAIN_GENS];

/* One step of a chain key: the key of the holds below, then a hold of
 * addr in mode. A product by TG_CHAIN_MUL (Fibonacci hashing) leaves its
 * best mixed bits on top: the chain cache takes its slot from them
 * (tg__chain_slot), and the generation's bucket is found the same way. */
static inline uint64_t tg__chain_mix(uint64_t below, uintptr_t addr, unsigned mode)
{
    uint64_t gen = __atomic_load_n(&tg__chain_gen[TG_CHAIN_GEN_OF(addr)], __ATOMIC_RELAXED);
    return (below ^ (addr + mode + (gen << 40))) * TG_CHAIN_MUL;
}
/* The first slot of chain key k in a chain cache of 1 << bits slots. */
static inline size_t tg__chain_slot(uint64_t k, uint32_t bits)
{
    return (size_t)(k >> (-bits & 63)); /* 64 - bits, for bits in [1, 63] */
}
static inline uint64_t tg__chain_step(uint64_t below, const struct tg_held *h)
{
    return tg__chain_mix(below, h->addr, h->mode);
}
/* The key below the first hold: 0, so that a first step is a product
 * alone. (A key that came out 0, which would take an address and its
 * generation adding up to 0, would only be made again each time.) */
#define TG_CHAIN_SEED 0
/* Computes the keys of holds [0, n) that have none yet; returns the last. */
uint64_t tg__chain_fill(struct tg_held *h, int n);
/* The chain key of the newest of n >= 2 holds, a hold of addr in mode,
 * computed for it and for every hold below it that has none yet: a hold's
 * key is computed on demand, by the first nesting above it, so a lock
 * taken alone never pays for it. A relock of the hold below (a recursive
 * mutex going deeper) keeps its key: it adds no lock order. */
static inline __attribute__((always_inline)) uint64_t tg__chain_key(struct tg_held *h, int n,
                                                                    uintptr_t addr, unsigned mode)
{
    struct tg_held *below = &h[n - 2];
    uint64_t c = below->chain;
    if (!c)
        c = below->chain = n == 2 ? tg__chain_step(TG_CHAIN_SEED, below) : tg__chain_fill(h, n - 1);
    if (below->addr != addr)
        c = tg__chain_mix(c, addr, mode);
    return h[n - 1].chain = c;
}

/* The switches that send every lock and unlock off its fast path, one
 * byte each, so that the fast path tests them all with one load (any):
 * - hold_watch: the hold_ms option asks for hold times;
 * - recording: a trace is being recorded (preload/record.c);
 * - inherited_holds: a fork child, where other threads of the parent
 *   held locks at fork() (preload/thread.c).
 * Written only while the engine starts, the recorder starts or stops, and
 * in a fork child; read everywhere. */
union tg_modes {
    struct {
        uint8_t hold_watch, recording, inherited_holds, unused;
    } on;
    uint32_t any;
};
extern TG_HIDDEN union tg_modes tg__modes;
#define tg__hold_watch (tg__modes.on.hold_watch)
uint64_t tg__now_ns(void);

/* One way a wait can end, of several (a select: see tg_wait_desc.any). */
struct tg_wait_alt {
    struct tg_res *res;       /* NULL for TG_RES_JOIN */
    struct tg_actor *target;  /* joins: the actor waited for */
    uint32_t kind;            /* enum tg_res_kind */
    uint8_t mode;
};

/* What an actor waits for; filled in before it blocks. */
#define TG_WF_TIMED 0x1u      /* the wait has a deadline */
#define TG_WF_PARKED 0x2u     /* task-level wait: only the task is parked, its host runs on */
#define TG_WF_COUNTED 0x4u    /* a POSIX semaphore: a count above zero lets the wait
                                 through (tg__sem_count_hook reads it) */
struct tg_wait_desc {
    struct tg_res *res;       /* NULL for TG_RES_JOIN */
    uint32_t kind;            /* enum tg_res_kind (== res->kind unless a join) */
    uint32_t flags;           /* TG_WF_* */
    struct tg_res *mutex;     /* cond waits: the mutex re-taken on wake-up */
    struct tg_actor *target;  /* joins: the actor waited for */
    uintptr_t pc;
    /* An "any of" wait (a select): it ends when any one of n_any >= 2
     * alternatives could; res, kind, mode and target repeat the first.
     * tg__wait_begin copies the alternatives into the actor's own buffer,
     * so the caller's array need not outlive the call. */
    const struct tg_wait_alt *any;
    int n_any;
    uint8_t mode;             /* enum tg_mode (last: it fills n_any's padding) */
};

enum tg_actor_state { TG_ST_RUNNING, TG_ST_BLOCKED, TG_ST_EXITED };

#define TG_AF_INTERNAL 0x1u   /* tangle's own thread: never part of a stall */
#define TG_AF_HOST     0x2u   /* a scheduler thread: it progresses only through its tasks */
#define TG_AF_FORKED_AWAY 0x4u /* fork child: a thread of the parent, whose holds were copied */

/* Return addresses a stuck thread's stack sample keeps (tg_actor.pending_pcs). */
#define TG_PENDING_PCS 32
/* tg_actor.watch_flags: the actor was asked for its stack for the call
 * watched (a request was sent); the call counts as blocked (two ticks
 * unchanged, and the stack asked for has come, or did not in
 * TG_STACK_WAIT_MS). */
#define TG_WATCH_ASKED 1
#define TG_WATCH_BLOCKED 2
#define TG_STACK_WAIT_MS 2000

/* What only thread actors need, out of the actor record so that a task's
 * record stays within the engine's 512-byte budget per task. */
struct tg_thread_side {
    /* The watchdog's look at a thread it sees running, asleep in an
     * untimed futex wait inside the C library (libcwait.c): the word and
     * program counter seen, on how many ticks in a row (2: counts as
     * blocked; -1: not inside the C library), since when, and what its
     * stack says it is blocked in. Written by the watchdog only. */
    uintptr_t raw_uaddr, raw_pc;
    int raw_ticks, raw_loader;
    uint64_t raw_seq, raw_since_ns;
    uint32_t raw_stack;
    const char *raw_advice;   /* static, or NULL */
    char raw_detail[160];
    /* The word of the wait libcwait.c sees it in (raw_ticks == 2). */
    struct tg_res raw_word;
    /* The futex word a futex wait through syscall() is on, when no lock
     * is watched at that address (preload/futex.c): an entry of its own,
     * filled in per wait, outside the lock table, so that words waited on
     * once leave no entry behind. Never freed, so a report may point
     * to it. A task's waits use its host thread's (one at a time: the
     * wait blocks the host). */
    struct tg_res futex_word;
};

/* An actor's record: at most 512 bytes with its registry slot (the issue
 * 14 budget for what the engine adds to a task), so whatever only some
 * actors need (a thread's stack sample, a select's alternatives, the chain
 * cache of a task that nests locks, a held list longer than two) lives out
 * of line and is allocated by the first actor of a record that needs it. */
struct tg_actor {
    uint64_t id;              /* 1, 2, ...; never reused; 0 while a task actor is renewed.
                                 Task actors take theirs from blocks of their scheduler. */
    uint32_t kind;            /* enum tg_actor_kind */
    uint32_t aflags;          /* TG_AF_* */
    _Atomic uint64_t wait_seq;/* odd while waiting (seqlock for readers) */
    struct tg_wait_desc wait; /* valid while wait_seq is odd */
    _Atomic uint32_t state;   /* enum tg_actor_state */
    uint32_t wait_stack;      /* interned stack of the wait, 0 until captured */
    uint64_t wait_since_ns;
    int n_held, cap_held;
    struct tg_held *held;
    long tid;
    char name[32];
    uint32_t created;         /* interned stack of the spawn, 0 if only created_pc */
    int slot;                 /* index in the registry */
    uintptr_t created_pc;     /* the spawn's call site when no stack was taken */
    uint64_t parent;          /* actor id of the creator, 0 for the first */
    struct tg_actor *host;    /* tasks: the scheduler thread running them */
    struct tg_actor *_Atomic running; /* hosts: the task now running on it */
    uint64_t reported_seq;    /* wait_seq at which a deadlock naming it was reported */
    uint64_t long_wait_seq;   /* wait_seq at which its long wait was reported */
    /* Tasks: the wait_seq of a published parked wait that another thread
     * has ended (tg__actor_woken); always odd, so the 0 of a cleared
     * record never matches. */
    _Atomic uint64_t woken_seq;
    /* A lock call in progress, published with plain stores before a
     * frontend enters a blocking call without tg__wait_begin (the cheap
     * path for mutexes). The watchdog treats an actor whose pending call
     * has not changed over two of its ticks as blocked on it. */
    uintptr_t pending;        /* address of the lock, 0 if none */
    uintptr_t pending_pc;
    uint64_t pending_seq;     /* bumped by every pending call */
    uintptr_t watch_pending;  /* the watchdog's last look at them */
    uint64_t watch_seq;
    int watch_stuck;          /* ticks the call has been seen unchanged */
    int joined;               /* a join has returned: the record may be reused */
    uint8_t pending_mode;     /* enum tg_mode of the pending call (annotated read locks) */
    uint8_t pending_as;       /* TG_AS_* of the pending call's lock (0: a pthread mutex) */
    uint8_t lo_queued;        /* first nestings wait in its queue (tg_actor.defer) */
    uint8_t watch_flags;      /* the watchdog's: TG_WATCH_* of the call it watches */
    /* Its stack, taken by the actor itself on request (tg__stuck_hook):
     * pending_n raw return addresses in pending_pcs, valid when
     * pending_stack_seq == pending_seq. */
    int pending_n;
    _Atomic uint64_t pending_stack_seq;
    /* Lock order (lockorder.c): its vector clock over creates, joins and
     * semaphores. Kept across reuse of the record; stale unless its owner
     * is this actor's id. */
    struct tg_vc *vc;
    void *user;               /* frontend's own data */
    /* Everything from here on is not cleared when a record is reused (a
     * task's spawn clears only the fields above). */
    /* TG_PENDING_PCS entries: only a thread is asked for its stack (by a
     * signal to it), so the buffer is allocated when a record first serves
     * a thread; NULL in records that only ever served tasks. */
    uintptr_t *pending_pcs;
    /* Chains of held locks this actor has had validated (lockorder.c): an
     * open-addressing set of 1 << chain_bits keys, allocated by the first
     * nested acquisition (most tasks never nest) and grown when it is
     * three quarters full, so its hit rate survives thousands of chains;
     * it grows without a pause (the smaller set's keys move over a few at
     * each slow path: lockorder.c).
     * Keys are stored xor chain_salt (never 0, the empty mark): those a
     * previous user of the record left never match, and the first slow path
     * of a new user (chain_stale) clears them. */
    uint64_t chain_salt;
    /* The cache's generation: a create or a post that follows a nesting
     * changes the low CHAIN_GEN_BITS of chain_salt (lockorder.c), so every
     * chain misses once after it and is renewed with the new clock, found
     * again in its slot by the rest of the salt; after 2^CHAIN_GEN_BITS
     * generations the whole salt changes (and the cache is emptied). */
    uint32_t chain_gen;
    uint8_t chain_fresh;      /* a chain validated or renewed since the generation changed */
    /* 64 - chain_bits, the shift that gives a key's slot, while a
     * thread's nestings may probe its cache straight away
     * (tg__lockorder_nest); 0 for a task, while a thread has no cache, and
     * for a new user of the record until its first chain is cached
     * (lockorder.c, chain_shift_set). In what was padding. */
    uint8_t chain_shift;
    /* The cache may hold keys of an older generation (lockorder.c's
     * chain_older looks for one): set when the generation changes, clear
     * while every key was cached in the current one. In what was padding. */
    uint8_t chain_old_gens;
    uint64_t *chain_cache;
    uint32_t chain_bits, chain_used;
    int chain_stale;
    /* Bumped by each change of its name (tg__actor_set_name), so that
     * lock order sees one by a compare instead of comparing the names
     * (lockorder.c, who_current); never cleared (a new actor of the record
     * has a new id). In what was padding. */
    _Atomic uint32_t name_gen;
    uint64_t chain_retired_at; /* instances retired from the graph when it was last emptied */
    /* Its first nestings not handled yet (lockorder.c): a queue it alone
     * fills, allocated by its first deferred nesting; kept across reuse
     * (an actor's end empties it). */
    struct tg_defer *defer;
    /* With lock_classes: its own memo of the stacks it initialised locks
     * from (res.c), so that a lock made again at a place seen before finds
     * its class without an unwind; kept across reuse (a memo entry checks
     * the stack it stands on, whoever reads it). */
    struct tg_stack_memo *class_memo;
    /* The alternatives of its current "any of" wait (tg_wait_desc.any),
     * allocated by the first one and grown as needed; kept across reuse. */
    int any_cap;
    /* Threads: its index in tg__threads while listed there (engine.c). */
    int thread_at;
    struct tg_wait_alt *any_buf;
    /* Where its held list starts: a task keeps its mutexes in a hold
     * record of its own (task runtime), so most task actors hold at most
     * one lock here, and an allocation of its own would double what the
     * engine keeps per task. A thread's first nesting moves the list out
     * (tg__held_grow, 16 holds at once) and leaves this unused. */
    struct tg_held held_inline[1];
    /* Thread-only state (struct tg_thread_side), allocated when a record
     * first serves a thread, kept across reuse; NULL in records that only
     * ever served tasks. */
    struct tg_thread_side *side;
};
#define TG__ACTOR_CLEARED offsetof(struct tg_actor, pending_pcs)

/* What every hook reads first, side by side in one thread-local record
 * so that one address (one load of its offset) serves both:
 * - current: the actor running on this OS thread (a thread, or the task
 *   it is running), NULL before the frontend has registered the thread;
 * - guard: >0 while this thread runs tangle's own code: frontends then
 *   pass calls straight through, so tangle never watches (or deadlocks
 *   on) itself. */
struct tg_self {
    struct tg_actor *current;
    int guard;
};
extern __thread struct tg_self tg__self_tls __attribute__((tls_model("initial-exec")));
#define tg__current (tg__self_tls.current)
#define tg__guard (tg__self_tls.guard)

/* ---- lifetime ---------------------------------------------------------- */
/* Reads options (tg__options) and sets up tables; safe to call repeatedly and
 * from any thread; returns 0, or -1 when tangle cannot run (then every other
 * call is still safe and does nothing useful). */
int tg__engine_init(void);
/* After fork() in the child: forget every actor but the calling one. */
void tg__engine_after_fork_child(struct tg_actor *survivor);

/* ---- actors ------------------------------------------------------------ */
/* Register a new actor; NULL when the registry is full (one warning). The
 * spawn site is captured from the caller's stack. */
struct tg_actor *tg__actor_new(enum tg_actor_kind kind, const char *name, uint64_t parent);
/* The same with the spawn site given (e.g. from frame pointers) instead of
 * unwound: n may be 0 for none. */
struct tg_actor *tg__actor_new_at(enum tg_actor_kind kind, const char *name, uint64_t parent,
                                  const uintptr_t *pcs, int n);
/* A new task actor in old's record (and registry slot), with a one-frame
 * spawn site, hosted by host, with user as its frontend data: a
 * scheduler recycles its last ended task's actor, which it alone keeps
 * (not reaped), for its next spawn. When old ended holding nothing (the
 * usual case) this takes no lock and clears nothing but what names the
 * actor; else it is tg__actor_reap(old) and a new actor under one engine
 * lock. name is read as 32 bytes (a task's name buffer) and truncated to
 * 31. */
struct tg_actor *tg__actor_renew(struct tg_actor *old, const char *name, uint64_t parent,
                                 uintptr_t pc, struct tg_actor *host, void *user);
/* The same, inline for the usual case (a spawn makes one): the renewal in
 * place when the thread's block of task ids has one left. */
static inline struct tg_actor *tg__actor_renew_task(struct tg_actor *old, const char *name,
                                                    uint64_t parent, uintptr_t pc,
                                                    struct tg_actor *host, void *user);
/* What names an actor, copied consistently: a task actor may be renewed for
 * another task at any time by its scheduler (tg__actor_renew), without the
 * engine lock, so a reader that names an actor it does not own copies these
 * through tg__actor_ident. Returns 0, or -1 (all zero) if the actor was
 * being renewed all along. */
struct tg_actor_ident {
    uint64_t id, parent;
    char name[32];
    uint32_t created;
    uintptr_t created_pc;
};
int tg__actor_ident(const struct tg_actor *a, struct tg_actor_ident *out);
/* An actor named in one word (tg_res.last_by): its id (below 2^41: a tag
 * is not read once more ids were given, see tg__actor_of_tag), a bit for a
 * task, and its registry slot (below 2^22: max_threads), so that a report
 * finds the actor at once and can tell whether the record there still
 * serves it. Never 0 (ids start at 1). TG_TAG_UNKNOWN, a task bit without
 * an id, stands for a task that has no actor (the registry was full). */
#define TG_TAG_ID_BITS 41
#define TG_TAG_TASK (1ull << TG_TAG_ID_BITS)
#define TG_TAG_UNKNOWN TG_TAG_TASK
static inline uint64_t tg__actor_tag(const struct tg_actor *a)
{
    return a->id | (a->kind == TG_ACTOR_TASK ? TG_TAG_TASK : 0) |
           (uint64_t)a->slot << (TG_TAG_ID_BITS + 1);
}
/* Whom a tag names now (tg__actor_of_tag). */
struct tg_tagged {
    struct tg_actor_ident who;
    const struct tg_actor *actor; /* its record, when it still serves it */
    uint32_t state;               /* then its enum tg_actor_state */
    int task;                     /* 1 for a task, 0 for a thread */
};
/* Lock-free, for reports. Returns 1 when the actor's record still serves
 * it: out names it and gives its state (an ended actor whose record was
 * not reused yet is found, TG_ST_EXITED). Returns 0 when it ended and its
 * record went to another: only out->who.id and out->task are set. Returns
 * -1 when the tag names nobody known: 0, TG_TAG_UNKNOWN, or any tag once
 * more than 2^41 actors have been made (ids no longer fit a tag: it could
 * name the wrong one). */
int tg__actor_of_tag(uint64_t tag, struct tg_tagged *out);
void tg__actor_set_name(struct tg_actor *a, const char *name);
/* "thread 3 \"worker\"" (or "task ...", or without a name if it has none),
 * written into buf, which is returned. */
const char *tg__label(const struct tg_actor *a, char *buf, size_t n);
#define TG_LABEL(a) tg__label((a), (char[80]){0}, 80)
/* a (the calling thread's own actor) is one of tangle's threads from now
 * on (TG_AF_INTERNAL): never part of a stall, and no waker. That can leave
 * the others stuck, so it counts as a change for the watchdog's scan. */
void tg__actor_set_internal(struct tg_actor *a);
/* The actor ends. Locks it still holds stay held (by a dead holder) and a
 * TG_HAZARD_EXIT_HOLDING_LOCK finding is made when report_holds is set. */
void tg__actor_exit(struct tg_actor *a, int report_holds);
/* The same, inline for a task that ends holding nothing (a is not NULL). */
static inline void tg__actor_exit_task(struct tg_actor *a, int report_holds);
/* Its joiner is done with it: the record may be recycled. A thread or
 * task that ended holding locks is kept until they end (destroyed and
 * made again, or their memory reused for another lock), then freed. */
void tg__actor_reap(struct tg_actor *a);
/* Thread actor a answers to handle h (its pthread_t, kept in a->user) from
 * now on, for tg__actor_by_handle. Takes the engine lock unless locked is
 * set (the caller holds it). */
void tg__actor_set_handle(struct tg_actor *a, void *h, int locked);
/* The listed thread actor whose handle is h, or NULL: O(1) whatever the
 * number of threads. A thread kept after its end for the locks it still
 * holds answers to no handle (glibc gives the next thread the same one). */
struct tg_actor *tg__actor_by_handle(void *h);
/* 1 if a (ended) holds nothing any more: every hold it ended with was
 * released for it or its lock instance has ended since. */
int tg__actor_holds_ended(struct tg_actor *a);
/* Hosts: `task` now runs on `host` (NULL: the host itself runs). Inline:
 * the task runtime calls it on every switch. */
static inline void tg__actor_switch(struct tg_actor *host, struct tg_actor *task);

/* ---- resources --------------------------------------------------------- */
/* Lock-free lookup; NULL if the address was never seen. */
struct tg_res *tg__res_lookup(uintptr_t addr);
/* tg__res_lookup, the entry of the lock the calling thread made last
 * first (a lock made, nested into and ended: lock churn). */
struct tg_res *tg__res_find(uintptr_t addr);
/* The entries at the addresses of the TG_RES_GRANULE-byte granule that
 * starts at `granule` (aligned), put in out (room for TG_RES_GRANULE, one
 * per address), in no particular order, in one lock-free walk: how many.
 * Each was at its address when read; the caller checks again what it
 * relies on. */
#define TG_RES_GRANULE 16
int tg__res_granule(uintptr_t granule, struct tg_res **out);
/* Lookup, or create an entry (with `flags`) for a resource first seen in
 * use at pc (static initializers). NULL only when the table is full (one
 * warning). */
struct tg_res *tg__res_get(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc);
/* A new instance at addr (init calls): new serial, flags replaced. `pc` is
 * the caller's return address (the creation site shown in reports). */
struct tg_res *tg__res_init(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc);
/* The instance ends (destroy calls). */
void tg__res_destroy(struct tg_res *r);
/* The same for the entry at addr, if there is one. */
void tg__res_destroy_at(uintptr_t addr);
/* free() of addr's memory: a lock-order pin lingering in r there goes. */
void tg__res_pin_drop(struct tg_res *r, uintptr_t addr);
/* A new instance serial, for an entry kept outside the table. */
uint64_t tg__res_next_id(void);
/* Fills in an entry kept outside the lock table for a bare futex word at
 * addr (TG_RES_EVENT, TG_RF_FUTEX) whose waiter sleeps on value, waited on
 * at pc. */
void tg__res_fill_word(struct tg_res *r, uintptr_t addr, uintptr_t pc, uint32_t value);
const char *tg__res_kind_name(enum tg_res_kind k);

/* ---- holds (fast path: no lock, no allocation in the common case) ------ */
static inline void tg__acquired(struct tg_actor *a, struct tg_res *r, enum tg_mode m, uintptr_t pc);
/* The same, for a mutex known only by address (no table lookup). */
static inline void tg__acquired_addr(struct tg_actor *a, uintptr_t addr, enum tg_mode m, uintptr_t pc);
/* The same, for a lock its user describes (TG_AS_*, never 0), known only
 * by address: no table lookup, and no read of the lock's memory later. */
static inline void tg__acquired_as(struct tg_actor *a, uintptr_t addr, enum tg_mode m, uintptr_t pc,
                                   unsigned as);
/* The resource entry of a hold; creates an entry for a lock never seen on
 * a slow path before (a mutex, or what the hold's `as` says). NULL only
 * when the table is full. */
struct tg_res *tg__held_res(const struct tg_held *h);
/* The entry of a lock its user describes, at addr, whose lookup gave r
 * (NULL: none yet): made with kind and flags (TG_RF_RECURSIVE,
 * TG_RF_WRITER_PREF, TG_RF_STATIC_INIT) and TG_RF_DESCRIBED if missing,
 * else made an rwlock if kind says so and given the recursive,
 * writer-preferring and described flags it lacks. Never reads addr's memory and never starts a new instance (safe
 * under the engine lock). NULL only when the table is full. */
struct tg_res *tg__res_described(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc,
                                 struct tg_res *r);
/* The kind and flags a TG_AS_* value describes (for tg__res_described). */
static inline enum tg_res_kind tg__as_kind(unsigned as)
{
    return (as & TG_AS_RWLOCK) ? TG_RES_RWLOCK : TG_RES_MUTEX;
}
static inline uint32_t tg__as_flags(unsigned as)
{
    return (as & TG_AS_RECURSIVE) ? TG_RF_RECURSIVE : 0;
}
/* 1 if h is a live hold of r. */
static inline int tg__held_is(const struct tg_held *h, const struct tg_res *r)
{
    return h->addr == r->addr && (h->res_id == 0 || h->res_id == r->id) && !h->released_by_other;
}
/* Removes the newest hold of r by a; returns 0, or -1 if a did not hold it. */
static inline int tg__released(struct tg_actor *a, struct tg_res *r);
/* 1 if a holds r (in any mode; mode out if not NULL). */
int tg__holds(const struct tg_actor *a, const struct tg_res *r, enum tg_mode *mode);
/* Grows the held list; called by tg__acquired when it is full. */
int tg__held_grow(struct tg_actor *a);
/* Another actor released r for its holder (misuse, or a semaphore): the
 * first live hold of r found among all actors is marked released; 1 if one
 * was. With owner_tid > 0 (the owner glibc records in a mutex or an
 * rwlock's writer) it looks at that thread, and the task it runs, first:
 * O(1). Else, or if neither holds r, it searches every actor: callers
 * that know the holder use tg__released_for. */
int tg__released_by_other(struct tg_actor *releaser, struct tg_res *r, long owner_tid);
/* Set by a frontend that can say more about its actors' waits (the task
 * runtime: a channel's direction and fill): a malloc'd sentence or NULL,
 * called while a finding is built (outside the engine lock). */
extern char *(*tg__wait_note_hook)(const struct tg_actor *a, const struct tg_wait_desc *w);
/* The task runtime keeps the task mutexes a task takes in a record of its
 * own and copies them into the task's held list only when the task ends
 * (an uncontended lock then costs two stores). Until
 * then the engine reaches them through these hooks (NULL without tasks):
 * - tg__held_more_hook writes to out (at most max) the holds task actor a
 *   has that its held list does not show, and returns how many: readers
 *   of a held list that may be a running task's call it with the copy
 *   (tg__held_copy), validated the same way;
 * - tg__held_sync_hook is called by a task itself before lock order reads
 *   its chain: the holds go into its list just below the newest (a task
 *   mutex held across a nesting of pthread locks is their gate). */
extern int (*tg__held_more_hook)(const struct tg_actor *a, struct tg_held *out, int max);
extern void (*tg__held_sync_hook)(struct tg_actor *a);
/* A copy of a's held list and the holds the hook adds, to be freed with
 * tg__free (NULL with *n 0 if none, or out of memory). */
struct tg_held *tg__held_copy(const struct tg_actor *a, int *n);
/* Copies n bytes at addr of this process into out without faulting if
 * they are gone (memory another thread may have freed or unmapped): 0, or
 * -1 if they cannot be read. System calls only: safe with the engine lock
 * held. */
int tg__peek(uintptr_t addr, void *out, size_t n);
/* The same for as many of the n bytes as can be read from addr on (a scan
 * that may run off the end of a mapping): the number copied. */
size_t tg__peek_some(uintptr_t addr, void *out, size_t n);
/* The calling thread's re-entry count (tg__guard: >0 while it runs
 * tangle's own code), for a watcher on another thread to read with
 * tg__peek while this thread lives. */
int *tg__guard_of_self(void);
void tg__free(void *p);
/* The same when the caller knows the holder (the task runtime keeps each
 * owned semaphore's holders): costs what the holder holds, not a walk of
 * every actor. */
int tg__released_for(struct tg_actor *holder, struct tg_res *r);

/* ---- lock order (lockorder.c) ------------------------------------------- */
/* Online prediction: every nesting of locks adds edges held -> taken to a
 * lock-order graph, validated once per distinct chain of held locks and
 * actor (a cache, as lockdep does); a new edge that closes a cycle that
 * could really deadlock is reported as a potential deadlock. */
extern TG_HIDDEN int tg__lockorder_on;
void tg__lockorder_slow(struct tg_actor *a);
/* The same from a caller that found the slot of the return address into
 * the program's first frame (tg__program_slot, stack_memo.h), NULL if it
 * found none; the slot stays valid until this returns. empty: the empty
 * slot of a's chain cache where the probe for top's key ended, right
 * before (tg__lockorder_nest), or -1 if unknown. */
void tg__lockorder_slow_at(struct tg_actor *a, const uintptr_t *slot, long empty);
/* -1 if key k, stored as want (k ^ salt), is in the cache of
 * 1 << (64 - shift) keys: one probe, usually one slot; else the empty
 * slot where the probe ended. */
static inline long tg__chain_find(const uint64_t *cache, uint64_t k, uint64_t want, unsigned shift)
{
    size_t mask = SIZE_MAX >> shift;
    for (size_t i = (size_t)(k >> shift);; i = (i + 1) & mask) {
        if (TG_LIKELY(cache[i] == want))
            return -1;
        if (cache[i] == 0)
            return (long)i;
    }
}
/* 1 if key k, stored as want, is in the cache (tg__chain_find). */
static inline int tg__chain_probe(const uint64_t *cache, uint64_t k, uint64_t want, unsigned shift)
{
    return tg__chain_find(cache, k, want, shift) < 0;
}
/* 1 if the actor has had chain key k validated: one probe of its own
 * set, usually one. */
static inline int tg__chain_cached(const struct tg_actor *a, uint64_t k)
{
    const uint64_t *cache = a->chain_cache;
    if (TG_UNLIKELY(cache == NULL))
        return 0;
    return tg__chain_probe(cache, k, k ^ a->chain_salt, 64 - a->chain_bits);
}
/* tg__lockorder_nested's rare cases: a task, whose hold record goes into
 * its held list first (tg__held_sync_hook), a thread without chain_shift
 * yet, or a hold below the newest of n > 2 without a chain key yet (out
 * of line: the inline part then calls nothing but in tail position, and
 * needs few registers). */
void tg__lockorder_deep(struct tg_actor *a, int n);
/* After a blocking acquisition (not a trylock) pushed top, the newest of
 * n >= 2 holds, a hold of addr in mode: what is left to do. A chain this
 * actor has had validated costs its key's last step and one probe of its
 * own set, and leaves nothing (TG_NEST_DONE, also when lock order is off);
 * a chain not validated yet, whose key top now has, leaves
 * tg__lockorder_slow_at(a, slot, left - TG_NEST_SLOW) (any left from
 * TG_NEST_SLOW on: the empty slot of the cache where the probe ended is
 * left - TG_NEST_SLOW); the rare cases leave tg__lockorder_deep(a, n)
 * (TG_NEST_DEEP). The caller makes the call, so that a hook can make it
 * in tail position (TG_FRAMELESS, preload.h).
 * relock 0: the caller made sure that the hold below is not of addr, so
 * the key of a relock (tg__chain_key) is not made. */
enum { TG_NEST_DONE, TG_NEST_DEEP, TG_NEST_SLOW };
/* tg__lockorder_nest's end, from c, the key of the hold below top. */
static inline __attribute__((always_inline)) int tg__nest_above(struct tg_actor *a,
                                                                struct tg_held *top, uint64_t c,
                                                                uintptr_t addr, unsigned mode,
                                                                int relock, unsigned shift)
{
    /* Both keys made, one chosen (see tg__chain_key): no branch. */
    uint64_t above = tg__chain_mix(c, addr, mode);
    c = !relock || top[-1].addr != addr ? above : c;
    top->chain = c;
    long empty = tg__chain_find(a->chain_cache, c, c ^ a->chain_salt, shift);
    if (TG_LIKELY(empty < 0))
        return TG_NEST_DONE;
    /* Lock order may have stopped since the shift was set (out of memory). */
    return tg__lockorder_on ? TG_NEST_SLOW + (int)empty : TG_NEST_DONE;
}
static inline __attribute__((always_inline)) int tg__lockorder_nest(struct tg_actor *a,
                                                                    struct tg_held *top, int n,
                                                                    uintptr_t addr, unsigned mode,
                                                                    int relock)
{
    /* A thread with a cache (chain_shift) in one test; a task, a thread
     * without a cache, or a new user of the record's takes the general
     * path (tg__lockorder_deep). */
    unsigned shift = a->chain_shift;
    if (TG_UNLIKELY(!shift))
        return tg__lockorder_on ? TG_NEST_DEEP : TG_NEST_DONE;
    /* The key of a lock taken alone: a step, cheaper to make again than
     * to keep (a hold's key stays 0 until a nesting needs it, and this
     * one is never read: the key is top's). Each case ends on its own,
     * so that the key's multiplier stays in its register. */
    if (TG_LIKELY(n == 2))
        return tg__nest_above(a, top, tg__chain_step(TG_CHAIN_SEED, top - 1), addr, mode, relock,
                              shift);
    uint64_t c = top[-1].chain;
    if (TG_UNLIKELY(!c))
        return TG_NEST_DEEP;
    return tg__nest_above(a, top, c, addr, mode, relock, shift);
}
/* The same, with what is left done. */
static inline __attribute__((always_inline)) void tg__lockorder_nested(struct tg_actor *a,
                                                                       struct tg_held *top, int n,
                                                                       uintptr_t addr, unsigned mode)
{
    int left = tg__lockorder_nest(a, top, n, addr, mode, 1);
    if (TG_UNLIKELY(left >= TG_NEST_SLOW))
        tg__lockorder_slow(a);
    else if (TG_UNLIKELY(left == TG_NEST_DEEP))
        tg__lockorder_deep(a, n);
}
/* The same after any blocking acquisition: nothing unless it nested. */
static inline __attribute__((always_inline)) void tg__lockorder_note(struct tg_actor *a)
{
    int n = a->n_held;
    if (TG_UNLIKELY(n >= 2))
        tg__lockorder_nested(a, &a->held[n - 1], n, a->held[n - 1].addr, a->held[n - 1].mode);
}
/* First nestings are handled later, not while the program's locks are
 * held: tg__lockorder_slow records each in the actor's queue (its holds,
 * their instances, the stack; no engine lock, nothing that grows), and the
 * queue is handled (edges, occurrences, cycle search, report) when the
 * actor holds nothing any more, when it is full, before any change of the
 * actor's happens-before clock, at its end, and by anyone who is about to
 * retire a lock instance (lockorder.c says why each is needed). */
void tg__lockorder_drain(struct tg_actor *a);
/* The same, and the actor's kept first nestings too: at the actor's end,
 * since its record (and clock) may serve another actor next. */
void tg__lockorder_end(struct tg_actor *a);
/* Handles every actor's queue (watchdog ticks, fork, the end of the run). */
void tg__lockorder_drain_all(void);
/* The actor holds nothing: its queued nestings are handled, except those
 * into a lock nothing was ever taken under (a lock that dies so makes no
 * cycle: its end drops them, lockorder.c), if the engine lock is free; else
 * at one of its next idle releases, or another occasion. */
void tg__lockorder_drain_idle(struct tg_actor *a);
/* After a release: the actor holds nothing, so its queue is handled now,
 * unless another thread is in the engine (then a little later: two
 * threads making new edges do not queue for the engine lock at each). */
static inline __attribute__((always_inline)) void tg__lockorder_idle(struct tg_actor *a)
{
    if (TG_UNLIKELY(a->lo_queued) && a->n_held == 0)
        tg__lockorder_drain_idle(a);
}
/* Lock instance `id` of entry r ends (was: its flags then): its lock-order
 * edges are retired. Called only for instances flagged TG_RF_IN_GRAPH,
 * while r is still at the instance's address, and before r's flags are
 * filled for another instance where it can be. Takes the engine lock
 * unless the instance was only the lock taken in first nestings the
 * calling actor alone still has queued. add: flags set on r last (a
 * destroy's TG_RF_DESTROYED, after which r may be claimed), or 0. */
void tg__lockorder_forget(struct tg_res *r, uint64_t id, uint32_t was, uint32_t add);
/* The memory [lo, hi) is freed: instances of the graph that lay in it are
 * retired as if destroyed. Costs two loads and no frame for a block in a
 * 2 MiB region that holds no lock of the graph (nor one sharing its
 * bucket), a few loads a grain unless a lock of the graph lies in it. */
void tg__lockorder_freed(uintptr_t lo, uintptr_t hi);
/* A pin lingering at addr (an entry claimed away from it) goes. */
void tg__lockorder_unpin(uintptr_t addr);
/* What counts at addr's granule for free(): pins and nodes there, and at
 * the granules far away that share its row (for tests: compare two reads). */
uint32_t tg__lockorder_pins_at(uintptr_t addr);
/* Instance nodes in the graph now, plus one for good once a queued first
 * nesting named a lock: free() looks no further while 0. */
extern _Atomic uint32_t tg__graph_instances;
/* Live edges of the lock-order graph (for tests: read it while no other
 * thread is in the engine). */
size_t tg__lockorder_edges(void);
/* Happens-before through creation, joins and semaphores, for the
 * lock-order filter. Each costs O(threads alive) (clock slots of joined
 * threads are reused, and those of detached ones once their creator may:
 * lockorder.c), takes no engine lock, and does nothing while lock order is
 * off. Only the actor itself calls them, except that a creator calls
 * tg__hb_fork for a child that has not started yet. */
void tg__hb_fork(struct tg_actor *parent, struct tg_actor *child);
void tg__hb_join(struct tg_actor *joiner, struct tg_actor *joined);
/* A post of semaphore r by a orders a's past before the wait it ends. */
void tg__hb_post(struct tg_actor *a, struct tg_res *r);
/* a's wait on semaphore r succeeded: it is ordered after r's posts. */
void tg__hb_wait(struct tg_actor *a, struct tg_res *r);
/* Frees a semaphore's clock (tg_res.hb) whose entry serves another kind. */
void tg__hb_clock_free(struct tg_vc *vc);

/* ---- waits ------------------------------------------------------------- */
/* Publish "a waits for w" (before reading anyone else's state). */
void tg__wait_begin(struct tg_actor *a, const struct tg_wait_desc *w);
/* Capture the waiter's stack (skipping tangle's frames) and run detection.
 * Returns TG_CHECK_CLEAR, TG_CHECK_DEADLOCK (a finding was reported; the
 * frontend then applies the on_deadlock policy) or TG_CHECK_HAZARD. */
enum { TG_CHECK_CLEAR = 0, TG_CHECK_DEADLOCK = 1, TG_CHECK_HAZARD = 2 };
int tg__wait_check(struct tg_actor *a);
void tg__wait_end(struct tg_actor *a);
/* Runs detection over every blocked actor (watchdog, schedulers with nothing
 * to run): reports each deadlocked set once. `stall_only` restricts it to the
 * case where no actor can progress at all. */
int tg__scan(int stall_only);

/* What every thread and task is doing (holds, waits and for how long, what
 * a running holder sleeps in), as a "threads" finding; NULL if none or out
 * of memory. For dump_signal; takes the engine lock. */
struct tg_finding *tg__snapshot_all(void);
/* dump_signal: installs its handler (which only raises a flag); the
 * watchdog calls tg__thread_dump_poll at each tick, which prints the dump on
 * stderr (or the log) when asked, without counting it as a report. */
void tg__thread_dump_install(void);
void tg__thread_dump_poll(void);

/* After TG_CHECK_DEADLOCK: apply on_deadlock (exit with exitcode, abort,
 * or return so that the caller blocks as the program would have). */
void tg__deadlock_policy(void);

/* ---- reports ------------------------------------------------------------ */
/* Hand a finding to the reporters (text on stderr, JSON file); takes
 * ownership. Identical findings (kind, hazard, sites) are counted, not
 * repeated. Returns 1 if it was new. */
int tg__report(struct tg_finding *f);
/* Build a hazard finding about actor a (its holds included), with the
 * current call stack as `where`. */
struct tg_finding *tg__hazard_new(enum tg_hazard h, struct tg_actor *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Describe r (serial, kind, symbol name, creation stack) into info. */
void tg__res_describe(const struct tg_res *r, struct tg_res_info *info);
/* Number of findings reported so far (for the exit status). */
unsigned long tg__reports_made(void);

/* ---- stacks ------------------------------------------------------------- */
/* Interned stacks: a small id for a captured call stack (0 = none). */
uint32_t tg__stack_capture(int skip);
int tg__stack_get(uint32_t id, const uintptr_t **pcs);
/* Interns given return addresses (takes the engine lock). */
uint32_t tg__stack_intern(const uintptr_t *pcs, int n);

#include "engine_inline.h"

#endif
