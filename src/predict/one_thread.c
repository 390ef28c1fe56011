/* SPDX-License-Identifier: MIT */
/* one_thread.c: lock-order inversions seen within one thread.
 *
 * One thread that took A then B in one place and B then A in another
 * cannot deadlock alone, but it will the moment a second thread runs one
 * of the paths while it runs the other. The live lock-order graph reports
 * such a cycle as the hazard "inversion-one-thread", and as a potential
 * deadlock once a second thread shows it; this is the same for a trace.
 * The cycles are those of the deadlock patterns (patterns.c), searched
 * among one thread's components: distinct waited locks, each held by the
 * next component in a conflicting mode, no lock held by two components
 * unless both read it (a gate held across every nesting keeps them
 * silent). Trylocks and joins make no component here.
 *
 * The search runs after the deadlock search, so promotion is a lookup: a
 * cycle over the same locks in the same order that was also found as a
 * sync-preserving deadlock between threads is that deadlock's report, not
 * a hazard (the whole trace is known: no hazard is printed first and
 * overtaken later, as a live run must). Each cycle of locks is reported
 * once, at its first occurrence in the first thread that shows it. */
#include "predict/spd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An order-independent hash of a cycle's lock-order edges: the lock each
 * component holds (the one before it waits for) to the lock it waits for. */
static uint64_t lock_signature(const struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = k;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t held = s->comps[comps[(i + k - 1) % k]].lock, wanted = s->comps[comps[i]].lock;
        uint64_t x = (held << 32 | wanted) * 0x9E3779B97F4A7C15ull;
        sig += x ^ (x >> 29);
    }
    return sig;
}

/* Whether every lock-order edge of cycle a is one of cycle b's (same length). */
static int same_edges(const struct tg__spd *s, const uint32_t *a, const uint32_t *b, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        uint32_t held = s->comps[a[(i + k - 1) % k]].lock, wanted = s->comps[a[i]].lock;
        uint32_t j = 0;
        while (j < k && !(s->comps[b[(j + k - 1) % k]].lock == held &&
                          s->comps[b[j]].lock == wanted))
            j++;
        if (j == k)
            return 0;
    }
    return 1;
}

static int among(const struct tg__spd *s, const struct tg__pattern_result *rs, uint32_t n,
                 const uint32_t *comps, uint32_t k, uint64_t sig)
{
    for (uint32_t i = 0; i < n; i++)
        if (rs[i].k == k && rs[i].sig == sig && same_edges(s, comps, rs[i].comps, k))
            return 1;
    return 0;
}

/* The first stored acquire that component c stands for: 1 if found (in
 * *at), 0 if none, -1 on an I/O error (s->err set). */
static int first_candidate(struct tg__spd *s, struct tg__cursor *cur, const struct tg__comp *c,
                           uint32_t *at)
{
    for (uint32_t j = 0; j < s->th[c->thread].n; j++) {
        const struct tg__sev *e = tg__spd_ev(s, cur, c->thread, j);
        if (!e)
            return -1;
        if (e->ko == c->want_ko && e->hs == c->match) {
            *at = j;
            return 1;
        }
    }
    return 0;
}

static int check(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = lock_signature(s, comps, k);
    if (among(s, s->one, s->n_one, comps, k, sig))
        return 0;
    for (uint32_t f = 0; f < s->n_found; f++) /* the deadlock search's, to compare */
        if (!s->found[f].lsig)
            s->found[f].lsig = lock_signature(s, s->found[f].comps, s->found[f].k) | 1;
    for (uint32_t f = 0; f < s->n_found; f++)
        if (s->found[f].k == k && s->found[f].lsig == (sig | 1) &&
            same_edges(s, comps, s->found[f].comps, k))
            return 0; /* promoted: two threads show it, and it is a deadlock */
    if (tg__spd_grow((void **)&s->one, &s->cap_one, s->n_one + 1, sizeof *s->one) < 0)
        goto oom;
    struct tg__pattern_result *r = &s->one[s->n_one];
    memset(r, 0, sizeof *r);
    r->comps = malloc(k * sizeof *r->comps);
    r->heads = malloc(k * sizeof *r->heads);
    if (!r->comps || !r->heads) {
        free(r->comps);
        free(r->heads);
        goto oom;
    }
    struct tg__cursor cur = {0};
    int rc = 1;
    for (uint32_t i = 0; i < k && rc == 1; i++)
        rc = first_candidate(s, &cur, &s->comps[comps[i]], &r->heads[i]);
    tg__cursor_free(&cur);
    if (rc != 1) { /* an I/O error; or no acquire, which cannot be: skip it */
        free(r->comps);
        free(r->heads);
        return rc;
    }
    memcpy(r->comps, comps, k * sizeof *comps);
    r->k = k;
    r->sig = sig;
    s->n_one++;
    return 0;
oom:
    snprintf(s->err, sizeof s->err, "out of memory recording a lock-order inversion");
    return -1;
}

int tg__spd_one_thread(struct tg__spd *s)
{
    /* The search has its own budget of patterns and steps. */
    uint64_t patterns = s->st.patterns, steps = s->st.search_steps;
    int hit = s->st.pattern_limit_hit;
    s->st.patterns = s->st.search_steps = 0;
    s->st.pattern_limit_hit = 0;
    int rc = tg__spd_one_thread_patterns(s, check);
    s->st.one_thread_limit_hit = s->st.pattern_limit_hit;
    s->st.patterns = patterns;
    s->st.search_steps = steps;
    s->st.pattern_limit_hit = hit;
    s->st.one_thread = s->n_one;
    return rc;
}
