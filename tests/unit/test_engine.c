/* SPDX-License-Identifier: MIT */
/* Unit tests of the engine: actors, resources and detection, driven
 * directly (no pthread interposition). Each test states the expected
 * verdict of the detector and checks it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/engine.h"
#include "core/finding.h"
#include "core/internal.h"
#include "core/options.h"

static int passed, failed;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);        \
        }                                                                             \
    } while (0)
#define CHECK_EQ(a, b) CHECK((a) == (b))

/* Each test uses its own fake lock addresses. */
static char locks[64][64];
static uintptr_t L(int i) { return (uintptr_t)&locks[i]; }

static struct tg_actor *thread(const char *name)
{
    struct tg_actor *a = tg__actor_new(TG_ACTOR_THREAD, name, 0);
    a->tid = 1;
    return a;
}

static void wait_on(struct tg_actor *a, struct tg_res *r, enum tg_mode m, unsigned flags)
{
    struct tg_wait_desc w = {.res = r, .kind = tg__res_kind_of(r), .mode = (uint8_t)m, .flags = flags};
    tg__wait_begin(a, &w);
}

static void end(struct tg_actor **as, int n)
{
    for (int i = 0; i < n; i++) {
        if (as[i]->wait_seq & 1)
            tg__wait_end(as[i]);
        as[i]->n_held = 0;
        tg__actor_exit(as[i], 0);
        tg__actor_reap(as[i]);
    }
}

static void test_abba(void)
{
    struct tg_res *a = tg__res_init(L(0), TG_RES_MUTEX, 0, 0);
    struct tg_res *b = tg__res_init(L(1), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    tg__acquired(t1, a, TG_MODE_EXCL, 0);
    tg__acquired(t2, b, TG_MODE_EXCL, 0);
    wait_on(t1, b, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t1), TG_CHECK_CLEAR); /* t2 still runs */
    unsigned long before = tg__reports_made();
    wait_on(t2, a, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t2), TG_CHECK_DEADLOCK);
    CHECK_EQ(tg__reports_made(), before + 1);
    CHECK_EQ(tg__wait_check(t1), TG_CHECK_DEADLOCK); /* the same cycle: not reported twice */
    CHECK_EQ(tg__reports_made(), before + 1);
    end((struct tg_actor *[]){t1, t2}, 2);
}

static void test_self_and_recursive(void)
{
    struct tg_res *m = tg__res_init(L(2), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t = thread("self");
    tg__acquired(t, m, TG_MODE_EXCL, 0);
    wait_on(t, m, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t), TG_CHECK_DEADLOCK);
    tg__wait_end(t);
    /* released, then waited on while another actor holds it: not ours */
    CHECK_EQ(tg__released(t, m), 0);
    CHECK_EQ(tg__released(t, m), -1);
    end(&t, 1);
}

static void test_timed_cycle(void)
{
    struct tg_res *a = tg__res_init(L(3), TG_RES_MUTEX, 0, 0);
    struct tg_res *b = tg__res_init(L(4), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    tg__acquired(t1, a, TG_MODE_EXCL, 0);
    tg__acquired(t2, b, TG_MODE_EXCL, 0);
    wait_on(t1, b, TG_MODE_EXCL, TG_WF_TIMED);
    wait_on(t2, a, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t2), TG_CHECK_HAZARD); /* breaks when t1 times out */
    end((struct tg_actor *[]){t1, t2}, 2);
}

static void test_rwlock_kinds(void)
{
    for (int pref = 0; pref < 2; pref++) {
        struct tg_res *rw = tg__res_init(L(5 + pref), TG_RES_RWLOCK, pref ? TG_RF_WRITER_PREF : 0, 0);
        struct tg_actor *reader = thread("reader"), *writer = thread("writer");
        tg__acquired(reader, rw, TG_MODE_READ, 0);
        wait_on(writer, rw, TG_MODE_WRITE, 0);
        CHECK_EQ(tg__wait_check(writer), TG_CHECK_CLEAR);
        wait_on(reader, rw, TG_MODE_READ, 0); /* a second read */
        CHECK_EQ(tg__wait_check(reader), pref ? TG_CHECK_DEADLOCK : TG_CHECK_CLEAR);
        end((struct tg_actor *[]){reader, writer}, 2);
    }
}

static void test_exited_holder_and_robust(void)
{
    for (int robust = 0; robust < 2; robust++) {
        struct tg_res *m = tg__res_init(L(7 + robust), TG_RES_MUTEX, robust ? TG_RF_ROBUST : 0, 0);
        struct tg_actor *gone = thread("gone"), *waiter = thread("waiter");
        tg__acquired(gone, m, TG_MODE_EXCL, 0);
        tg__actor_exit(gone, 0);
        wait_on(waiter, m, TG_MODE_EXCL, 0);
        CHECK_EQ(tg__wait_check(waiter), robust ? TG_CHECK_CLEAR : TG_CHECK_DEADLOCK);
        gone->n_held = 0;
        tg__actor_reap(gone);
        end(&waiter, 1);
    }
}

static void test_join_cycle(void)
{
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    struct tg_wait_desc w1 = {.kind = TG_RES_JOIN, .target = t2};
    struct tg_wait_desc w2 = {.kind = TG_RES_JOIN, .target = t1};
    tg__wait_begin(t1, &w1);
    CHECK_EQ(tg__wait_check(t1), TG_CHECK_CLEAR);
    tg__wait_begin(t2, &w2);
    CHECK_EQ(tg__wait_check(t2), TG_CHECK_DEADLOCK);
    end((struct tg_actor *[]){t1, t2}, 2);
}

static void test_conditions_need_a_stall(void)
{
    struct tg_res *c = tg__res_init(L(9), TG_RES_COND, 0, 0);
    struct tg_res *s = tg__res_init(L(10), TG_RES_SEM, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    wait_on(t1, c, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t1), TG_CHECK_CLEAR); /* anyone may signal */
    wait_on(t2, s, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t2), TG_CHECK_CLEAR); /* nor is it definite */
    /* The watchdog: the first scan notes the stall, a later one reports
     * it once it is old enough and unchanged. stall_ms is 0 in main(). */
    unsigned long before = tg__reports_made();
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL); /* older than stall_ms */
    tg__scan(1);
    CHECK_EQ(tg__reports_made(), before);
    tg__scan(1);
    CHECK_EQ(tg__reports_made(), before + 1);
    end((struct tg_actor *[]){t1, t2}, 2);
}

