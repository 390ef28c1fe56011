/* SPDX-License-Identifier: MIT */
/* records.c: the engine's own records, in a process that runs under
 * `tangle run` (or in its core dump).
 *
 * glibc keeps only the owner of a mutex and the writer of an rwlock; the
 * engine keeps, for every thread, each lock it holds, in which mode, and
 * where it was acquired. libtangle exports tg__attach_anchor (core/anchor.h)
 * for this: it is looked up in the target's libtangle module, checked to
 * come from this very tangle (magic, version, record sizes), and the actor
 * registry and the stack arena it points at are copied out of the stopped
 * target. Anything that does not check out leaves the reading to glibc's
 * fields alone, with a note saying why. */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "core/anchor.h"
#include "core/engine.h"
#include "task/task_int.h"

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case TG_RES_MUTEX: return "mutex";
    case TG_RES_RWLOCK: return "rwlock";
    case TG_RES_SEM: return "semaphore";
    case TG_RES_SPIN: return "spinlock";
    case TG_RES_COND: return "condition";
    case TG_RES_BARRIER: return "barrier";
    case TG_RES_CHANNEL: return "channel";
    case TG_RES_EVENT: return "event";
    default: return "lock";
    }
}

struct found {
    Dwarf_Addr addr;
    int n;
};

static int find_anchor(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)start;
    struct found *f = arg;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strncmp(base, "libtangle", 9))
        return DWARF_CB_OK;
    int n = dwfl_module_getsymtab(m);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *s = dwfl_module_getsym_info(m, i, &sym, &addr, NULL, NULL, NULL);
        if (s && !strcmp(s, "tg__attach_anchor") && sym.st_shndx != SHN_UNDEF) {
            f->addr = addr;
            f->n++;
            return DWARF_CB_ABORT;
        }
    }
    return DWARF_CB_OK;
}

static int by_tid(const void *a, const void *b)
{
    long x = ((const struct tg__record *)a)->tid, y = ((const struct tg__record *)b)->tid;
    return (x > y) - (x < y);
}

/* The stack arena in the target: its segment table and their size. */
struct arena {
    uintptr_t segs;
    uint32_t shift;
};

/* An interned stack (id), else the one call site pc; returns the frames. */
static int read_stack(struct tg__target *t, const struct arena *ar, uint32_t id, uintptr_t pc,
                      uintptr_t *pcs)
{
    uintptr_t n = 0, seg = 0, rec = 0;
    if (ar->segs && id && ar->shift > 0 && ar->shift < 32 &&
        tg__target_read(t, ar->segs + (id >> ar->shift) * sizeof(uintptr_t), &seg, sizeof seg) == 0 &&
        seg && (rec = seg + (id & ((1u << ar->shift) - 1)) * sizeof(uintptr_t)) &&
        tg__target_read(t, rec, &n, sizeof n) == 0 && n > 0 && n <= 256) {
        int k = n < TG__ATTACH_HOLD_FRAMES ? (int)n : TG__ATTACH_HOLD_FRAMES;
        if (tg__target_read(t, rec + sizeof(uintptr_t), pcs, (size_t)k * sizeof(uintptr_t)) == 0)
            return k;
    }
    pcs[0] = pc;
    return pc ? 1 : 0;
}

/* The held list of actor a, copied: 0, or -1. */
static int read_holds(struct tg__target *t, const struct arena *arena, const struct tg_actor *a,
                      struct tg__thold **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (a->n_held == 0)
        return 0;
    struct tg_held *held = malloc((size_t)a->n_held * sizeof *held);
    struct tg__thold *holds = calloc((size_t)a->n_held, sizeof *holds);
    if (!held || !holds || tg__target_read(t, (uintptr_t)a->held, held, (size_t)a->n_held * sizeof *held) != 0) {
        free(held);
        free(holds);
        return -1;
    }
    int n = 0;
    for (int k = 0; k < a->n_held; k++) {
        const struct tg_held *h = &held[k];
        if (h->released_by_other)
            continue;
        struct tg__thold *o = &holds[n++];
        o->addr = h->addr;
        o->mode = h->mode == TG_MODE_READ ? TG_REC_READ : h->mode == TG_MODE_WRITE ? TG_REC_WRITE : TG_REC_EXCL;
        o->kind = "mutex"; /* a hold taken on the cheapest path is a mutex's */
        struct tg_res res;
        if (h->res && tg__target_read(t, (uintptr_t)h->res, &res, sizeof res) == 0 && res.addr == h->addr)
            o->kind = kind_name(tg__res_kind_of(&res));
        o->n_pcs = read_stack(t, arena, h->stack, h->pc, o->pcs);
    }
    free(held);
    *out = holds;
    *n_out = n;
    return 0;
}

