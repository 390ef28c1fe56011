/* SPDX-License-Identifier: MIT */
/* stack.c: task stacks from mmap, with a guard page below each, cached per
 * scheduler so that spawning does not cost a system call.
 *
 * Each guarded stack costs two kernel mappings, and the kernel allows a
 * process vm.max_map_count of them (65530 by default) for everything it
 * maps, thread stacks and libraries included. So at most a quarter of that
 * many stacks are guarded at once; stacks beyond it are used without a guard
 * (unguarded neighbours merge into one mapping) and a one-line note says so
 * once. */
#include "task/task_int.h"

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

int tg__stack_alloc(struct tg__sched *s, size_t size, struct tg__stack *st)
{
    size_t page = tg__page();
    size = (size + page - 1) & ~(page - 1);
    if (size < 4 * page)
        size = 4 * page;
    for (int i = s->n_cache - 1; i >= 0; i--) {
        if (s->cache[i].size == size) {
            *st = s->cache[i];
            s->cache[i] = s->cache[--s->n_cache];
#if defined(__SANITIZE_ADDRESS__)
            /* The previous task's frames left their redzones behind. */
            __asan_unpoison_memory_region(st->base, st->size);
#endif
            return 0;
        }
    }
    size_t map_size = size + page;
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return -1;
    st->guarded = 0;
    if (__atomic_add_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED) <= tg__guard_budget() &&
        mprotect(map, page, PROT_NONE) == 0) {
        st->guarded = 1;
    } else {
        static int warned;
        __atomic_sub_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED);
        if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
            fprintf(stderr, "tangle: note: more than %d live tasks: further task stacks have no "
                            "guard page (each costs kernel mappings, limited by "
                            "vm.max_map_count); a stack overflow there is not caught.\n",
                    tg__guard_budget());
    }
    st->map = map;
    st->map_size = map_size;
    st->base = (char *)map + page;
    st->size = size;
    return 0;
}

static void tg__stack_unmap(struct tg__stack *st)
{
    if (st->guarded)
        __atomic_sub_fetch(&tg__guarded_live, 1, __ATOMIC_RELAXED);
    munmap(st->map, st->map_size);
}

void tg__stack_free(struct tg__sched *s, struct tg__stack *st)
{
    if (s->n_cache < (int)(sizeof s->cache / sizeof s->cache[0])) {
        s->cache[s->n_cache++] = *st;
        return;
    }
    tg__stack_unmap(st);
}

void tg__stack_drop_cache(struct tg__sched *s)
{
    while (s->n_cache > 0) {
        tg__stack_unmap(&s->cache[--s->n_cache]);
    }
}
