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

/* The cycles already decided, by lock signature: the deadlocks found (a
 * cycle among them is promoted) and the hazards recorded. Open addressing
 * over (signature, index + 1, deadlocks with the top bit), at most half
 * full, so each look-up costs the same however many there are. */
struct seen {
    uint64_t *sig;
    uint32_t *at;        /* 0: a free slot */
    uint32_t mask, n;
};
#define SEEN_FOUND 0x80000000u

static struct seen seen; /* during tg__spd_one_thread only */

static uint32_t slot_of(uint64_t sig, uint32_t mask)
{
    return (uint32_t)((sig * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int seen_put(uint64_t sig, uint32_t at)
{
    if ((seen.n + 1) * 2 > seen.mask + 1) {
        uint32_t cap = seen.mask ? (seen.mask + 1) * 2 : 64;
        uint64_t *ns = calloc(cap, sizeof *ns);
        uint32_t *na = calloc(cap, sizeof *na);
        if (!ns || !na) {
            free(ns);
            free(na);
            return -1;
        }
        for (uint32_t i = 0; seen.at && i <= seen.mask; i++) {
            if (!seen.at[i])
                continue;
            uint32_t j = slot_of(seen.sig[i], cap - 1);
            while (na[j])
                j = (j + 1) & (cap - 1);
            ns[j] = seen.sig[i];
            na[j] = seen.at[i];
        }
        free(seen.sig);
        free(seen.at);
        seen.sig = ns;
        seen.at = na;
        seen.mask = cap - 1;
    }
    uint32_t j = slot_of(sig, seen.mask);
    while (seen.at[j])
        j = (j + 1) & seen.mask;
    seen.sig[j] = sig;
    seen.at[j] = at;
    seen.n++;
    return 0;
}

/* Whether a cycle over the same lock-order edges is already decided. */
static int seen_has(const struct tg__spd *s, const uint32_t *comps, uint32_t k, uint64_t sig)
{
    if (!seen.at)
        return 0;
    for (uint32_t j = slot_of(sig, seen.mask); seen.at[j]; j = (j + 1) & seen.mask) {
        if (seen.sig[j] != sig)
            continue;
        uint32_t i = (seen.at[j] & ~SEEN_FOUND) - 1;
        const struct tg__pattern_result *r = seen.at[j] & SEEN_FOUND ? &s->found[i] : &s->one[i];
        if (r->k == k && same_edges(s, comps, r->comps, k))
            return 1;
    }
    return 0;
}

static int check(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = lock_signature(s, comps, k);
    if (seen_has(s, comps, k, sig))
        return 0; /* reported, or promoted: two threads show it and it is a deadlock */
    if (tg__spd_grow((void **)&s->one, &s->cap_one, s->n_one + 1, sizeof *s->one) < 0)
        goto oom;
    struct tg__pattern_result *r = &s->one[s->n_one];
    memset(r, 0, sizeof *r);
    r->comps = malloc(k * sizeof *r->comps);
    r->heads = malloc(k * sizeof *r->heads);
    if (!r->comps || !r->heads || seen_put(sig, s->n_one + 1) < 0) {
        free(r->comps);
        free(r->heads);
        goto oom;
    }
    for (uint32_t i = 0; i < k; i++)
        r->heads[i] = s->comps[comps[i]].first; /* where the thread first did it */
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
    /* The search has its own budget of patterns and a share of the steps. */
    uint64_t patterns = s->st.patterns, steps = s->st.search_steps;
    unsigned long long max_steps = s->opt.max_steps;
    int hit = s->st.pattern_limit_hit, rc = 0;
    s->st.patterns = s->st.search_steps = 0;
    s->st.pattern_limit_hit = 0;
    s->opt.max_steps = max_steps / TG__ONE_THREAD_STEPS_DIV + 1;
    for (uint32_t f = 0; f < s->n_found && rc == 0; f++)
        rc = seen_put(lock_signature(s, s->found[f].comps, s->found[f].k), (f + 1) | SEEN_FOUND);
    if (rc == 0)
        rc = tg__spd_one_thread_patterns(s, check);
    else
        snprintf(s->err, sizeof s->err, "out of memory searching lock-order inversions");
    free(seen.sig);
    free(seen.at);
    memset(&seen, 0, sizeof seen);
    s->st.one_thread_limit_hit = s->st.pattern_limit_hit;
    s->st.patterns = patterns;
    s->st.search_steps = steps;
    s->st.pattern_limit_hit = hit;
    s->opt.max_steps = max_steps;
    s->st.one_thread = s->n_one;
    return rc;
}
