/* SPDX-License-Identifier: MIT */
/* record.c: `tangle record`: the run as a binary trace for `tangle
 * predict` (format: docs/trace-format.md).
 *
 * While recording, every lock event of the watched program goes through
 * one recorder lock (a leaf) into a streaming writer that holds one block
 * and writes it with write(2) when full, so memory does not grow with the
 * trace. Events are written in the order the recorder lock serialises
 * them, which respects causality the way the format asks: an acquire is
 * written after the lock was obtained, a release before it is given up, a
 * fork before the child runs, a join after it returned. Ids are tangle's
 * own: actor ids for threads, instance serials for locks and conditions,
 * interned stacks for sites. An acquire, a fork and a join (the events a
 * report shows) carry the whole call stack, so that a lock taken through a
 * program's own wrapper still names the wrapper's caller; the others carry
 * their call site alone. A site is declared once, at its first use, so a
 * trace grows by a few bytes per event, not by stacks. At the end every
 * site gets its frames as text ("function file:line", outermost first;
 * each distinct address symbolized once), so the trace reads well on
 * another machine.
 *
 * Recording is off by default; the hooks test one global before calling
 * in. A forked child stops recording (its events would interleave with the
 * parent's in the same file).
 *
 * Nothing is lost when the program ends without exit(): _exit() and
 * _Exit() are interposed to finish the trace first, and the watchdog
 * writes the current block on every tick, so a program killed by a signal
 * keeps all but its last ~100 ms. A trace that ends with no lock event is
 * said to be empty at once. */
#include "preload/preload.h"
#include "report/report.h"
#include "trace/ops.h"
#include "trace/writer.h"
#include "core/lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct tg__trace_writer writer;
static tg_lock_t rec_lock = TG_LOCK_INIT;
static int rec_fd = -1;
static unsigned char *declared_thread, *declared_obj, *declared_site; /* bitmaps of 2^24 */
static uint32_t *sites;  /* declared site ids, in order */
static int n_sites, cap_sites;
static int limit_warned;
static pid_t rec_pid;      /* a vfork child (same memory, another pid) leaves the trace alone */
static char rec_path[1100];

static int test_and_set(unsigned char *bits, uint32_t id)
{
    unsigned char m = (unsigned char)(1u << (id & 7));
    if (bits[id >> 3] & m)
        return 1;
    bits[id >> 3] |= m;
    return 0;
}

