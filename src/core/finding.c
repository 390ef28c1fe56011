/* SPDX-License-Identifier: MIT */
/* finding.c: construction and release of findings (see finding.h). */
#include "core/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hazard_names[TG_HAZARD__COUNT] = {
    [TG_HAZARD_NONE] = "none",
    [TG_HAZARD_TIMED_CYCLE] = "timed-cycle",
    [TG_HAZARD_EXIT_HOLDING_LOCK] = "exit-holding-lock",
    [TG_HAZARD_RELOCK_ERRORCHECK] = "relock-errorcheck",
    [TG_HAZARD_RWLOCK_RELOCK] = "rwlock-relock",
    [TG_HAZARD_UNLOCK_NOT_HELD] = "unlock-not-held",
    [TG_HAZARD_DESTROY_HELD] = "destroy-in-use",
    [TG_HAZARD_USE_AFTER_DESTROY] = "use-after-destroy",
    [TG_HAZARD_COND_MUTEX_NOT_HELD] = "cond-mutex-not-held",
    [TG_HAZARD_COND_MUTEX_MISMATCH] = "cond-mutex-mismatch",
    [TG_HAZARD_SEM_MISUSE] = "semaphore-misuse",
    [TG_HAZARD_BARRIER_MISUSE] = "barrier-misuse",
    [TG_HAZARD_LOCK_HELD_TOO_LONG] = "lock-held-too-long",
    [TG_HAZARD_RECURSIVE_READ] = "recursive-read",
    [TG_HAZARD_TABLE_FULL] = "table-full",
    [TG_HAZARD_HOLD_ACROSS_SWITCH] = "hold-across-switch",
    [TG_HAZARD_LONG_RUNNING_TASK] = "long-running-task",
    [TG_HAZARD_FREED_WHILE_HELD] = "freed-while-held",
    [TG_HAZARD_INVERSION_ONE_THREAD] = "inversion-one-thread",
    [TG_HAZARD_LONG_WAIT] = "long-wait",
};

const char *tg__hazard_name(enum tg_hazard h)
{
    return (h >= 0 && h < TG_HAZARD__COUNT && hazard_names[h]) ? hazard_names[h] : "unknown";
}

const char *tg__finding_kind_name(enum tg_finding_kind k)
{
    switch (k) {
    case TG_FINDING_DEADLOCK: return "deadlock";
    case TG_FINDING_POTENTIAL_DEADLOCK: return "potential-deadlock";
    case TG_FINDING_HAZARD: return "hazard";
    case TG_FINDING_THREADS: return "threads";
    }
    return "unknown";
}

char *tg__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *tg__sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

struct tg_finding *tg__finding_new(enum tg_finding_kind kind, enum tg_hazard hazard)
{
    struct tg_finding *f = calloc(1, sizeof *f);
    if (f) {
        f->kind = kind;
        f->hazard = hazard;
    }
    return f;
}

struct tg_finding *tg__finding_new_one_thread(int n)
{
    struct tg_finding *f = tg__finding_new(TG_FINDING_HAZARD, TG_HAZARD_INVERSION_ONE_THREAD);
    if (!f)
        return NULL;
    f->cycle_length = n;
    f->summary = tg__sprintf("lock-order inversion seen in one thread: it took %d locks in "
                             "orders that form a cycle (no deadlock yet: one thread cannot "
                             "block itself this way)", n);
    f->advice = tg__strdup("the moment a second thread runs one of these paths while this "
                           "one runs another, each can hold what the other waits for. Take "
                           "these locks in one agreed order everywhere.");
    return f;
}

/* Grows *arr (of n elements of size sz) by one zeroed element. The
 * capacity is implied: the array is reallocated when n reaches a power of
 * two, so a finding with thousands of actors costs a logarithmic number of
 * reallocations. */
static void *grow_one(void **arr, int *n, size_t sz)
{
    char *p = *arr;
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? (size_t)*n * 2 : 1;
        p = realloc(*arr, cap * sz);
        if (!p)
            return NULL;
        *arr = p;
    }
    memset(p + (size_t)*n * sz, 0, sz);
    return p + (size_t)(*n)++ * sz;
}

