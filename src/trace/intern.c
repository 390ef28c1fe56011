/* SPDX-License-Identifier: MIT */
/* intern.c: open-addressing string interning (see intern.h). */
#include "trace/intern.h"

#include <stdlib.h>
#include <string.h>

/* A multiply-mix hash over 8-byte words; names are short, so this costs a
 * few cycles per name and spreads digits-only names well. */
static inline uint64_t first_word(const char *s, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, s, n < 8 ? n : 8);
    return w;
}

static inline uint32_t hash_bytes(const char *s, size_t n, uint64_t w)
{
    if (n <= 8) {
        uint64_t h = (w ^ (n << 56)) * 0x9E3779B97F4A7C15ull;
        return (uint32_t)(h >> 32);
    }
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t x = 0;
        memcpy(&x, s, n);
        h = (h ^ x) * 0x94d049bb133111ebull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

void tg__intern_init(struct tg__intern *t)
{
    memset(t, 0, sizeof *t);
}

void tg__intern_free(struct tg__intern *t)
{
    free(t->slots);
    free(t->offs);
    free(t->lens);
    free(t->hashes);
    free(t->words);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static int rehash(struct tg__intern *t, uint32_t nslots)
{
    uint64_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -1;
    for (uint32_t id = 0; id < t->count; id++) {
        uint32_t i = t->hashes[id] & (nslots - 1);
        while (s[i])
            i = (i + 1) & (nslots - 1);
        s[i] = (uint64_t)t->hashes[id] << 32 | (id + 1);
    }
    free(t->slots);
    t->slots = s;
    t->mask = nslots - 1;
    return 0;
}

static inline int64_t lookup(const struct tg__intern *t, const char *s, size_t n,
                             uint32_t h, uint64_t w, uint32_t *slot)
{
    uint32_t i = h & t->mask;
    for (;;) {
        uint64_t v = t->slots[i];
        if (!v) {
            *slot = i;
            return -1;
        }
        uint32_t id = (uint32_t)v - 1;
        if ((uint32_t)(v >> 32) == h && t->words[id] == w && t->lens[id] == n &&
            (n <= 8 || memcmp(t->arena + t->offs[id] + 8, s + 8, n - 8) == 0))
            return id;
        i = (i + 1) & t->mask;
    }
}

int64_t tg__intern_find(const struct tg__intern *t, const char *s, size_t n)
{
    uint32_t slot;
    if (!t->slots)
        return -1;
    uint64_t w = first_word(s, n);
    return lookup(t, s, n, hash_bytes(s, n, w), w, &slot);
}

static int grow_ids(struct tg__intern *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    uint64_t *o = realloc(t->offs, cap * sizeof *o);
    if (!o)
        return -1;
    t->offs = o;
    uint32_t *l = realloc(t->lens, cap * sizeof *l);
    if (!l)
        return -1;
    t->lens = l;
    uint32_t *h = realloc(t->hashes, cap * sizeof *h);
    if (!h)
        return -1;
    t->hashes = h;
    uint64_t *w = realloc(t->words, cap * sizeof *w);
    if (!w)
        return -1;
    t->words = w;
    t->cap = cap;
    return 0;
}

static int64_t intern_word(struct tg__intern *t, const char *s, size_t n, uint64_t w);

int64_t tg__intern(struct tg__intern *t, const char *s, size_t n)
{
    return intern_word(t, s, n, first_word(s, n));
}

int64_t tg__intern_padded(struct tg__intern *t, const char *s, size_t n)
{
    uint64_t w;
    memcpy(&w, s, 8);
    if (n < 8)
        w &= (1ull << (8 * n)) - 1;
    return intern_word(t, s, n, w);
}

static int64_t intern_word(struct tg__intern *t, const char *s, size_t n, uint64_t w)
{
    if (!t->slots && rehash(t, 256) < 0)
        return -1;
    uint32_t h = hash_bytes(s, n, w), slot;
    int64_t id = lookup(t, s, n, h, w, &slot);
    if (id >= 0)
        return id;
    if (t->count >= 0x7fffffffu || n > 0xffffffffu)
        return -1;
    if (t->count == t->cap && grow_ids(t) < 0)
        return -1;
    if (t->arena_len + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_len + n + 1)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a)
            return -1;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, s, n);
    t->arena[t->arena_len + n] = 0;
    id = t->count++;
    t->offs[id] = t->arena_len;
    t->lens[id] = (uint32_t)n;
    t->hashes[id] = h;
    t->words[id] = w;
    t->arena_len += n + 1;
    t->slots[slot] = (uint64_t)h << 32 | ((uint32_t)id + 1);
    /* Keep the load factor under one half so probes stay short. */
    if ((uint64_t)t->count * 2 > t->mask && rehash(t, (t->mask + 1) * 2) < 0)
        return -1;
    return id;
}

const char *tg__intern_name(const struct tg__intern *t, uint32_t id)
{
    return id < t->count ? t->arena + t->offs[id] : "?";
}

uint32_t tg__intern_len(const struct tg__intern *t, uint32_t id)
{
    return id < t->count ? t->lens[id] : 0;
}