void tg__record_start(void)
{
    if (!tg__opt.record[0] || tg__recording)
        return;
    char *path = rec_path;
    tg__output_path(tg__opt.record, rec_path, sizeof rec_path);
    size_t bytes = TG__MAX_ID / 8;
    declared_thread = mmap(NULL, bytes * 3, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (declared_thread == MAP_FAILED) {
        declared_thread = NULL;
        dprintf(2, "tangle: warning: no memory for recording; no trace is written.\n");
        return;
    }
    declared_obj = declared_thread + bytes;
    declared_site = declared_obj + bytes;
    rec_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (rec_fd < 0 || tg__trace_writer_open(&writer, rec_fd) != 0) {
        dprintf(2, "tangle: warning: cannot write the trace '%s'; check that its folder "
                   "exists and is writable. No trace is written.\n", path);
        return;
    }
    rec_pid = getpid();
    tg__recording = 1;
}

/* Ids must stay below 2^24 (the format's limit): past it, recording stops
 * with one warning, and the trace ends there (it is still readable). */
static int id_ok(uint64_t id)
{
    if (id < TG__MAX_ID)
        return 1;
    tg__warn_once(&limit_warned, "more than %u threads, locks or call sites in the trace; "
                  "recording stops here.", TG__MAX_ID - 1);
    tg__recording = 0;
    return 0;
}

/* Each helper below runs with rec_lock held. */
static uint32_t thread_id(struct tg_actor *a)
{
    if (!id_ok(a->id))
        return TG_NO_OBJ;
    if (!test_and_set(declared_thread, (uint32_t)a->id))
        tg__trace_writer_thread(&writer, (uint32_t)a->id, a->name[0] ? a->name : NULL);
    return (uint32_t)a->id;
}

/* name: the lock's symbol, looked up by the caller before it took
 * rec_lock (the lookup calls the program's malloc, which must never run
 * under a lock of tangle's that malloc's own hooks can wait for). */
static uint32_t object_id(struct tg_res *r, const char *name)
{
    if (!r || !id_ok(r->id))
        return TG_NO_OBJ;
    if (!test_and_set(declared_obj, (uint32_t)r->id)) {
        enum tg_res_kind k = tg__res_kind_of(r);
        int kind = k == TG_RES_RWLOCK ? TG_OBJ_RWLOCK
                   : k == TG_RES_COND ? TG_OBJ_COND
                   : k == TG_RES_MUTEX || k == TG_RES_SPIN ? TG_OBJ_MUTEX
                                                           : TG_OBJ_OTHER;
        tg__trace_writer_object(&writer, (uint32_t)r->id, kind, name);
    }
    return (uint32_t)r->id;
}

static uint32_t site_id(uint32_t stack)
{
    if (!stack || !id_ok(stack))
        return TG_NO_OBJ;
    if (!test_and_set(declared_site, stack)) {
        const uintptr_t *pcs;
        int n = tg__stack_get(stack, &pcs);
        tg__trace_writer_site(&writer, stack, pcs, n);
        if (n_sites == cap_sites) {
            int cap = cap_sites ? cap_sites * 2 : 256;
            uint32_t *s = tg__realloc(sites, (size_t)cap * sizeof *s);
            if (s) {
                sites = s;
                cap_sites = cap;
            }
        }
        if (n_sites < cap_sites)
            sites[n_sites++] = stack;
    }
    return stack;
}

/* A one-frame site per call site, remembered per thread so that a loop
 * does not intern its pc again and again. */
static __thread struct {
    uintptr_t pc;
    uint32_t id;
} pc_cache[64];

static uint32_t pc_stack(uintptr_t pc, uint32_t stack)
{
    if (stack || !pc)
        return stack;
    unsigned slot = (unsigned)((pc >> 2) & 63);
    if (pc_cache[slot].pc != pc) {
        pc_cache[slot].id = tg__stack_intern(&pc, 1);
        pc_cache[slot].pc = pc;
    }
    return pc_cache[slot].id;
}

/* The whole call stack (interned; the stack table's memo makes a repeated
 * call path cheap), else the call site alone. */
static uint32_t call_stack(uintptr_t pc, uint32_t stack)
{
    if (stack || !pc)
        return stack;
    uint32_t id = tg__stack_capture(0);
    return id ? id : pc_stack(pc, 0);
}

static void event(int op, int mode, int flags, struct tg_actor *a, uint32_t obj,
                  uint32_t stack, uint32_t aux)
{
    tg__own_lock(&rec_lock);
    if (tg__recording) {
        uint32_t t = thread_id(a), s = site_id(stack);
        if (t != TG_NO_OBJ && tg__recording)
            tg__trace_writer_event(&writer, op, mode, flags, t, obj, s, aux);
    }
    tg__own_unlock(&rec_lock);
}

static uint32_t res_id_locked(struct tg_res *r)
{
    char *name = NULL;
    if (r && r->id < TG__MAX_ID && tg__recording &&
        !(__atomic_load_n(&declared_obj[r->id >> 3], __ATOMIC_RELAXED) & (1u << (r->id & 7)))) {
        tg__guard++;
        name = tg__data_symbol(r->addr);
        tg__guard--;
    }
    tg__own_lock(&rec_lock);
    uint32_t id = tg__recording ? object_id(r, name) : TG_NO_OBJ;
    tg__own_unlock(&rec_lock);
    free(name);
    return id;
}

void tg__rec_acquire(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, int mode,
                     int try_, uintptr_t pc, uint32_t stack)
{
    struct tg_res *r = tg__res_get(addr, kind, 0, pc);
    uint32_t s = call_stack(pc, stack);
    uint32_t obj = res_id_locked(r);
    if (obj != TG_NO_OBJ)
        event(TG_EV_ACQUIRE, mode, try_ ? TG_EVF_TRY : 0, a, obj, s, TG_NO_OBJ);
}

void tg__rec_release(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, uintptr_t pc)
{
    struct tg_res *r = tg__res_get(addr, kind, 0, pc);
    uint32_t s = pc_stack(pc, 0);
    uint32_t obj = res_id_locked(r);
    if (obj != TG_NO_OBJ)
        event(TG_EV_RELEASE, 0, 0, a, obj, s, TG_NO_OBJ);
}

void tg__rec_fork(struct tg_actor *parent, struct tg_actor *child, uint32_t stack)
{
    if (!child || !id_ok(child->id))
        return;
    tg__own_lock(&rec_lock);
    if (tg__recording)
        thread_id(child); /* named before its first event */
    tg__own_unlock(&rec_lock);
    event(TG_EV_FORK, 0, 0, parent, (uint32_t)child->id, stack, TG_NO_OBJ);
}

void tg__rec_join(struct tg_actor *joiner, struct tg_actor *joined, uintptr_t pc)
{
    if (joined && id_ok(joined->id))
        event(TG_EV_JOIN, 0, 0, joiner, (uint32_t)joined->id, call_stack(pc, 0), TG_NO_OBJ);
}

void tg__rec_wait(struct tg_actor *a, uintptr_t cond, uintptr_t mutex, uintptr_t pc)
{
    struct tg_res *c = tg__res_get(cond, TG_RES_COND, 0, pc);
    struct tg_res *m = tg__res_get(mutex, TG_RES_MUTEX, 0, pc);
    uint32_t s = pc_stack(pc, 0);
    uint32_t co = res_id_locked(c), mo = res_id_locked(m);
    if (co != TG_NO_OBJ)
        event(TG_EV_WAIT, 0, 0, a, co, s, mo);
}

void tg__rec_notify(struct tg_actor *a, uintptr_t cond, int broadcast, uintptr_t pc)
{
    struct tg_res *c = tg__res_get(cond, TG_RES_COND, 0, pc);
    uint32_t s = pc_stack(pc, 0);
    uint32_t co = res_id_locked(c);
    if (co != TG_NO_OBJ)
        event(TG_EV_NOTIFY, 0, broadcast ? TG_EVF_BROADCAST : 0, a, co, s, TG_NO_OBJ);
}

/* A semaphore post is recorded as a write of the semaphore, a wait that
 * went through as a read of it: `tangle predict` then orders the wait
 * after the last post before it, as it orders a read after the write it
 * saw. The semaphore is not named (naming calls malloc, and a signal
 * handler may post). */
void tg__rec_sem(struct tg_actor *a, struct tg_res *r, int post, uintptr_t pc)
{
    if (!r)
        return;
    uint32_t s = pc_stack(pc, 0);
    tg__own_lock(&rec_lock);
    uint32_t obj = tg__recording ? object_id(r, NULL) : TG_NO_OBJ;
    tg__own_unlock(&rec_lock);
    if (obj != TG_NO_OBJ)
        event(post ? TG_EV_WRITE : TG_EV_READ, 0, 0, a, obj, s, TG_NO_OBJ);
}

static int pc_cmp(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* A frame as text, the way trace readers split it: "function file:line",
 * else "function (module+0xoffset)", else "??". */
static void frame_text(const struct tg_frame *fr, char *text, size_t n)
{
    const char *fn = fr->function ? fr->function : "??";
    if (fr->file && fr->line > 0)
        snprintf(text, n, "%s %s:%d", fn, fr->file, fr->line);
    else if (fr->module)
        snprintf(text, n, "%s (%s+0x%lx)", fn, fr->module, (unsigned long)fr->offset);
    else
        snprintf(text, n, "%s", fn);
}

/* Writes every declared site's frames as text, outermost first (inlined
 * calls expanded). Each distinct return address is symbolized once, so the
 * cost is in the program's distinct call paths, not in its events. */
static void write_site_texts(void)
{
    size_t total = 0, m = 0;
    for (int i = 0; i < n_sites; i++) {
        const uintptr_t *p;
        total += (size_t)tg__stack_get(sites[i], &p);
    }
    uintptr_t *uniq = total ? malloc(total * sizeof *uniq) : NULL;
    size_t *first = total ? malloc((total + 1) * sizeof *first) : NULL;
    struct tg_stack all = {0};
    if (!uniq || !first)
        goto out;
    for (int i = 0; i < n_sites; i++) {
        const uintptr_t *p;
        int n = tg__stack_get(sites[i], &p);
        memcpy(uniq + m, p, (size_t)n * sizeof *p);
        m += (size_t)n;
    }
    qsort(uniq, m, sizeof *uniq, pc_cmp);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || uniq[u - 1] != uniq[i])
            uniq[u++] = uniq[i];
    m = u;
    if (tg__stack_from_pcs(&all, uniq, (int)m) != 0)
        goto out;
    tg__symbolize_stack_inlined(&all);
    /* Each address's frames are together, in the order of uniq. */
    size_t j = 0;
    for (int k = 0; k < all.n; k++)
        if (k == 0 || all.frames[k].pc != all.frames[k - 1].pc) {
            if (j == m || all.frames[k].pc != uniq[j])
                goto out;
            first[j++] = (size_t)k;
        }
    if (j != m)
        goto out;
    first[m] = (size_t)all.n;
    for (int i = 0; i < n_sites; i++) {
        const uintptr_t *p;
        int n = tg__stack_get(sites[i], &p);
        for (int f = n - 1; f >= 0; f--) {
            const uintptr_t *at = bsearch(&p[f], uniq, m, sizeof *uniq, pc_cmp);
            if (!at)
                continue;
            size_t x = (size_t)(at - uniq);
            for (size_t k = first[x + 1]; k-- > first[x];) {
                char text[600];
                frame_text(&all.frames[k], text, sizeof text);
                tg__trace_writer_site_text(&writer, sites[i], text);
            }
        }
    }
out:
    for (int i = 0; i < all.n; i++) {
        free((char *)all.frames[i].module);
        free((char *)all.frames[i].function);
        free((char *)all.frames[i].file);
    }
    free(all.frames);
    free(first);
    free(uniq);
}

/* Gives every declared site its text, writes the end record, and stops.
 * Safe to call more than once; the program's malloc is called with no
 * lock of tangle's held. */
void tg__record_finish(void)
{
    tg__own_lock(&rec_lock);
    if (!tg__recording) {
        tg__own_unlock(&rec_lock);
        return;
    }
    tg__recording = 0; /* from here on nobody else touches the writer */
    tg__own_unlock(&rec_lock);
    tg__guard++;
    if (tg__opt.symbolize)
        write_site_texts(); /* else readers show the raw addresses */
    int rc = tg__trace_writer_close(&writer);
    if (rc != 0)
        dprintf(2, "tangle: warning: the trace could not be written completely (%s).\n",
                strerror(-rc));
    else if (writer.nevents == 0)
        dprintf(2, "tangle: warning: the trace '%s' holds no lock event: the program took no "
                   "lock, condition or thread operation that tangle saw.\n", rec_path);
    close(rec_fd);
    rec_fd = -1;
    tg__guard--;
}

void tg__record_tick(void)
{
    if (!tg__recording)
        return;
    tg__own_lock(&rec_lock);
    if (tg__recording)
        tg__trace_writer_flush(&writer);
    tg__own_unlock(&rec_lock);
}

/* As glibc's _exit (the whole process ends, no handler runs), after the
 * trace is finished; not from a signal handler that interrupted tangle on
 * this thread (the trace then ends at the watchdog's last flush). */
TG_EXPORT void _exit(int status)
{
    if (tg__recording && getpid() == rec_pid && !tg__guard)
        tg__record_finish();
    syscall(SYS_exit_group, status);
    for (;;)
        syscall(SYS_exit, status);
}

TG_EXPORT void _Exit(int status)
{
    _exit(status);
}

void tg__record_after_fork_child(void)
{
    /* The trace belongs to the parent: the child neither writes to it nor
     * ends it. */
    tg__recording = 0;
    rec_lock.state = 0;
    if (rec_fd >= 0)
        close(rec_fd);
    rec_fd = -1;
}