static void test_owned_permits(void)
{
    struct tg_res *s = tg__res_init(L(11), TG_RES_SEM, TG_RF_OWNED_PERMITS, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    tg__acquired(t1, s, TG_MODE_EXCL, 0);
    tg__acquired(t2, s, TG_MODE_EXCL, 0);
    wait_on(t1, s, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t1), TG_CHECK_CLEAR); /* t2 may return its permit */
    wait_on(t2, s, TG_MODE_EXCL, 0);
    CHECK_EQ(tg__wait_check(t2), TG_CHECK_DEADLOCK);
    end((struct tg_actor *[]){t1, t2}, 2);
}

/* A select: t1 holds A and waits for B or C. It is stuck only once both
 * holders are, and a channel alternative (anyone may send) keeps it free. */
static void test_any_of(void)
{
    for (int with_chan = 0; with_chan < 2; with_chan++) {
        struct tg_res *a = tg__res_init(L(20), TG_RES_MUTEX, 0, 0);
        struct tg_res *b = tg__res_init(L(21), TG_RES_MUTEX, 0, 0);
        struct tg_res *c = tg__res_init(L(22), TG_RES_MUTEX, 0, 0);
        struct tg_res *ch = tg__res_init(L(23), TG_RES_CHANNEL, 0, 0);
        struct tg_actor *t1 = thread("t1"), *t2 = thread("t2"), *t3 = thread("t3");
        tg__acquired(t1, a, TG_MODE_EXCL, 0);
        tg__acquired(t2, b, TG_MODE_EXCL, 0);
        tg__acquired(t3, c, TG_MODE_EXCL, 0);
        struct tg_wait_alt alts[3] = {{.res = b, .kind = TG_RES_MUTEX},
                                      {.res = c, .kind = TG_RES_MUTEX},
                                      {.res = ch, .kind = TG_RES_CHANNEL}};
        struct tg_wait_desc w = {.res = b, .kind = TG_RES_MUTEX, .any = alts, .n_any = 2 + with_chan};
        tg__wait_begin(t1, &w);
        alts[0].res = alts[1].res = NULL; /* the engine keeps its own copy */
        CHECK_EQ(tg__wait_check(t1), TG_CHECK_CLEAR);
        wait_on(t2, a, TG_MODE_EXCL, 0);
        CHECK_EQ(tg__wait_check(t2), TG_CHECK_CLEAR); /* t1 may still take C */
        unsigned long before = tg__reports_made();
        wait_on(t3, a, TG_MODE_EXCL, 0);
        CHECK_EQ(tg__wait_check(t3), with_chan ? TG_CHECK_CLEAR : TG_CHECK_DEADLOCK);
        CHECK_EQ(tg__reports_made(), before + (with_chan ? 0 : 1));
        end((struct tg_actor *[]){t1, t2, t3}, 3);
    }
}

static void test_resource_identity(void)
{
    struct tg_res *r1 = tg__res_init(L(12), TG_RES_MUTEX, 0, 0);
    uint64_t id1 = r1->id;
    CHECK(tg__res_lookup(L(12)) == r1);
    tg__res_destroy(r1);
    struct tg_res *r2 = tg__res_init(L(12), TG_RES_MUTEX, TG_RF_RECURSIVE, 0);
    CHECK(r2->id != id1);
    CHECK(!(r2->flags & TG_RF_DESTROYED));
    CHECK(tg__res_lookup(L(13)) == NULL);
    struct tg_res *r3 = tg__res_get(L(13), TG_RES_MUTEX, 0, 0);
    CHECK(r3 != NULL && (r3->flags & TG_RF_STATIC_INIT));
    CHECK(tg__res_get(L(13), TG_RES_MUTEX, 0, 0) == r3);
    /* A stale hold of the old instance does not count as a hold of the new. */
    struct tg_actor *t = thread("t");
    tg__acquired(t, r2, TG_MODE_EXCL, 0);
    CHECK(tg__holds(t, r2, NULL));
    tg__res_destroy(r2);
    tg__res_init(L(12), TG_RES_MUTEX, 0, 0);
    CHECK(!tg__holds(t, r2, NULL));
    end(&t, 1);
}

/* The 48-byte entry shares words between kinds (engine.h): an entry that
 * goes from a task channel, which uses the class-key word as last_by[0],
 * to a mutex finds its kept nestings empty (not the channel's last
 * sender taken for a list), whether the init takes the inline path or
 * not, and a channel made where a mutex was finds nobody as its last
 * users; the kind lives in the flags word and a mutex described as an
 * rwlock keeps its flags. */
static void test_shared_words(void)
{
    for (int classes = 0; classes < 2; classes++) {
        tg__opt.lock_classes = classes;
        uintptr_t at = L(30 + classes);
        struct tg_res *c = tg__res_init(at, TG_RES_CHANNEL, 0, 0);
        CHECK(c && tg__res_kind_of(c) == TG_RES_CHANNEL);
        __atomic_store_n(&c->last_by[0], 0x1234u, __ATOMIC_RELAXED);
        __atomic_store_n(&c->last_by[1], 0x5678u, __ATOMIC_RELAXED);
        tg__res_destroy(c);
        struct tg_res *m = tg__res_init(at, TG_RES_MUTEX, TG_RF_RECURSIVE, 0);
        CHECK(m == c);
        CHECK(tg__res_kind_of(m) == TG_RES_MUTEX && (m->flags & TG_RF_RECURSIVE));
        CHECK(!(m->flags & TG_RF_OWN_WORD));
        if (!classes)
            CHECK(__atomic_load_n(&m->lo_kept, __ATOMIC_RELAXED) == NULL);
        CHECK(__atomic_load_n(&m->last_by[1], __ATOMIC_RELAXED) == 0); /* cond_mutex and the rest */
        CHECK(m->graph_node == 0);
        /* Described as an rwlock: the kind changes, the flags stay. */
        CHECK(tg__res_described(at, TG_RES_RWLOCK, 0, 0, m) == m);
        CHECK(tg__res_kind_of(m) == TG_RES_RWLOCK);
        CHECK((m->flags & (TG_RF_RECURSIVE | TG_RF_DESCRIBED)) == (TG_RF_RECURSIVE | TG_RF_DESCRIBED));
        if (classes)
            m->class_key = 0x9999u;
        tg__res_destroy(m);
        struct tg_res *c2 = tg__res_init(at, TG_RES_CHANNEL, 0, 0);
        CHECK(c2 == m && tg__res_kind_of(c2) == TG_RES_CHANNEL);
        CHECK(__atomic_load_n(&c2->last_by[0], __ATOMIC_RELAXED) == 0);
        CHECK(__atomic_load_n(&c2->last_by[1], __ATOMIC_RELAXED) == 0);
        tg__res_destroy(c2);
    }
    tg__opt.lock_classes = 0;
}

/* A destroyed lock leaves the lock-order graph at once (its entry no
 * longer says it is in it, so an init at its address has nothing to look
 * for): the next instance there carries no edge of the old one (no false
 * cycle), and a true cycle through the new instance is still found. */
