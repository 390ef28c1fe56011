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
 * overtaken later, as a live run must).
 *
 * The search gives the shortest cycle from each component it starts from.
 * One hazard is reported per set of locks, at the first cycle found over
 * it (each step where its thread first did it); the other cycles over the
 * same locks (other nestings, other threads) are counted, and the first
 * few kept as further places. The shortest cycles are reported first, at
 * most TG__ONE_THREAD_REPORTS of them; the rest are counted. A thread that
 * took 30 locks in random pairs in both orders gave 606 reports, with
 * cycles of up to 30 locks; it now gives the 32 shortest (2 locks each),
 * and says how many more sets of locks there are. */
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

/* An order-independent hash of a cycle's locks. */
static uint64_t set_signature(const struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    uint64_t sig = k * 0xbf58476d1ce4e5b9ull;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t x = (s->comps[comps[i]].lock + 1ull) * 0x9E3779B97F4A7C15ull;
        sig += x ^ (x >> 31);
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

/* Whether cycles a and b (same length; a cycle's locks are distinct) are
 * over the same locks. */
static int same_locks(const struct tg__spd *s, const uint32_t *a, const uint32_t *b, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = 0;
        while (j < k && s->comps[b[j]].lock != s->comps[a[i]].lock)
            j++;
        if (j == k)
            return 0;
    }
    return 1;
}

/* The cycles already decided: the deadlocks found, by the signature of
 * their lock-order edges (a cycle over the same edges is promoted); the
 * hazards recorded, by the signature of their locks; and every cycle
 * recorded, by the signature of its components (the same cycle is the
 * shortest through each of its components, and counts once). Open
 * addressing, at most half full, so each look-up costs the same however
 * many there are. */
enum { SEEN_FOUND = 1, SEEN_LOCKS, SEEN_CYCLE };
struct seen_entry {
    uint64_t sig;
    uint32_t at;         /* index + 1 into found or one; 0: a free slot */
    uint16_t kind;       /* SEEN_* */
    uint32_t place;      /* SEEN_CYCLE: 0 for the hazard's own cycle, m + 1 for more[m] */
};
struct seen {
    struct seen_entry *e;
    uint32_t mask, n;
};

static struct seen seen; /* during tg__spd_one_thread only */

