/* stack.c: task stacks from mmap, with a guard page below each, cached per
 * scheduler so that spawning does not cost a system call.
 *
 * Each guarded stack costs two kernel mappings; when the kernel's mapping
 * limit (vm.max_map_count) refuses the guard, the stack is used without one
 * and a one-line warning says so once. */
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
    if (mprotect(map, page, PROT_NONE) != 0) {
        static int warned;
        if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
            fprintf(stderr, "tangle: task stacks beyond this point have no guard page "
                            "(the kernel's mapping limit vm.max_map_count was reached); "
                            "raise it or use fewer live tasks to keep overflow detection.\n");
    }
    st->map = map;
    st->map_size = map_size;
    st->base = (char *)map + page;
    st->size = size;
    return 0;
}

void tg__stack_free(struct tg__sched *s, struct tg__stack *st)
{
    if (s->n_cache < (int)(sizeof s->cache / sizeof s->cache[0])) {
        s->cache[s->n_cache++] = *st;
        return;
    }
    munmap(st->map, st->map_size);
}

void tg__stack_drop_cache(struct tg__sched *s)
{
    while (s->n_cache > 0) {
        struct tg__stack *st = &s->cache[--s->n_cache];
        munmap(st->map, st->map_size);
    }
}
