/* SPDX-License-Identifier: MIT */
/* closure.c: the sync-preserving closure, and the check of one abstract
 * pattern (SPDOffline's inner loop).
 *
 * An ideal is a prefix I[t] of every thread's stored events. Its closure is
 * the smallest ideal containing it that is closed under: fork (a started
 * thread needs its fork), join (a join needs the whole joined thread),
 * reads-from (a read needs the write it saw), and the lock rule: of two
 * acquires of a lock in the ideal that conflict (not both reads), the
 * earlier one's release must be in it too. If that release never happened,
 * no reordering holds both critical sections and the ideal is "saturated".
 *
 * The check keeps one head per component (the earliest acquire not yet
 * ruled out) and grows one ideal: the closure of everything before the
 * heads. A head that falls inside the closure is ruled out for good (heads
 * only move forward, so the closure only grows), and the next one is taken.
 * When no head is inside, the heads form a sync-preserving deadlock. Each
 * stored event enters the ideal at most once per pattern, so the check is
 * linear in the trace. */
#include "predict/spd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lock_state {
    uint32_t gen;
    uint32_t w_seq, w_thread, w_rel; /* latest exclusive acquire in the ideal */
    uint32_t a_seq;                  /* latest acquire of any mode in the ideal */
    int32_t pending;                 /* reads in the ideal whose release is not yet required */
};

struct pending_read {
    uint32_t seq, thread, rel;
    int32_t next;
};

struct tg__closure {
    uint32_t gen;
    uint32_t n_th, n_lk;
    uint32_t *ideal, *target, *work, n_work;
    uint8_t *queued;
    uint32_t *touched, n_touched;
    struct lock_state *lk;
    struct pending_read *reads;
    uint32_t n_reads, cap_reads;
    struct tg__cursor *cur;      /* per thread: reads the ideal's growth */
    struct tg__cursor *hcur;     /* per cycle position: finds the next head */
    int saturated, oom;          /* oom: out of memory or a temporary-file error */
};

void tg__spd_closure_free(struct tg__closure *cl)
{
    if (!cl)
        return;
    free(cl->ideal);
    free(cl->target);
    free(cl->work);
    free(cl->queued);
    free(cl->touched);
    free(cl->lk);
    free(cl->reads);
    for (uint32_t i = 0; cl->cur && i <= cl->n_th; i++)
        tg__cursor_free(&cl->cur[i]);
    for (uint32_t i = 0; cl->hcur && i <= cl->n_th; i++)
        tg__cursor_free(&cl->hcur[i]);
    free(cl->cur);
    free(cl->hcur);
    free(cl);
}

static struct tg__closure *closure_for(struct tg__spd *s)
{
    struct tg__closure *cl = s->cl;
    if (cl && cl->n_th == s->n_th && cl->n_lk == s->n_lk)
        return cl;
    tg__spd_closure_free(cl);
    s->cl = cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->n_th = s->n_th;
    cl->n_lk = s->n_lk;
    cl->ideal = calloc(s->n_th + 1, sizeof *cl->ideal);
    cl->target = calloc(s->n_th + 1, sizeof *cl->target);
    cl->work = calloc(s->n_th + 1, sizeof *cl->work);
    cl->touched = calloc(s->n_th + 1, sizeof *cl->touched);
    cl->queued = calloc(s->n_th + 1, 1);
    cl->lk = calloc(s->n_lk + 1, sizeof *cl->lk);
    cl->cur = calloc(s->n_th + 1, sizeof *cl->cur);
    cl->hcur = calloc(s->n_th + 1, sizeof *cl->hcur);
    if (!cl->ideal || !cl->target || !cl->work || !cl->touched || !cl->queued || !cl->lk ||
        !cl->cur || !cl->hcur) {
        tg__spd_closure_free(cl);
        s->cl = NULL;
        return NULL;
    }
    return cl;
}

/* Asks for the first `count` stored events of thread t. */
static void demand(struct tg__closure *cl, uint32_t t, uint32_t count)
{
    if (count <= cl->target[t])
        return;
    if (cl->target[t] == 0 && cl->ideal[t] == 0)
        cl->touched[cl->n_touched++] = t;
    cl->target[t] = count;
    if (!cl->queued[t]) {
        cl->queued[t] = 1;
        cl->work[cl->n_work++] = t;
    }
}

