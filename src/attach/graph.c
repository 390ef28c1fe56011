/* SPDX-License-Identifier: MIT */
/* graph.c: the wait-for graph of a stopped process, and its findings.
 *
 * Each blocked thread waits for at most one other: the owner TID of the
 * mutex, the writer of the rwlock, the thread it joins. So the graph is a
 * set of chains, and a chain either ends (at a running thread, a wait with
 * no known owner) or closes a cycle. Under tangle run the tasks of the
 * task runtime are nodes too (nodes n_threads and up): a parked task waits
 * for the task that holds its task lock or that it joins; a thread waits
 * for the task the records show holding its pthread lock (glibc names the
 * task's scheduler thread); and a task that called a blocking pthread
 * function blocks its thread, so it waits for what that thread waits for
 * and stands for it in the report. Findings, in the engine's struct:
 *  - every cycle (a thread waiting for a mutex it owns is a cycle of one);
 *    with a timed wait in it, a timed-cycle hazard instead;
 *  - waits for a lock whose owner TID is not a live thread: that thread
 *    exited without releasing it;
 *  - a whole-process stall: every thread in an untimed wait on something
 *    only another thread of the process could end;
 *  - then every other thread, grouped by identical stack and wait, as
 *    "threads" reports (one per group, with how many more are like it).
 * Threads whose chain leads into a cycle or a dead owner are listed after
 * it ("also blocked for good because of it"). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/attach.h"

#define NONE (-1)
#define EXITED (-2)

struct graph {
    struct tg__target *t;
    const struct tg__glibc *g;
    int n;          /* nodes: the threads, then the tasks of the records */
    int *next;      /* node node i waits for, NONE or EXITED */
    int *finding;   /* finding that lists node i, or -1 */
    int *blocks;    /* thread i: the task (node) running on it that it blocks for, or -1 */
    char *reread;   /* thread i waits behind a queued writer of a writer-preferring
                       rwlock (1), or is that writer (2): next[i] is not a holder */
    uintptr_t *objs;/* resource ids: index + 1 */
    int n_objs, cap_objs;
    void *libc;     /* the C library's module, once looked up (libc_known) */
    int libc_known;
    struct tg_finding **fs;
    int n_fs, cap_fs;
    int failed;
};

/* The process a thread id belongs to when it is not the target's (a
 * process-shared lock held in another process), or 0. A core cannot be
 * asked: there, a process-shared mutex (glibc's kind bit 128) is taken to be
 * held elsewhere rather than by an exited thread. */
static long other_process(const struct tg__target *t, const struct tg__wait_info *w)
{
    if (t->is_core)
        return w->kind == TG_W_MUTEX && w->mutex_kind >= 0 && (w->mutex_kind & 128) ? -1 : 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/status", w->owner);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *tg = strstr(buf, "\nTgid:");
    long tgid = tg ? strtol(tg + 6, NULL, 10) : 0;
    return tgid > 0 && tgid != t->pid ? tgid : 0;
}

static uint64_t res_id(struct graph *gr, uintptr_t obj)
{
    for (int i = 0; i < gr->n_objs; i++)
        if (gr->objs[i] == obj)
            return (uint64_t)i + 1;
    if (gr->n_objs == gr->cap_objs) {
        int cap = gr->cap_objs ? gr->cap_objs * 2 : 16;
        uintptr_t *p = realloc(gr->objs, (size_t)cap * sizeof *p);
        if (!p) {
            gr->failed = 1;
            return 0;
        }
        gr->objs = p;
        gr->cap_objs = cap;
    }
    gr->objs[gr->n_objs++] = obj;
    return (uint64_t)gr->n_objs;
}

static int owner_edge(const struct tg__wait_info *w)
{
    return (w->kind == TG_W_MUTEX || w->kind == TG_W_RWLOCK || w->kind == TG_W_JOIN) && w->owner > 0;
}

/* Blocked on something only another thread of the process can end (a
 * process-shared primitive can be ended from outside). */
static int untimed_internal(const struct tg__wait_info *w)
{
    return !w->timed && !w->shared && !w->elsewhere && w->kind >= TG_W_MUTEX && w->kind <= TG_W_FUTEX;
}

static const char *mutex_detail(int kind)
{
    static const char *const base[4] = {"normal", "recursive", "errorcheck", "adaptive"};
    static char buf[4][64];
    static int slot;
    if (kind < 0)
        return NULL;
    char *b = buf[slot++ & 3];
    snprintf(b, 64, "%s%s%s%s", base[kind & 3], kind & 16 ? ", robust" : "",
             kind & 32 ? ", priority-inheritance" : "", kind & 64 ? ", priority-protect" : "");
    return b;
}

static const char *kind_name(enum tg__wait_kind k)
{
    switch (k) {
    case TG_W_MUTEX: return "mutex";
    case TG_W_RWLOCK: return "rwlock";
    case TG_W_JOIN: return "thread";
    case TG_W_COND: return "condition";
    case TG_W_SEM: return "semaphore";
    case TG_W_BARRIER: return "barrier";
    case TG_W_FUTEX: return "futex";
    default: return NULL;
    }
}

