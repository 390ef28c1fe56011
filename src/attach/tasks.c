/* SPDX-License-Identifier: MIT */
/* tasks.c: the tasks of tangle's task runtime, from the engine's records.
 *
 * A task parked on a task mutex, rwlock, channel or join is invisible to
 * glibc: its scheduler thread just sleeps. Under tangle the engine's
 * records say what each task waits for and what it holds. This file says
 * which task a parked task waits for (the first other holder of the lock,
 * else itself; a join: the joined task), describes a task as an actor of a
 * finding, and groups the parked tasks no finding lists, so 10,000 idle
 * workers are one line. The cycles themselves are found in graph.c, over
 * threads and tasks together: a thread may wait for a pthread mutex a task
 * holds, and a task that called pthread_mutex_lock blocks its thread.  */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"

struct out {
    struct tg_finding ***fs;
    int *n, *cap;
    int failed;
};

static struct tg_finding *add(struct out *o, enum tg_finding_kind kind)
{
    if (*o->n == *o->cap) {
        int cap = *o->cap ? *o->cap * 2 : 8;
        struct tg_finding **p = realloc(*o->fs, (size_t)cap * sizeof *p);
        if (!p) {
            o->failed = 1;
            return NULL;
        }
        *o->fs = p;
        *o->cap = cap;
    }
    struct tg_finding *f = tg__finding_new(kind, TG_HAZARD_NONE);
    if (!f) {
        o->failed = 1;
        return NULL;
    }
    (*o->fs)[(*o->n)++] = f;
    return f;
}

static const char *mode_name(int m)
{
    return m == TG_REC_READ ? "read" : m == TG_REC_WRITE ? "write" : "exclusive";
}

static int stack_of(struct tg__target *t, struct tg_stack *s, const uintptr_t *pcs, int n)
{
    if (n <= 0)
        return 0;
    if (tg__stack_from_pcs(s, pcs, n) != 0)
        return -1;
    tg__symbolize(t, s, 0);
    return 0;
}

int tg__task_fill(struct tg__target *t, struct tg_actor_info *a, int k, uint64_t base, uint64_t holder)
{
    int failed = 0;
    const struct tg__rtask *r = &t->tasks[k];
    a->id = base + (uint64_t)k + 1;
    a->tid = r->host;
    a->kind = "task";
    a->name = r->name[0] ? tg__strdup(r->name) : NULL;
    a->state = r->waiting ? "blocked" : "running";
    if (r->waiting) {
        a->wait.present = 1;
        a->wait.timed = r->timed;
        a->wait.res.kind = r->wait_kind;
        if (!strcmp(r->wait_kind, "task")) {
            for (int j = 0; j < t->n_tasks; j++)
                if (t->tasks[j].id == r->target) {
                    a->wait.res.id = base + (uint64_t)j + 1;
                    a->wait.res.name = t->tasks[j].name[0] ? tg__strdup(t->tasks[j].name) : NULL;
                }
        } else {
            a->wait.res.addr = r->wait_obj;
            a->wait.res.name = r->wait_obj ? tg__data_name(t, r->wait_obj) : NULL;
            a->wait.mode = strcmp(r->wait_kind, "mutex") && strcmp(r->wait_kind, "rwlock")
                               ? NULL : mode_name(r->wait_mode);
        }
        a->wait.holder = holder;
        if (stack_of(t, &a->wait.stack, r->pcs, r->n_pcs) != 0)
            failed = 1;
    }
    for (int i = 0; i < r->n_holds; i++) {
        struct tg_hold *h = tg__actor_info_add_hold(a);
        if (!h)
            return -1;
        h->res.kind = r->holds[i].kind;
        h->res.addr = r->holds[i].addr;
        h->res.name = tg__data_name(t, r->holds[i].addr);
        h->mode = mode_name(r->holds[i].mode);
        h->count = 1;
        if (stack_of(t, &h->acquired, r->holds[i].pcs, r->holds[i].n_pcs) != 0)
            failed = 1;
    }
    return failed ? -1 : 0;
}

int tg__task_waits_for(const struct tg__target *t, int k)
{
    const struct tg__rtask *r = &t->tasks[k];
    if (!r->waiting)
        return -1;
    if (!strcmp(r->wait_kind, "task")) {
        for (int j = 0; j < t->n_tasks; j++)
            if (t->tasks[j].id == r->target)
                return j;
        return -1;
    }
    if (!r->wait_obj || (strcmp(r->wait_kind, "mutex") && strcmp(r->wait_kind, "rwlock")))
        return -1;
    int self = -1;
    for (int j = 0; j < t->n_tasks; j++)
        for (int i = 0; i < t->tasks[j].n_holds; i++)
            if (t->tasks[j].holds[i].addr == r->wait_obj) {
                if (j != k)
                    return j;
                self = j;
            }
    return self;
}

static const struct tg__target *sort_t;

static int same_wait(const struct tg__rtask *a, const struct tg__rtask *b)
{
    if (a->wait_kind != b->wait_kind)
        return a->wait_kind < b->wait_kind ? -1 : 1;
    if (a->wait_obj != b->wait_obj)
        return a->wait_obj < b->wait_obj ? -1 : 1;
    if (a->n_pcs != b->n_pcs)
        return a->n_pcs - b->n_pcs;
    return memcmp(a->pcs, b->pcs, (size_t)a->n_pcs * sizeof a->pcs[0]);
}

static int by_wait(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = same_wait(&sort_t->tasks[a], &sort_t->tasks[b]);
    return c ? c : a - b;
}

int tg__task_groups(struct tg__target *t, struct tg_finding ***fs, int *n, int *cap, uint64_t base,
                    const char *listed)
{
    struct out o = {fs, n, cap, 0};
    int nt = t->n_tasks;
    int *idx = nt ? malloc(sizeof(int) * (size_t)nt) : NULL;
    if (nt && !idx)
        return -1;
    int m = 0;
    for (int k = 0; k < nt; k++)
        if (t->tasks[k].waiting && !listed[k])
            idx[m++] = k;
    sort_t = t;
    qsort(idx, (size_t)m, sizeof *idx, by_wait);
    for (int s = 0; s < m && !o.failed;) {
        int e = s + 1;
        while (e < m && !same_wait(&t->tasks[idx[s]], &t->tasks[idx[e]]))
            e++;
        struct tg_finding *f = add(&o, TG_FINDING_THREADS);
        struct tg_actor_info *a = f ? tg__finding_add_actor(f) : NULL;
        if (!a || tg__task_fill(t, a, idx[s], base, 0) != 0) {
            o.failed = 1;
            break;
        }
        const struct tg__rtask *r = &t->tasks[idx[s]];
        f->repeats = (unsigned long)(e - s - 1);
        char more[48] = "";
        if (e - s > 1)
            snprintf(more, sizeof more, " (and %d more like it)", e - s - 1);
        f->summary = tg__sprintf("task %llu%s%s%s is parked%s%s", (unsigned long long)a->id,
                                 r->name[0] ? " \"" : "", r->name, r->name[0] ? "\"" : "",
                                 r->timed ? " with a timeout" : "", more);
        s = e;
    }
    free(idx);
    return o.failed ? -1 : 0;
}
