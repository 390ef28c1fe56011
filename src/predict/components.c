/* SPDX-License-Identifier: MIT */
/* components.c: the tables of held sets and abstract components.
 *
 * A held set (the locks, with modes, a thread holds at a nested acquire) is
 * interned once and named by a small id; a component (thread, lock waited
 * for, held set, mode) likewise. Both are open-addressing hash tables, so
 * pass one looks each up in constant time. */
#include "predict/spd_impl.h"

#include <stdlib.h>
#include <string.h>

static int hlock_cmp(const void *a, const void *b)
{
    const struct tg__hlock *x = a, *y = b;
    return x->lock < y->lock ? -1 : x->lock > y->lock;
}

static uint32_t hset_hash(const struct tg__hlock *h, uint32_t n)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint32_t i = 0; i < n; i++)
        x = (x ^ (h[i].lock * 4u + h[i].mode)) * 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(x ^ (x >> 32));
}

static int hset_rehash(struct tg__spd *s, uint32_t nslots)
{
    uint32_t *sl = calloc(nslots, sizeof *sl);
    if (!sl)
        return -1;
    for (uint32_t i = 0; i < s->n_hsets; i++) {
        uint32_t j = s->hsets[i].hash & (nslots - 1);
        while (sl[j])
            j = (j + 1) & (nslots - 1);
        sl[j] = i + 1;
    }
    free(s->hset_slots);
    s->hset_slots = sl;
    s->hset_mask = nslots - 1;
    return 0;
}

/* Field by field: the struct has padding, which memcmp would compare. */
static int same_locks(const struct tg__hlock *a, const struct tg__hlock *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i].lock != b[i].lock || a[i].mode != b[i].mode)
            return 0;
    return 1;
}

int64_t tg__spd_intern_hset(struct tg__spd *s, struct tg__hlock *h, uint32_t n)
{
    qsort(h, n, sizeof *h, hlock_cmp);
    uint32_t hash = hset_hash(h, n);
    if (!s->hset_slots && hset_rehash(s, 64) < 0)
        return -1;
    uint32_t j = hash & s->hset_mask;
    for (; s->hset_slots[j]; j = (j + 1) & s->hset_mask) {
        struct tg__hset *c = &s->hsets[s->hset_slots[j] - 1];
        if (c->hash == hash && c->n == n && same_locks(&s->hlocks[c->off], h, n))
            return s->hset_slots[j] - 1;
    }
    if (tg__spd_grow((void **)&s->hsets, &s->cap_hsets, s->n_hsets + 1, sizeof *s->hsets) < 0 ||
        tg__spd_grow((void **)&s->hlocks, &s->cap_hlocks, s->n_hlocks + n, sizeof *s->hlocks) < 0)
        return -1;
    memcpy(&s->hlocks[s->n_hlocks], h, n * sizeof *h);
    s->hsets[s->n_hsets] = (struct tg__hset){s->n_hlocks, n, hash};
    s->n_hlocks += n;
    s->hset_slots[j] = s->n_hsets + 1;
    int64_t id = s->n_hsets++;
    if (s->n_hsets * 2 > s->hset_mask && hset_rehash(s, (s->hset_mask + 1) * 2) < 0)
        return -1;
    return id;
}

static uint32_t comp_hash(uint32_t th, uint32_t lock, uint32_t hset, uint32_t mode)
{
    uint64_t x = ((uint64_t)th << 32 | lock) * 0x9E3779B97F4A7C15ull;
    x ^= ((uint64_t)hset << 2 | mode) * 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(x ^ (x >> 29));
}

static int comp_rehash(struct tg__spd *s, uint32_t nslots)
{
    uint32_t *sl = calloc(nslots, sizeof *sl);
    if (!sl)
        return -1;
    for (uint32_t i = 0; i < s->n_comps; i++) {
        struct tg__comp *c = &s->comps[i];
        uint32_t j = comp_hash(c->thread, c->lock, c->hset, c->mode) & (nslots - 1);
        while (sl[j])
            j = (j + 1) & (nslots - 1);
        sl[j] = i + 1;
    }
    free(s->comp_slots);
    s->comp_slots = sl;
    s->comp_mask = nslots - 1;
    return 0;
}

struct tg__comp *tg__spd_comp(struct tg__spd *s, uint32_t tid, uint32_t lock, uint32_t hset,
                              uint8_t mode, uint32_t want_ko, uint32_t match)
{
    if (!s->comp_slots && comp_rehash(s, 64) < 0)
        return NULL;
    uint32_t j = comp_hash(tid, lock, hset, mode) & s->comp_mask;
    for (; s->comp_slots[j]; j = (j + 1) & s->comp_mask) {
        struct tg__comp *x = &s->comps[s->comp_slots[j] - 1];
        if (x->thread == tid && x->lock == lock && x->hset == hset && x->mode == mode)
            return x;
    }
    if (tg__spd_grow((void **)&s->comps, &s->cap_comps, s->n_comps + 1, sizeof *s->comps) < 0)
        return NULL;
    struct tg__comp *c = &s->comps[s->n_comps];
    *c = (struct tg__comp){tid, lock, hset, mode, want_ko, match, 0, 0};
    s->comp_slots[j] = ++s->n_comps;
    if (s->n_comps * 2 > s->comp_mask && comp_rehash(s, (s->comp_mask + 1) * 2) < 0)
        return NULL;
    return &s->comps[s->n_comps - 1];
}
