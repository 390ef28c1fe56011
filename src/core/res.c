/* SPDX-License-Identifier: MIT */
/* res.c: the resource table: tangle's state kept beside the user's lock
 * objects, keyed by address. Lookups take no lock; inserts are serialized
 * by a small spin lock of their own (an insert happens once per address).
 *
 * Entries are handed out densely from mapped slabs and never move, so an
 * entry pointer stays valid for the life of the process; a destroyed entry
 * may be reused for another address. An open-addressing index of 8-byte
 * slots (entry pointer and address tag), at most 13/16 full, finds them;
 * when it fills, a twice larger one takes over and the old one's slots
 * move over a few at each later insert (no insert pauses to rehash all it
 * holds), after which its memory goes back to the system. Memory follows
 * the number of locks: a 48-byte entry and 10 to 20 bytes of index each
 * (not a page per scattered lock), and no fixed size stops a program.
 * Past max_locks entries new locks are not watched (one warning). */
#define _GNU_SOURCE /* process_vm_readv */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

size_t tg__peek_some(uintptr_t addr, void *out, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)addr, n};
    ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (got >= 0)
        return (size_t)got;
    if (errno == EFAULT)
        return 0;
    /* Refused (a seccomp profile, say): the same through /proc. */
    int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    got = pread(fd, out, n, (off_t)addr);
    close(fd);
    return got > 0 ? (size_t)got : 0;
}

int tg__peek(uintptr_t addr, void *out, size_t n)
{
    return tg__peek_some(addr, out, n) == n ? 0 : -1;
}

/* An entry's size is most of tangle's memory per lock (engine.h says
 * which kinds share which words). Entries lie back to back in a slab, so
 * one in four has its first 20 bytes (address, serial, flags: what a lock
 * operation reads) across two cache lines, as with 56 bytes. */
_Static_assert(sizeof(struct tg_res) == 48, "a lock's entry is 48 bytes");

#define INDEX0 4096
/* The index holds at most LOAD_NUM / LOAD_DEN of its slots: 10 to 20
 * bytes of index a lock (16 to 32 at one half). Linear probing at the
 * fullest reads some 3 slots for a lock it finds and 15 (two lines) for
 * one it does not: a probe compares tags, not entries. Look-ups run on
 * slow paths and per init, destroy and semaphore or condition operation,
 * not on a lock's fast path. */
#define LOAD_NUM 13
#define LOAD_DEN 16
#define SLAB 4096 /* entries per mapping */

/* An index slot, one 64-bit word read and written whole: 0 when empty,
 * else an entry's address (below 2^48, where user space lies) and in the
 * 16 bits above it a tag of the lock address it was put under, so that a
 * probe passes over others' slots without touching their entries. 8 bytes
 * a slot where an address and a pointer took 16.
 * A slot's place is hashed from the 16-byte granule of the address, not
 * from the address: the locks of a granule share one probe path, so that
 * free() finds every lock in a granule of the block in one walk
 * (tg__res_granule) instead of a lookup at each 4-aligned address. The
 * tag is the hash's top 16 bits with the address's low 16 bits xored in:
 * it tells apart the locks of one granule by their low 4 bits, and its
 * top 12 bits are the same for all of them (the walk compares those). */
#define PTR_BITS 48
#define PTR_MASK (((uint64_t)1 << PTR_BITS) - 1)
#define GRANULE_SHIFT 4 /* TG_RES_GRANULE is 1 << GRANULE_SHIFT */
_Static_assert(TG_RES_GRANULE == 1 << GRANULE_SHIFT, "the granule of tg__res_granule");
struct index {
    size_t mask;
    /* The index this one took over from, while its slots move over (see
     * index_room); NULL from then on. */
    struct index *_Atomic prev;
    _Atomic uint64_t s[];
};
static struct index *_Atomic cur;
static size_t used;           /* entries in the index, under insert_lock */
static size_t moved;          /* slots of cur->prev moved so far, the same */
static size_t moved_most;     /* the most slots one insert moved (for tests) */
static struct tg_res *slab;
static size_t slab_left;
static _Atomic int insert_lock;
static _Atomic uint64_t next_id;
static int full_warned;

static size_t index_bytes(size_t cap)
{
    return sizeof(struct index) + cap * sizeof(uint64_t);
}

static struct index *index_new(size_t cap)
{
    struct index *ix = mmap(NULL, index_bytes(cap), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ix == MAP_FAILED) {
        tg__out_of_memory("locks not seen before are not watched");
        return NULL;
    }
    ix->mask = cap - 1;
#ifdef MADV_HUGEPAGE
    /* A large index is probed at random: on huge pages a lookup costs one
     * cache miss, not a TLB miss too (where the system allows it). */
    if (index_bytes(cap) >= (2u << 20))
        madvise(ix, index_bytes(cap), MADV_HUGEPAGE);
#endif
    return ix;
}

void tg__res_table_init(void)
{
    if (!__atomic_load_n(&cur, __ATOMIC_ACQUIRE))
        __atomic_store_n(&cur, index_new(INDEX0), __ATOMIC_RELEASE);
}