static const char *thread_name(const struct tg__tthread *th)
{
    return th->name[0] ? th->name : NULL;
}

/* The resource a thread waits on, as the reporters show it. */
static void fill_res(struct graph *gr, struct tg_res_info *r, const struct tg__tthread *th)
{
    const struct tg__wait_info *w = &th->wait;
    if (w->kind == TG_W_JOIN) {
        int j = tg__thread_index(gr->t, w->owner);
        r->kind = "thread";
        r->id = j >= 0 ? (uint64_t)j + 1 : 0;
        r->addr = w->obj;
        r->name = j >= 0 ? tg__strdup(thread_name(&gr->t->threads[j])) : NULL;
        return;
    }
    r->kind = kind_name(w->kind);
    if (r->kind) {
        r->addr = w->obj;
        r->id = w->obj ? res_id(gr, w->obj) : 0;
        r->name = w->obj ? tg__data_name(gr->t, w->obj) : NULL;
    }
    if (w->kind == TG_W_MUTEX && w->elsewhere) {
        r->detail = w->elsewhere > 0
                        ? tg__sprintf("%s; held by thread %ld of another process, %ld",
                                      mutex_detail(w->mutex_kind), w->owner, w->elsewhere)
                        : tg__sprintf("%s; held by thread %ld, not a thread of this process",
                                      mutex_detail(w->mutex_kind), w->owner);
    } else if (w->kind == TG_W_MUTEX) {
        r->detail = tg__strdup(mutex_detail(w->mutex_kind));
    } else if (w->kind == TG_W_RWLOCK && gr->g->known) {
        const char *pref = w->rw_flags == 2 ? "writer-preferring" : w->rw_flags == 1 ? "writer-preferring, recursive readers" : NULL;
        if (!w->owner && w->count > 0)
            r->detail = tg__sprintf("%s%sheld for reading by %d thread%s, which glibc only counts: "
                                    "they cannot be named from outside",
                                    pref ? pref : "", pref ? "; " : "", w->count, w->count == 1 ? "" : "s");
        else
            r->detail = tg__strdup(pref);
    } else if (w->kind == TG_W_BARRIER && w->count > 0) {
        r->detail = tg__sprintf("for %d threads", w->count);
    } else if (w->kind == TG_W_IO || w->kind == TG_W_SLEEP) {
        r->kind = w->syscall;
        if (w->kind == TG_W_IO && strcmp(w->syscall, "poll") && strcmp(w->syscall, "ppoll") &&
            strcmp(w->syscall, "select") && strcmp(w->syscall, "pselect6") &&
            strcmp(w->syscall, "wait4") && strcmp(w->syscall, "waitid"))
            r->detail = tg__sprintf("file descriptor %d", (int)th->regs.arg[0]);
    } else if (w->kind == TG_W_SYSCALL) {
        r->kind = "system call";
        r->detail = tg__sprintf("number %ld", th->regs.syscall);
    }
}

/* Under tangle run, libtangle's frames sit between the program and libc:
 * they are tangle's, not the program's, and are dropped. */
static void drop_tangle_frames(struct tg_stack *s)
{
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        struct tg_frame *fr = &s->frames[i];
        const char *base = fr->module ? strrchr(fr->module, '/') : NULL;
        base = base ? base + 1 : fr->module;
        if (i > 0 && base && !strncmp(base, "libtangle", 9)) {
            free((char *)fr->module);
            free((char *)fr->function);
            free((char *)fr->file);
            continue;
        }
        s->frames[k++] = *fr;
    }
    s->n = k;
}

static void fill_stack(struct graph *gr, struct tg_stack *s, const struct tg__tthread *th, int from)
{
    if (from < 0 || from >= th->n_pcs)
        from = 0;
    if (tg__stack_from_pcs(s, th->pcs + from, th->n_pcs - from) != 0) {
        gr->failed = 1;
        return;
    }
    tg__symbolize(gr->t, s, from == 0);
    if (gr->t->records)
        drop_tangle_frames(s);
    /* The stack starts at the C library's entry point (pthread_mutex_lock,
     * ...): in a statically linked program nothing else says it is not the
     * program's own code, and the one-line mentions must name its caller.
     * Nor does a module name say it of musl's (ld-musl-x86_64.so.1 in a
     * core): frames in the C library's module are marked too. */
    if (!gr->libc_known) {
        gr->libc = tg__libc_module(gr->t);
        gr->libc_known = 1;
    }
    for (int k = 0; k < s->n; k++)
        s->frames[k].system |= (th->wait.api_frame >= 0 && s->frames[k].pc == th->pcs[from]) ||
                               (gr->libc && s->frames[k].pc &&
                                tg__module_at(gr->t, s->frames[k].pc - (k > 0)) == gr->libc);
}

/* Locks a thread holds, from the engine's records: every one, in its mode,
 * with where it was acquired. 0 when there is no record of tid. */