static void test_destroy_leaves_graph(void)
{
    struct tg_res *a = tg__res_init(L(30), TG_RES_MUTEX, 0, 0);
    struct tg_res *b = tg__res_init(L(31), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    tg__acquired(t1, a, TG_MODE_EXCL, 0);
    tg__acquired(t1, b, TG_MODE_EXCL, 0);
    tg__lockorder_note(t1); /* kept (b is a leaf): the destroy below drops it */
    CHECK(a->flags & TG_RF_IN_GRAPH);
    CHECK(b->flags & TG_RF_IN_GRAPH);
    uint32_t nodes = tg__graph_instances;
    tg__released(t1, b);
    tg__released(t1, a);
    tg__res_destroy(b);
    CHECK(!(b->flags & TG_RF_IN_GRAPH));
    /* The nesting into b, a leaf, was kept apart and dropped with b: no
     * node was made (the pins count once for good, already in `nodes`). */
    CHECK_EQ(tg__graph_instances, nodes);
    uint64_t old = b->id;
    struct tg_res *b2 = tg__res_init(L(31), TG_RES_MUTEX, 0, 0);
    CHECK(b2->id != old);
    unsigned long before = tg__reports_made();
    tg__acquired(t2, b2, TG_MODE_EXCL, 0);
    tg__acquired(t2, a, TG_MODE_EXCL, 0);
    tg__lockorder_note(t2);
    tg__lockorder_drain(t2); /* what the preload does once t2 holds nothing */
    CHECK_EQ(tg__reports_made(), before); /* b's old instance took part in no cycle */
    tg__released(t2, a);
    tg__released(t2, b2);
    tg__acquired(t1, a, TG_MODE_EXCL, 0);
    tg__acquired(t1, b2, TG_MODE_EXCL, 0);
    tg__lockorder_note(t1);
    tg__lockorder_drain(t1);
    CHECK_EQ(tg__reports_made(), before + 1); /* a -> b2 by t1, b2 -> a by t2 */
    tg__released(t1, b2);
    tg__released(t1, a);
    end((struct tg_actor *[]){t1, t2}, 2);
}

/* The index of lock-order edges grows many times over while edges of
 * destroyed locks leave it (some from the table being replaced, while its
 * entries move to the larger one): an edge that stays is still found (a
 * second thread's inversion of it is reported), and an edge that left is
 * not (the same inversion over a lock re-created at its address is not). */
static void nest(struct tg_actor *t, struct tg_res *outer, struct tg_res *inner)
{
    tg__acquired(t, outer, TG_MODE_EXCL, 0);
    tg__acquired(t, inner, TG_MODE_EXCL, 0);
    tg__lockorder_note(t);
    tg__released(t, inner);
    tg__released(t, outer);
    tg__lockorder_drain(t);
}

/* A thread whose nestings have a chain cache probes it straight away
 * (chain_shift, engine.h); a new actor in the same record, a task or a
 * thread, does not until its own first chain is cached: a task's nesting
 * takes the general path (its task mutexes go into its held list first),
 * and a thread's is not taken for one of the record's previous user. */
static int nest_left(struct tg_actor *t)
{
    struct tg_held *top = &t->held[t->n_held - 1];
    return tg__lockorder_nest(t, top, t->n_held, top->addr, top->mode, 1);
}

static void test_chain_shift(void)
{
    struct tg_res *a = tg__res_init(L(40), TG_RES_MUTEX, 0, 0);
    struct tg_res *b = tg__res_init(L(41), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t = thread("shift");
    CHECK_EQ(t->chain_shift, 0);
    tg__acquired(t, a, TG_MODE_EXCL, 0);
    tg__acquired(t, b, TG_MODE_EXCL, 0);
    CHECK_EQ(nest_left(t), TG_NEST_DEEP); /* no cache yet */
    tg__lockorder_note(t);
    CHECK(t->chain_cache != NULL);
    CHECK_EQ(t->chain_shift, 64 - t->chain_bits);
    CHECK_EQ(nest_left(t), TG_NEST_DONE); /* validated: one probe */
    tg__released(t, b);
    tg__released(t, a);
    tg__lockorder_drain(t);
    struct tg_actor *record = t;
    end(&t, 1);
    for (int kind = TG_ACTOR_TASK; kind >= TG_ACTOR_THREAD; kind--) {
        struct tg_actor *u = tg__actor_new((enum tg_actor_kind)kind, "again", 0);
        CHECK(u != NULL);
        if (!u)
            return;
        u->tid = 1;
        CHECK(u == record); /* the record is reused, its cache kept */
        CHECK_EQ(u->chain_shift, 0);
        tg__acquired(u, a, TG_MODE_EXCL, 0);
        tg__acquired(u, b, TG_MODE_EXCL, 0);
        CHECK_EQ(nest_left(u), TG_NEST_DEEP);
        tg__released(u, b);
        tg__released(u, a);
        end(&u, 1);
    }
}

/* A nesting's slow path takes the empty slot where its probe of the
 * chain cache ended (tg__lockorder_nest) while every key cached is of the
 * actor's current generation. A post that follows a nesting moves the
 * generation on: then the slow path looks for the chain's older key, and
 * the renewal takes its slot (the cache does not fill with generations of
 * one chain: chain_used stays). */
static void test_chain_old_gens(void)
{
    struct tg_res *a = tg__res_init(L(42), TG_RES_MUTEX, 0, 0);
    struct tg_res *b = tg__res_init(L(43), TG_RES_MUTEX, 0, 0);
    struct tg_res *c = tg__res_init(L(44), TG_RES_MUTEX, 0, 0);
    struct tg_res *s = tg__res_init(L(45), TG_RES_SEM, 0, 0);
    struct tg_actor *t = thread("gens");
    nest(t, a, b); /* the cache is made */
    CHECK_EQ(t->chain_old_gens, 0);
    uint32_t used = t->chain_used;
    tg__acquired(t, a, TG_MODE_EXCL, 0);
    tg__acquired(t, c, TG_MODE_EXCL, 0);
    int left = nest_left(t);
    CHECK(left >= TG_NEST_SLOW);
    long empty = left - TG_NEST_SLOW;
    tg__lockorder_slow_at(t, NULL, empty);
    CHECK_EQ(t->chain_used, used + 1);
    CHECK((t->chain_cache[empty] ^ t->chain_salt) == t->held[1].chain); /* where the probe ended */
    CHECK_EQ(nest_left(t), TG_NEST_DONE);
    tg__released(t, c);
    tg__released(t, a);
    tg__lockorder_drain(t);
    tg__hb_post(t, s);
    CHECK_EQ(t->chain_old_gens, 1);
    used = t->chain_used;
    tg__acquired(t, a, TG_MODE_EXCL, 0);
    tg__acquired(t, c, TG_MODE_EXCL, 0);
    left = nest_left(t);
    CHECK(left >= TG_NEST_SLOW); /* a new generation: a miss */
    tg__lockorder_slow_at(t, NULL, left - TG_NEST_SLOW);
    CHECK_EQ(t->chain_used, used); /* renewed in its older slot */
    CHECK_EQ(nest_left(t), TG_NEST_DONE);
    tg__released(t, c);
    tg__released(t, a);
    end(&t, 1);
}

static void test_edge_index(void)
{
    enum { N = 20000 };
    char (*mem)[64] = calloc(N, sizeof *mem);
    struct tg_res **r = calloc(N, sizeof *r);
    CHECK(mem && r);
    if (!mem || !r) {
        free(mem);
        free(r);
        return;
    }
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    for (int i = 0; i < N; i++)
        r[i] = tg__res_init((uintptr_t)mem[i], TG_RES_MUTEX, 0, 0);
    for (int i = 1; i < N; i++) {
        nest(t1, r[0], r[i]);
        if (i > 8 && i % 3 == 0) /* lock i - 8 ends: its edge leaves */
            tg__res_destroy(r[i - 8]);
    }
    int kept = 0, gone = 0;
    unsigned long before = tg__reports_made();
    for (int i = 10; i < N; i += 997) {
        int destroyed = i > 1 && (i + 8) % 3 == 0 && i + 8 < N;
        if (destroyed)
            r[i] = tg__res_init((uintptr_t)mem[i], TG_RES_MUTEX, 0, 0);
        unsigned long was = tg__reports_made();
        nest(t2, r[i], r[0]);
        if (destroyed)
            gone += tg__reports_made() == was;
        else
            kept += tg__reports_made() == was + 1;
    }
    int checked = 0;
    for (int i = 10; i < N; i += 997)
        checked++;
    CHECK_EQ(kept + gone, checked);
    CHECK(gone > 0 && kept > 0);
    CHECK_EQ(tg__reports_made(), before + (unsigned long)kept);
    end((struct tg_actor *[]){t1, t2}, 2);
    for (int i = 0; i < N; i++)
        if (!(r[i]->flags & TG_RF_DESTROYED))
            tg__res_destroy(r[i]);
    free(r);
    free(mem);
}

/* One nesting under many holds makes a new edge from each of them at once,
 * each put in the edge index where its look-up ended unless an earlier one
 * changed the index since: every edge is found afterwards (a second
 * thread's inversion of each is reported, once), and none twice. */
static void test_edges_of_one_nesting(void)
{
    enum { K = 12 };
    static char mem[K + 1][64];
    struct tg_res *r[K + 1];
    for (int i = 0; i <= K; i++)
        r[i] = tg__res_init((uintptr_t)mem[i], TG_RES_MUTEX, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    for (int i = 0; i <= K; i++)
        tg__acquired(t1, r[i], TG_MODE_EXCL, 0);
    tg__lockorder_note(t1); /* r[i] -> r[K] for every i < K, in one plan */
    for (int i = K; i >= 0; i--)
        tg__released(t1, r[i]);
    tg__lockorder_drain(t1);
    unsigned long before = tg__reports_made();
    for (int i = 0; i < K; i++)
        nest(t2, r[K], r[i]);
    CHECK_EQ(tg__reports_made(), before + K);
    for (int i = 0; i < K; i++)
        nest(t2, r[K], r[i]);
    CHECK_EQ(tg__reports_made(), before + K); /* each cycle was reported already */
    end((struct tg_actor *[]){t1, t2}, 2);
    for (int i = 0; i <= K; i++)
        tg__res_destroy(r[i]);
}

/* Two holds of one recursive lock under a new top make one edge between
 * them, not one each: the second hold's edge is looked for once the first
 * one's is made (a plan of every hold made before any edge took it for
 * new twice, and the index kept both). */
static void test_one_edge_per_pair(void)
{
    static char mem[3][64];
    struct tg_res *r = tg__res_init((uintptr_t)mem[0], TG_RES_MUTEX, TG_RF_RECURSIVE, 0);
    struct tg_res *b = tg__res_init((uintptr_t)mem[1], TG_RES_MUTEX, 0, 0);
    struct tg_res *c = tg__res_init((uintptr_t)mem[2], TG_RES_MUTEX, 0, 0);
    struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
    nest(t2, b, c); /* b is no leaf: a nesting into it is queued, not kept */
    size_t before = tg__lockorder_edges();
    tg__acquired(t1, r, TG_MODE_EXCL, 0);
    tg__acquired(t1, r, TG_MODE_EXCL, 0);
    tg__acquired(t1, b, TG_MODE_EXCL, 0);
    tg__lockorder_note(t1);
    tg__released(t1, b);
    tg__released(t1, r);
    tg__released(t1, r);
    tg__lockorder_drain(t1);
    CHECK_EQ(tg__lockorder_edges(), before + 1); /* r -> b */
    unsigned long was = tg__reports_made();
    nest(t2, b, r);
    CHECK_EQ(tg__reports_made(), was + 1); /* the edge made is found */
    end((struct tg_actor *[]){t1, t2}, 2);
    tg__res_destroy(r);
    tg__res_destroy(b);
    tg__res_destroy(c);
}

/* 1 if the lock of object j (at off[j] in it) is found by a lookup and
 * by its granule's walk, once, and nothing is at the start of a granule
 * whose lock moved to + 4. */
static int found_as_made(unsigned char (*obj)[16], struct tg_res **r, const unsigned char *off, int j)
{
    struct tg_res *g[TG_RES_GRANULE];
    uintptr_t a = (uintptr_t)obj[j];
    return tg__res_lookup(a + off[j]) == r[j] && (off[j] == 0 || tg__res_lookup(a) == NULL) &&
           tg__res_granule(a, g) == 1 && g[0] == r[j];
}

/* The index grows six times here (it takes 3,328 locks at first and
 * doubles when 13/16 full), each time moving the old index's slots over a
 * few at each later insert: no insert moves more than 8 of them
 * (MOVE_PACE in res.c), so no init pauses for all the locks made before
 * it. Meanwhile and after, every lock is found by a lookup and by its
 * granule's walk (once, though an entry moved is in both indexes until
 * the move ends), checked after each insert for the new lock and one made
 * before, and for all of them when the count reaches a power of two.
 * Every fourth lock is destroyed two inserts after it is made and its
 * entry goes to the lock at + 4 in its granule (the claim meets it on
 * that path, whichever index it is in): the old address then misses. */
static void test_index_moves_a_few_slots(void)
{
    enum { N = 200000 };
    static _Alignas(TG_RES_GRANULE) unsigned char obj[N][16];
    static struct tg_res *r[N];
    static unsigned char off[N];
    int made = 0, reused = 0, reuses = 0, lost = 0, sweeps = 0;
    uint64_t rnd = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        made += (r[i] = tg__res_init((uintptr_t)obj[i], TG_RES_MUTEX, 0, 0)) != NULL;
        if (i % 4 == 2) {
            int k = i - 2;
            tg__res_destroy(r[k]);
            struct tg_res *x = tg__res_init((uintptr_t)obj[k] + 4, TG_RES_MUTEX, 0, 0);
            reuses++;
            reused += x == r[k];
            off[k] = 4;
        }
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        lost += !found_as_made(obj, r, off, i) + !found_as_made(obj, r, off, (int)(rnd % (i + 1)));
        if ((i & (i + 1)) == 0 || i == N - 1) {
            sweeps++;
            for (int j = 0; j <= i; j++)
                lost += !found_as_made(obj, r, off, j);
        }
    }
    CHECK_EQ(made, N);
    CHECK_EQ(reused, reuses);
    CHECK_EQ(lost, 0);
    CHECK(sweeps > 6);
    CHECK(tg__res_moved_most() > 0);
    CHECK(tg__res_moved_most() <= 8);
    for (int i = 0; i < N; i++)
        tg__res_destroy(r[i]);
}

/* The table grows past its first index many times over (each larger index
 * replaces the last, whose memory goes back): every entry is still found,
 * a destroyed entry is given to a new address met on its probe path (the
 * old address then misses), and an init at a destroyed address starts a
 * new instance. */
static void test_table_growth(void)
{
    enum { N = 40000 };
    static uintptr_t mem[N * 2]; /* entries keep its addresses */
    struct tg_res **r = calloc(N, sizeof *r);
    CHECK(r != NULL);
    if (!r)
        return;
    int made = 0;
    for (int i = 0; i < N; i++)
        made += (r[i] = tg__res_init((uintptr_t)&mem[i], TG_RES_MUTEX, 0, 0)) != NULL;
    CHECK_EQ(made, N);
    int found = 0;
    for (int i = 0; i < N; i++)
        found += tg__res_lookup((uintptr_t)&mem[i]) == r[i];
    CHECK_EQ(found, N);
    for (int i = 0; i < N; i += 2)
        tg__res_destroy(r[i]);
    /* New addresses take over destroyed entries (or get new ones). */
    int fresh = 0;
    for (int i = N; i < N + N / 2; i++) {
        struct tg_res *x = tg__res_init((uintptr_t)&mem[i], TG_RES_MUTEX, 0, 0);
        fresh += x && tg__res_lookup((uintptr_t)&mem[i]) == x && x->addr == (uintptr_t)&mem[i];
    }
    CHECK_EQ(fresh, N / 2);
    int kept = 0, gone_or_destroyed = 0;
    for (int i = 0; i < N; i++) {
        struct tg_res *x = tg__res_lookup((uintptr_t)&mem[i]);
        if (i % 2)
            kept += x == r[i] && !(x->flags & TG_RF_DESTROYED);
        else
            gone_or_destroyed += !x || (x->flags & TG_RF_DESTROYED);
    }
    CHECK_EQ(kept, N / 2);
    CHECK_EQ(gone_or_destroyed, N / 2);
    uint64_t old = r[1]->id;
    tg__res_destroy(r[1]);
    struct tg_res *again = tg__res_init((uintptr_t)&mem[1], TG_RES_MUTEX, 0, 0);
    CHECK(again != NULL && again->id != old && !(again->flags & TG_RF_DESTROYED));
    free(r);
}

/* tg__res_granule finds every entry of a granule in one walk, however
 * many of its addresses hold one, and none of its neighbours'. */
static int granule_has(uintptr_t g, const uintptr_t *want, int n)
{
    struct tg_res *out[TG_RES_GRANULE];
    int got = tg__res_granule(g, out), match = 0;
    for (int i = 0; i < got; i++)
        for (int j = 0; j < n; j++)
            match += out[i]->addr == want[j] && tg__res_lookup(want[j]) == out[i];
    return got == n && match == n;
}

static void test_granule_walk(void)
{
    static _Alignas(TG_RES_GRANULE) unsigned char area[4 * TG_RES_GRANULE];
    uintptr_t g0 = (uintptr_t)area, g1 = g0 + TG_RES_GRANULE, g2 = g1 + TG_RES_GRANULE;
    uintptr_t four[4] = {g0, g0 + 4, g0 + 8, g0 + 12}, every[TG_RES_GRANULE];
    for (int i = 0; i < 4; i++)
        CHECK(tg__res_init(four[i], TG_RES_SPIN, 0, 0) != NULL);
    CHECK(tg__res_init(g1 + 8, TG_RES_MUTEX, 0, 0) != NULL);
    CHECK(granule_has(g0, four, 4));
    CHECK(granule_has(g1, (uintptr_t[]){g1 + 8}, 1));
    for (int i = 0; i < TG_RES_GRANULE; i++)
        CHECK(tg__res_get(every[i] = g2 + (uintptr_t)i, TG_RES_MUTEX, TG_RF_DESCRIBED, 0) != NULL);
    CHECK(granule_has(g2, every, TG_RES_GRANULE));
    CHECK(granule_has(g2 + TG_RES_GRANULE, NULL, 0));
    /* A destroyed entry is still at its address until another takes it. */
    tg__res_destroy(tg__res_lookup(g0 + 4));
    CHECK(granule_has(g0, four, 4));
}

/* The entry of a lock at a, destroyed, given the flags `set` (by hand:
 * what another thread would set at that moment), then passed over by the
 * claim of a + 4 (the same granule, whose probe path meets it first): it
 * is still at a, destroyed, with those flags. NULL if it was not. */
static struct tg_res *passed_over(uintptr_t a, uint32_t set)
{
    struct tg_res *ra = tg__res_init(a, TG_RES_MUTEX, 0, 0);
    if (!ra)
        return NULL;
    tg__res_destroy(ra);
    __atomic_fetch_or(&ra->flags, set, __ATOMIC_ACQ_REL);
    struct tg_res *rb = tg__res_init(a + 4, TG_RES_MUTEX, 0, 0);
    uint32_t want = set | TG_RF_DESTROYED;
    return rb && rb != ra && tg__res_lookup(a) == ra && (ra->flags & want) == want ? ra : NULL;
}

/* A destroyed entry that lock order marked after the destroy read its
 * flags (a queued nesting into the lock handled as it ends) stays at its
 * address: another address of its granule gets another entry. The next
 * init at its address tells lock order of the old instance's end and
 * clears the mark; destroyed again, the entry is given to the next
 * address that asks. */
static void test_claim_passes_marked(void)
{
    static _Alignas(TG_RES_GRANULE) unsigned char area[TG_RES_GRANULE];
    uintptr_t a = (uintptr_t)area;
    struct tg_res *ra = passed_over(a, TG_RF_IN_GRAPH);
    CHECK(ra != NULL);
    if (!ra)
        return;
    CHECK(tg__res_init(a, TG_RES_MUTEX, 0, 0) == ra);
    CHECK_EQ(ra->flags & (TG_RF_LO_MARKS | TG_RF_DESTROYED | TG_RF_REINIT), 0);
    tg__res_destroy(ra);
    CHECK(tg__res_init(a + 8, TG_RES_MUTEX, 0, 0) == ra);
    CHECK(tg__res_lookup(a) == NULL && tg__res_lookup(a + 8) == ra);
}

/* While an init at its address holds a destroyed entry (TG_RF_REINIT,
 * between its compare-and-swap of the flags and its check that the entry
 * is still at the address), no other address claims it: a claim could
 * give it to another lock, whose destroy brings the flags back to what
 * the init read, and the init would then change the new lock's flags.
 * Given back, it is claimed again. */
static void test_claim_passes_held(void)
{
    static _Alignas(TG_RES_GRANULE) unsigned char area[TG_RES_GRANULE];
    uintptr_t a = (uintptr_t)area;
    struct tg_res *ra = passed_over(a, TG_RF_REINIT);
    CHECK(ra != NULL);
    if (!ra)
        return;
    __atomic_fetch_and(&ra->flags, ~TG_RF_REINIT, __ATOMIC_RELEASE);
    CHECK(tg__res_init(a + 8, TG_RES_MUTEX, 0, 0) == ra);
}

/* t nests a new lock at `at` under outer (kept: the leaf's entry pins
 * its address) and destroys it; the entry, NULL if anything failed. */
static struct tg_res *churned_leaf(struct tg_actor *t, struct tg_res *outer, uintptr_t at)
{
    struct tg_res *leaf = tg__res_init(at, TG_RES_MUTEX, 0, 0);
    if (!leaf)
        return NULL;
    tg__acquired(t, outer, TG_MODE_EXCL, 0);
    tg__acquired(t, leaf, TG_MODE_EXCL, 0);
    tg__lockorder_note(t);
    CHECK(leaf->flags & TG_RF_LO_PINNED);
    tg__released(t, leaf);
    tg__released(t, outer);
    tg__res_destroy_at(at);
    return leaf;
}

/* Sticky pins (lockorder.c): a leaf destroyed by the thread that nested
 * into it keeps its pin at its address, out of the graph; the next lock
 * made there takes it over (one pin, not two); a claim of the entry by
 * another address of its granule gives it back, and so does free() of
 * the memory. Each once: a lost unpin would make every later free()
 * there take the slow look, a second one would wrap the count. */
static void test_lingering_pin(void)
{
    static _Alignas(TG_RES_GRANULE) unsigned char area[TG_RES_GRANULE], other[TG_RES_GRANULE];
    uintptr_t at = (uintptr_t)area, at2 = (uintptr_t)other;
    struct tg_actor *t = thread("churn");
    struct tg_actor *was = tg__current;
    tg__current = t; /* the ending thread's own lone record: the common end */
    struct tg_res *outer = tg__res_init(L(60), TG_RES_MUTEX, 0, 0);
    uint32_t base = tg__lockorder_pins_at(at), base2 = tg__lockorder_pins_at(at2);
    struct tg_res *leaf = churned_leaf(t, outer, at);
    CHECK(leaf != NULL);
    if (!leaf)
        goto out;
    CHECK_EQ(leaf->flags & (TG_RF_LO_PINNED | TG_RF_IN_GRAPH | TG_RF_DESTROYED),
             TG_RF_LO_PINNED | TG_RF_DESTROYED);
    CHECK_EQ(tg__lockorder_pins_at(at), base + 1);
    /* Made again at its address and churned: the pin is taken over. */
    CHECK(churned_leaf(t, outer, at) == leaf);
    CHECK_EQ(tg__lockorder_pins_at(at), base + 1);
    /* Claimed for another address of the granule: the pin goes with it. */
    CHECK(tg__res_init(at + 4, TG_RES_MUTEX, 0, 0) == leaf);
    CHECK(tg__res_lookup(at) == NULL);
    CHECK(!(leaf->flags & TG_RF_LO_PINNED));
    CHECK_EQ(tg__lockorder_pins_at(at), base);
    tg__res_destroy(leaf);
    /* free() of the memory of a lingering pin gives it back. */
    struct tg_res *leaf2 = churned_leaf(t, outer, at2);
    CHECK(leaf2 != NULL);
    CHECK_EQ(tg__lockorder_pins_at(at2), base2 + 1);
    tg__lockorder_freed(at2, at2 + sizeof other);
    CHECK_EQ(tg__lockorder_pins_at(at2), base2);
    CHECK(leaf2 && !(leaf2->flags & TG_RF_LO_PINNED));
out:
    tg__current = was;
    end(&t, 1);
}

static void *init_at(void *addr)
{
    return tg__res_init((uintptr_t)addr, TG_RES_MUTEX, 0, 0);
}

/* A destroy finds the entry of the lock its thread made last without the
 * index (res.c's made_last), but only while that entry is still at the
 * address: once another thread's init at another address of the granule
 * has claimed it, a destroy at the old address ends nothing (it finds no
 * lock there), and the new lock lives until a destroy at its own address. */
static void test_destroy_made_last(void)
{
    static _Alignas(TG_RES_GRANULE) unsigned char area[TG_RES_GRANULE];
    uintptr_t a = (uintptr_t)area;
    struct tg_res *ra = tg__res_init(a, TG_RES_MUTEX, 0, 0);
    CHECK(ra != NULL);
    if (!ra)
        return;
    tg__res_destroy_at(a);
    CHECK(ra->flags & TG_RF_DESTROYED);
    /* Made again, then taken by another thread's lock at a + 4. */
    CHECK(tg__res_init(a, TG_RES_MUTEX, 0, 0) == ra);
    tg__res_destroy(ra);
    pthread_t t;
    void *rb = NULL;
    CHECK(pthread_create(&t, NULL, init_at, (void *)(a + 4)) == 0 && pthread_join(t, &rb) == 0);
    CHECK(rb == ra && tg__res_lookup(a + 4) == ra && tg__res_lookup(a) == NULL);
    tg__res_destroy_at(a);
    CHECK(!(ra->flags & TG_RF_DESTROYED));
    tg__res_destroy_at(a + 4);
    CHECK(ra->flags & TG_RF_DESTROYED);
}

/* A semaphore's clock shares its word with a lock's kept nestings: it
 * stays with the next semaphore at the entry, and goes when the entry
 * serves a mutex, which finds no kept nesting there (nor a later
 * semaphore a clock). */
static void test_sem_clock_word(void)
{
    struct tg_res *s = tg__res_init(L(52), TG_RES_SEM, 0, 0);
    struct tg_actor *t = thread("t");
    tg__hb_post(t, s);
    struct tg_vc *vc = __atomic_load_n(&s->hb, __ATOMIC_ACQUIRE);
    CHECK(vc != NULL || !tg__lockorder_on);
    tg__res_destroy(s);
    CHECK(tg__res_init(L(52), TG_RES_SEM, 0, 0) == s && s->hb == vc);
    tg__res_destroy(s);
    CHECK(tg__res_init(L(52), TG_RES_MUTEX, 0, 0) == s && s->lo_kept == NULL);
    tg__res_destroy(s);
    CHECK(tg__res_init(L(52), TG_RES_SEM, 0, 0) == s && s->hb == NULL);
    end(&t, 1);
}

/* Lookups running while the table grows under them never miss an entry
 * that was there before: a lookup that was probing a replaced index (whose
 * memory has gone back) asks the current one. */
static uintptr_t *probe_mem;
static _Atomic int probe_stop;
static void *probe_lookups(void *arg)
{
    (void)arg;
    long misses = 0;
    while (!__atomic_load_n(&probe_stop, __ATOMIC_ACQUIRE))
        for (int i = 0; i < 512; i++)
            misses += tg__res_lookup((uintptr_t)&probe_mem[i]) == NULL;
    return (void *)misses;
}

static void test_lookup_while_growing(void)
{
    enum { OLD = 512, NEW = 200000 };
    probe_mem = calloc(OLD + NEW, sizeof *probe_mem);
    CHECK(probe_mem != NULL);
    if (!probe_mem)
        return;
    for (int i = 0; i < OLD; i++)
        tg__res_init((uintptr_t)&probe_mem[i], TG_RES_MUTEX, 0, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, probe_lookups, NULL), 0);
    for (int i = OLD; i < OLD + NEW; i++)
        tg__res_init((uintptr_t)&probe_mem[i], TG_RES_MUTEX, 0, 0);
    __atomic_store_n(&probe_stop, 1, __ATOMIC_RELEASE);
    void *misses;
    pthread_join(t, &misses);
    CHECK_EQ((long)misses, 0);
}

/* A chain cache that doubles moves its old array over within 1,024 slow
 * paths: a chain cached before the growth hits the fast path again soon
 * after, wherever it lay in the old array (a move of 64 slots per slow
 * path left half the old array unmoved here). The cache of 2^17 slots
 * doubles at its 98,305th chain. */
static void test_chain_move_pace(void)
{
    enum { GROWS = 98305, N = GROWS + 1100 };
    char(*obj)[16] = calloc(N, sizeof *obj);
    CHECK(obj != NULL);
    if (!obj)
        return;
    struct tg_res *table = tg__res_init(L(50), TG_RES_MUTEX, 0, 0);
    struct tg_actor *t = thread("pace");
    int made = 0;
    for (int i = 0; i < N; i++) {
        struct tg_res *o = tg__res_init((uintptr_t)obj[i], TG_RES_MUTEX, 0, 0);
        if (!o)
            continue;
        made++;
        nest(t, table, o);
    }
    CHECK_EQ(made, N);
    CHECK_EQ(t->chain_bits, 18);
    int missed = 0;
    for (int i = 0; i < GROWS - 1; i++) {
        struct tg_res *o = tg__res_lookup((uintptr_t)obj[i]);
        tg__acquired(t, table, TG_MODE_EXCL, 0);
        tg__acquired(t, o, TG_MODE_EXCL, 0);
        missed += nest_left(t) != TG_NEST_DONE;
        tg__released(t, o);
        tg__released(t, table);
    }
    CHECK_EQ(missed, 0);
    end(&t, 1);
    for (int i = 0; i < N; i++)
        tg__res_destroy(tg__res_lookup((uintptr_t)obj[i]));
    free(obj);
}

/* A table of 256 KiB (a power of two, the header on top: the next size
 * class) that a doubling index frees goes back to the system: kept on a
 * free list, every such array a table grew out of stayed resident. */
static void test_large_block_given_back(void)
{
    size_t n = (size_t)256 << 10;
    char *p = tg__alloc(n);
    CHECK(p != NULL);
    if (!p)
        return;
    memset(p, 1, n);
    void *page = (void *)(((uintptr_t)p + 8191) & ~(uintptr_t)4095);
    CHECK_EQ(msync(page, 4096, MS_ASYNC), 0); /* mapped while in use */
    tg__free(p);
    CHECK_EQ(msync(page, 4096, MS_ASYNC), -1); /* unmapped once freed */
    char *small = tg__alloc(1000);
    CHECK(small != NULL);
    tg__free(small);
}

static void test_options(void)
{
    struct tg_options o;
    char err[256];
    tg__options_defaults(&o);
    CHECK_EQ(tg__options_parse(&o, "json=a.json:stall_ms=250:on_deadlock=hang", err, sizeof err), 0);
    CHECK(!strcmp(o.json, "a.json"));
    CHECK_EQ(o.stall_ms, 250);
    CHECK_EQ(o.on_deadlock, TG_ON_DEADLOCK_HANG);
    CHECK_EQ(tg__options_parse(&o, "stall_ms=-1", err, sizeof err), -1);
    CHECK(strstr(err, "stall_ms") && strstr(err, "whole number"));
    CHECK_EQ(tg__options_parse(&o, "nosuch=1", err, sizeof err), -1);
    CHECK(strstr(err, "unknown option 'nosuch'"));
    CHECK_EQ(tg__options_parse(&o, "json", err, sizeof err), -1);
    CHECK(strstr(err, "not key=value"));
    CHECK_EQ(tg__options_parse(&o, "hazards=maybe", err, sizeof err), -1);
}

/* Two findings whose stacks enter one library function (a sample taken
 * inside clock_gettime: the C library's frames on top) from different
 * places of the program are two findings, not one seen twice; with no
 * frame of the program's, the top frames decide. */
static void long_task_only(void) { __asm__ volatile(""); }
static void long_task_other(void) { __asm__ volatile(""); }

static int report_at(const uintptr_t *lib, int n_lib, uintptr_t own)
{
    struct tg_finding *f = tg__finding_new(TG_FINDING_HAZARD, TG_HAZARD_LONG_RUNNING_TASK);
    uintptr_t pcs[8];
    int n = 0;
    for (int i = 0; i < n_lib; i++)
        pcs[n++] = lib[i];
    if (own) {
        pcs[n++] = own;
        pcs[n++] = (uintptr_t)&report_at + 1; /* the caller: the same in both */
    }
    CHECK(f && tg__stack_from_pcs(&f->where, pcs, n) == 0);
    return tg__report(f);
}

/* The watchdog's side of a thread stuck in a lock call it published
 * (tg_actor.pending): the first tick asks the thread for its stack
 * (tg__stuck_hook), and the call counts as blocked from the second tick
 * on only once the answer has come (or, when no request could be sent,
 * at once), so that a deadlock report is not made without the stack of
 * a thread that a loaded machine has not run yet. */
static int asked;
static int ask_sent(struct tg_actor *a) { (void)a; asked++; return 0; }
static int ask_refused(struct tg_actor *a) { (void)a; asked++; return -1; }

static void pending_call(struct tg_actor *a, struct tg_res *r)
{
    a->pending_pc = (uintptr_t)pending_call + 1;
    a->pending_seq++;
    __atomic_store_n(&a->pending, r->addr, __ATOMIC_RELEASE);
}

/* What the stack signal's handler writes on the stuck thread. */
static void answer(struct tg_actor *a)
{
    a->pending_pcs[0] = a->pending_pc;
    a->pending_pcs[1] = (uintptr_t)answer + 1;
    a->pending_n = 2;
    __atomic_store_n(&a->pending_stack_seq, a->pending_seq, __ATOMIC_RELEASE);
}

static void test_stuck_call_waits_for_stack(void)
{
    int (*saved)(struct tg_actor *) = tg__stuck_hook;
    int ticks = TG_STACK_WAIT_MS / tg__opt.watchdog_ms;
    for (int mode = 0; mode < 3; mode++) { /* answered late, refused, never answered */
        struct tg_res *a = tg__res_init(L(40 + 2 * mode), TG_RES_MUTEX, 0, 0);
        struct tg_res *b = tg__res_init(L(41 + 2 * mode), TG_RES_MUTEX, 0, 0);
        struct tg_actor *t1 = thread("t1"), *t2 = thread("t2");
        tg__acquired(t1, a, TG_MODE_EXCL, 0);
        tg__acquired(t2, b, TG_MODE_EXCL, 0);
        tg__stuck_hook = mode == 1 ? ask_refused : ask_sent;
        asked = 0;
        pending_call(t1, b);
        pending_call(t2, a);
        unsigned long before = tg__reports_made();
        tg__scan(0); /* seen */
        tg__scan(0); /* unchanged once: both asked */
        CHECK_EQ(asked, 2);
        if (mode == 0)
            answer(t1);
        tg__scan(0); /* unchanged twice */
        if (mode == 1) { /* nothing to wait for */
            CHECK_EQ(tg__reports_made(), before + 1);
        } else { /* t2's stack has not come */
            CHECK_EQ(tg__reports_made(), before);
            if (mode == 0) {
                answer(t2);
                tg__scan(0);
                CHECK_EQ(tg__reports_made(), before + 1);
            } else {
                for (int i = 1; i < ticks; i++)
                    tg__scan(0);
                CHECK_EQ(tg__reports_made(), before);
                tg__scan(0); /* TG_STACK_WAIT_MS have passed: without it */
                CHECK_EQ(tg__reports_made(), before + 1);
            }
        }
        t1->pending = t2->pending = 0;
        end((struct tg_actor *[]){t1, t2}, 2);
    }
    tg__stuck_hook = saved;
}

/* A scan that sees a thread running finds nothing stuck and is not
 * repeated until something changes. A thread becoming one of tangle's own
 * (the task runtime's watchdog thread marks itself when it starts, which
 * a loaded machine may delay past the program's deadlock) is such a
 * change: the permit deadlock that formed meanwhile is then reported. */
static void test_internal_thread_is_a_change(void)
{
    struct tg_res *s = tg__res_init(L(50), TG_RES_SEM, TG_RF_OWNED_PERMITS, 0);
    struct tg_actor *late = thread("late"), *t1 = thread("t1"), *t2 = thread("t2");
    tg__acquired(t1, s, TG_MODE_EXCL, 0);
    tg__acquired(t2, s, TG_MODE_EXCL, 0);
    wait_on(t1, s, TG_MODE_EXCL, 0);
    wait_on(t2, s, TG_MODE_EXCL, 0);
    unsigned long before = tg__reports_made();
    tg__scan(0); /* "late" runs: it may hold a permit and return it */
    tg__scan(0);
    CHECK_EQ(tg__reports_made(), before);
    tg__actor_set_internal(late);
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL); /* older than stall_ms */
    tg__scan(0);
    tg__scan(0);
    CHECK_EQ(tg__reports_made(), before + 1);
    end((struct tg_actor *[]){late, t1, t2}, 3);
}