static inline uint64_t hash_of(uintptr_t addr)
{
    return (uint64_t)(addr >> GRANULE_SHIFT) * 0x9E3779B97F4A7C15ull;
}

static inline size_t slot_of(uint64_t h, size_t mask)
{
    return (size_t)(h >> 24) & mask;
}

/* A slot's tag in its top 16 bits (and garbage below, which a compare
 * shifts out). */
static inline uint64_t tag_bits(uint64_t h, uintptr_t addr)
{
    return h ^ ((uint64_t)addr << PTR_BITS);
}

static inline uint64_t tag_of(uint64_t h, uintptr_t addr)
{
    return tag_bits(h, addr) & ~PTR_MASK;
}

static inline struct tg_res *entry(uint64_t slot)
{
    return (struct tg_res *)(uintptr_t)(slot & PTR_MASK);
}

/* The entry at addr in ix, or NULL where addr's probe path ends. */
static inline __attribute__((always_inline)) struct tg_res *probe(struct index *ix, uint64_t h,
                                                                 uint64_t tag, uintptr_t addr)
{
    for (size_t i = slot_of(h, ix->mask);; i = (i + 1) & ix->mask) {
        uint64_t k = __atomic_load_n(&ix->s[i], __ATOMIC_ACQUIRE);
        if (TG_UNLIKELY(k == 0))
            return NULL;
        if (((k ^ tag) >> PTR_BITS) == 0) {
            struct tg_res *r = entry(k);
            if (TG_LIKELY(__atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) == addr))
                return r;
        }
    }
}

/* The entry at addr in the current index, or NULL: not there, or not
 * yet (see lookup_rest). A hit is the answer (one entry at most is at an
 * address). */
static inline __attribute__((always_inline)) struct tg_res *quick(uintptr_t addr)
{
    struct index *ix = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
    if (TG_UNLIKELY(!ix))
        return NULL;
    uint64_t h = hash_of(addr);
    return probe(ix, h, tag_bits(h, addr), addr);
}

/* Not a whole round yet (see lookup_rest). */
#define FIRST_ROUND ((struct index *)1)

/* The lookup after a miss in the current index (quick). While an old
 * index moves into the current one, an entry is in the old one (not moved
 * yet, or moved after the probe passed its place: the old index keeps
 * every slot it had until its move ends) or in the current one; and the
 * index may grow or end a move during a probe. A miss is the answer after
 * a round that read the current index and its prev (cur->prev), probed
 * the prev if there is one (else the current index), and then read both
 * unchanged: the prev was whole meanwhile (the move ends with prev set to
 * NULL, and only then do the old index's pages go back and read empty),
 * or NULL, and then every slot of the old index was in the current one
 * already (the store of NULL comes after the last one moved). An entry
 * there before the lookup began is found in such a round: in the prev if
 * it is still there, else in the current index. quick read no prev before
 * its probe (a load on every lookup), so its miss takes a round here. */
static __attribute__((noinline)) struct tg_res *lookup_rest(uintptr_t addr)
{
    uint64_t h = hash_of(addr), tag = tag_bits(h, addr);
    struct index *base = NULL, *o = FIRST_ROUND;
    for (;;) {
        struct index *now = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
        if (!now)
            return NULL;
        struct index *p = __atomic_load_n(&now->prev, __ATOMIC_ACQUIRE);
        if (now == base && p == o)
            return NULL;
        base = now;
        o = p;
        struct tg_res *r = probe(p ? p : now, h, tag, addr);
        if (r)
            return r;
    }
}

/* The lookup, inlined where res.c needs it. */
static inline __attribute__((always_inline)) struct tg_res *lookup(uintptr_t addr)
{
    struct tg_res *r = quick(addr);
    if (TG_LIKELY(r != NULL))
        return r;
    return lookup_rest(addr);
}

struct tg_res *tg__res_lookup(uintptr_t addr)
{
    return lookup(addr);
}

/* tg__res_granule while an old index moves into the current one: both
 * are walked, an entry in both (moved already) counted once, in rounds as
 * in lookup_rest (here the prev is read before the walks). */
static __attribute__((noinline)) int granule_moving(uintptr_t granule, struct tg_res **out)
{
    uint64_t h = hash_of(granule), tag = tag_bits(h, granule);
    for (;;) {
        struct index *ix = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
        struct index *o = __atomic_load_n(&ix->prev, __ATOMIC_ACQUIRE);
        int n = 0, first = 0; /* out[0..first) came from ix */
        for (struct index *t = ix; t; t = t == ix ? o : NULL, first = n) {
            for (size_t i = slot_of(h, t->mask);; i = (i + 1) & t->mask) {
                uint64_t k = __atomic_load_n(&t->s[i], __ATOMIC_ACQUIRE);
                if (k == 0)
                    break;
                if (((k ^ tag) >> (PTR_BITS + GRANULE_SHIFT)) != 0 || n == TG_RES_GRANULE)
                    continue;
                struct tg_res *r = entry(k);
                uintptr_t at = __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE);
                int seen = 0;
                for (int j = 0; j < first; j++)
                    seen |= out[j] == r;
                if (at >> GRANULE_SHIFT == granule >> GRANULE_SHIFT && !seen)
                    out[n++] = r;
            }
        }
        if (__atomic_load_n(&cur, __ATOMIC_ACQUIRE) == ix &&
            __atomic_load_n(&ix->prev, __ATOMIC_ACQUIRE) == o)
            return n;
    }
}