static int record_holds(struct graph *gr, struct tg_actor_info *a, long tid)
{
    struct tg__target *t = gr->t;
    const struct tg__record *r = t->records ? tg__record_of(t, tid) : NULL;
    if (!r)
        return 0;
    for (int k = 0; k < r->n_holds; k++) {
        const struct tg__thold *o = &r->holds[k];
        int dup = 0;
        for (int j = 0; j < a->n_holds && !dup; j++)
            if (a->holds[j].res.addr == o->addr) {
                a->holds[j].count++;
                dup = 1;
            }
        if (dup)
            continue;
        struct tg_hold *h = tg__actor_info_add_hold(a);
        if (!h) {
            gr->failed = 1;
            return 1;
        }
        /* Described as a waiter on it describes it, when there is one. */
        int waiter = -1;
        for (int i = 0; i < t->n_threads && waiter < 0; i++)
            if (t->threads[i].wait.obj == o->addr &&
                (t->threads[i].wait.kind == TG_W_MUTEX || t->threads[i].wait.kind == TG_W_RWLOCK))
                waiter = i;
        if (waiter >= 0) {
            fill_res(gr, &h->res, &t->threads[waiter]);
        } else {
            h->res.kind = o->kind;
            h->res.addr = o->addr;
            h->res.id = res_id(gr, o->addr);
            h->res.name = tg__data_name(t, o->addr);
        }
        h->mode = o->mode == TG_REC_READ ? "read" : o->mode == TG_REC_WRITE ? "write" : "exclusive";
        h->count = 1;
        if (o->n_pcs > 0) {
            if (tg__stack_from_pcs(&h->acquired, o->pcs, o->n_pcs) != 0) {
                gr->failed = 1;
                return 1;
            }
            tg__symbolize(t, &h->acquired, 0);
        }
    }
    return 1;
}

/* The thread the engine's records show holding obj (for a writer's wait:
 * a reader), preferring another thread over the waiter itself; 0 if none. */
static long record_holder(const struct tg__target *t, uintptr_t obj, long self, int *self_holds)
{
    long found = 0;
    *self_holds = 0;
    for (int i = 0; i < t->n_recs; i++)
        for (int k = 0; k < t->recs[i].n_holds; k++) {
            if (t->recs[i].holds[k].addr != obj)
                continue;
            if (t->recs[i].tid == self && !t->recs[i].exited)
                *self_holds = 1;
            else if (!found)
                found = t->recs[i].tid;
        }
    return found ? found : *self_holds ? self : 0;
}

/* Locks thread j holds, as far as the waits of others show them (or, under
 * tangle, as its records say). */
static void fill_holds(struct graph *gr, struct tg_actor_info *a, long tid)
{
    struct tg__target *t = gr->t;
    if (record_holds(gr, a, tid))
        return;
    for (int i = 0; i < t->n_threads; i++) {
        const struct tg__wait_info *w = &t->threads[i].wait;
        if (w->owner != tid || (w->kind != TG_W_MUTEX && w->kind != TG_W_RWLOCK))
            continue;
        int dup = 0;
        for (int k = 0; k < a->n_holds; k++)
            dup |= a->holds[k].res.addr == w->obj;
        if (dup)
            continue;
        struct tg_hold *h = tg__actor_info_add_hold(a);
        if (!h) {
            gr->failed = 1;
            return;
        }
        fill_res(gr, &h->res, &t->threads[i]);
        h->mode = w->kind == TG_W_RWLOCK ? "write" : "exclusive";
        h->count = (w->kind == TG_W_MUTEX && (w->mutex_kind & 3) == 1 && w->count > 0) ? w->count : 1;
    }
}

static const char *state_of(const struct tg__tthread *th)
{
    return th->wait.kind == TG_W_RUNNING ? "running" : "blocked";
}

/* Thread th's wait, as the wait of actor a (th's own, or the task's it
 * blocks for); holder: the id of the actor it waits for, 0 none. */
static void fill_wait(struct graph *gr, struct tg_actor_info *a, const struct tg__tthread *th, uint64_t holder)
{
    const struct tg__wait_info *w = &th->wait;
    a->wait.present = 1;
    fill_res(gr, &a->wait.res, th);
    a->wait.mode = w->kind == TG_W_RWLOCK ? (w->write ? "write" : "read")
                   : w->kind == TG_W_MUTEX ? "exclusive" : NULL;
    a->wait.timed = w->timed;
    a->wait.holder = holder;
    fill_stack(gr, &a->wait.stack, th, w->api_frame);
}

static void fill_actor(struct graph *gr, struct tg_actor_info *a, int i, int with_holds)
{
    const struct tg__tthread *th = &gr->t->threads[i];
    a->id = (uint64_t)i + 1;
    a->tid = th->tid;
    a->kind = "thread";
    a->name = tg__strdup(thread_name(th));
    a->state = state_of(th);
    if (th->wait.kind != TG_W_RUNNING)
        fill_wait(gr, a, th, gr->next[i] >= 0 && !gr->reread[i] ? (uint64_t)gr->next[i] + 1 : 0);
    if (with_holds)
        fill_holds(gr, a, th->tid);
}