static uint32_t slot_of(uint64_t sig, uint32_t mask)
{
    return (uint32_t)((sig * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int seen_put(struct seen_entry x)
{
    if ((seen.n + 1) * 2 > seen.mask + 1) {
        uint32_t cap = seen.mask ? (seen.mask + 1) * 2 : 64;
        struct seen_entry *ne = calloc(cap, sizeof *ne);
        if (!ne)
            return -1;
        for (uint32_t i = 0; seen.e && i <= seen.mask; i++) {
            if (!seen.e[i].at)
                continue;
            uint32_t j = slot_of(seen.e[i].sig, cap - 1);
            while (ne[j].at)
                j = (j + 1) & (cap - 1);
            ne[j] = seen.e[i];
        }
        free(seen.e);
        seen.e = ne;
        seen.mask = cap - 1;
    }
    uint32_t j = slot_of(x.sig, seen.mask);
    while (seen.e[j].at)
        j = (j + 1) & seen.mask;
    seen.e[j] = x;
    seen.n++;
    return 0;
}

/* An order-independent hash of a cycle's components. */
static uint64_t cycle_signature(const uint32_t *comps, uint32_t k)
{
    uint64_t sig = k * 0x94d049bb133111ebull;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t x = (comps[i] + 1ull) * 0xbf58476d1ce4e5b9ull;
        sig += x ^ (x >> 29);
    }
    return sig;
}

/* Whether cycles a and b (same length, distinct components) have the same components. */
static int same_comps(const uint32_t *a, const uint32_t *b, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = 0;
        while (j < k && b[j] != a[i])
            j++;
        if (j == k)
            return 0;
    }
    return 1;
}

static const uint32_t *cycle_at(const struct tg__pattern_result *r, uint32_t place)
{
    return place ? r->more + (size_t)(place - 1) * r->k : r->comps;
}

/* The result decided for this cycle as `kind` (SEEN_FOUND: a deadlock over
 * the same lock-order edges; SEEN_LOCKS: a hazard over the same locks;
 * SEEN_CYCLE: a hazard with this very cycle), or NULL. */
static struct tg__pattern_result *seen_find(struct tg__spd *s, const uint32_t *comps, uint32_t k,
                                            uint64_t sig, int kind)
{
    if (!seen.e)
        return NULL;
    for (uint32_t j = slot_of(sig, seen.mask); seen.e[j].at; j = (j + 1) & seen.mask) {
        const struct seen_entry *x = &seen.e[j];
        if (x->sig != sig || x->kind != kind)
            continue;
        struct tg__pattern_result *r = kind == SEEN_FOUND ? &s->found[x->at - 1] : &s->one[x->at - 1];
        if (r->k != k)
            continue;
        if (kind == SEEN_FOUND ? same_edges(s, comps, r->comps, k)
            : kind == SEEN_LOCKS ? same_locks(s, comps, r->comps, k)
                                 : same_comps(comps, cycle_at(r, x->place), k))
            return r;
    }
    return NULL;
}

/* Another cycle over the locks of hazard r (index at): kept and counted. */
static int another_place(struct tg__pattern_result *r, uint32_t at, const uint32_t *comps,
                         uint64_t csig)
{
    uint32_t *m = realloc(r->more, ((size_t)r->n_more + 1) * r->k * sizeof *m);
    if (!m)
        return -1;
    memcpy(m + (size_t)r->n_more * r->k, comps, r->k * sizeof *comps);
    r->more = m;
    r->n_more++;
    r->repeats++;
    return seen_put((struct seen_entry){csig, at + 1, SEEN_CYCLE, r->n_more});
}

static int check(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    if (seen_find(s, comps, k, lock_signature(s, comps, k), SEEN_FOUND))
        return 0; /* promoted: two threads show it and it is a deadlock */
    uint64_t csig = cycle_signature(comps, k);
    if (seen_find(s, comps, k, csig, SEEN_CYCLE))
        return 0; /* the shortest through another of its components too */
    uint64_t sig = set_signature(s, comps, k);
    struct tg__pattern_result *same = seen_find(s, comps, k, sig, SEEN_LOCKS);
    if (same)
        return another_place(same, (uint32_t)(same - s->one), comps, csig);
    if (tg__spd_grow((void **)&s->one, &s->cap_one, s->n_one + 1, sizeof *s->one) < 0)
        return -1;
    struct tg__pattern_result *r = &s->one[s->n_one];
    memset(r, 0, sizeof *r);
    r->comps = malloc(k * sizeof *r->comps);
    r->heads = malloc(k * sizeof *r->heads);
    if (!r->comps || !r->heads ||
        seen_put((struct seen_entry){sig, s->n_one + 1, SEEN_LOCKS, 0}) < 0 ||
        seen_put((struct seen_entry){csig, s->n_one + 1, SEEN_CYCLE, 0}) < 0) {
        free(r->comps);
        free(r->heads);
        return -1;
    }
    for (uint32_t i = 0; i < k; i++)
        r->heads[i] = s->comps[comps[i]].first; /* where the thread first did it */
    memcpy(r->comps, comps, k * sizeof *comps);
    r->k = k;
    r->sig = sig;
    s->n_one++;
    return 0;
}

static int check_or_say(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    if (check(s, comps, k) == 0)
        return 0;
    snprintf(s->err, sizeof s->err, "out of memory recording a lock-order inversion");
    return -1;
}

/* Shorter cycles first, then in the order found (by their first head's
 * component, which is in order of first appearance). */
static int shorter_first(const void *a, const void *b)
{
    const struct tg__pattern_result *x = a, *y = b;
    if (x->k != y->k)
        return x->k < y->k ? -1 : 1;
    return x->comps[0] < y->comps[0] ? -1 : x->comps[0] > y->comps[0];
}

/* Keeps the TG__ONE_THREAD_REPORTS shortest hazards; counts the rest. */
static void keep_shortest(struct tg__spd *s)
{
    if (s->n_one > 1)
        qsort(s->one, s->n_one, sizeof *s->one, shorter_first);
    s->st.one_thread_unreported = 0;
    while (s->n_one > TG__ONE_THREAD_REPORTS) {
        struct tg__pattern_result *r = &s->one[--s->n_one];
        free(r->comps);
        free(r->heads);
        free(r->more);
        s->st.one_thread_unreported++;
    }
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
        rc = seen_put((struct seen_entry){lock_signature(s, s->found[f].comps, s->found[f].k),
                                          f + 1, SEEN_FOUND, 0});
    if (rc == 0)
        rc = tg__spd_one_thread_patterns(s, check_or_say);
    else
        snprintf(s->err, sizeof s->err, "out of memory searching lock-order inversions");
    free(seen.e);
    memset(&seen, 0, sizeof seen);
    s->st.one_thread_limit_hit = s->st.pattern_limit_hit;
    s->st.patterns = patterns;
    s->st.search_steps = steps;
    s->st.pattern_limit_hit = hit;
    s->opt.max_steps = max_steps;
    keep_shortest(s);
    s->st.one_thread = s->n_one;
    return rc;
}
