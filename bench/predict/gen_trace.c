/* SPDX-License-Identifier: MIT */
/* gen_trace.c: writes a text trace (THREAD|op(ARG)|LOC) of about N events
 * with planted deadlocks and false-positive traps, for bench/predict/run.sh.
 *
 *   gen_trace N [SEED] > trace.std
 *
 * Planted, and sync-preserving (so `tangle predict` must report exactly
 * these two): an ABBA inversion between P1 and P2 on DA/DB, and a 3-cycle
 * P3 -> P4 -> P5 on C0/C1/C2. Traps that must stay silent: a gate-locked
 * inversion (P1, P2 under G), an inversion ordered by fork (T0 nests FA->FB
 * before forking P6, which nests FB->FA), one ordered by join (Tj nests
 * JB->JA, T0 joins it, then nests JA->JB), a single-thread inversion (P3 on
 * SA/SB), and one pinned by reads-from (P5 reads rv, which P4 wrote inside
 * its RA->RB nesting, before nesting RB->RA). Noise threads N1..N4 share
 * locks and variables (cross-thread reads) but never nest; P threads only
 * touch their own noise locks and variables, so nothing else orders them.
 * The expected answer is printed on stderr: "expect 2". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 20];
static size_t len;
static unsigned long long events;

static void flush(void)
{
    fwrite(out, 1, len, stdout);
    len = 0;
}

static void ev(const char *t, const char *op, const char *arg, unsigned loc)
{
    if (len > sizeof out - 256)
        flush();
    len += (size_t)snprintf(out + len, 256, "%s|%s(%s)|%u\n", t, op, arg, loc);
    events++;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void nest(const char *t, const char *a, const char *b, unsigned loc)
{
    ev(t, "acq", a, loc);
    ev(t, "acq", b, loc + 1);
    ev(t, "rel", b, loc + 2);
    ev(t, "rel", a, loc + 3);
}

/* One unit of noise for thread t: a critical section with a few accesses. */
static void noise(int t, const char *name)
{
    char lock[32], var[32];
    uint64_t r = next_rand();
    if (t <= 4) { /* N threads: shared locks and variables */
        snprintf(lock, sizeof lock, "S%u", (unsigned)(r % 8));
        snprintf(var, sizeof var, "x%u", (unsigned)(r % 8));
    } else {      /* P threads: private ones */
        snprintf(lock, sizeof lock, "%s.l%u", name, (unsigned)(r % 4));
        snprintf(var, sizeof var, "%s.v%u", name, (unsigned)(r % 4));
    }
    ev(name, "acq", lock, 100 + t);
    ev(name, "r", var, 200 + t);
    ev(name, "w", var, 300 + t);
    ev(name, "r", var, 400 + t);
    ev(name, "rel", lock, 500 + t);
}

enum { NTH = 10 }; /* N1..N4, P1..P6 */
static const char *const names[NTH] = {"N1", "N2", "N3", "N4", "P1", "P2", "P3", "P4", "P5", "P6"};

/* Planted actions, each at a fraction of the trace (per mille). */
static void planted(int k)
{
    switch (k) {
    case 0: ev("P1", "acq", "G", 10); nest("P1", "GA", "GB", 11);
            ev("P1", "rel", "G", 15); break;                              /* gate: P1 G>GA>GB */
    case 1: nest("P1", "DA", "DB", 20); break;                            /* ABBA half 1 */
    case 2: nest("P3", "C0", "C1", 30); break;                            /* 3-cycle */
    case 3: nest("P3", "SA", "SB", 40); nest("P3", "SB", "SA", 44); break; /* single thread */
    case 4: ev("P4", "acq", "RA", 50); ev("P4", "acq", "RB", 51); ev("P4", "w", "rv", 52);
            ev("P4", "rel", "RB", 53); ev("P4", "rel", "RA", 54); break;  /* rf trap half 1 */
    case 5: nest("P4", "C1", "C2", 60); break;
    case 6: ev("P5", "r", "rv", 70); nest("P5", "RB", "RA", 71); break;   /* rf trap half 2 */
    case 7: ev("P2", "acq", "G", 80); nest("P2", "GB", "GA", 81); ev("P2", "rel", "G", 85); break;
    case 8: nest("P5", "C2", "C0", 90); break;
    case 9: nest("P2", "DB", "DA", 95); break;                            /* ABBA half 2 */
    case 10: nest("P6", "FB", "FA", 99); break;                           /* fork trap */
    }
}
static const unsigned at_permille[] = {50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_trace N [SEED] > trace.std\n");
        return 2;
    }
    unsigned long long n = strtoull(argv[1], NULL, 10);
    if (argc > 2)
        rng ^= strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ull;
    if (n < 1000)
        n = 1000;
    /* Start: T0 nests FA->FB (fork trap), forks Tj (join trap) and workers. */
    nest("T0", "FA", "FB", 1);
    ev("T0", "fork", "Tj", 5);
    nest("Tj", "JB", "JA", 6);
    for (int i = 0; i < NTH; i++)
        ev("T0", "fork", names[i], 7);
    unsigned next = 0, nplanted = sizeof at_permille / sizeof *at_permille;
    unsigned long long body = n - 40;
    while (events < body) {
        if (next < nplanted && events >= body / 1000 * at_permille[next]) {
            planted((int)next++);
            continue;
        }
        int t = (int)(next_rand() % NTH);
        noise(t, names[t]);
    }
    while (next < nplanted)
        planted((int)next++);
    for (int i = 0; i < NTH; i++)
        ev("T0", "join", names[i], 8);
    ev("T0", "join", "Tj", 9);
    nest("T0", "JA", "JB", 10);
    flush();
    fprintf(stderr, "expect 2\n");
    return 0;
}
