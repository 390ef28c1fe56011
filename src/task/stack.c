/* SPDX-License-Identifier: MIT */
/* stack.c: task stacks from mmap, with a guard page below each and the
 * task's record at the top, kept per scheduler once their task ended so
 * that spawning does not cost a system call.
 *
 * Each guarded stack costs two kernel mappings, and the kernel allows a
 * process vm.max_map_count of them (65530 by default) for everything it
 * maps, thread stacks and libraries included. So at most a quarter of that
 * many stacks are guarded at once; stacks beyond it are used without a guard
 * (unguarded neighbours merge into one mapping) and a one-line note says so
 * once. */
#include "task/task_int.h"

#include <sched.h>
#include <stdio.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#include <sys/mman.h>
#include <unistd.h>

static size_t tg__page(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static int tg__guarded_live;

static int tg__guard_budget(void)
{
    static int budget;
    if (!budget) {
        long max = 65530;
        FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
        if (f) {
            if (fscanf(f, "%ld", &max) != 1)
                max = 65530;
            fclose(f);
        }
        budget = (int)(max / 4);
    }
    return budget;
}

static struct tg_task *tg__rec_of(void *base, size_t size)
{
    return (struct tg_task *)(((uintptr_t)base + size - sizeof(struct tg_task)) & ~(uintptr_t)63);
}

struct tg_task *tg__task_rec_alloc(struct tg__sched *s, size_t size)
{
    size_t want = size, page = tg__page();
    size = (size + page - 1) & ~(page - 1);
    if (size < 4 * page)
        size = 4 * page;
    for (struct tg_task **pp = &s->free_recs, *t; (t = *pp); pp = &t->next) {
        if (t->stack.size == size) {
            *pp = t->next;
            s->n_free_recs--;
#if defined(__SANITIZE_ADDRESS__)
            /* The previous task's frames left their redzones behind. */
            __asan_unpoison_memory_region(t->stack.base, t->stack.size);
#endif
            return t;
        }
    }
    size_t map_size = size + page;
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    int guarded = 0;
    if (__atomic_add_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED) <= tg__guard_budget() &&
        mprotect(map, page, PROT_NONE) == 0) {
        guarded = 1;
    } else {
        static int warned;
        __atomic_sub_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED);
        if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
            fprintf(stderr, "tangle: note: more than %d live tasks: further task stacks have no "
                            "guard page (each costs kernel mappings, limited by "
                            "vm.max_map_count); a stack overflow there is not caught.\n",
                    tg__guard_budget());
    }
    /* A fresh mapping is zero: so is every field of the record. */
    struct tg_task *t = tg__rec_of((char *)map + page, size);
    t->stack.map = map;
    t->stack.map_size = map_size;
    t->stack.base = (char *)map + page;
    t->stack.size = size;
    t->stack.want = want;
    t->stack.guarded = guarded;
    return t;
}

int tg__rec_readers;

static void tg__stack_unmap(const struct tg__stack *st)
{
    /* The task ended before (its state says so, in memory order before
     * this fence): a reader that begins after the fence sees that and
     * leaves the record alone; one that began before is waited for. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    while (__atomic_load_n(&tg__rec_readers, __ATOMIC_ACQUIRE))
        sched_yield();
    if (st->guarded)
        __atomic_sub_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED);
    munmap(st->map, st->map_size);
}

void tg__task_rec_free(struct tg__sched *s, struct tg_task *t,
                       void (*unlist)(struct tg__sched *, struct tg_task *))
{
    if (s->n_free_recs < TG__FREE_RECS) {
        t->next = s->free_recs;
        s->free_recs = t;
        s->n_free_recs++;
        return;
    }
    unlist(s, t);
    struct tg__stack st = t->stack; /* the record is inside it */
    tg__stack_unmap(&st);
}

void tg__task_rec_drop(struct tg__sched *s, void (*unlist)(struct tg__sched *, struct tg_task *))
{
    while (s->free_recs) {
        struct tg_task *t = s->free_recs;
        s->free_recs = t->next;
        unlist(s, t);
        struct tg__stack st = t->stack;
        tg__stack_unmap(&st);
    }
    s->n_free_recs = 0;
}