/* The thread a task blocks for (it called a blocking pthread function on
 * it), or -1. */
static int blocked_host(const struct graph *gr, int k)
{
    const struct tg__target *t = gr->t;
    int h = t->tasks[k].on_host && !t->tasks[k].waiting ? tg__thread_index(t, t->tasks[k].host) : -1;
    return h >= 0 && gr->blocks[h] == t->n_threads + k ? h : -1;
}

/* Task k (node n_threads + k) as an actor, with the resource ids the
 * threads' entries use for the same locks. */
static void fill_task_actor(struct graph *gr, struct tg_actor_info *a, int k)
{
    struct tg__target *t = gr->t;
    int node = t->n_threads + k, h = blocked_host(gr, k);
    uint64_t holder = gr->next[node] >= 0 ? (uint64_t)gr->next[node] + 1 : 0;
    if (tg__task_fill(t, a, k, (uint64_t)t->n_threads, holder) != 0) {
        gr->failed = 1;
        return;
    }
    if (h >= 0) {
        a->state = "blocked";
        fill_wait(gr, a, &t->threads[h], holder);
    } else if (a->wait.present && a->wait.res.addr && strcmp(a->wait.res.kind, "task")) {
        a->wait.res.id = res_id(gr, a->wait.res.addr);
    }
    for (int i = 0; i < a->n_holds; i++)
        a->holds[i].res.id = res_id(gr, a->holds[i].res.addr);
}

static struct tg_finding *new_finding(struct graph *gr, enum tg_finding_kind kind, enum tg_hazard hz)
{
    if (gr->n_fs == gr->cap_fs) {
        int cap = gr->cap_fs ? gr->cap_fs * 2 : 8;
        struct tg_finding **p = realloc(gr->fs, (size_t)cap * sizeof *p);
        if (!p) {
            gr->failed = 1;
            return NULL;
        }
        gr->fs = p;
        gr->cap_fs = cap;
    }
    struct tg_finding *f = tg__finding_new(kind, hz);
    if (!f) {
        gr->failed = 1;
        return NULL;
    }
    gr->fs[gr->n_fs++] = f;
    return f;
}

/* Node i (a thread, or a task) as the next actor of finding fi. */
static int add_node(struct graph *gr, int fi, int i)
{
    struct tg_actor_info *a = tg__finding_add_actor(gr->fs[fi]);
    if (!a) {
        gr->failed = 1;
        return -1;
    }
    int nt = gr->t->n_threads;
    gr->finding[i] = fi;
    if (i < nt) {
        fill_actor(gr, a, i, 1);
    } else {
        fill_task_actor(gr, a, i - nt);
        int h = blocked_host(gr, i - nt);
        if (h >= 0) /* the task stands for the thread it blocks */
            gr->finding[h] = fi;
    }
    return 0;
}


static char *label(const struct tg__target *t, int i)
{
    const struct tg__tthread *th = &t->threads[i];
    return th->name[0] ? tg__sprintf("thread %d \"%s\" (tid %ld)", i + 1, th->name, th->tid)
                       : tg__sprintf("thread %d (tid %ld)", i + 1, th->tid);
}

/* Whether node i waits with a timeout. */
static int node_timed(const struct graph *gr, int i)
{
    const struct tg__target *t = gr->t;
    if (i < t->n_threads)
        return t->threads[i].wait.timed;
    int h = blocked_host(gr, i - t->n_threads);
    return h >= 0 ? t->threads[h].wait.timed : t->tasks[i - t->n_threads].timed;
}

/* The words of a cycle with tasks in it (threads may be in it too). */
static void task_cycle_words(struct tg_finding *f, int len, int tasks, int timed)
{
    int threads = len - tasks;
    if (len == 1)
        f->summary = tg__sprintf("task %llu waits for a lock it already holds",
                                 (unsigned long long)f->actors[0].id);
    else if (threads == 0)
        f->summary = tg__sprintf("%d tasks wait for each other in a cycle%s", len,
                                 timed ? "; only a timeout breaks it" : "");
    else
        f->summary = tg__sprintf("%d thread%s and %d task%s wait for each other in a cycle%s", threads,
                                 threads == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s",
                                 timed ? "; only a timeout breaks it" : "");
    f->advice = tg__strdup(threads == 0
                               ? "each task holds what the next one waits for; take the locks in "
                                 "one agreed order everywhere (or release before waiting)"
                               : "each holds what the next one waits for; take the locks in one "
                                 "agreed order everywhere (or release before waiting). A task "
                                 "that waits in a pthread function blocks its whole scheduler "
                                 "thread: in tasks, prefer tg_mutex, which parks only the task");
}

