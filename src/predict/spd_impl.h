/* SPDX-License-Identifier: MIT */
/* spd_impl.h: the data the sync-preserving analysis keeps between passes.
 *
 * Pass one keeps, per thread, only the events that can constrain a
 * reordering ("stored events", 12 bytes each): acquires, forks, joins, the
 * start of a forked thread, and reads that observe another thread's write
 * (or a wake-up after another thread's notify). Releases, writes and
 * thread-local reads are not stored: an ideal is a prefix of stored events
 * per thread, and it implicitly includes everything between a stored event
 * and the next one. A release or a write is then required by asking for the
 * prefix up to the number of stored events its thread had when it happened.
 * Each stored event also keeps its position (line or event index), so a
 * report names lines without reading the trace again, except to fetch the
 * location text of the few events it shows.
 *
 * Stored events go to one stream per thread in a temporary file (spill.h),
 * so memory is bounded by threads, locks, variables and patterns, not by the
 * length of the trace. */
#ifndef TG_PREDICT_SPD_IMPL_H
#define TG_PREDICT_SPD_IMPL_H

#include "predict/spd.h"
#include "predict/spill.h"

#include <stddef.h>

#define TG__NEVER 0xffffffffu

enum {
    SEV_ACQ_X = 1,   /* obj = lock; x = per-lock acquire order; y = release count */
    SEV_ACQ_R,       /* the same, shared (read) mode */
    SEV_FORK,        /* obj = child thread */
    SEV_BEGIN,       /* obj = parent (or NONE); x = index of the fork in parent */
    SEV_JOIN,        /* obj = joined thread; x = its stored count when joined */
    SEV_XREAD        /* obj = writer thread; x = its stored count at the write */
};
#define SEV_KIND(e) ((e).ko >> 28)
#define SEV_OBJ(e) ((e).ko & 0x0fffffffu)
#define SEV_MAKE(k, o) (((uint32_t)(k) << 28) | ((uint32_t)(o) & 0x0fffffffu))
#define SEV_NONE 0x0fffffffu
#define TG__MAX_DENSE 0x0ffffff0u
#define TG__MAX_FRAMES_COPY 256

struct tg__sev {
    uint32_t ko, x, y;
    uint32_t hs;         /* blocking acquires and joins: held-set id + 1, or
                          * TG__HS_TOP for an acquire holding nothing; 0 for
                          * a trylock or a join holding nothing */
    uint64_t pos;        /* line (text) or event index (binary) */
    uint64_t off;        /* text: byte offset of the line, to fetch its location */
};
#define TG__HS_TOP 0xffffffffu
#define TG__SEV_Y_OFFSET 8 /* offsetof(struct tg__sev, y), for patching */
/* Records per block of a thread's stream: large for the first threads (few
 * system calls), small beyond, so thousands of threads cost little memory
 * (each stream keeps one block in memory, and so does each cursor). */
#define TG__SEV_PER_BLOCK 512
#define TG__SEV_PER_BLOCK_MANY 32
#define TG__MANY_THREADS 256

/* Held sets are whole until they hold TG__HSET_BUDGET entries in all;
 * past that, a nested acquire's held set is its thread's newest holds, at
 * most TG__HOLD_WINDOW of them (store.c says why). */
#define TG__HOLD_WINDOW 64
#define TG__HSET_BUDGET (16u << 20)

struct tg__held {
    uint32_t lock;
    uint32_t idx;        /* stored index of the acquire */
    uint32_t count;      /* re-entries */
    uint8_t mode;        /* TG_MODE_* */
    uint8_t notified;    /* a condition was notified while it was held (store.c) */
};

/* The latest critical section of a thread on a lock in which the thread
 * notified a condition: a join of that thread under the lock is ordered
 * after it (store.c says why). */
struct tg__announce {
    uint64_t key;        /* thread << 32 | lock; 0 for a free slot (thread 0 is + 1) */
    uint32_t count;      /* the thread's stored count at the section's release */
};

struct tg__thread {
    struct tg__stream ev; /* stored events */
    uint32_t n;           /* = ev.n */
    struct tg__held *held;
    uint32_t n_held, cap_held;
    int32_t hset;        /* held-set id of the current held locks, -1 if stale */
    uint8_t started, forked;
    uint32_t parent, fork_idx;
    uint32_t xr_writer[8], xr_count[8]; /* recent cross-thread reads, to skip repeats */
};

struct tg__lock {
    uint32_t seq;        /* acquires so far */
    uint32_t holder;     /* thread + 1 holding it exclusively, 0 if none */
    uint32_t readers;    /* threads holding it shared */
    uint8_t rw;          /* ever taken in read or write mode: an rwlock */
};

struct tg__cond {
    uint32_t *waiting;   /* threads waiting on the condition */
    uint32_t n, cap;
};

struct tg__var {
    uint32_t writer;     /* thread + 1 of the last write, 0 if none */
    uint32_t wcount;     /* writer's stored count at that write */
};

/* A held set: the locks (with mode) held when a nested acquire happened. */
struct tg__hset {
    uint32_t off, n;     /* into hset_locks */
    uint32_t hash;
};
struct tg__hlock {
    uint32_t lock;
    uint8_t mode;
};