/* The walk when no old index is moving (its prev NULL before and, the
 * index still current, after it: a prev is only set before an index
 * takes over); else granule_moving. */
int tg__res_granule(uintptr_t granule, struct tg_res **out)
{
    struct index *ix = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
    if (!ix)
        return 0;
    if (TG_UNLIKELY(__atomic_load_n(&ix->prev, __ATOMIC_ACQUIRE) != NULL))
        return granule_moving(granule, out);
    uint64_t h = hash_of(granule), tag = tag_bits(h, granule);
    int n = 0;
    for (size_t i = slot_of(h, ix->mask);; i = (i + 1) & ix->mask) {
        uint64_t k = __atomic_load_n(&ix->s[i], __ATOMIC_ACQUIRE);
        if (k == 0) {
            if (TG_LIKELY(__atomic_load_n(&cur, __ATOMIC_ACQUIRE) == ix))
                return n;
            return granule_moving(granule, out);
        } else if (((k ^ tag) >> (PTR_BITS + GRANULE_SHIFT)) == 0 && n < TG_RES_GRANULE) {
            struct tg_res *r = entry(k);
            uintptr_t at = __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE);
            if (at >> GRANULE_SHIFT == granule >> GRANULE_SHIFT)
                out[n++] = r;
        }
    }
}

