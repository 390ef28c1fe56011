/* SPDX-License-Identifier: MIT */
/* finding.h: the one struct that describes every report tangle makes.
 *
 * Frontends and detectors build findings; reporters (src/report/) only read
 * them. A finding owns all of its memory (tg__finding_free releases it), so it
 * stays valid after the engine state it was taken from has changed.
 *
 * A frame is either raw (a return address, symbolized later by
 * tg__symbolize_findings) or already symbolic (a trace reader knows only a
 * location string such as "Foo.java:12"). */
#ifndef TG_CORE_FINDING_H
#define TG_CORE_FINDING_H

#include <stddef.h>
#include <stdint.h>

enum tg_finding_kind {
    TG_FINDING_DEADLOCK,           /* happened: actors blocked for good */
    TG_FINDING_POTENTIAL_DEADLOCK, /* predicted from lock order or a trace */
    TG_FINDING_HAZARD,             /* see tg_hazard */
    TG_FINDING_THREADS             /* not a problem: what a group of threads is doing
                                      (tangle attach/core when no deadlock explains them) */
};

/* Hazard sub-kinds. Their names (tg__hazard_name) are part of the JSON
 * schema in docs/report-schema.md; append, never renumber. */
enum tg_hazard {
    TG_HAZARD_NONE = 0,
    TG_HAZARD_TIMED_CYCLE,          /* a wait-for cycle closed only through timed waits */
    TG_HAZARD_EXIT_HOLDING_LOCK,    /* an actor ended while holding locks */
    TG_HAZARD_RELOCK_ERRORCHECK,    /* relock of an errorcheck mutex (EDEADLK) */
    TG_HAZARD_RWLOCK_RELOCK,        /* wrlock/rdlock by the thread holding the write lock */
    TG_HAZARD_UNLOCK_NOT_HELD,      /* unlock of a lock the caller does not hold */
    TG_HAZARD_DESTROY_HELD,         /* destroy of a held lock or one with waiters */
    TG_HAZARD_USE_AFTER_DESTROY,
    TG_HAZARD_COND_MUTEX_NOT_HELD,
    TG_HAZARD_COND_MUTEX_MISMATCH,
    TG_HAZARD_SEM_MISUSE,
    TG_HAZARD_BARRIER_MISUSE,
    TG_HAZARD_LOCK_HELD_TOO_LONG,
    TG_HAZARD_RECURSIVE_READ,       /* re-read of a writer-preferring rwlock */
    TG_HAZARD_TABLE_FULL,           /* tangle lost track of something */
    TG_HAZARD_HOLD_ACROSS_SWITCH,   /* a task yielded holding a thread-level lock */
    TG_HAZARD_LONG_RUNNING_TASK,
    TG_HAZARD_FREED_WHILE_HELD,
    TG_HAZARD_INVERSION_ONE_THREAD, /* a lock-order cycle shown by one thread only */
    TG_HAZARD_LONG_WAIT,            /* a wait longer than long_wait_ms (off by default) */
    TG_HAZARD__COUNT
};

struct tg_frame {
    uintptr_t pc;          /* return address, 0 if unknown */
    const char *module;    /* owned; NULL until symbolized */
    uintptr_t offset;      /* pc relative to the module's load bias */
    const char *function;  /* owned; NULL if unknown */
    const char *file;      /* owned; NULL if unknown */
    int line;              /* 0 if unknown */
    int inlined;           /* inlined into the next frame (same pc) */
    int system;            /* the C library's code though its module does not say so
                              (a statically linked libc): reports name the caller */
};

struct tg_stack {
    int n;
    struct tg_frame *frames; /* owned */
};

/* A resource as it was when the finding was made. */
struct tg_res_info {
    uint64_t id;           /* tangle's serial number for the instance */
    uintptr_t addr;
    const char *kind;      /* "mutex", "rwlock", "semaphore", ... (static) */
    const char *detail;    /* owned or NULL: "errorcheck", "writer-preferring", ... */
    const char *name;      /* owned or NULL: a symbol naming the object, a trace label */
    struct tg_stack created; /* where it was initialised or first seen; may be empty */
};

struct tg_hold {
    struct tg_res_info res;
    const char *mode;      /* "exclusive", "read", "write" (static) */
    int count;             /* recursion depth */
    struct tg_stack acquired;
};

