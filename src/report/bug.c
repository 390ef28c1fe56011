/* SPDX-License-Identifier: MIT */
/* bug.c: one bug, one report.
 *
 * A lock-order cycle is one bug however many lock instances show it and
 * from however many call sites: the bug is the cycle of lock kinds (the
 * global variable a lock is, else where it was created, as lockdep's
 * classes), and each distinct set of call sites is a place where it shows.
 * A deadlock that happens over the cycle of an earlier prediction is the
 * same bug again: the documents (JSON, SARIF, HTML, DOT) carry it once, as
 * the deadlock with its prediction inside, so finding counts do not depend
 * on whether this run happened to predict it before it deadlocked. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

/* Frames of each site kept in a place: enough to see past a lock wrapper. */
#define PLACE_FRAMES 4

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 1099511628211ull;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = mix(h, (unsigned char)*s);
    return mix(h, 0x100);
}

/* A frame's identity: its address when it has one, else its text (a trace
 * reader's frames have no address). */
static uint64_t mix_frame(uint64_t h, const struct tg_frame *fr)
{
    if (fr->pc)
        return mix(mix(h, fr->pc), (uint64_t)fr->inlined);
    h = mix_str(mix_str(h, fr->function), fr->file);
    return mix(h, (uint64_t)fr->line);
}

static uint64_t mix_stack(uint64_t h, const struct tg_stack *s)
{
    for (int i = 0; i < s->n && i < PLACE_FRAMES; i++)
        h = mix_frame(h, &s->frames[i]);
    return mix(h, 0x200);
}

/* The kind of lock r is. */
static uint64_t lock_class(const struct tg_res_info *r)
{
    uint64_t h = 1469598103934665603ull;
    if (r->name)
        return mix_str(mix(h, 1), r->name);
    if (r->created.n > 0)
        return mix_frame(mix(h, 2), &r->created.frames[0]);
    return mix(mix(h, 3), r->id ? r->id : r->addr);
}

/* Whether f is a cycle over locks, each of its first cycle_length actors
 * holding what the one before waits for. */
static int lock_cycle(const struct tg_finding *f)
{
    if ((f->kind != TG_FINDING_DEADLOCK && f->kind != TG_FINDING_POTENTIAL_DEADLOCK) ||
        f->cycle_length < 2 || f->cycle_length > f->n_actors)
        return 0;
    for (int i = 0; i < f->cycle_length; i++) {
        const struct tg_wait *w = &f->actors[i].wait;
        if (!w->present || w->n_any > 0 || !w->res.kind || !strcmp(w->res.kind, "thread") ||
            !strcmp(w->res.kind, "task"))
            return 0;
    }
    return 1;
}

uint64_t tg__bug_key(const struct tg_finding *f)
{
    if (!lock_cycle(f))
        return 0;
    int n = f->cycle_length;
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        uint64_t held = lock_class(&f->actors[(i + n - 1) % n].wait.res);
        uint64_t wanted = lock_class(&f->actors[i].wait.res);
        sum += mix(mix(1469598103934665603ull, held), wanted);
    }
    return mix(sum, (uint64_t)n) | 1;
}

/* The hold of actor i that the actor before it in the cycle waits for. */
static const struct tg_hold *cycle_hold(const struct tg_finding *f, int i)
{
    const struct tg_actor_info *a = &f->actors[i];
    const struct tg_res_info *want = &f->actors[(i + f->cycle_length - 1) % f->cycle_length].wait.res;
    for (int j = 0; j < a->n_holds; j++)
        if ((want->id && a->holds[j].res.id == want->id) ||
            (!want->id && want->addr && a->holds[j].res.addr == want->addr))
            return &a->holds[j];
    return a->n_holds ? &a->holds[0] : NULL;
}

/* A step of a place: its sites and the name of its thread (a trace's
 * threads are told apart by name; a program's unnamed threads are one). */
static uint64_t step_key(const char *thread, const struct tg_stack *acquired,
                         const struct tg_stack *waits)
{
    return mix_stack(mix_stack(mix_str(1469598103934665603ull, thread), acquired), waits);
}

/* The sites of f's own cycle, independent of where the cycle starts. */
static uint64_t own_place_key(const struct tg_finding *f)
{
    static const struct tg_stack none;
    uint64_t sum = 0;
    for (int i = 0; i < f->cycle_length; i++) {
        const struct tg_hold *h = cycle_hold(f, i);
        sum += step_key(f->actors[i].name, h ? &h->acquired : &none, &f->actors[i].wait.stack);
    }
    return sum;
}

static uint64_t place_key(const struct tg_place *p)
{
    uint64_t sum = 0;
    for (int i = 0; i < p->n; i++)
        sum += step_key(p->steps[i].actor_name, &p->steps[i].acquired, &p->steps[i].waits);
    return sum;
}

int tg__bug_fold(struct tg_finding *into, const struct tg_finding *from)
{
    into->repeats += 1 + from->repeats;
    uint64_t k = own_place_key(from);
    int fresh = k != own_place_key(into);
    for (int i = 0; fresh && i < into->n_places; i++)
        fresh = place_key(&into->places[i]) != k;
    if (!fresh)
        return 0;
    struct tg_place *p = tg__finding_add_place(into, from->cycle_length);
    for (int i = 0; p && i < from->cycle_length; i++) {
        const struct tg_hold *h = cycle_hold(from, i);
        const struct tg_actor_info *a = &from->actors[i];
        p->steps[i].actor = a->id;
        p->steps[i].actor_name = tg__strdup(a->name);
        p->steps[i].lock = a->wait.res.id;
        p->steps[i].lock_name = tg__strdup(a->wait.res.name);
        if ((h && tg__stack_copy(&p->steps[i].acquired, &h->acquired, PLACE_FRAMES) < 0) ||
            tg__stack_copy(&p->steps[i].waits, &from->actors[i].wait.stack, PLACE_FRAMES) < 0)
            break;
    }
    return p != NULL;
}

/* The first finding of each bug, in a table keyed by the bug's key
 * (open addressing, at most half full): merging costs one look-up per
 * finding, however many there are. */
int tg__findings_merge(struct tg_finding **fs, int n)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    struct slot {
        uint64_t key;
        int at;
    } *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return n; /* out of memory: every finding stays a report of its own */
    int k = 0;
    for (int i = 0; i < n; i++) {
        uint64_t key = fs[i]->kind == TG_FINDING_POTENTIAL_DEADLOCK ? tg__bug_key(fs[i]) : 0;
        struct slot *s = NULL;
        for (size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull) & (cap - 1); key;
             j = (j + 1) & (cap - 1))
            if (!tab[j].key || tab[j].key == key) {
                s = &tab[j];
                break;
            }
        if (s && s->key) {
            tg__bug_fold(fs[s->at], fs[i]);
            tg__finding_free(fs[i]);
            continue;
        }
        if (s) {
            s->key = key;
            s->at = k;
        }
        fs[k++] = fs[i];
    }
    free(tab);
    return k;
}
