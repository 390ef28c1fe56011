/* SPDX-License-Identifier: MIT */
/* floor.c: the least an online lock-order predictor does on every lock
 * call, as a preload library the scale probes run under (run.sh's
 * "floor" rows), so that tangle's cost can be read against it.
 *
 * It keeps what any checker of lock order that sees each nesting must
 * keep: a per-thread stack of the mutexes held, each with the key of the
 * chain up to it, and one probe of a per-thread set of the chains seen
 * before (a miss inserts the key: that is where a real checker would do
 * its first-time work). It leaves out everything that makes a checker
 * right or useful: instance identity (a destroyed or freed lock whose
 * address is reused is taken for the old one, so it would give false
 * reports), stacks, the graph and its cycle check, the watchdog's view of
 * a blocked call, rwlocks, semaphores, condition variables, trylocks,
 * signal handlers and tasks. It reports nothing. On the repeated path it
 * is a lower bound; on the first-time paths (new edges, fresh instances)
 * it does almost nothing, so there it only shows the interposition's own
 * cost. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define TLS __thread __attribute__((tls_model("initial-exec")))
#define MAX_HELD 64
#define MUL 0x9E3779B97F4A7C15ull

static int (*real_lock)(pthread_mutex_t *);
static int (*real_unlock)(pthread_mutex_t *);

static TLS uintptr_t held[MAX_HELD];
static TLS uint64_t chain[MAX_HELD]; /* chain[i]: key of held[0..i] */
static TLS int n_held;
static TLS uint64_t *seen;           /* open addressing, 0 = empty */
static TLS unsigned seen_bits, seen_used;

__attribute__((constructor)) static void floor_init(void)
{
    real_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
}

static uint64_t step(uint64_t below, uintptr_t addr)
{
    uint64_t k = (below ^ addr) * MUL;
    return k ? k : 1;
}

static void seen_put(uint64_t *set, unsigned bits, uint64_t k)
{
    size_t mask = ((size_t)1 << bits) - 1;
    for (size_t i = (size_t)(k >> (64 - bits));; i = (i + 1) & mask)
        if (set[i] == 0) {
            set[i] = k;
            return;
        }
}

/* A chain not seen before: kept, in a set grown at 3/4 full. */
static __attribute__((noinline)) void first_time(uint64_t k)
{
    if (seen == NULL || 4 * (size_t)(seen_used + 1) > 3 * ((size_t)1 << seen_bits)) {
        unsigned bits = seen ? seen_bits + 1 : 10;
        uint64_t *set = calloc((size_t)1 << bits, sizeof *set);
        if (set == NULL)
            return;
        for (size_t i = 0; seen && i < ((size_t)1 << seen_bits); i++)
            if (seen[i])
                seen_put(set, bits, seen[i]);
        free(seen);
        seen = set;
        seen_bits = bits;
    }
    seen_put(seen, seen_bits, k);
    seen_used++;
}

static int seen_has(uint64_t k)
{
    if (seen == NULL)
        return 0;
    size_t mask = ((size_t)1 << seen_bits) - 1;
    for (size_t i = (size_t)(k >> (64 - seen_bits));; i = (i + 1) & mask) {
        if (seen[i] == k)
            return 1;
        if (seen[i] == 0)
            return 0;
    }
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    int rc = real_lock(m);
    int n = n_held;
    if (rc != 0 || n == MAX_HELD)
        return rc;
    uint64_t k = step(n > 0 ? chain[n - 1] : 0, (uintptr_t)m);
    if (n > 0 && !seen_has(k))
        first_time(k);
    held[n] = (uintptr_t)m;
    chain[n] = k;
    n_held = n + 1;
    return rc;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    int n = n_held;
    for (int i = n - 1; i >= 0; i--) {
        if (held[i] != (uintptr_t)m)
            continue;
        for (int j = i; j < n - 1; j++) {
            held[j] = held[j + 1];
            chain[j] = step(j > 0 ? chain[j - 1] : 0, held[j]);
        }
        n_held = n - 1;
        break;
    }
    return real_unlock(m);
}