/* An abstract component: nested acquires by one thread of one lock under
 * one held set. Its candidates are the thread's stored acquires carrying
 * its lock, mode and held set (hs), found by scanning the thread's stream. */
struct tg__comp {
    uint32_t thread, lock, hset;
    uint8_t mode;
    uint32_t want_ko;     /* a candidate's stored kind and object */
    uint32_t match;       /* and its hs tag */
    uint32_t n;           /* candidates seen */
    uint32_t first;       /* the first candidate's stored index (not for joins) */
};

/* A join made while holding locks (held set hset). */
struct tg__held_join {
    uint32_t thread, joined, hset;
};

/* The witness keeps, of thread `thread`, the events before its stored
 * event `count`. */
struct tg__cut {
    uint32_t thread, count;
};

struct tg__pattern_result {
    uint32_t *comps;     /* k components, in cycle order */
    uint32_t *heads;     /* k candidate indices (stored index in the thread) */
    struct tg__cut *cut; /* the witness, by thread id; threads not listed: none */
    uint32_t k, n_cut;
    uint64_t sig;        /* signature of the (thread, lock) pairs; one-thread: of the locks */
    unsigned long repeats; /* other patterns over the same pairs, also deadlocks or not checked;
                            * one-thread: other cycles over the same locks */
    uint32_t *more;      /* one-thread: those other cycles, k components each */
    uint32_t n_more;
};
/* One-thread inversions: at most this many reports (the shortest cycles
 * first), each showing at most this many of its other cycles as further
 * places (all are counted). */
#define TG__ONE_THREAD_REPORTS 32
#define TG__ONE_THREAD_PLACES 8

struct tg__spd {
    struct tg__spd_options opt;
    char err[256];
    struct tg__spill sp;

    struct tg__thread *th;
    uint32_t n_th, cap_th;
    uint32_t n_streams;  /* threads that have stored events */
    struct tg__lock *lk;
    uint32_t n_lk;       /* sized to the object id space */
    struct tg__var *var;
    uint32_t n_var;
    struct tg__cond *cond;
    uint32_t n_cond;
    struct tg_trace_reader *rd; /* for warnings during a pass */
    struct tg__closure *cl;     /* closure.c's work space */

    struct tg__hset *hsets;
    uint32_t n_hsets, cap_hsets;
    struct tg__hlock *hlocks;
    uint32_t n_hlocks, cap_hlocks;
    unsigned long hsets_windowed; /* held sets cut to the window */
    uint32_t *hset_slots, hset_mask;

    struct tg__comp *comps;
    uint32_t n_comps, cap_comps;
    struct tg__held_join *joins;
    uint32_t n_joins, cap_joins;
    struct tg__announce *ann;   /* open addressing, at most half full */
    uint32_t ann_mask, n_ann;
    uint32_t jbase;      /* lock id of "thread 0 runs" (joins.c); lock ids end at jbase + n_th */
    uint32_t *comp_slots, comp_mask;

    struct tg__pattern_result *found;
    uint32_t n_found, cap_found;
    struct tg__pattern_result *one; /* inversions seen within one thread (no cut) */
    uint32_t n_one, cap_one;

    struct tg__spd_stats st;
    uint64_t cur_pos, cur_off; /* position and offset of the event being stored */
    double progress_last;      /* when progress was last shown */
    int progress_shown;        /* a progress line needs clearing */
};

/* store.c */
int tg__spd_event(struct tg__spd *s, const struct tg_trace_event *ev);
/* Stored event k of thread t through cursor c; NULL on I/O error (s->err set). */
const struct tg__sev *tg__spd_ev(struct tg__spd *s, struct tg__cursor *c, uint32_t t, uint32_t k);
int tg__spd_grow(void **p, uint32_t *cap, uint32_t need, size_t size);
int64_t tg__spd_intern_hset(struct tg__spd *s, struct tg__hlock *h, uint32_t n);
struct tg__comp *tg__spd_comp(struct tg__spd *s, uint32_t tid, uint32_t lock, uint32_t hset,
                              uint8_t mode, uint32_t want_ko, uint32_t match);
/* joins.c: adds the components that let cycles run through joins. */
int tg__spd_join_components(struct tg__spd *s);
/* patterns.c: calls check(s, comps, k) for each abstract pattern; stops
 * early when check returns < 0. Returns 0, or -1 on out-of-memory. */
int tg__spd_patterns(struct tg__spd *s, int (*check)(struct tg__spd *, const uint32_t *, uint32_t));
/* The same, for cycles among the components of one thread (no joins). */
int tg__spd_one_thread_patterns(struct tg__spd *s,
                                int (*check)(struct tg__spd *, const uint32_t *, uint32_t));
#define TG__ONE_THREAD_STEPS_DIV 100 /* its share of the search's step budget */
/* one_thread.c: finds the one-thread inversions not promoted to a found
 * deadlock, into s->one. Returns 0, or -1 (s->err set). */
int tg__spd_one_thread(struct tg__spd *s);
/* closure.c */
int tg__spd_check_pattern(struct tg__spd *s, const uint32_t *comps, uint32_t k);
void tg__spd_closure_free(struct tg__closure *cl);

#endif