/* tg__guard while held, as for tangle's other locks (lock.h). */
static void ins_lock(void)
{
    tg__guard++;
    while (__atomic_exchange_n(&insert_lock, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void ins_unlock(void)
{
    __atomic_store_n(&insert_lock, 0, __ATOMIC_RELEASE);
    tg__guard--;
}

/* Instance serials. Each thread takes them from next_id in blocks, so
 * that an init makes no locked addition to a word every thread writes
 * (two threads churning locks moved its cache line between their cores
 * at every init). A thread's block doubles from one serial up to
 * ID_BLOCK as it takes them: a thread that makes a lock or two uses up no
 * more serials than before (reports and the recorder number locks by
 * them, the recorder below 2^24), and one that churns locks takes from
 * next_id once in ID_BLOCK inits. Serials stay unique, but are not in
 * order of time across threads: nothing compares them but for equality.
 * (A signal handler that makes a lock while its thread is taking a serial
 * here could take the same one: init is not async-signal-safe.) */
#define ID_BLOCK 256
static __thread struct {
    uint64_t next, end; /* the block left: [next, end) */
    uint64_t grant;     /* the size of the next block, 0 for 1 */
} ids __attribute__((tls_model("initial-exec")));

static __attribute__((noinline)) uint64_t id_refill(void)
{
    uint64_t n = ids.grant ? ids.grant : 1;
    ids.grant = n * 2 < ID_BLOCK ? n * 2 : ID_BLOCK;
    uint64_t first = __atomic_fetch_add(&next_id, n, __ATOMIC_RELAXED) + 1;
    ids.end = first + n;
    ids.next = first + 1;
    return first;
}

static inline __attribute__((always_inline)) uint64_t next_serial(void)
{
    uint64_t id = ids.next;
    if (TG_UNLIKELY(id == ids.end))
        return id_refill();
    ids.next = id + 1;
    return id;
}

uint64_t tg__res_next_id(void)
{
    return next_serial();
}

/* The word r's class key, kept nestings, semaphore clock and the task
 * runtime's last_by[0] share, for a new instance of kind and flags after
 * one whose flags (and kind) were `was`: a semaphore's clock stays with
 * the next semaphore (its owner is the instance: the next one resets it),
 * and is freed when the entry serves another kind. Other kinds find it 0
 * (lock order empties lo_kept itself at every end; a last_by[0] or class
 * key is zeroed here). */
static inline __attribute__((always_inline)) void shared_word(struct tg_res *r, uint32_t kind,
                                                             uint32_t flags, uint32_t was,
                                                             int classes)
{
    int had_clock = tg__res_sem_clock(tg__res_kind_in(was), was);
    if (tg__res_sem_clock(kind, flags)) {
        if (!had_clock)
            __atomic_store_n(&r->hb, NULL, __ATOMIC_RELAXED);
        return;
    }
    if (TG_UNLIKELY(had_clock)) {
        struct tg_vc *vc = __atomic_exchange_n(&r->hb, NULL, __ATOMIC_ACQ_REL);
        if (vc)
            tg__hb_clock_free(vc);
    } else if (classes || (flags & TG_RF_OWN_WORD) || (was & TG_RF_OWN_WORD)) {
        __atomic_store_n(&r->last_by[0], 0, __ATOMIC_RELAXED);
    }
}

/* A new instance in r, serial id, of kind and flags, once the word
 * shared_word keeps is right. The other two shared words start at 0: the
 * one at 40 (cond_mutex, sem_taken, futex_moved_ns, last_by[1]) and the
 * one at 20 (waiters, futex_value; graph_node, a hint, whose node is the
 * last instance's). The kind and flags come last, in one release store:
 * whoever reads them with acquire sees the new instance's words. */
static inline __attribute__((always_inline)) void fill_id(struct tg_res *r, uint64_t id,
                                                         enum tg_res_kind kind, uint32_t flags,
                                                         uintptr_t pc)
{
    r->id = id;
    r->created_pc = pc;
    __atomic_store_n(&r->last_by[1], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->waiters, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->flags, flags | (uint32_t)kind << TG_RF_KIND_SHIFT, __ATOMIC_RELEASE);
}

/* The pin a new instance takes over from flags `was` (lockorder.c's
 * sticky pins): one that lingers, not one an instance in the graph still
 * holds (its end, told after the fill, gives that back). */
static inline uint32_t lingering_pin(uint32_t was)
{
    return (was & (TG_RF_LO_PINNED | TG_RF_IN_GRAPH)) == TG_RF_LO_PINNED ? TG_RF_LO_PINNED : 0;
}

/* A new instance in r, whose flags were `was`. classes:
 * tg__opt.lock_classes, as the caller read it. */
static inline __attribute__((always_inline)) void fill_as(struct tg_res *r, enum tg_res_kind kind,
                                                         uint32_t flags, uintptr_t pc, uint32_t was,
                                                         int classes)
{
    uint64_t id = next_serial();
    if (tg__res_own_word(kind, flags))
        flags |= TG_RF_OWN_WORD;
    shared_word(r, kind, flags, was, classes);
    fill_id(r, id, kind, flags | lingering_pin(was), pc);
}

static void fill(struct tg_res *r, enum tg_res_kind kind, uint32_t flags, uintptr_t pc, uint32_t was)
{
    fill_as(r, kind, flags, pc, was, tg__opt.lock_classes);
}

void tg__res_fill_word(struct tg_res *r, uintptr_t addr, uintptr_t pc, uint32_t value)
{
    fill(r, TG_RES_EVENT, TG_RF_FUTEX, pc, __atomic_load_n(&r->flags, __ATOMIC_RELAXED));
    r->futex_value = value;
    __atomic_store_n(&r->addr, addr, __ATOMIC_RELEASE);
}

/* Puts r for addr in the first empty slot of its probe path from slot i
 * on (a slot on that path, or slot_of for the whole path). */
static void put_from(struct index *ix, size_t i, uintptr_t addr, struct tg_res *r)
{
    while (__atomic_load_n(&ix->s[i], __ATOMIC_RELAXED))
        i = (i + 1) & ix->mask;
    __atomic_store_n(&ix->s[i], tag_of(hash_of(addr), addr) | (uintptr_t)r, __ATOMIC_RELEASE);
}

static void put(struct index *ix, uintptr_t addr, struct tg_res *r)
{
    put_from(ix, slot_of(hash_of(addr), ix->mask), addr, r);
}

/* Slots of the old index moved over per insert while it moves. An index
 * takes over with 13/16 of the old one's slots used, and fills up
 * 13/16 x 2 - 13/16 = 13/16 of them later, so at 2 slots an insert or
 * more the move ends before the next growth; at MOVE_PACE it ends within
 * 1/8 of that time, so that inserts seldom probe two indexes. A move puts
 * each slot near its place in the new index (slot j goes to j or j +
 * the old size, or just past), so the new one is written almost in
 * order. */
#define MOVE_PACE 8
static size_t moved_now; /* by this insert so far (for moved_most) */

/* Under insert_lock: moves up to n more slots of cur->prev into cur, in
 * order. The old index keeps them (lookups may read it whole until the
 * move ends, see lookup_rest); once all moved, cur->prev is NULL and
 * then the old index's pages go back to the system (it stays mapped: a
 * lookup still probing it reads empty slots and looks again). */
static void move_some(size_t n)
{
    struct index *ix = __atomic_load_n(&cur, __ATOMIC_RELAXED);
    struct index *o = __atomic_load_n(&ix->prev, __ATOMIC_RELAXED);
    size_t size = o->mask + 1, end = size - moved < n ? size : moved + n;
    moved_now += end - moved;
    if (moved_now > moved_most)
        moved_most = moved_now;
    for (; moved < end; moved++) {
        uint64_t k = __atomic_load_n(&o->s[moved], __ATOMIC_RELAXED);
        if (k)
            put(ix, __atomic_load_n(&entry(k)->addr, __ATOMIC_RELAXED), entry(k));
    }
    if (moved < size)
        return;
    /* Sequentially consistent: a lookup that reads o's pages empty reads
     * NULL here after it (lookup_rest). */
    __atomic_store_n(&ix->prev, NULL, __ATOMIC_SEQ_CST);
    madvise(o, index_bytes(size), MADV_DONTNEED);
}

/* Under insert_lock: a twice larger index once this one is full (LOAD),
 * which takes over at once; the old one moves over MOVE_PACE slots at a
 * time with later inserts (claim). */
static int index_room(void)
{
    struct index *ix = __atomic_load_n(&cur, __ATOMIC_RELAXED);
    if ((used + 1) * LOAD_DEN <= (ix->mask + 1) * LOAD_NUM)
        return 0;
    struct index *nx = index_new((ix->mask + 1) * 2);
    if (!nx)
        return -1;
    if (__atomic_load_n(&ix->prev, __ATOMIC_RELAXED))
        move_some(SIZE_MAX); /* cannot happen: it moved over by now (MOVE_PACE) */
    __atomic_store_n(&nx->prev, ix, __ATOMIC_RELAXED);
    moved = 0;
    __atomic_store_n(&cur, nx, __ATOMIC_RELEASE);
    return 0;
}

/* Under insert_lock: takes a destroyed entry on addr's probe path in ix
 * for addr (see claim), passing over the slots below `from` (moved to
 * the current index already: the entry is there); NULL if none, and *end
 * the empty slot where the path ends. */
static struct tg_res *take(struct index *ix, size_t from, uint64_t h, uintptr_t addr,
                           uint32_t *was, size_t *end)
{
    size_t i = slot_of(h, ix->mask);
    for (;; i = (i + 1) & ix->mask) {
        uint64_t k = __atomic_load_n(&ix->s[i], __ATOMIC_RELAXED);
        if (k == 0)
            break;
        if (i < from)
            continue;
        struct tg_res *r = entry(k);
        uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
        /* Taken from its destroyed state at once: an init at its own
         * address (tg__res_init, without insert_lock) cannot take it too. */
        if ((f & (TG_RF_DESTROYED | TG_RF_CLAIMED | TG_RF_REINIT |
                  (TG_RF_LO_MARKS & ~TG_RF_LO_PINNED))) == TG_RF_DESTROYED &&
            __atomic_compare_exchange_n(&r->flags, &f, TG_RF_CLAIMED | (f & TG_RF_KIND_MASK), 0,
                                        __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            /* A pin lingering at the old address (lockorder.c's sticky
             * pins) goes with it. */
            if (f & TG_RF_LO_PINNED)
                tg__lockorder_unpin(__atomic_load_n(&r->addr, __ATOMIC_RELAXED));
            *was = f & ~TG_RF_LO_PINNED;
            __atomic_store_n(&r->addr, 0, __ATOMIC_RELEASE); /* lookups of the old one miss */
            __atomic_store_n(&ix->s[i], tag_of(h, addr) | (uintptr_t)r, __ATOMIC_RELEASE);
            return r;
        }
    }
    *end = i;
    return NULL;
}

/* Claims an entry for addr (not in the table): a destroyed one met on
 * its probe path, in the current index or in the old one's slots not
 * moved yet (which a lookup finds there, see lookup_rest; a moved one
 * goes where the address it then has leads), else a new one. Each claim
 * moves MOVE_PACE slots of an old index over, if one is moving. *fresh
 * is 1 for a reused entry (its address changes), 2 for a new one (the
 * caller publishes it, from slot *at of the current index on: where the
 * path was found to end, unless the index grew meanwhile; slots are only
 * added to an index, so the path up to there stays full).
 * A destroyed entry is passed over while an init at its own address is
 * looking at it (TG_RF_REINIT), and while lock order still marks its
 * instance: a mark set after the destroy read the flags (a queued nesting
 * into the lock handled as it ends) is told to lock order by the next
 * init at that address or by free() of its memory, which both find the
 * entry there; taken for another address, its pin or node would stay in
 * the graph for good. A pin that only lingers (no mark but
 * TG_RF_LO_PINNED) goes with the claim. */
static struct tg_res *claim(uintptr_t addr, int *fresh, uint32_t *was, size_t *at)
{
    struct index *ix = __atomic_load_n(&cur, __ATOMIC_RELAXED);
    moved_now = 0;
    if (__atomic_load_n(&ix->prev, __ATOMIC_RELAXED))
        move_some(MOVE_PACE);
    uint64_t h = hash_of(addr);
    size_t i, j;
    struct index *o = __atomic_load_n(&ix->prev, __ATOMIC_RELAXED);
    struct tg_res *r = take(ix, 0, h, addr, was, &i);
    if (!r && o)
        r = take(o, moved, h, addr, was, &j);
    if (r) {
        *fresh = 1;
        return r;
    }
    if (used >= (size_t)tg__opt.max_locks || index_room() != 0)
        return NULL;
    struct index *now = __atomic_load_n(&cur, __ATOMIC_RELAXED);
    *at = now == ix ? i : slot_of(h, now->mask);
    if (!slab_left) {
        void *p = mmap(NULL, SLAB * sizeof *slab, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || ((uintptr_t)p + SLAB * sizeof *slab) > PTR_MASK) {
            /* (A mapping above 2^48 is only ever made on request.) */
            if (p != MAP_FAILED)
                munmap(p, SLAB * sizeof *slab);
            tg__out_of_memory("locks not seen before are not watched");
            return NULL;
        }
        slab = p;
        slab_left = SLAB;
    }
    r = slab++;
    slab_left--;
    used++;
    *fresh = 2;
    *was = 0; /* (zero-filled: a mutex with no flags) */
    return r;
}

static struct tg_res *insert(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, int reinit,
                             uintptr_t pc)
{
    if (!__atomic_load_n(&cur, __ATOMIC_ACQUIRE))
        return NULL;
    uint64_t old_graph = 0;
    uint32_t old_flags = 0;
    ins_lock();
    int fresh = 0;
    size_t at = 0;
    struct tg_res *r = tg__res_lookup(addr);
    /* An init without insert_lock holds r for a moment (reinit): it gives
     * it back at once if r left its address, else it is an init of the
     * same lock at the same time. Waited for without insert_lock, and not
     * for ever (a signal handler may have interrupted it). */
    for (int tries = 0; r && reinit && tries < 64 &&
                        (__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) & TG_RF_REINIT);
         tries++) {
        ins_unlock();
        sched_yield();
        ins_lock();
        r = tg__res_lookup(addr);
    }
    if (!r)
        r = claim(addr, &fresh, &old_flags, &at);
    if (r && fresh) {
        fill(r, kind, flags, pc, old_flags);
        __atomic_store_n(&r->addr, addr, __ATOMIC_RELEASE);
        if (fresh == 2)
            put_from(__atomic_load_n(&cur, __ATOMIC_RELAXED), at, addr, r);
    } else if (r && reinit) {
        old_flags = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
        if (old_flags & TG_RF_IN_GRAPH)
            old_graph = r->id;
        fill(r, kind, flags, pc, old_flags);
    }
    ins_unlock();
    if (old_graph) /* the instance it replaces had lock-order edges */
        tg__lockorder_forget(r, old_graph, old_flags, 0);
    if (!r && used >= (size_t)tg__opt.max_locks)
        tg__warn_once(&full_warned,
                      "the lock table is full (%d locks); further locks are not watched. "
                      "Raise it with TANGLE_OPTIONS=max_locks=N.", tg__opt.max_locks);
    return r;
}

size_t tg__res_moved_most(void)
{
    return moved_most;
}

struct tg_res *tg__res_get(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup(addr);
    if (TG_LIKELY(r != NULL))
        return r;
    return insert(addr, kind, flags | TG_RF_STATIC_INIT, 0, pc);
}

struct tg_res *tg__res_described(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc,
                                 struct tg_res *r)
{
    if (TG_UNLIKELY(!r))
        return tg__res_get(addr, kind, flags | TG_RF_DESCRIBED, pc);
    uint32_t add = (flags & (TG_RF_RECURSIVE | TG_RF_WRITER_PREF)) | TG_RF_DESCRIBED;
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    /* A mutex described as an rwlock becomes one: the kind changes in the
     * flags word, with a compare and swap so that a flag set meanwhile
     * stays. */
    while (TG_UNLIKELY(kind == TG_RES_RWLOCK && tg__res_kind_in(f) == TG_RES_MUTEX) &&
           !__atomic_compare_exchange_n(&r->flags, &f,
                                        (f & ~TG_RF_KIND_MASK) |
                                            (uint32_t)TG_RES_RWLOCK << TG_RF_KIND_SHIFT,
                                        1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    if (TG_UNLIKELY(add & ~__atomic_load_n(&r->flags, __ATOMIC_RELAXED)))
        __atomic_fetch_or(&r->flags, add, __ATOMIC_RELAXED);
    return r;
}

/* r, held by reinit, is no longer at the address it was found at: given
 * back with nothing else changed. */
static __attribute__((noinline, cold)) struct tg_res *reinit_moved(struct tg_res *r)
{
    __atomic_fetch_and(&r->flags, ~TG_RF_REINIT, __ATOMIC_RELEASE);
    return NULL;
}

/* An init at the address of an entry r found there: a new instance in
 * the same entry, without insert_lock (a program that creates and
 * destroys a lock per object does this all the time). The init first
 * holds the entry (TG_RF_REINIT, in one step with the flags it read, so
 * that an insert elsewhere cannot claim it meanwhile), then checks that
 * it is still at addr; only then does it change it. Checked the other way
 * round, or changed in the same step, an entry that a claim gave to
 * another address and whose flags came back to the same value (destroyed
 * there too) would have its new instance's flags changed: a lost
 * destroy, or a lost lock-order mark. If the entry moved, or is claimed
 * or held, the init takes the insert path (NULL). Inline in
 * tg__res_init, where the call out is the rare case. */
static inline __attribute__((always_inline)) struct tg_res *reinit(struct tg_res *r, uintptr_t addr,
                                                                  enum tg_res_kind kind,
                                                                  uint32_t flags, uintptr_t pc,
                                                                  int classes)
{
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    if (TG_UNLIKELY(f & (TG_RF_CLAIMED | TG_RF_REINIT)) ||
        TG_UNLIKELY(!__atomic_compare_exchange_n(&r->flags, &f, f | TG_RF_REINIT, 0, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED)))
        return NULL;
    if (TG_UNLIKELY(__atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) != addr))
        return reinit_moved(r);
    /* The instance it replaces was named by lock order: it ends there
     * first, while the entry still describes it. */
    if (TG_UNLIKELY(f & TG_RF_IN_GRAPH)) {
        tg__lockorder_forget(r, r->id, f, 0);
        f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED); /* its pin may linger */
    }
    fill_as(r, kind, flags, pc, f, classes); /* (its flags, without TG_RF_REINIT) */
    return r;
}

/* With lock_classes, a lock's class is where init was called together
 * with the caller of that function, so that locks all made by one
 * allocation wrapper (pigz's new_lock) fall into the classes of the
 * wrapper's callers, not into one. A thread outside the engine lock finds
 * the stack through its own memo (tg__stack_capture_own: no unwind, no
 * lock, when it inits from a place seen before: a program that makes and
 * destroys locks in a loop, or a table of objects made in a loop);
 * otherwise it unwinds, which costs thousands of instructions per init. */
static uintptr_t class_from(const uintptr_t *pcs, int n, uintptr_t pc)
{
    for (int i = 0; i + 1 < n; i++)
        if (pcs[i] == pc)
            return (pc ^ (pcs[i + 1] * 0x9E3779B97F4A7C15ull)) | 1u;
    return 0;
}

static __attribute__((noinline, cold)) uintptr_t class_of(uintptr_t pc)
{
    struct tg_actor *a = tg__current;
    if (!tg__guard && tg__opt.stack_depth >= 2) {
        const uintptr_t *pcs = NULL;
        /* A thread not registered yet (main before its first lock) goes
         * through the shared memo, under the engine lock. */
        uint32_t id = a ? tg__stack_capture_own(&a->class_memo, 0) : tg__stack_capture(0);
        int n = id ? tg__stack_get(id, &pcs) : 0;
        uintptr_t key = class_from(pcs, n, pc);
        if (key)
            return key;
    }
    void *raw[16];
    int n = tg__backtrace(raw, 16);
    return class_from((const uintptr_t *)raw, n, pc);
}

/* Every init but a new instance in an entry at addr without lock
 * classes; r: the entry at addr, or NULL. */
static __attribute__((noinline)) struct tg_res *init_slow(uintptr_t addr, enum tg_res_kind kind,
                                                          uint32_t flags, uintptr_t pc,
                                                          struct tg_res *r)
{
    if (r)
        r = reinit(r, addr, kind, flags, pc, tg__opt.lock_classes);
    if (!r)
        r = insert(addr, kind, flags, 1, pc);
    if (r && tg__opt.lock_classes && !tg__res_own_word(kind, flags))
        r->class_key = class_of(pc);
    return r;
}

/* The entry of the last lock this thread made (tg__res_init), or NULL:
 * a program that makes a lock, uses it and destroys it (a lock per
 * request or per task) destroys the lock it made last, whose entry
 * tg__res_destroy_at then finds without a probe of the index. Trusted only
 * while the entry is at the address asked for: an entry is at one address
 * at a time, and at most one entry is at an address (an insert looks
 * first, under insert_lock), so it is the one a lookup would find. */
static __thread struct tg_res *made_last __attribute__((tls_model("initial-exec")));

/* The entries of the locks this thread made lately, by the low bits of
 * their addresses above the alignment of a pointer (made_at): a lock made
 * again at an address it used lately (lock churn over a few places, an
 * allocator that hands back the blocks freed last) finds its entry there
 * without a probe of the index. Trusted as made_last is, only while the
 * entry is at the address asked for; a slot taken by another address
 * only sends the init to the index. */
#define MADE_WAYS 16
static __thread struct tg_res *made[MADE_WAYS] __attribute__((tls_model("initial-exec")));

static inline struct tg_res **made_at(uintptr_t addr)
{
    return &made[(addr >> 3) & (MADE_WAYS - 1)];
}

/* Every init tg__res_init does not make inline; r: the entry at addr,
 * or NULL. */
static __attribute__((noinline)) struct tg_res *init_any(uintptr_t addr, enum tg_res_kind kind,
                                                         uint32_t flags, uintptr_t pc,
                                                         struct tg_res *r)
{
    struct tg_res *again;
    if (r && !tg__opt.lock_classes) {
        if ((again = reinit(r, addr, kind, flags, pc, 0)) != NULL)
            return made_last = *made_at(addr) = again;
        r = NULL; /* claimed meanwhile: insert */
    }
    return made_last = *made_at(addr) = init_slow(addr, kind, flags, pc, r);
}

/* reinit's entry r left addr as it was held: given back, and an insert. */
static __attribute__((noinline, cold)) struct tg_res *init_moved(uintptr_t addr,
                                                                 enum tg_res_kind kind,
                                                                 uint32_t flags, uintptr_t pc,
                                                                 struct tg_res *r)
{
    reinit_moved(r);
    return init_any(addr, kind, flags, pc, NULL);
}

/* The common init (a lock made again at an address: lock churn) is
 * reinit with no call, so that it saves no registers: an entry that lock
 * order no longer names, with no word of its own (tg__res_own_word: a
 * semaphore clock to keep or free, a task's last_by[0] to zero), while
 * the thread's block of serials lasts, without lock classes. Every other
 * goes to init_any, which looks again (a miss of quick too: insert looks
 * the whole way, under insert_lock). */
struct tg_res *tg__res_init(uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    struct tg_res **m = made_at(addr), *r = *m;
    if (!r || __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) != addr)
        r = quick(addr);
    if (TG_UNLIKELY(r == NULL) || TG_UNLIKELY(tg__opt.lock_classes))
        return init_any(addr, kind, flags, pc, r);
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    uint64_t id = ids.next;
    if (TG_UNLIKELY(f & (TG_RF_CLAIMED | TG_RF_REINIT | TG_RF_IN_GRAPH | TG_RF_OWN_WORD)) ||
        TG_UNLIKELY(id == ids.end) || TG_UNLIKELY(tg__res_own_word(kind, flags)) ||
        TG_UNLIKELY(!__atomic_compare_exchange_n(&r->flags, &f, f | TG_RF_REINIT, 0, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED)))
        return init_any(addr, kind, flags, pc, r);
    /* Held: what reinit does from here on. */
    if (TG_UNLIKELY(__atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) != addr))
        return init_moved(addr, kind, flags, pc, r);
    ids.next = id + 1;
    /* (shared_word has nothing to do; f is no instance of the graph) */
    fill_id(r, id, kind, flags | (f & TG_RF_LO_PINNED), pc);
    return made_last = *m = r;
}

/* quick, the lock this thread made last first (a lock made, used and
 * ended: lock churn); NULL asks lookup_rest. */
static inline __attribute__((always_inline)) struct tg_res *find_quick(uintptr_t addr)
{
    struct tg_res *r = made_last;
    if (r && __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) == addr)
        return r;
    return quick(addr);
}