struct tg_actor_info *tg__finding_add_actor(struct tg_finding *f)
{
    return grow_one((void **)&f->actors, &f->n_actors, sizeof *f->actors);
}

struct tg_place *tg__finding_add_place(struct tg_finding *f, int steps)
{
    struct tg_place *p = grow_one((void **)&f->places, &f->n_places, sizeof *f->places);
    if (!p)
        return NULL;
    p->steps = steps > 0 ? calloc((size_t)steps, sizeof *p->steps) : NULL;
    if (steps > 0 && !p->steps) {
        f->n_places--;
        return NULL;
    }
    p->n = steps;
    return p;
}

struct tg_hold *tg__actor_info_add_hold(struct tg_actor_info *a)
{
    return grow_one((void **)&a->holds, &a->n_holds, sizeof *a->holds);
}

int tg__stack_from_pcs(struct tg_stack *s, const uintptr_t *pcs, int n)
{
    s->n = 0;
    size_t cap = 1; /* a power of two, as grow_one expects */
    while (cap < (size_t)n)
        cap *= 2;
    s->frames = n > 0 ? calloc(cap, sizeof *s->frames) : NULL;
    if (n > 0 && !s->frames)
        return -1;
    for (int i = 0; i < n; i++)
        s->frames[i].pc = pcs[i];
    s->n = n;
    return 0;
}

int tg__stack_symbolic(struct tg_stack *s, const char *function, const char *file, int line)
{
    struct tg_frame *fr = grow_one((void **)&s->frames, &s->n, sizeof *s->frames);
    if (!fr)
        return -1;
    fr->function = tg__strdup(function);
    fr->file = tg__strdup(file);
    fr->line = line;
    return 0;
}

int tg__stack_copy(struct tg_stack *dst, const struct tg_stack *src, int max)
{
    int n = src->n < max ? src->n : max;
    dst->n = 0;
    dst->frames = NULL;
    for (int i = 0; i < n; i++) {
        const struct tg_frame *s = &src->frames[i];
        struct tg_frame *d = grow_one((void **)&dst->frames, &dst->n, sizeof *dst->frames);
        if (!d)
            return -1;
        *d = *s;
        d->module = tg__strdup(s->module);
        d->function = tg__strdup(s->function);
        d->file = tg__strdup(s->file);
    }
    return 0;
}

static void stack_free(struct tg_stack *s)
{
    for (int i = 0; i < s->n; i++) {
        free((char *)s->frames[i].module);
        free((char *)s->frames[i].function);
        free((char *)s->frames[i].file);
    }
    free(s->frames);
    s->frames = NULL;
    s->n = 0;
}

static void res_info_free(struct tg_res_info *r)
{
    free((char *)r->detail);
    free((char *)r->name);
    stack_free(&r->created);
}

void tg__finding_free(struct tg_finding *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_actors; i++) {
        struct tg_actor_info *a = &f->actors[i];
        free((char *)a->name);
        free(a->syscall);
        res_info_free(&a->wait.res);
        stack_free(&a->wait.stack);
        for (int j = 0; j < a->wait.n_any; j++)
            res_info_free(&a->wait.any[j].res);
        free(a->wait.any);
        free(a->wait.note);
        for (int j = 0; j < a->n_holds; j++) {
            res_info_free(&a->holds[j].res);
            stack_free(&a->holds[j].acquired);
        }
        free(a->holds);
        stack_free(&a->created);
    }
    free(f->actors);
    for (int i = 0; i < f->n_places; i++) {
        for (int j = 0; j < f->places[i].n; j++) {
            free(f->places[i].steps[j].actor_name);
            free(f->places[i].steps[j].lock_name);
            stack_free(&f->places[i].steps[j].acquired);
            stack_free(&f->places[i].steps[j].waits);
        }
        free(f->places[i].steps);
    }
    free(f->places);
    stack_free(&f->where);
    free(f->summary);
    free(f->advice);
    free(f);
}