/* The task mutexes task actor a took since it last waited: they are in
 * its hold record (tg_task.hold_in) only, and are appended to r's holds.
 * Pointers that do not fall inside the record are taken for a record
 * being rewritten, and nothing is added. */
static void read_hold_record(struct tg__target *t, const struct arena *arena, const struct tg_actor *a,
                             struct tg__rtask *r)
{
    struct {
        struct tg__hold *top, *mirror, *end;
        struct tg__hold in[1 + TG__HOLD_IN]; /* [0]: the sentinel */
    } rec;
    _Static_assert(offsetof(struct tg_task, hold_in) - offsetof(struct tg_task, hold_top) ==
                       offsetof(__typeof__(rec), in), "the hold record's fields are contiguous");
    uintptr_t at = (uintptr_t)a->user + offsetof(struct tg_task, hold_top);
    uintptr_t in = (uintptr_t)a->user + offsetof(struct tg_task, hold_in);
    if (!a->user || tg__target_read(t, at, &rec, sizeof rec) != 0)
        return;
    uintptr_t lo = (uintptr_t)rec.mirror, hi = (uintptr_t)rec.top;
    if (lo < in + sizeof rec.in[0] || hi > in + sizeof rec.in || lo >= hi || (hi - in) % sizeof rec.in[0] ||
        (lo - in) % sizeof rec.in[0])
        return;
    int first = (int)((lo - in) / sizeof rec.in[0]), last = (int)((hi - in) / sizeof rec.in[0]);
    struct tg__thold *h = realloc(r->holds, (size_t)(r->n_holds + last - first) * sizeof *h);
    if (!h)
        return;
    r->holds = h;
    for (int k = first; k < last; k++) {
        struct tg__thold *o = &h[r->n_holds++];
        memset(o, 0, sizeof *o);
        o->addr = (uintptr_t)rec.in[k].m & ~(uintptr_t)1; /* (marked: mirrored, a torn copy) */
        o->kind = "mutex";
        o->mode = TG_REC_EXCL;
        o->n_pcs = read_stack(t, arena, 0, rec.in[k].pc, o->pcs);
    }
}

/* A task's record: 0, or -1 when it is not a live task or unreadable. */
static int read_task(struct tg__target *t, const struct arena *arena, const struct tg_actor *a, uintptr_t at,
                     struct tg__rtask *r)
{
    memset(r, 0, sizeof *r);
    if (a->state == TG_ST_EXITED || a->n_held < 0 || a->n_held > 4096)
        return -1;
    r->id = a->id;
    r->actor = at;
    memcpy(r->name, a->name, sizeof r->name);
    r->name[sizeof r->name - 1] = '\0';
    if (a->host)
        tg__target_read(t, (uintptr_t)a->host + offsetof(struct tg_actor, tid), &r->host, sizeof r->host);
    if ((a->wait_seq & 1) && !a->wait.any) {
        const struct tg_wait_desc *w = &a->wait;
        r->waiting = 1;
        r->timed = (w->flags & TG_WF_TIMED) != 0;
        r->wait_mode = w->mode == TG_MODE_READ ? TG_REC_READ : w->mode == TG_MODE_WRITE ? TG_REC_WRITE : TG_REC_EXCL;
        struct tg_res res;
        if (w->kind == TG_RES_JOIN) {
            r->wait_kind = "task";
            if (w->target)
                tg__target_read(t, (uintptr_t)w->target + offsetof(struct tg_actor, id), &r->target, sizeof r->target);
        } else if (w->res && tg__target_read(t, (uintptr_t)w->res, &res, sizeof res) == 0) {
            r->wait_kind = kind_name(tg__res_kind_of(&res));
            r->wait_obj = res.addr;
        } else {
            r->wait_kind = kind_name(w->kind);
        }
        r->n_pcs = read_stack(t, arena, a->wait_stack, w->pc, r->pcs);
    }
    if (read_holds(t, arena, a, &r->holds, &r->n_holds) != 0)
        return -1;
    read_hold_record(t, arena, a, r);
    return 0;
}

/* One actor's record (a thread's into t->recs, a task's into t->tasks). */
static void read_actor(struct tg__target *t, const struct arena *arena, uintptr_t at)
{
    struct tg_actor a;
    if (tg__target_read(t, at, &a, sizeof a) != 0 || a.n_held < 0 || a.n_held > 4096)
        return;
    if (a.kind == TG_ACTOR_TASK) {
        if (read_task(t, arena, &a, at, &t->tasks[t->n_tasks]) == 0)
            t->n_tasks++;
        return;
    }
    if (a.kind != TG_ACTOR_THREAD || a.tid <= 0)
        return;
    struct tg__record *r = &t->recs[t->n_recs];
    memset(r, 0, sizeof *r);
    r->tid = a.tid;
    r->exited = a.state == TG_ST_EXITED;
    r->internal = (a.aflags & TG_AF_INTERNAL) != 0;
    r->running = (a.aflags & TG_AF_HOST) ? (uintptr_t)a.running : 0;
    if (read_holds(t, arena, &a, &r->holds, &r->n_holds) == 0)
        t->n_recs++;
}