struct tg_res *tg__res_find(uintptr_t addr)
{
    struct tg_res *r = find_quick(addr);
    if (TG_LIKELY(r != NULL))
        return r;
    return lookup_rest(addr);
}

void tg__res_after_fork(void)
{
    __atomic_store_n(&insert_lock, 0, __ATOMIC_RELAXED);
}

/* The instance in r ends. If lock order names it, it leaves the graph
 * first, and its entry stops saying it is in it: an init at the address
 * then starts the next instance without looking for the old one's node
 * (lock order hears of a lock's end once, not twice). The destroyed mark
 * comes last, since from then on another address may claim the entry;
 * lock order sets it with the store that clears its marks where it can
 * (tg__lockorder_forget's add).
 * The mark is a plain store, not a locked or (some 5 ns on every lock
 * churned): nobody else writes the flags of an instance as it ends,
 * unless the program uses or makes the lock as it destroys it. Lock
 * order marks an instance from a thread that holds it (a nesting into it
 * or under it), or under the engine lock from what such a nesting left
 * (an entry, whose thread flagged the instance as it made it: an
 * instance not flagged has none; a kept record, or a renewal, checked
 * against the flags first); a claim needs the mark set already; an init
 * at the address, a free() of its memory or an annotation describing it
 * would be the program's use of the lock as it ends. */