/* The release of an acquire must be in the ideal. */
static void need_release(struct tg__closure *cl, uint32_t t, uint32_t rel)
{
    if (rel == TG__NEVER)
        cl->saturated = 1;
    else
        demand(cl, t, rel);
}

static void lock_rule(struct tg__closure *cl, uint32_t t, const struct tg__sev *e, int read)
{
    struct lock_state *st = &cl->lk[SEV_OBJ(*e)];
    uint32_t seq = e->x, rel = e->y;
    if (st->gen != cl->gen)
        *st = (struct lock_state){.gen = cl->gen, .pending = -1};
    if (read) {
        if (st->w_seq > seq) {
            need_release(cl, t, rel);
        } else {
            if (cl->n_reads == cl->cap_reads &&
                tg__spd_grow((void **)&cl->reads, &cl->cap_reads, cl->n_reads + 1,
                             sizeof *cl->reads) < 0) {
                cl->oom = 1;
                return;
            }
            cl->reads[cl->n_reads] = (struct pending_read){seq, t, rel, st->pending};
            st->pending = (int32_t)cl->n_reads++;
        }
        if (st->w_seq && st->w_seq < seq)
            need_release(cl, st->w_thread, st->w_rel);
    } else {
        if (st->a_seq > seq)
            need_release(cl, t, rel);
        if (st->w_seq && st->w_seq < seq)
            need_release(cl, st->w_thread, st->w_rel);
        if (seq > st->w_seq) {
            st->w_seq = seq;
            st->w_thread = t;
            st->w_rel = rel;
        }
        for (int32_t *pp = &st->pending; *pp >= 0;) {
            struct pending_read *r = &cl->reads[*pp];
            if (r->seq < seq) {
                need_release(cl, r->thread, r->rel);
                *pp = r->next;
            } else {
                pp = &r->next;
            }
        }
    }
    if (seq > st->a_seq)
        st->a_seq = seq;
}

/* Grows the ideal to its closure (or until it saturates). */
static void close_ideal(struct tg__spd *s, struct tg__closure *cl)
{
    while (cl->n_work && !cl->saturated && !cl->oom) {
        uint32_t t = cl->work[--cl->n_work];
        cl->queued[t] = 0;
        while (cl->ideal[t] < cl->target[t] && !cl->saturated && !cl->oom) {
            const struct tg__sev *e = tg__spd_ev(s, &cl->cur[t], t, cl->ideal[t]++);
            if (!e) {
                cl->oom = 1;
                break;
            }
            switch (SEV_KIND(*e)) {
            case SEV_ACQ_X: lock_rule(cl, t, e, 0); break;
            case SEV_ACQ_R: lock_rule(cl, t, e, 1); break;
            case SEV_BEGIN:
                if (SEV_OBJ(*e) != SEV_NONE)
                    demand(cl, SEV_OBJ(*e), e->x + 1);
                break;
            case SEV_JOIN:
            case SEV_XREAD: demand(cl, SEV_OBJ(*e), e->x); break;
            default: break;
            }
        }
    }
}

static int cut_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct tg__cut *)a)->thread, y = ((const struct tg__cut *)b)->thread;
    return x < y ? -1 : x > y;
}

/* An order-independent hash of a cycle's (thread, lock) pairs. */
static uint64_t signature(const struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = k;
    for (uint32_t i = 0; i < k; i++) {
        const struct tg__comp *c = &s->comps[comps[i]];
        uint64_t x = ((uint64_t)c->thread << 32 | c->lock) * 0x9E3779B97F4A7C15ull;
        sig += x ^ (x >> 31);
    }
    return sig;
}

static int record(struct tg__spd *s, struct tg__closure *cl, const uint32_t *comps,
                  const uint32_t *heads, uint32_t k)
{
    if (tg__spd_grow((void **)&s->found, &s->cap_found, s->n_found + 1, sizeof *s->found) < 0)
        return -1;
    struct tg__pattern_result *r = &s->found[s->n_found];
    r->k = k;
    r->comps = malloc(k * sizeof *r->comps);
    r->heads = malloc(k * sizeof *r->heads);
    /* The witness: the threads the ideal reaches, in thread order. */
    uint32_t n = 0;
    for (uint32_t i = 0; i < cl->n_touched; i++)
        n += cl->ideal[cl->touched[i]] > 0;
    r->cut = malloc(((size_t)n + 1) * sizeof *r->cut);
    if (!r->comps || !r->heads || !r->cut) {
        free(r->comps);
        free(r->heads);
        free(r->cut);
        return -1;
    }
    r->n_cut = 0;
    for (uint32_t i = 0; i < cl->n_touched; i++) {
        uint32_t t = cl->touched[i];
        if (cl->ideal[t])
            r->cut[r->n_cut++] = (struct tg__cut){t, cl->ideal[t]};
    }
    qsort(r->cut, r->n_cut, sizeof *r->cut, cut_cmp);
    memcpy(r->comps, comps, k * sizeof *comps);
    memcpy(r->heads, heads, k * sizeof *heads);
    r->sig = signature(s, comps, k);
    r->repeats = 0;
    s->n_found++;
    s->st.deadlocks++;
    return 0;
}