static void cycle_finding(struct graph *gr, int start)
{
    struct tg__target *t = gr->t;
    int len = 0, timed = 0, tasks = 0;
    int i = start;
    do {
        timed |= node_timed(gr, i);
        tasks += i >= t->n_threads;
        len++;
        i = gr->next[i];
    } while (i != start);
    struct tg_finding *f = new_finding(gr, timed ? TG_FINDING_HAZARD : TG_FINDING_DEADLOCK,
                                       timed ? TG_HAZARD_TIMED_CYCLE : TG_HAZARD_NONE);
    if (!f)
        return;
    f->cycle_length = len;
    i = start;
    do {
        add_node(gr, gr->n_fs - 1, i);
        i = gr->next[i];
    } while (i != start);
    if (tasks > 0) {
        task_cycle_words(f, len, tasks, timed);
        return;
    }
    const struct tg__wait_info *w = &t->threads[start].wait;
    int rr = -1;
    for (int k = 0; k < len && rr < 0; k++)
        if (gr->reread[f->actors[k].id - 1] == 1)
            rr = (int)f->actors[k].id - 1;
    if (rr >= 0) {
        const struct tg__wait_info *rw = &t->threads[rr].wait;
        char *who = label(t, rr), *writer = label(t, gr->next[rr]);
        char *name = tg__data_name(t, rw->obj);
        if (rw->holds_self)
            f->summary = tg__sprintf("re-read of a writer-preferring rwlock: %s holds %s%s%s for "
                                     "reading (tangle's records) and asks for it again behind %s, "
                                     "which waits to write it: the reader waits for the writer and "
                                     "the writer for the reader", who, name ? "'" : "",
                                     name ? name : "the rwlock", name ? "'" : "", writer);
        else
            f->summary = tg__sprintf("re-read of a writer-preferring rwlock: %s waits to read %s%s%s "
                                     "behind %s, which waits to write it, and the %d reader%s holding "
                                     "it can only be threads that wait on it (every other thread is "
                                     "blocked for good): a thread that holds it for reading asked for "
                                     "it again, and waits for the writer that waits for it", who,
                                     name ? "'" : "", name ? name : "rwlock", name ? "'" : "", writer,
                                     rw->count, rw->count == 1 ? "" : "s");
        f->advice = tg__strdup("a writer-preferring rwlock (PTHREAD_RWLOCK_PREFER_WRITER_"
                               "NONRECURSIVE_NP) must not be read-locked again by a thread that "
                               "holds it for reading: a writer queued in between blocks the "
                               "second read. Pass down that the lock is held instead of taking "
                               "it again, or use the default (reader-preferring) kind");
        free(who);
        free(writer);
        free(name);
    } else if (len == 1) {
        char *who = label(t, start);
        f->summary = tg__sprintf("%s waits for a %s it already holds", who, kind_name(w->kind));
        free(who);
        f->advice = tg__strdup("a non-recursive lock taken twice by the same thread never "
                               "succeeds; release it first, or make the mutex recursive if "
                               "re-entry is intended");
    } else if (timed) {
        f->summary = tg__sprintf("%d threads wait for each other; only a timeout breaks the cycle", len);
        f->advice = tg__strdup("the waits below will time out and fail; take the locks in one "
                               "agreed order everywhere");
    } else {
        int joins = 0;
        for (int k = 0; k < f->n_actors; k++)
            joins += f->actors[k].wait.res.kind && !strcmp(f->actors[k].wait.res.kind, "thread");
        int parked = 0;
        for (int k = 0; k < len; k++)
            parked |= t->threads[f->actors[k].id - 1].wait.parked;
        f->summary = tg__sprintf("%d threads wait for each other in a cycle%s%s", len,
                                 joins == len ? " of joins" : joins ? " of locks and joins" : "",
                                 parked ? " (the kernel saw this priority-inheritance cycle and "
                                          "glibc parked a thread for good)" : "");
        f->advice = tg__strdup(joins ? "a thread joined while it holds what the joined one "
                                       "needs (or two threads join each other) never returns; "
                                       "release locks before joining, and join in one direction"
                                     : "each holds what the next one waits for; take the locks in "
                                       "one agreed order everywhere (or release before waiting)");
    }
}

