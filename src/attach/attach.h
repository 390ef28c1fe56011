/* SPDX-License-Identifier: MIT */
/* attach.h: reading a process that was not started under tangle, or its core
 * dump, and explaining what each of its threads waits for.
 *
 * The flow: a target (a live process stopped by ptrace, or a core file)
 * gives every thread's registers and a way to read memory; the unwinder
 * (elfutils' libdwfl, with our own thread callbacks) turns those into raw
 * stacks while the process is stopped; the process is released; then the
 * analysis reads glibc's owner fields from the memory it copied and builds
 * the findings that `tangle run` would print (core/finding.h). */
#ifndef TG_ATTACH_ATTACH_H
#define TG_ATTACH_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "core/finding.h"

#define TG__ATTACH_MAX_FRAMES 48
#define TG__ATTACH_SAVED_FRAMES 6 /* frames whose callee-saved registers are kept */
#define TG__ATTACH_SAVED_REGS 6   /* x86_64: rbx rbp r12 r13 r14 r15 */

/* Exit statuses of `tangle attach` and `tangle core` (docs/attach.md). */
enum {
    TG_ATTACH_EXIT_NONE = 0,
    TG_ATTACH_EXIT_USAGE = 2,
    TG_ATTACH_EXIT_REFUSED = 3,    /* ptrace refused: permission, Yama, already traced */
    TG_ATTACH_EXIT_UNREADABLE = 4, /* exited while read, bad core file, unsupported target */
    TG_ATTACH_EXIT_DEADLOCK = 66
};

/* glibc's bits in an rwlock's __readers word (and its futex words). */
#define TG__RW_WRPHASE 1u     /* a writer holds it */
#define TG__RW_WRLOCKED 2u    /* a writer holds it, or is queued first in a read phase */
#define TG__RW_RWAITING 4u    /* readers wait on __readers itself (writer-preferring) */
#define TG__RW_READER_SHIFT 3 /* above: the number of readers */
#define TG__RW_FUTEX_USED 0x80000000u

/* The registers the analysis needs, architecture-neutral. */
struct tg__regs {
    uint64_t pc, sp;
    long syscall;          /* -1: not in a system call */
    long ret;              /* the syscall's return register (-ERESTART*: interrupted) */
    uint64_t arg[6];
};

/* What a thread is blocked in, worked out while the target is stopped. */
enum tg__wait_kind {
    TG_W_RUNNING,          /* not in a system call */
    TG_W_SYSCALL,          /* in some other system call */
    TG_W_MUTEX, TG_W_RWLOCK, TG_W_JOIN, TG_W_COND, TG_W_SEM, TG_W_BARRIER,
    TG_W_FUTEX,            /* a futex wait of no known primitive */
    TG_W_IO,               /* poll, read, accept, epoll, ... */
    TG_W_SLEEP             /* nanosleep, pause */
};

struct tg__wait_info {
    enum tg__wait_kind kind;
    int timed;
    int write;             /* rwlock: waits to write */
    uintptr_t obj;         /* the primitive's address (or the futex word's) */
    long owner;            /* TID that holds it (join: the joined thread), 0 unknown */
    int count;             /* recursive mutex: depth; rwlock: readers */
    int mutex_kind;        /* glibc's __kind, -1 unknown */
    int rw_flags;          /* rwlock: glibc's __flags, -1 unknown */
    unsigned rw_state;     /* rwlock: glibc's __readers word (phase bits, reader count) */
    int api_frame;         /* index of the libc entry point in pcs, -1 none */
    int shared;            /* a process-shared futex: others may wake it */
    long elsewhere;        /* the owner is a thread of that other process (-1: unknown which) */
    int parked;            /* glibc parked the thread for good after the kernel
                              found a priority-inheritance deadlock (EDEADLK) */
    const char *syscall;   /* name of the system call (static), or NULL */
    int holds_self;        /* the engine's records show the waiter holds it itself */
};