/* Two patterns over the same threads and locks describe the same deadlock;
 * only the first found is reported. */
static int already_found(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = signature(s, comps, k);
    for (uint32_t f = 0; f < s->n_found; f++) {
        struct tg__pattern_result *r = &s->found[f];
        if (r->k != k || r->sig != sig)
            continue;
        uint32_t i;
        for (i = 0; i < k; i++) {
            struct tg__comp *a = &s->comps[comps[i]];
            uint32_t j;
            for (j = 0; j < k; j++) {
                struct tg__comp *b = &s->comps[r->comps[j]];
                if (a->thread == b->thread && a->lock == b->lock)
                    break;
            }
            if (j == k)
                break;
        }
        if (i == k) {
            r->repeats++;
            return 1;
        }
    }
    return 0;
}

/* The first candidate of component c (at cycle position i) at or after
 * stored index `from`, or TG__NEVER if there is none. */
static uint32_t next_head(struct tg__spd *s, struct tg__closure *cl, uint32_t i,
                          const struct tg__comp *c, uint32_t from)
{
    uint32_t n = s->th[c->thread].n;
    for (uint32_t j = from; j < n; j++) {
        const struct tg__sev *e = tg__spd_ev(s, &cl->hcur[i], c->thread, j);
        if (!e) {
            cl->oom = 1;
            return TG__NEVER;
        }
        if (e->ko == c->want_ko && e->hs == c->match)
            return j;
    }
    return TG__NEVER;
}

int tg__spd_check_pattern(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    if (already_found(s, comps, k))
        return 0;
    struct tg__closure *cl = closure_for(s);
    uint32_t heads_buf[64], *heads = k <= 64 ? heads_buf : malloc(k * sizeof *heads);
    if (!cl || !heads) {
        snprintf(s->err, sizeof s->err, "out of memory checking a deadlock pattern");
        return -1;
    }
    s->st.patterns_checked++;
    cl->gen++;
    cl->saturated = cl->oom = 0;
    cl->n_reads = cl->n_work = cl->n_touched = 0;
    int found = 0, rc = 0, exhausted = 0;
    for (uint32_t i = 0; i < k && !exhausted; i++) {
        struct tg__comp *c = &s->comps[comps[i]];
        heads[i] = next_head(s, cl, i, c, 0);
        if (heads[i] == TG__NEVER)
            exhausted = 1;
        else
            demand(cl, c->thread, heads[i]);
    }
    while (!exhausted) {
        close_ideal(s, cl);
        if (cl->saturated || cl->oom)
            break;
        int moved = 0;
        for (uint32_t i = 0; i < k && !exhausted; i++) {
            struct tg__comp *c = &s->comps[comps[i]];
            uint32_t in = cl->ideal[c->thread];
            if (heads[i] >= in)
                continue;
            /* Every candidate before the closure's frontier is inside it. */
            heads[i] = next_head(s, cl, i, c, in);
            if (heads[i] == TG__NEVER) {
                exhausted = 1;
                break;
            }
            demand(cl, c->thread, heads[i]);
            moved = 1;
        }
        if (exhausted)
            break;
        if (!moved) {
            found = 1;
            break;
        }
    }
    if (cl->oom) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "out of memory checking a deadlock pattern");
        rc = -1;
    } else if (found && record(s, cl, comps, heads, k) < 0) {
        snprintf(s->err, sizeof s->err, "out of memory recording a deadlock");
        rc = -1;
    }
    for (uint32_t i = 0; i < cl->n_touched; i++) {
        uint32_t t = cl->touched[i];
        cl->ideal[t] = cl->target[t] = 0;
        cl->queued[t] = 0;
    }
    if (heads != heads_buf)
        free(heads);
    return rc;
}
