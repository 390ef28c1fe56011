/* SPDX-License-Identifier: MIT */
/* dump.c: a description of every task and of what each waits for, on
 * demand. It reads the schedulers without stopping them, under each
 * scheduler's task-list lock, so a dump taken while tasks run is a
 * best-effort picture; a dump of a stalled program is exact. */
#define _GNU_SOURCE
#include "task/task_int.h"
#include "task/detect.h"
#include "task/watchdog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *tg__state_name(int st)
{
    switch (st) {
    case TG__T_RUNNABLE: return "runnable";
    case TG__T_RUNNING: return "running";
    case TG__T_BLOCKED: return "blocked";
    default: return "finished";
    }
}

static const char *tg__kind_name(int k)
{
    switch (k) {
    case TG__K_MUTEX: return "mutex";
    case TG__K_RWLOCK: return "rwlock";
    case TG__K_SEM: return "semaphore";
    case TG__K_EVENT: return "event";
    case TG__K_COND: return "condition";
    case TG__K_WAITGROUP: return "wait group";
    case TG__K_CHAN: return "channel";
    default: return "task";
    }
}

/* What a task waits on, with the owner for a mutex. */
static void tg__dump_wait(int fd, const struct tg_task *t)
{
    const void *obj = __atomic_load_n(&t->wait_obj, __ATOMIC_RELAXED);
    if (t->state != TG__T_BLOCKED) {
        dprintf(fd, "\n");
        return;
    }
    if (!obj) {
        dprintf(fd, ", waiting: %s\n", t->wait_what ? t->wait_what : "sleep");
        return;
    }
    const struct tg__prim *p = obj;
    int kind = p->kind >= TG__K_MUTEX && p->kind <= TG__K_CHAN ? p->kind : TG__K_JOIN;
    dprintf(fd, ", waiting on %s %s %p (at %p)", t->wait_what ? t->wait_what : "the",
            kind == TG__K_JOIN ? "task" : tg__kind_name(kind), obj, (void *)t->wait_pc);
    if (kind == TG__K_MUTEX) {
        const tg_mutex *m = obj;
        const struct tg_task *o = (const struct tg_task *)(__atomic_load_n(&m->state, __ATOMIC_RELAXED) & ~(uintptr_t)1);
        if (o)
            dprintf(fd, " held by task \"%s\"", o->name);
    } else if (kind == TG__K_JOIN) {
        dprintf(fd, " \"%s\"", ((const struct tg_task *)obj)->name);
    }
    dprintf(fd, "\n");
}

void tg_dump(int fd)
{
    int saved = errno;
    if (tg__det_dump(fd) == 0) {
        errno = saved;
        return;
    }
    dprintf(fd, "tangle: task dump (pid %ld)\n", (long)getpid());
    int n = 0;
    for (struct tg__sched *s = tg__sched_list(); s; s = s->all_next) {
        if (!__atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE))
            continue;
        dprintf(fd, " scheduler %d: %ld task%s\n", n++, s->n_tasks, s->n_tasks == 1 ? "" : "s");
        tg__spin_lock(&s->list_lock);
        for (struct tg_task *t = s->all; t; t = t->all_next) {
            if (t->state == TG__T_DONE) /* ended, or a record kept for reuse */
                continue;
            dprintf(fd, "  task \"%s\" %s%s, spawned at %p, holds %d task lock%s",
                    t->name, tg__state_name(t->state), t->cancelled ? " (cancelled)" : "",
                    (void *)t->spawn_pc, t->task_holds, t->task_holds == 1 ? "" : "s");
            tg__dump_wait(fd, t);
        }
        tg__spin_unlock(&s->list_lock);
    }
    errno = saved;
}

/* The handler only raises a flag (a dump allocates and takes locks, which a
 * signal handler must not); the watchdog thread writes the dump. */
static volatile sig_atomic_t tg__dump_requested;

static void tg__dump_handler(int sig)
{
    (void)sig;
    tg__dump_requested = 1;
}

void tg__dump_poll(void)
{
    if (tg__dump_requested) {
        tg__dump_requested = 0;
        tg_dump(2);
    }
}

int tg_dump_on_signal(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tg__dump_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        return TG_ESYS;
    tg__task_watchdog_start(1);
    return 0;
}
