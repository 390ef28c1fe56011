/* findings.c: pass two. Replays the trace to recover what pass one did not
 * keep (locations of the blocking acquires and of the held locks, and the
 * line of every witness cut), then builds one finding per deadlock.
 *
 * The replay runs the same event code as pass one (store.c) in counting
 * mode, so "the k-th stored event of thread t" means the same event in both
 * passes. It only runs when something was found. */
#include "predict/spd_impl.h"
#include "trace/intern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snap_hold {
    uint32_t lock, loc;
    uint8_t mode;
    uint16_t count;
    uint64_t pos;
};

/* A stored event whose position (and, for heads, context) we want. */
struct watch {
    uint32_t idx;
    uint64_t pos;        /* 0 until seen */
    int head;
    uint32_t loc;
    struct snap_hold *holds;
    uint32_t n_holds;
};

struct replay {
    struct tg__spd *s;
    struct tg_trace_reader *r;
    struct tg__intern locs;      /* text traces: interned LOC fields */
    struct watch **w;            /* per thread, sorted by idx */
    uint32_t *n_w, *next;
    uint32_t *total;             /* pass-one stored count per thread */
    uint64_t unseen;             /* watches not reached yet: the replay stops at 0 */
    int binary;
};

static int add_watch(struct replay *rp, uint32_t t, uint32_t idx, int head)
{
    struct watch *w = rp->w[t];
    uint32_t n = rp->n_w[t], i;
    for (i = 0; i < n; i++)
        if (w[i].idx == idx) {
            w[i].head |= head;
            return 0;
        }
    w = realloc(w, (n + 1) * sizeof *w);
    if (!w)
        return -1;
    w[n] = (struct watch){.idx = idx, .head = head};
    rp->unseen++;
    rp->w[t] = w;
    rp->n_w[t] = n + 1;
    return 0;
}