static void test_key_skips_library_frames(void)
{
    const char *names[] = {"clock_gettime", "nanosleep", "memchr", "strlen"};
    uintptr_t lib[4];
    for (int i = 0; i < 4; i++) {
        lib[i] = (uintptr_t)dlsym(RTLD_DEFAULT, names[i]) + 1;
        CHECK(lib[i] != 1);
    }
    CHECK_EQ(report_at(lib, 4, (uintptr_t)&long_task_only + 1), 1);
    CHECK_EQ(report_at(lib, 4, (uintptr_t)&long_task_other + 1), 1);
    CHECK_EQ(report_at(lib, 4, (uintptr_t)&long_task_other + 1), 0); /* a repeat */
    uintptr_t only_lib[4] = {lib[3], lib[2], lib[1], lib[0]};
    CHECK_EQ(report_at(only_lib, 4, 0), 1);
    CHECK_EQ(report_at(only_lib, 4, 0), 0);
}

int main(void)
{
    setenv("TANGLE_OPTIONS", "quiet=1:symbolize=0:stall_ms=0", 1);
    CHECK_EQ(tg__engine_init(), 0);
    tg__opt.stall_ms = 1; /* stalls reported by the second scan */
    test_abba();
    test_self_and_recursive();
    test_timed_cycle();
    test_rwlock_kinds();
    test_exited_holder_and_robust();
    test_join_cycle();
    test_conditions_need_a_stall();
    test_owned_permits();
    test_any_of();
    test_resource_identity();
    test_shared_words();
    test_destroy_leaves_graph();
    test_chain_shift();
    test_chain_old_gens();
    test_edge_index();
    test_edges_of_one_nesting();
    test_one_edge_per_pair();
    test_index_moves_a_few_slots();
    test_table_growth();
    test_lookup_while_growing();
    test_granule_walk();
    test_claim_passes_marked();
    test_claim_passes_held();
    test_lingering_pin();
    test_destroy_made_last();
    test_sem_clock_word();
    test_large_block_given_back();
    test_chain_move_pace();
    test_options();
    test_key_skips_library_frames();
    test_stuck_call_waits_for_stack();
    test_internal_thread_is_a_change();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