struct tg__tthread {
    long tid;
    char name[32];
    int stop_sig;          /* a signal caught while stopping it, re-sent on detach */
    int seized;            /* traced by us */
    int internal;          /* tangle's own thread (under tangle run): not shown */
    int stopped;           /* and its stop was collected */
    void *raw_regs;        /* architecture's user_regs_struct, for the unwinder */
    struct tg__regs regs;
    struct tg__wait_info wait;
    int n_pcs;
    uintptr_t pcs[TG__ATTACH_MAX_FRAMES];
    uint64_t last_sp;      /* stack pointer of the last frame unwound */
    /* unwinding resumed at a return address found by scanning the stack
     * (scan_sp 0: it was not), for frames scan_from and up */
    uint64_t scan_pc, scan_sp;
    int scan_from;
    /* callee-saved registers as each of the innermost frames sees them
     * (0 when unknown): where a pointer argument may still live */
    uint64_t saved[TG__ATTACH_SAVED_FRAMES][TG__ATTACH_SAVED_REGS];
};

/* A lock held, from the engine's records (records.c). */
#define TG__ATTACH_HOLD_FRAMES 16
enum { TG_REC_EXCL, TG_REC_READ, TG_REC_WRITE };
struct tg__thold {
    uintptr_t addr;
    const char *kind;      /* "mutex", "rwlock", ... (static) */
    int mode;              /* TG_REC_* */
    int n_pcs;             /* where it was acquired, innermost return address first */
    uintptr_t pcs[TG__ATTACH_HOLD_FRAMES];
};

/* One thread the engine knows (alive, or exited while holding locks). */
struct tg__record {
    long tid;
    int exited;
    int internal;          /* one of tangle's own threads */
    uintptr_t running;     /* a scheduler thread: the actor of the task it runs, 0 none */
    int n_holds;
    struct tg__thold *holds;
};

/* One task of tangle's task runtime, from the engine's records. */
struct tg__rtask {
    uint64_t id;           /* the engine's actor id */
    char name[32];
    long host;             /* tid of the thread it last ran on, 0 if none */
    uintptr_t actor;       /* its record's address in the target */
    int on_host;           /* it is the task its host thread runs now: when that
                              thread is blocked (say in pthread_mutex_lock), the
                              task is what waits */
    int waiting;           /* parked in a wait */
    const char *wait_kind; /* "mutex", "channel", ...; "task" for a join (static) */
    uintptr_t wait_obj;
    int wait_mode;         /* TG_REC_* */
    int timed;
    uint64_t target;       /* a join: the actor id it waits for */
    int n_pcs;             /* where it waits */
    uintptr_t pcs[TG__ATTACH_HOLD_FRAMES];
    int n_holds;
    struct tg__thold *holds;
};

struct tg__target {
    long pid;
    int is_core;
    char exe[4096];        /* executable path, as best known */
    char procname[32];     /* a core's process name */
    int bits;              /* 64 or 32 */
    int no_debuginfo;      /* do not look for separate debug info */
    int n_threads, cap_threads;
    struct tg__tthread *threads;
    /* live: /proc/PID/mem; core: the core file and its PT_LOAD segments */
    int mem_fd;
    void *core_elf;        /* Elf * of the core */
    char core_packer[8];   /* the core was decompressed with this tool ("zstd"), or "" */
    int n_segs;
    struct tg__coreseg { uintptr_t vaddr; size_t filesz; long offset; } *segs;
    void *dwfl;            /* Dwfl * with every module of the target */
    void *name_cache;      /* function names by address (unwind.c) */
    /* page cache for the unwinder and the glibc reader */
    uintptr_t cache_page[64];
    unsigned char *cache_data;
    int cache_valid[64];
    double stopped_ms;     /* how long the live target was stopped */
    int unstopped;         /* threads that did not stop (not shown) */
    int scanned;           /* stacks continued by scanning (unwind.c) */
    double total_ms;
    /* the engine's records, when the target runs under tangle (records.c) */
    int records;           /* they were found and read */
    char records_note[256];/* why they were found but not used */
    int n_recs;
    struct tg__record *recs; /* sorted by tid */
    int n_tasks;
    struct tg__rtask *tasks; /* tasks alive, in registry order */
    char error[512];       /* why something failed, a sentence for the user */
    int error_status;      /* exit status for that failure */
};

/* Reads n bytes at addr of the target: 0 or -1 (unmapped, not in the core). */
int tg__target_read(struct tg__target *t, uintptr_t addr, void *buf, size_t n);