/* One alternative of a wait that any of several can end (a select). */
struct tg_wait_alt_info {
    struct tg_res_info res; /* for a join: kind "task" or "thread", the id and name */
    const char *mode;      /* as in tg_hold (static) */
    uint64_t holder;       /* actor id of the one it waits for, 0 if none */
};

struct tg_wait {
    int present;           /* 0: the actor is not waiting */
    struct tg_res_info res;
    const char *mode;      /* as in tg_hold (static) */
    int timed;
    uint64_t holder;       /* actor id of the one it waits for in the cycle, 0 if none */
    struct tg_stack stack; /* where it waits */
    int n_any;             /* > 0: it waits for any one of these (res above is any[0]) */
    struct tg_wait_alt_info *any; /* owned */
    char *note;            /* owned or NULL: the frontend's words on the wait (a task
                              channel's direction and fill, a wait group's count) */
    long waited_ms;        /* > 0: how long it had waited when the finding was made */
};

struct tg_actor_info {
    uint64_t id;
    long tid;              /* OS thread id (for a task, its current host's), 0 if none */
    const char *kind;      /* "thread" or "task" (static) */
    const char *name;      /* owned or NULL */
    const char *state;     /* "blocked", "running", "in-syscall", "exited" (static) */
    char *syscall;         /* owned or NULL: for "in-syscall", the system call it sleeps in */
    struct tg_wait wait;
    int n_holds;
    struct tg_hold *holds; /* owned */
    struct tg_stack created; /* where it was spawned; may be empty */
};

/* One place a bug showed: for each thread of the cycle, in cycle order,
 * which thread, the lock it waits for, where it took the lock it holds and
 * where it waits for the next (the innermost few frames of each). */
struct tg_place_step {
    uint64_t actor;
    char *actor_name;      /* owned or NULL */
    uint64_t lock;         /* the lock waited for: id and name (owned or NULL) */
    char *lock_name;
    struct tg_stack acquired;
    struct tg_stack waits;
};
struct tg_place {
    int n;
    struct tg_place_step *steps; /* owned */
};

struct tg_finding {
    enum tg_finding_kind kind;
    enum tg_hazard hazard;
    char *summary;         /* owned: one sentence */
    char *advice;          /* owned or NULL: what to do about it */
    int n_actors;
    struct tg_actor_info *actors; /* owned; for a cycle, in cycle order */
    struct tg_stack where; /* for a hazard: the call that raised it; may be empty */
    unsigned long repeats; /* how many more times the same finding was seen */
    unsigned long id;      /* 1, 2, ... in the order reported; 0 until reported */
    unsigned long predicted_by; /* a deadlock: the id of the potential deadlock, reported
                                   before, over the same locks; 0 if none */
    int cycle_length;      /* the first cycle_length actors form a cycle, each waiting
                              for the next (the last for the first); 0: no cycle */
    /* One bug, one report (src/report/bug.c). A deadlock that was predicted
     * points at that prediction (not owned: it stays in the list of findings,
     * with merged_into set to the deadlock's id, and documents render it inside
     * the deadlock). A potential deadlock seen again over the same kinds of
     * locks at other call sites keeps those sites as further places. */
    const struct tg_finding *prediction;
    unsigned long merged_into;
    int n_places;
    struct tg_place *places; /* owned: other places than the actors' own sites */
};

const char *tg__finding_kind_name(enum tg_finding_kind k);
const char *tg__hazard_name(enum tg_hazard h);

/* Allocation helpers; all return NULL on out-of-memory and never abort. */
struct tg_finding *tg__finding_new(enum tg_finding_kind kind, enum tg_hazard hazard);
/* A new inversion-one-thread hazard over n locks, with its summary and
 * advice: the live lock-order graph and `tangle predict` word it alike. */
struct tg_finding *tg__finding_new_one_thread(int n);
struct tg_actor_info *tg__finding_add_actor(struct tg_finding *f);
struct tg_hold *tg__actor_info_add_hold(struct tg_actor_info *a);
/* A place with `steps` zeroed steps, appended to f->places. */
struct tg_place *tg__finding_add_place(struct tg_finding *f, int steps);
/* dst = the innermost max frames of src, strings copied. */
int tg__stack_copy(struct tg_stack *dst, const struct tg_stack *src, int max);
int tg__stack_from_pcs(struct tg_stack *s, const uintptr_t *pcs, int n);
int tg__stack_symbolic(struct tg_stack *s, const char *function, const char *file, int line);
char *tg__strdup(const char *s);
char *tg__sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tg__finding_free(struct tg_finding *f);

#endif
