/* SPDX-License-Identifier: MIT */
/* unwind.c: raw call stacks that never allocate nor take the program's
 * locks.
 *
 * glibc's backtrace() finds the unwinder with dlopen("libgcc_s.so.1") on
 * its first call in a process, and dlopen calls malloc. A stack captured
 * while the program's allocator is inside its own lock (jemalloc takes a
 * pthread mutex in its first malloc, which tangle sees) would call back
 * into that allocator and wait for that lock forever. It must also be
 * libgcc_s's unwinder, not whichever library defines the same names first:
 * libunwind (pulled in by tcmalloc) does, and takes a pthread mutex inside,
 * so a hook capturing a stack inside libunwind would wait for itself.
 *
 * So the unwinder is looked up once, at a point where the program can be
 * in none of its own locks (tangle's constructor: tg__unwind_init), with
 * dlopen of the already-loaded libgcc_s. Before that, captures return no
 * frames: events of other libraries' constructors keep their call site
 * only. */
#define _GNU_SOURCE
#include "core/internal.h"

#include <dlfcn.h>
#include <unwind.h>

typedef _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*getip_fn)(struct _Unwind_Context *);
typedef _Unwind_Word (*getcfa_fn)(struct _Unwind_Context *);

static backtrace_fn do_backtrace;
static getip_fn get_ip;
static getcfa_fn get_cfa;

void tg__unwind_init(void)
{
    if (__atomic_load_n(&do_backtrace, __ATOMIC_ACQUIRE))
        return;
    tg__guard++;
    void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD);
    backtrace_fn bt = NULL;
    if (h) {
        *(void **)&bt = dlsym(h, "_Unwind_Backtrace");
        *(void **)&get_ip = dlsym(h, "_Unwind_GetIP");
        *(void **)&get_cfa = dlsym(h, "_Unwind_GetCFA");
    }
    if (!bt || !get_ip || !get_cfa) { /* not found by name: the ones tangle was linked with */
        bt = _Unwind_Backtrace;
        get_ip = _Unwind_GetIP;
        get_cfa = _Unwind_GetCFA;
    }
    __atomic_store_n(&do_backtrace, bt, __ATOMIC_RELEASE);
    tg__guard--;
}

struct walk {
    void **pcs;
    uintptr_t *slots;
    int n, max;
};

static _Unwind_Reason_Code step(struct _Unwind_Context *ctx, void *arg)
{
    struct walk *w = arg;
    uintptr_t pc = (uintptr_t)get_ip(ctx);
    if (pc == 0)
        return _URC_END_OF_STACK;
    if (w->n >= 0) {
        w->pcs[w->n] = (void *)pc;
        /* The context's CFA is still its callee's (libgcc moves it one
         * frame late); on x86-64 a call pushes the return address just
         * below it. */
        if (w->slots)
            w->slots[w->n] = (uintptr_t)get_cfa(ctx) - sizeof(uintptr_t);
    }
    return ++w->n >= w->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

int tg__backtrace_at(void **pcs, uintptr_t *slots, int max)
{
    backtrace_fn bt = __atomic_load_n(&do_backtrace, __ATOMIC_ACQUIRE);
    if (max <= 0 || !bt)
        return 0;
    struct walk w = {pcs, slots, -1, max}; /* -1: this function's own frame is not kept */
    bt(step, &w);
    return w.n > 0 ? w.n : 0;
}

int tg__backtrace(void **pcs, int max)
{
    return tg__backtrace_at(pcs, NULL, max);
}