static int watch_cmp(const void *a, const void *b)
{
    const struct watch *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int plan(struct replay *rp)
{
    struct tg__spd *s = rp->s;
    uint32_t n = s->n_th;
    rp->w = calloc(n + 1, sizeof *rp->w);
    rp->n_w = calloc(n + 1, sizeof *rp->n_w);
    rp->next = calloc(n + 1, sizeof *rp->next);
    rp->total = calloc(n + 1, sizeof *rp->total);
    if (!rp->w || !rp->n_w || !rp->next || !rp->total)
        return -1;
    for (uint32_t t = 0; t < n; t++)
        rp->total[t] = s->th[t].n;
    for (uint32_t f = 0; f < s->n_found; f++) {
        struct tg__pattern_result *r = &s->found[f];
        for (uint32_t i = 0; i < r->k; i++)
            if (add_watch(rp, s->comps[r->comps[i]].thread, r->heads[i], 1) < 0)
                return -1;
        for (uint32_t t = 0; t < n; t++)
            if (r->ideal[t] > 0 && r->ideal[t] < rp->total[t] && add_watch(rp, t, r->ideal[t], 0) < 0)
                return -1;
    }
    for (uint32_t t = 0; t < n; t++)
        if (rp->n_w[t] > 1)
            qsort(rp->w[t], rp->n_w[t], sizeof *rp->w[t], watch_cmp);
    return 0;
}

/* Forgets pass one's running state (not the stored events) for the replay. */
static void reset_state(struct tg__spd *s)
{
    for (uint32_t t = 0; t < s->n_th; t++) {
        struct tg__thread *th = &s->th[t];
        th->n = th->n_held = 0;
        th->started = th->forked = 0;
        th->parent = th->fork_idx = 0;
        th->hset = -1;
        memset(th->xr_writer, 0, sizeof th->xr_writer);
        memset(th->xr_count, 0, sizeof th->xr_count);
    }
    memset(s->lk, 0, s->n_lk * sizeof *s->lk);
    memset(s->var, 0, s->n_var * sizeof *s->var);
    for (uint32_t i = 0; i < s->n_cond; i++)
        s->cond[i].n = 0;
}

/* Notes every watched stored event of thread t that the last event made. */
static int observe(struct replay *rp, uint32_t t, const struct tg_trace_event *ev)
{
    struct tg__thread *th = &rp->s->th[t];
    while (rp->next[t] < rp->n_w[t] && rp->w[t][rp->next[t]].idx < th->n) {
        struct watch *w = &rp->w[t][rp->next[t]++];
        w->pos = ev->pos;
        rp->unseen--;
        if (!w->head || ev->op != TG_EV_ACQUIRE || ev->thread != t || th->n_held == 0)
            continue;
        /* The acquire is on top of the held stack; what it waits while
         * holding is everything below. */
        struct tg__held *top = &th->held[th->n_held - 1];
        w->loc = top->loc;
        w->n_holds = th->n_held - 1;
        w->holds = calloc(w->n_holds + 1, sizeof *w->holds);
        if (!w->holds)
            return -1;
        for (uint32_t i = 0; i + 1 < th->n_held; i++) {
            struct tg__held *h = &th->held[i];
            w->holds[i] = (struct snap_hold){h->lock, h->loc, h->mode, h->count, h->pos};
        }
    }
    return 0;
}

static int run_replay(struct replay *rp)
{
    struct tg__spd *s = rp->s;
    struct tg_trace_event ev;
    int rc = TG_TRACE_EOF;
    if (tg__trace_rewind(rp->r) < 0) {
        snprintf(s->err, sizeof s->err, "%s", tg__trace_error(rp->r));
        return -1;
    }
    reset_state(s);
    s->replay = 1;
    s->rd = NULL;
    while (rp->unseen && (rc = tg__trace_next(rp->r, &ev)) == TG_TRACE_OK) {
        if (!rp->binary && ev.op == TG_EV_ACQUIRE) {
            int64_t id = tg__intern(&rp->locs, ev.loc, ev.loc_len);
            if (id < 0)
                return -1;
            ev.site = (uint32_t)id;
        }
        if (tg__spd_event(s, &ev) < 0 || observe(rp, ev.thread, &ev) < 0)
            return -1;
        if (ev.op == TG_EV_NOTIFY)
            for (uint32_t t = 0; t < s->n_th; t++)
                if (rp->n_w[t] && t != ev.thread && observe(rp, t, &ev) < 0)
                    return -1;
    }
    s->replay = 0;
    return rc == TG_TRACE_ERR ? -1 : 0;
}

static struct watch *find_watch(struct replay *rp, uint32_t t, uint32_t idx)
{
    for (uint32_t i = 0; i < rp->n_w[t]; i++)
        if (rp->w[t][i].idx == idx)
            return &rp->w[t][i];
    return NULL;
}

/* ---- building findings -------------------------------------------------- */

static const char *mode_name(uint8_t m)
{
    return m == TG_MODE_READ ? "read" : "exclusive";
}

/* A one-frame stack for a trace location: the LOC text as the function,
 * and the trace file and line where the event is. */
static int loc_stack(struct replay *rp, struct tg_stack *st, uint32_t loc, uint64_t pos,
                     const char *path)
{
    if (rp->binary) {
        const uint64_t *pcs;
        const char *text = tg__trace_site_text(rp->r, loc);
        if (text)
            return tg__stack_symbolic(st, text, NULL, 0);
        int n = tg__trace_site_frames(rp->r, loc, &pcs);
        if (n > 0) {
            uintptr_t tmp[TG__MAX_FRAMES_COPY];
            if (n > TG__MAX_FRAMES_COPY)
                n = TG__MAX_FRAMES_COPY;
            for (int i = 0; i < n; i++)
                tmp[i] = (uintptr_t)pcs[i];
            return tg__stack_from_pcs(st, tmp, n);
        }
        char *fn = tg__sprintf("event %llu", (unsigned long long)pos);
        int rc = tg__stack_symbolic(st, fn, path, 0);
        free(fn);
        return rc;
    }
    const char *text = tg__intern_name(&rp->locs, loc);
    char *fn = tg__sprintf("%s%s", text[0] ? "loc " : "event", text);
    int rc = fn ? tg__stack_symbolic(st, fn, path, pos > 0x7fffffff ? 0 : (int)pos) : -1;
    free(fn);
    return rc;
}

static int lock_info(struct replay *rp, struct tg_res_info *ri, uint32_t lock, int rw)
{
    ri->id = (uint64_t)lock + 1;
    ri->kind = rw ? "rwlock" : "lock";
    ri->name = tg__strdup(tg__trace_object_name(rp->r, lock));
    return ri->name ? 0 : -1;
}

static char *witness_text(struct replay *rp, const struct tg__pattern_result *r)
{
    struct tg__spd *s = rp->s;
    const char *unit = rp->binary ? "event" : "line";
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
#define APPEND(...)                                                         \
    do {                                                                    \
        int n_ = snprintf(out + len, cap - len, __VA_ARGS__);               \
        if (n_ < 0)                                                         \
            break;                                                          \
        if ((size_t)n_ >= cap - len) {                                      \
            while ((size_t)n_ >= cap - len)                                 \
                cap *= 2;                                                   \
            char *o_ = realloc(out, cap);                                   \
            if (!o_) {                                                      \
                free(out);                                                  \
                return NULL;                                                \
            }                                                               \
            out = o_;                                                       \
            snprintf(out + len, cap - len, __VA_ARGS__);                    \
        }                                                                   \
        len += (size_t)n_;                                                  \
    } while (0)
    APPEND("Witness: replay the trace keeping, in their observed order, ");
    int first = 1;
    for (uint32_t t = 0; t < s->n_th; t++) {
        if (!r->ideal[t])
            continue;
        const char *name = tg__trace_thread_name(rp->r, t);
        if (r->ideal[t] >= rp->total[t]) {
            APPEND("%sall events of %s", first ? "" : ", ", name);
        } else {
            struct watch *w = find_watch(rp, t, r->ideal[t]);
            APPEND("%sthe events of %s before %s %llu", first ? "" : ", ", name, unit,
                   (unsigned long long)(w ? w->pos : 0));
        }
        first = 0;
    }
    APPEND("; then ");
    for (uint32_t i = 0; i < r->k; i++) {
        const struct tg__comp *c = &s->comps[r->comps[i]];
        struct watch *w = find_watch(rp, c->thread, r->heads[i]);
        APPEND("%s%s blocks acquiring %s (%s %llu)", i ? ", " : "",
               tg__trace_thread_name(rp->r, c->thread), tg__trace_object_name(rp->r, c->lock),
               unit, (unsigned long long)(w ? w->pos : 0));
    }
    APPEND(".");
#undef APPEND
    return out;
}

static char *summary_text(struct replay *rp, const struct tg__pattern_result *r)
{
    struct tg__spd *s = rp->s;
    const struct tg__comp *a = &s->comps[r->comps[0]], *b = &s->comps[r->comps[1 % r->k]];
    if (r->k == 2)
        return tg__sprintf("Threads %s and %s can deadlock in another interleaving: %s waits "
                           "for %s while holding %s, and %s waits for %s while holding %s.",
                           tg__trace_thread_name(rp->r, a->thread),
                           tg__trace_thread_name(rp->r, b->thread),
                           tg__trace_thread_name(rp->r, a->thread),
                           tg__trace_object_name(rp->r, a->lock),
                           tg__trace_object_name(rp->r, b->lock),
                           tg__trace_thread_name(rp->r, b->thread),
                           tg__trace_object_name(rp->r, b->lock),
                           tg__trace_object_name(rp->r, a->lock));
    return tg__sprintf("%u threads can deadlock in another interleaving, each waiting for a "
                       "lock the next one holds, in a cycle over %u locks starting with %s "
                       "waiting for %s.", r->k, r->k, tg__trace_thread_name(rp->r, a->thread),
                       tg__trace_object_name(rp->r, a->lock));
}

static struct tg_finding *build(struct replay *rp, const struct tg__pattern_result *r,
                                const char *path)
{
    struct tg__spd *s = rp->s;
    struct tg_finding *f = tg__finding_new(TG_FINDING_POTENTIAL_DEADLOCK, TG_HAZARD_NONE);
    if (!f)
        return NULL;
    char *wit = witness_text(rp, r);
    f->summary = summary_text(rp, r);
    f->advice = wit ? tg__sprintf("Take these locks in one global order in every thread, or "
                                  "under one common lock. It is reachable from the observed run. %s", wit)
                    : NULL;
    free(wit);
    if (!f->summary || !f->advice)
        goto fail;
    for (uint32_t i = 0; i < r->k; i++) {
        const struct tg__comp *c = &s->comps[r->comps[i]];
        const struct tg__comp *next = &s->comps[r->comps[(i + 1) % r->k]];
        struct watch *w = find_watch(rp, c->thread, r->heads[i]);
        struct tg_actor_info *a = tg__finding_add_actor(f);
        if (!a || !w)
            goto fail;
        a->id = (uint64_t)c->thread + 1;
        a->kind = "thread";
        a->state = "blocked";
        a->name = tg__strdup(tg__trace_thread_name(rp->r, c->thread));
        a->wait.present = 1;
        a->wait.mode = mode_name(c->mode);
        a->wait.holder = (uint64_t)next->thread + 1;
        if (!a->name || lock_info(rp, &a->wait.res, c->lock, c->mode == TG_MODE_READ) < 0 ||
            loc_stack(rp, &a->wait.stack, w->loc, w->pos, path) < 0)
            goto fail;
        for (uint32_t j = 0; j < w->n_holds; j++) {
            const struct snap_hold *sh = &w->holds[j];
            struct tg_hold *h = tg__actor_info_add_hold(a);
            if (!h)
                goto fail;
            h->mode = mode_name(sh->mode);
            h->count = sh->count;
            if (lock_info(rp, &h->res, sh->lock, sh->mode == TG_MODE_READ) < 0 ||
                loc_stack(rp, &h->acquired, sh->loc, sh->pos, path) < 0)
                goto fail;
        }
    }
    return f;
fail:
    tg__finding_free(f);
    return NULL;
}

static void replay_free(struct replay *rp)
{
    if (rp->w)
        for (uint32_t t = 0; t < rp->s->n_th; t++) {
            for (uint32_t i = 0; i < rp->n_w[t]; i++)
                free(rp->w[t][i].holds);
            free(rp->w[t]);
        }
    free(rp->w);
    free(rp->n_w);
    free(rp->next);
    free(rp->total);
    tg__intern_free(&rp->locs);
}

long tg__spd_findings(struct tg__spd *s, struct tg_trace_reader *r, const char *path,
                      struct tg_finding ***out)
{
    struct replay rp = {.s = s, .r = r, .binary = strcmp(tg__trace_format(r), "binary") == 0};
    long n = -1;
    *out = NULL;
    if (s->n_found == 0)
        return 0;
    tg__intern_init(&rp.locs);
    struct tg_finding **fs = calloc(s->n_found, sizeof *fs);
    if (!fs || plan(&rp) < 0 || run_replay(&rp) < 0) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "out of memory reporting deadlocks");
        free(fs);
        goto out;
    }
    for (uint32_t i = 0; i < s->n_found; i++) {
        fs[i] = build(&rp, &s->found[i], path);
        if (!fs[i]) {
            for (uint32_t j = 0; j < i; j++)
                tg__finding_free(fs[j]);
            free(fs);
            snprintf(s->err, sizeof s->err, "out of memory reporting deadlocks");
            goto out;
        }
    }
    *out = fs;
    n = s->n_found;
out:
    replay_free(&rp);
    return n;
}