static inline __attribute__((always_inline)) void destroy(struct tg_res *r)
{
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
    if (!(f & (TG_RF_IN_GRAPH | TG_RF_DESTROYED)))
        __atomic_store_n(&r->flags, f | TG_RF_DESTROYED, __ATOMIC_RELEASE);
    else if (!(f & TG_RF_DESTROYED))
        tg__lockorder_forget(r, r->id, f, TG_RF_DESTROYED);
}

void tg__res_destroy(struct tg_res *r)
{
    destroy(r);
}

static __attribute__((noinline)) void destroy_rest(uintptr_t addr)
{
    struct tg_res *r = lookup_rest(addr);
    if (r)
        destroy(r);
}

/* (A call to lookup_rest here, not at the end, made every call save
 * registers.) */
void tg__res_destroy_at(uintptr_t addr)
{
    struct tg_res *r = find_quick(addr);
    if (TG_LIKELY(r != NULL))
        destroy(r);
    else
        destroy_rest(addr);
}

/* free() of addr's memory: a pin lingering in r there (lockorder.c's
 * sticky pins) goes. Under insert_lock, so that no claim moves r to
 * another address, where it could pin again, between the look at its
 * address and the drop, and a claim does not give the pin back too. */
void tg__res_pin_drop(struct tg_res *r, uintptr_t addr)
{
    int drop = 0;
    ins_lock();
    if (__atomic_load_n(&r->addr, __ATOMIC_ACQUIRE) == addr) {
        uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
        while ((f & (TG_RF_LO_PINNED | TG_RF_IN_GRAPH)) == TG_RF_LO_PINNED && !drop)
            drop = __atomic_compare_exchange_n(&r->flags, &f, f & ~TG_RF_LO_PINNED, 1,
                                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
    ins_unlock();
    if (drop)
        tg__lockorder_unpin(addr);
}

const char *tg__res_kind_name(enum tg_res_kind k)
{
    static const char *const names[TG_RES__COUNT] = {
        [TG_RES_MUTEX] = "mutex",     [TG_RES_RWLOCK] = "rwlock",   [TG_RES_SEM] = "semaphore",
        [TG_RES_COND] = "condition",  [TG_RES_BARRIER] = "barrier", [TG_RES_SPIN] = "spinlock",
        [TG_RES_CHANNEL] = "channel", [TG_RES_EVENT] = "event",     [TG_RES_JOIN] = "thread",
        [TG_RES_IDLE] = "scheduler",
    };
    return (k < TG_RES__COUNT && names[k]) ? names[k] : "resource";
}