/* Index of the thread with that TID in t->threads (sorted by TID), or -1. */
int tg__thread_index(const struct tg__target *t, long tid);
/* x86-64: th takes ownership of r (a malloc'd struct user_regs_struct) and
 * reads its pc, stack pointer, syscall number, result and arguments. */
void tg__thread_set_regs(struct tg__tthread *th, void *r);

/* Stops every thread of pid (ptrace seize + interrupt), reads registers.
 * On failure returns -1 with t->error/t->error_status set and nothing left
 * stopped. */
int tg__ptrace_stop(struct tg__target *t, long pid);
/* Detaches every thread, re-sending any signal caught while stopping. */
void tg__ptrace_release(struct tg__target *t);

/* Opens a core file and its executable (NULL: from the core's notes). */
int tg__core_open(struct tg__target *t, const char *core, const char *exe);

/* libdwfl: reads the modules of a live process and loads their symbols
 * and unwind tables before it is stopped, so the stop is short. */
int tg__unwind_prepare(struct tg__target *t, long pid);
/* Reports modules (unless prepared) and unwinds every thread. */
int tg__unwind_all(struct tg__target *t);
/* Module, function, file and line of every raw frame of s, with the
 * functions inlined at each pc as frames of their own. first_is_pc: the
 * first frame is where the thread is, not a return address. */
void tg__symbolize(struct tg__target *t, struct tg_stack *s, int first_is_pc);
/* Function name at pc (for frames: pass the return address), or NULL. Static. */
const char *tg__function_at(struct tg__target *t, uintptr_t pc, int activation);
/* A data symbol covering addr: "name" or "name+off" (malloc'd) or NULL. */
char *tg__data_name(struct tg__target *t, uintptr_t addr);
/* The module (Dwfl_Module *) holding libc.so (glibc's or musl's), or NULL
 * when there is none. */
void *tg__libc_module(struct tg__target *t);
/* The module (Dwfl_Module *) holding addr, or NULL. */
void *tg__module_at(struct tg__target *t, uintptr_t addr);

/* Reads the engine's records from a target that runs under tangle (while
 * it is stopped); leaves t->records 0 when there are none. */
void tg__records_read(struct tg__target *t);
/* The record of the thread with that tid, or NULL. */
const struct tg__record *tg__record_of(const struct tg__target *t, long tid);
void tg__records_free(struct tg__target *t);
/* Tasks of the records (tasks.c). The task task k waits for (a parked
 * wait for a task lock held by another task, or a join), or -1. */
int tg__task_waits_for(const struct tg__target *t, int k);
/* Task k as actor a of a finding, with id base + k + 1; holder is the id of
 * the actor it waits for (0: none). A task running on a blocked host is
 * given that thread's wait by the caller. -1 on out-of-memory. */
int tg__task_fill(struct tg__target *t, struct tg_actor_info *a, int k, uint64_t base, uint64_t holder);
/* The parked tasks not listed yet (listed[k] == 0), grouped by what they
 * wait for and where, appended to *fs (n, cap) as "threads" findings.
 * -1 on out-of-memory. */
int tg__task_groups(struct tg__target *t, struct tg_finding ***fs, int *n, int *cap, uint64_t base,
                    const char *listed);

/* glibc layouts (glibc.c). */
struct tg__glibc {
    int known;             /* offsets can be used */
    int checked;           /* verified at run time against tangle's own glibc */
    char version[32];
    char why[256];         /* when !known: why owners cannot be read */
    int mutex_owner, mutex_kind, mutex_count;
    int rw_readers, rw_wrphase_futex, rw_writers_futex, rw_cur_writer, rw_flags, rw_size;
    int cond_g_signals, cond_wrefs;
    int pthread_tid;
    int barrier_round, barrier_count;
};
void tg__glibc_layout(struct tg__target *t, struct tg__glibc *g);

/* Works out every thread's wait from its registers, stack and glibc's
 * fields (wait.c); runs while the target is stopped. */
void tg__attach_classify(struct tg__target *t, const struct tg__glibc *g);
/* Builds the findings from the classified threads (graph.c); returns their
 * number and sets *out to a malloc'd array of them; -1 on out-of-memory. */
int tg__attach_findings(struct tg__target *t, const struct tg__glibc *g, struct tg_finding ***out);

void tg__unwind_free(struct tg__target *t);
void tg__target_free(struct tg__target *t);
double tg__now_ms(void);

#endif