static void exited_finding(struct graph *gr, long dead_tid)
{
    struct tg__target *t = gr->t;
    struct tg_finding *f = new_finding(gr, TG_FINDING_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return;
    int waiters = 0;
    for (int i = 0; i < t->n_threads; i++)
        if (gr->next[i] == EXITED && t->threads[i].wait.owner == dead_tid && gr->finding[i] < 0) {
            add_node(gr, gr->n_fs - 1, i);
            waiters++;
        }
    struct tg_actor_info *dead = tg__finding_add_actor(f);
    if (!dead) {
        gr->failed = 1;
        return;
    }
    dead->id = (uint64_t)t->n_threads + (uint64_t)t->n_tasks + (uint64_t)gr->n_fs;
    dead->tid = dead_tid;
    dead->kind = "thread";
    dead->state = "exited";
    fill_holds(gr, dead, dead_tid);
    for (int k = 0; k < f->n_actors - 1; k++)
        f->actors[k].wait.holder = dead->id;
    f->summary = tg__sprintf("%d thread%s wait%s for a lock held by a thread that has exited "
                             "(tid %ld)", waiters, waiters == 1 ? "" : "s", waiters == 1 ? "s" : "",
                             dead_tid);
    f->advice = tg__strdup("the exited thread returned (or called pthread_exit, or was "
                           "cancelled) while holding the lock; release every lock on every "
                           "path out of a thread (robust mutexes make this recoverable)");
}

/* The writer-preferring re-read. A reader of a writer-preferring rwlock
 * (glibc's PREFER_WRITER_NONRECURSIVE) waits, on the lock's __readers word,
 * while readers hold it and a writer is queued (WRLOCKED in a read phase).
 * The reader waits for that writer; the writer waits for the readers, whom
 * glibc only counts. When the readers can only be among the threads that
 * wait on the lock (every other thread is blocked for good, or there are
 * fewer others than readers), a reader waiting on it holds it: the cycle
 * reader -> writer -> reader closes and is said by name. Otherwise the
 * same shape is a recursive-read hazard: a deadlock if the waiting reader
 * is one of the readers, which cannot be seen from outside. */
static int on_lock(const struct tg__wait_info *w, uintptr_t obj)
{
    return w->kind == TG_W_RWLOCK && w->obj == obj;
}

static void reread_pass(struct graph *gr)
{
    struct tg__target *t = gr->t;
    for (int i = 0; i < t->n_threads; i++) {
        const struct tg__wait_info *w = &t->threads[i].wait;
        if (w->kind != TG_W_RWLOCK || w->write || w->rw_flags != 2 || w->count <= 0 ||
            (w->rw_state & (TG__RW_WRPHASE | TG__RW_WRLOCKED)) != TG__RW_WRLOCKED ||
            gr->next[i] != NONE)
            continue;
        int writer = -1, others = 0, others_stuck = 1;
        for (int j = 0; j < t->n_threads; j++) {
            const struct tg__wait_info *x = &t->threads[j].wait;
            if (on_lock(x, w->obj)) {
                if (x->write && writer < 0)
                    writer = j;
            } else if (!t->threads[j].internal) {
                others++;
                others_stuck &= untimed_internal(x);
            }
        }
        if (writer < 0)
            continue;
        gr->next[i] = writer;
        gr->reread[i] = 1;
        if (w->holds_self) { /* the records say so: the writer waits for this reader */
            gr->next[writer] = i;
            continue;
        }
        if ((others_stuck || w->count > others) && !w->timed && !t->threads[writer].wait.timed &&
            gr->next[writer] == NONE) {
            gr->next[writer] = i;
            gr->reread[writer] = 2;
            continue;
        }
        if (gr->finding[i] >= 0)
            continue;
        struct tg_finding *f = new_finding(gr, TG_FINDING_HAZARD, TG_HAZARD_RECURSIVE_READ);
        if (!f)
            return;
        add_node(gr, gr->n_fs - 1, i);
        if (gr->finding[writer] < 0)
            add_node(gr, gr->n_fs - 1, writer);
        char *who = label(t, i), *wr = label(t, writer), *name = tg__data_name(t, w->obj);
        f->summary = tg__sprintf("%s waits to read writer-preferring rwlock %s%s%s behind %s, "
                                 "which waits to write it; if %s already holds it for reading "
                                 "(glibc only counts its %d reader%s), neither can go on",
                                 who, name ? "'" : "", name ? name : "", name ? "'" : "", wr, who,
                                 w->count, w->count == 1 ? "" : "s");
        f->advice = tg__strdup("a writer-preferring rwlock must not be read-locked again by a "
                               "thread that holds it for reading: a writer queued in between "
                               "blocks the second read");
        free(who);
        free(wr);
        free(name);
    }
}

/* Under tangle, the engine's records name what glibc cannot: the readers
 * of an rwlock a writer waits for, and the holder of a lock whose owner
 * field cannot be read. A reader queued behind a writer of a
 * writer-preferring rwlock waits for that writer, not for the readers
 * (reread_pass). */
static void records_owner(struct tg__target *t, struct tg__tthread *th)
{
    struct tg__wait_info *w = &th->wait;
    if (!t->records || (w->kind != TG_W_MUTEX && w->kind != TG_W_RWLOCK))
        return;
    int self_holds;
    long holder = record_holder(t, w->obj, th->tid, &self_holds);
    w->holds_self = self_holds;
    if (w->owner || (w->kind == TG_W_RWLOCK && !w->write))
        return;
    w->owner = holder;
}

/* The task the records show holding the lock thread th waits for, or -1.
 * glibc names the task's scheduler thread as the owner (or, for readers,
 * nobody): a task on another thread is not the holder glibc means. */
static int task_holder(const struct tg__target *t, const struct tg__wait_info *w)
{
    if (!t->records || (w->kind != TG_W_MUTEX && w->kind != TG_W_RWLOCK))
        return -1;
    for (int k = 0; k < t->n_tasks; k++) {
        const struct tg__rtask *r = &t->tasks[k];
        if (w->owner && w->owner != r->host)
            continue;
        for (int i = 0; i < r->n_holds; i++)
            if (r->holds[i].addr == w->obj)
                return k;
    }
    return -1;
}

/* Task nodes: a parked task waits for the task that holds its task lock
 * (or that it joins); a task that blocks its scheduler thread waits for
 * what that thread waits for. A lock held by an exited thread ends the
 * task's chain (the thread is listed with that finding). */
static void task_edges(struct graph *gr)
{
    struct tg__target *t = gr->t;
    int nt = t->n_threads;
    for (int k = 0; k < t->n_tasks; k++) {
        const struct tg__rtask *r = &t->tasks[k];
        int node = nt + k, h;
        gr->finding[node] = -1;
        gr->next[node] = NONE;
        if (r->waiting) {
            int j = tg__task_waits_for(t, k);
            gr->next[node] = j >= 0 ? nt + j : NONE;
        } else if (r->on_host && (h = tg__thread_index(t, r->host)) >= 0 &&
                   t->threads[h].wait.kind != TG_W_RUNNING && !t->threads[h].internal) {
            gr->blocks[h] = node;
            gr->next[node] = gr->next[h] == EXITED ? NONE : gr->next[h];
        }
    }
}

/* Threads and tasks whose chain leads into a listed finding join it,
 * after its cycle. A thread a task blocks is left to that task, which
 * waits for the same. */
static void add_followers(struct graph *gr)
{
    for (int round = 0; round < gr->n; round++) {
        int added = 0;
        for (int i = 0; i < gr->n; i++) {
            int j = gr->next[i];
            if (gr->finding[i] >= 0 || j < 0 || gr->finding[j] < 0 ||
                (i < gr->t->n_threads && gr->blocks[i] >= 0))
                continue;
            if (gr->fs[gr->finding[j]]->kind == TG_FINDING_THREADS)
                continue;
            add_node(gr, gr->finding[j], i);
            added++;
        }
        if (!added)
            break;
    }
}

static void stall_finding(struct graph *gr)
{
    struct tg__target *t = gr->t;
    int rest = 0;
    for (int i = 0; i < t->n_threads; i++) {
        if (t->threads[i].internal)
            continue;
        if (!untimed_internal(&t->threads[i].wait))
            return;
        rest += gr->finding[i] < 0;
    }
    if (rest == 0)
        return;
    struct tg_finding *f = new_finding(gr, TG_FINDING_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return;
    for (int i = 0; i < t->n_threads; i++)
        if (gr->finding[i] < 0 && !t->threads[i].internal)
            add_node(gr, gr->n_fs - 1, i);
    f->summary = tg__sprintf("every thread of the process is blocked in an untimed wait and none "
                             "of them can wake another: a whole-process stall (%d thread%s below)",
                             rest, rest == 1 ? "" : "s");
    f->advice = tg__strdup("each one below waits for a condition, semaphore, barrier or lock "
                           "that only another thread of this process could signal, post or "
                           "release, and all of them are waiting");
}

/* Sort key for grouping: same wait, same object, same stack. */
static struct tg__target *sort_target;

static int group_cmp(const struct tg__tthread *a, const struct tg__tthread *b)
{
    const struct tg__wait_info *x = &a->wait, *y = &b->wait;
    if (x->kind != y->kind)
        return (x->kind > y->kind) - (x->kind < y->kind);
    if (x->obj != y->obj)
        return (x->obj > y->obj) - (x->obj < y->obj);
    if (x->timed != y->timed || x->write != y->write)
        return (x->timed * 2 + x->write) - (y->timed * 2 + y->write);
    if (a->n_pcs != b->n_pcs)
        return a->n_pcs - b->n_pcs;
    /* A running thread's innermost pc differs from instant to instant. */
    for (int k = x->kind == TG_W_RUNNING ? 1 : 0; k < a->n_pcs; k++)
        if (a->pcs[k] != b->pcs[k])
            return (a->pcs[k] > b->pcs[k]) - (a->pcs[k] < b->pcs[k]);
    return 0;
}

static int by_group(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = group_cmp(&sort_target->threads[a], &sort_target->threads[b]);
    return c ? c : (a > b) - (a < b);
}

static int by_first(const void *pa, const void *pb)
{
    const int *a = pa, *b = pb; /* pairs: first member, group start */
    return (a[0] > b[0]) - (a[0] < b[0]);
}

static void group_findings(struct graph *gr)
{
    struct tg__target *t = gr->t;
    int *idx = malloc(sizeof(int) * (size_t)(t->n_threads + 1));
    int *groups = malloc(sizeof(int) * 2 * (size_t)(t->n_threads + 1));
    if (!idx || !groups) {
        free(idx);
        free(groups);
        gr->failed = 1;
        return;
    }
    int n = 0, ng = 0;
    for (int i = 0; i < t->n_threads; i++)
        if (gr->finding[i] < 0 && !t->threads[i].internal)
            idx[n++] = i;
    sort_target = t;
    qsort(idx, (size_t)n, sizeof *idx, by_group);
    for (int k = 0; k < n; k++)
        if (k == 0 || group_cmp(&t->threads[idx[k - 1]], &t->threads[idx[k]]) != 0) {
            groups[2 * ng] = idx[k];
            groups[2 * ng + 1] = k;
            ng++;
        }
    qsort(groups, (size_t)ng, 2 * sizeof *groups, by_first);
    for (int g = 0; g < ng && !gr->failed; g++) {
        int start = groups[2 * g + 1], end = start + 1;
        while (end < n && !group_cmp(&t->threads[idx[start]], &t->threads[idx[end]]))
            end++;
        struct tg_finding *f = new_finding(gr, TG_FINDING_THREADS, TG_HAZARD_NONE);
        if (!f)
            break;
        int first = idx[start];
        add_node(gr, gr->n_fs - 1, first);
        if (t->threads[first].wait.kind == TG_W_RUNNING)
            fill_stack(gr, &f->where, &t->threads[first], 0);
        f->repeats = (unsigned long)(end - start - 1);
        char more[256] = "";
        if (end - start > 1) {
            int len = snprintf(more, sizeof more, " (and %d more like it: tid", end - start - 1);
            int shown = 0;
            for (int k = start + 1; k < end && shown < 8; k++, shown++)
                len += snprintf(more + len, sizeof more - (size_t)len, "%s %ld", shown ? "," : "",
                                t->threads[idx[k]].tid);
            snprintf(more + len, sizeof more - (size_t)len, "%s)", end - start - 1 > 8 ? ", ..." : "");
        }
        char *who = label(t, first);
        const struct tg__wait_info *w = &t->threads[first].wait;
        f->summary = tg__sprintf("%s %s%s", who,
                                 w->kind == TG_W_RUNNING ? "is running (not in a system call)"
                                 : untimed_internal(w) ? "is blocked"
                                 : w->kind == TG_W_SYSCALL ? "is in a system call"
                                                           : w->timed ? "waits with a timeout"
                                                                      : "waits",
                                 more);
        free(who);
    }
    free(idx);
    free(groups);
}

int tg__attach_findings(struct tg__target *t, const struct tg__glibc *g, struct tg_finding ***out)
{
    int n = t->n_threads + t->n_tasks, k;
    struct graph gr = {.t = t, .g = g, .n = n};
    gr.next = malloc(sizeof(int) * (size_t)(n + 1));
    gr.finding = malloc(sizeof(int) * (size_t)(n + 1));
    gr.blocks = malloc(sizeof(int) * (size_t)(t->n_threads + 1));
    gr.reread = calloc((size_t)n + 1, 1);
    int *color = calloc((size_t)n + 1, sizeof(int));
    char *listed = calloc((size_t)t->n_tasks + 1, 1);
    if (!gr.next || !gr.finding || !gr.blocks || !gr.reread || !color || !listed)
        gr.failed = 1;
    for (int i = 0; i < t->n_threads && !gr.failed; i++) {
        const struct tg__wait_info *w = &t->threads[i].wait;
        gr.finding[i] = -1;
        gr.next[i] = NONE;
        gr.blocks[i] = -1;
        records_owner(t, &t->threads[i]);
        if ((k = task_holder(t, w)) >= 0) {
            gr.next[i] = t->n_threads + k;
        } else if (owner_edge(w)) {
            int j = tg__thread_index(t, w->owner);
            gr.next[i] = j >= 0 ? j : w->kind == TG_W_JOIN ? NONE : EXITED;
            if (gr.next[i] == EXITED && (t->threads[i].wait.elsewhere = other_process(t, w)) != 0)
                gr.next[i] = NONE;
        }
    }
    if (!gr.failed)
        reread_pass(&gr);
    if (!gr.failed)
        task_edges(&gr);
    /* Cycles: walk each chain once; a node met again on the same walk
     * closes a cycle. */
    for (int s = 0; s < n && !gr.failed; s++) {
        int i = s;
        while (i >= 0 && color[i] == 0) {
            color[i] = s + 1;
            i = gr.next[i];
        }
        if (i >= 0 && color[i] == s + 1)
            cycle_finding(&gr, i);
    }
    for (int i = 0; i < t->n_threads && !gr.failed; i++)
        if (gr.next[i] == EXITED && gr.finding[i] < 0)
            exited_finding(&gr, t->threads[i].wait.owner);
    if (!gr.failed)
        add_followers(&gr);
    if (!gr.failed)
        stall_finding(&gr);
    for (k = 0; k < t->n_tasks && !gr.failed; k++)
        listed[k] = gr.finding[t->n_threads + k] >= 0;
    if (!gr.failed && t->n_tasks > 0 &&
        tg__task_groups(t, &gr.fs, &gr.n_fs, &gr.cap_fs, (uint64_t)t->n_threads, listed) != 0)
        gr.failed = 1;
    if (!gr.failed)
        group_findings(&gr);
    free(gr.next);
    free(gr.finding);
    free(gr.blocks);
    free(gr.reread);
    free(gr.objs);
    free(color);
    free(listed);
    if (gr.failed) {
        for (int i = 0; i < gr.n_fs; i++)
            tg__finding_free(gr.fs[i]);
        free(gr.fs);
        *out = NULL;
        return -1;
    }
    *out = gr.fs;
    return gr.n_fs;
}