void tg__records_read(struct tg__target *t)
{
    struct found f = {0};
    if (t->dwfl)
        dwfl_getmodules(t->dwfl, find_anchor, &f, 0);
    if (!f.n)
        return; /* not under tangle */
    struct tg__anchor an;
    if (tg__target_read(t, (uintptr_t)f.addr, &an, sizeof an) != 0 ||
        memcmp(an.magic, TG__ANCHOR_MAGIC, sizeof TG__ANCHOR_MAGIC) != 0) {
        snprintf(t->records_note, sizeof t->records_note,
                 "the process runs under tangle, but its records could not be read; owners come "
                 "from glibc's fields alone");
        return;
    }
    if (strncmp(an.version, TG_VERSION, sizeof an.version) != 0 ||
        an.actor_size != sizeof(struct tg_actor) || an.held_size != sizeof(struct tg_held) ||
        an.res_size != sizeof(struct tg_res) || an.wait_size != sizeof(struct tg_wait_desc)) {
        snprintf(t->records_note, sizeof t->records_note,
                 "the process runs under tangle %.16s, whose records this tangle (%s) cannot "
                 "read; owners come from glibc's fields alone", an.version, TG_VERSION);
        return;
    }
    uintptr_t registry = 0;
    struct arena arena = {(uintptr_t)an.stack_segs, an.stack_seg_shift};
    int slots = 0;
    if (tg__target_read(t, (uintptr_t)an.actors, &registry, sizeof registry) != 0 ||
        tg__target_read(t, (uintptr_t)an.actor_slots, &slots, sizeof slots) != 0)
        registry = 0;
    t->records = 1;
    if (!registry || slots <= 0)
        return; /* under tangle, but no thread registered yet */
    uintptr_t *ptrs = malloc((size_t)slots * sizeof *ptrs);
    t->recs = calloc((size_t)slots, sizeof *t->recs);
    t->tasks = calloc((size_t)slots, sizeof *t->tasks);
    if (!ptrs || !t->recs || !t->tasks || tg__target_read(t, registry, ptrs, (size_t)slots * sizeof *ptrs) != 0) {
        free(ptrs);
        tg__records_free(t);
        t->records = 0;
        return;
    }
    for (int i = 0; i < slots; i++)
        if (ptrs[i])
            read_actor(t, &arena, ptrs[i]);
    free(ptrs);
    qsort(t->recs, (size_t)t->n_recs, sizeof *t->recs, by_tid);
    for (int k = 0; k < t->n_tasks; k++) {
        const struct tg__record *h = t->tasks[k].host ? tg__record_of(t, t->tasks[k].host) : NULL;
        t->tasks[k].on_host = h && !h->exited && h->running == t->tasks[k].actor;
    }
    /* tangle's own threads are not the program's: they are left out of
     * the report and of the whole-process stall. */
    long watchdog = 0;
    if (tg__target_read(t, (uintptr_t)an.watchdog_tid, &watchdog, sizeof watchdog) != 0)
        watchdog = 0;
    for (int i = 0; i < t->n_threads; i++) {
        const struct tg__record *r = tg__record_of(t, t->threads[i].tid);
        t->threads[i].internal = t->threads[i].tid == watchdog || (r && r->internal && !r->exited);
    }
}

const struct tg__record *tg__record_of(const struct tg__target *t, long tid)
{
    /* An exited actor's tid may be reused by a live thread: the live one
     * sorts next to it and wins. */
    const struct tg__record *best = NULL;
    int lo = 0, hi = t->n_recs;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t->recs[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo; i < t->n_recs && t->recs[i].tid == tid; i++)
        if (!best || (best->exited && !t->recs[i].exited))
            best = &t->recs[i];
    return best;
}

void tg__records_free(struct tg__target *t)
{
    for (int i = 0; i < t->n_recs; i++)
        free(t->recs[i].holds);
    free(t->recs);
    t->recs = NULL;
    t->n_recs = 0;
    for (int i = 0; i < t->n_tasks; i++)
        free(t->tasks[i].holds);
    free(t->tasks);
    t->tasks = NULL;
    t->n_tasks = 0;
}
