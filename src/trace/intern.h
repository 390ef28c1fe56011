/* SPDX-License-Identifier: MIT */
/* intern.h: a table that maps byte strings to dense ids 0, 1, 2, ...
 *
 * Trace readers intern every thread, lock and variable name once, so the
 * analysis works on small integers. The table is open-addressing with
 * linear probing over a power-of-two array, and all name bytes live in one
 * growing arena, so interning a name already seen allocates nothing. A
 * slot keeps the hash beside the id, and each id its first eight bytes, so
 * finding a name of up to eight bytes (most names in traces) costs one
 * multiply, one probe and two compares, with no call to memcmp. */
#ifndef TG_TRACE_INTERN_H
#define TG_TRACE_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct tg__intern {
    uint64_t *slots;      /* hash << 32 | (id + 1) per slot, 0 = empty */
    uint32_t mask;        /* number of slots - 1 */
    uint32_t count;       /* number of ids handed out */
    uint32_t cap;         /* capacity of offs/lens/hashes */
    uint64_t *offs;       /* arena offset of each id's bytes */
    uint32_t *lens;
    uint32_t *hashes;
    uint64_t *words;      /* first 8 bytes of each name, zero-padded */
    char *arena;          /* names, each followed by a NUL */
    size_t arena_len, arena_cap;
};

/* A zeroed struct is an empty table. */
void tg__intern_init(struct tg__intern *t);
void tg__intern_free(struct tg__intern *t);
/* The id of s[0..n), adding it if new; -1 on out-of-memory or when the
 * table already holds 2^31 names. */
int64_t tg__intern(struct tg__intern *t, const char *s, size_t n);
/* The same, for a caller that guarantees 8 readable bytes at s even when
 * n < 8 (a parser over a padded buffer): the first word is then one load. */
int64_t tg__intern_padded(struct tg__intern *t, const char *s, size_t n);
/* The id of s[0..n) or -1 if it was never interned. */
int64_t tg__intern_find(const struct tg__intern *t, const char *s, size_t n);
/* The NUL-terminated name of an id; valid until the next tg__intern. */
const char *tg__intern_name(const struct tg__intern *t, uint32_t id);
uint32_t tg__intern_len(const struct tg__intern *t, uint32_t id);

#endif
