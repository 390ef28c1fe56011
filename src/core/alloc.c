/* SPDX-License-Identifier: MIT */
/* alloc.c: tangle's own allocator, for everything allocated while the
 * engine lock is held.
 *
 * The engine lock must stay a leaf. A program may bring its own malloc
 * that takes a pthread mutex; if the engine called that malloc while
 * holding its lock, and the allocator's lock holder were waiting in one of
 * tangle's slow paths for the engine lock, both would hang. So the engine
 * allocates from mmap: power-of-two size classes with free lists, guarded
 * by a futex lock of their own that calls nothing, carved from chunks that
 * start small and double (to 4 MiB), so that tangle's address space
 * follows its use. Blocks above 256 KiB are mapped one by one, and go back
 * to the system when freed; smaller ones stay on their free list for
 * tangle's own reuse. A table that doubles (the graph's edge index) frees
 * its old array at each step: kept on a free list, the arrays up to 1 MiB
 * stayed resident for good beside the new one, and a power-of-two array
 * plus the header takes the next class, twice its size (pairs 4096:
 * 2.6 MB on the free lists, peak 30.7 MB; now 0.9 MB and 29.9 MB). Such
 * blocks are rare: a syscall more for each costs nothing measurable. */
#define _GNU_SOURCE
#include "core/internal.h"
#include "core/lock.h"

#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT 5           /* 32 bytes */
#define MAX_SHIFT 18          /* 256 KiB */
#define CHUNK0 (128u << 10)  /* the first chunk; each next one twice as large */
#define CHUNK_MAX (4u << 20)
#define HEADER TG_ALLOC_HEADER /* keeps 16-byte alignment */

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A fresh mapping may lie where a task's stack was unmapped, whose frames
 * ASan had poisoned: tangle's own blocks start clean. */
#define FRESH(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FRESH(p, n) ((void)0)
#endif

static tg_lock_t alloc_lock = TG_LOCK_INIT;
static void *free_list[MAX_SHIFT + 1];
static char *chunk_pos, *chunk_end;
static size_t chunk_size = CHUNK0;

/* Blocks mapped one by one are the graph's indexes and the chain caches
 * (tables whose look-ups land at random places, each then costing a TLB
 * miss, a page walk doubled in a virtual machine, on top of a cache miss)
 * and the segments of a large graph (lockorder's add_segment: written in
 * sequence, a page fault per 4 KiB without huge pages). Those of 2 MiB and
 * more ask for transparent huge pages where the system allows it
 * ("madvise" mode), and start at one; they fill about evenly, so this
 * costs little memory. The chunks do not: their blocks' unused halves
 * would become resident. */
#define HUGE_PAGE ((size_t)2 << 20)
static void *map(size_t len)
{
#ifdef MADV_HUGEPAGE
    if (len >= HUGE_PAGE) {
        /* Mapped HUGE_PAGE more and trimmed so that the block starts at a
         * huge page: a block of 2 MiB that starts anywhere else holds no
         * whole huge page at all. */
        size_t span = (len + 4095) & ~(size_t)4095;
        char *p = mmap(NULL, span + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return p;
        char *q = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        if (q > p)
            munmap(p, (size_t)(q - p));
        if (p + span + HUGE_PAGE > q + span)
            munmap(q + span, (size_t)(p + span + HUGE_PAGE - (q + span)));
        madvise(q, span, MADV_HUGEPAGE);
        return q;
    }
#endif
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static int class_of(size_t n)
{
    int s = MIN_SHIFT;
    while (((size_t)1 << s) < n + HEADER)
        s++;
    return s;
}

static void *alloc(size_t n, int zero);

void *tg__alloc(size_t n)
{
    return alloc(n, 1);
}

void *tg__alloc_uninit(size_t n)
{
    return alloc(n, 0);
}

static void *alloc(size_t n, int zero)
{
    int s = class_of(n);
    char *p;
    if (s > MAX_SHIFT) {
        size_t len = n + HEADER;
        p = map(len);
        if (p == MAP_FAILED) {
            tg__out_of_memory("some threads, locks or reports are not watched");
            return NULL;
        }
        FRESH(p, len);
        *(size_t *)p = len;
        ((int *)p)[2] = s;
        return p + HEADER; /* fresh mappings are zeroed */
    }
    size_t size = (size_t)1 << s;
    tg__own_lock(&alloc_lock);
    p = free_list[s];
    if (p) {
        free_list[s] = *(void **)(p + HEADER);
    } else {
        if (!chunk_pos || chunk_pos + size > chunk_end) {
            while (chunk_size < size)
                chunk_size *= 2;
            char *c = mmap(NULL, chunk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (c == MAP_FAILED) {
                tg__own_unlock(&alloc_lock);
                tg__out_of_memory("some threads, locks or reports are not watched");
                return NULL;
            }
            FRESH(c, chunk_size);
            chunk_pos = c;
            chunk_end = c + chunk_size;
            if (chunk_size < CHUNK_MAX)
                chunk_size *= 2;
        }
        p = chunk_pos;
        chunk_pos += size;
    }
    tg__own_unlock(&alloc_lock);
    *(size_t *)p = n; /* what the caller asked for: realloc copies no more */
    ((int *)p)[2] = s;
    if (zero)
        memset(p + HEADER, 0, n);
    return p + HEADER;
}

void tg__free(void *ptr)
{
    if (!ptr)
        return;
    char *p = (char *)ptr - HEADER;
    int s = ((int *)p)[2];
    if (s > MAX_SHIFT) {
        munmap(p, *(size_t *)p);
        return;
    }
    tg__own_lock(&alloc_lock);
    *(void **)(p + HEADER) = free_list[s];
    free_list[s] = p;
    tg__own_unlock(&alloc_lock);
}

void *tg__realloc(void *ptr, size_t n)
{
    /* A large block stays large: the kernel moves its pages to a larger
     * mapping (zero-filled beyond), without copying them and without the
     * old and the new block both resident at the peak. */
    if (ptr && class_of(n) > MAX_SHIFT && ((int *)((char *)ptr - HEADER))[2] > MAX_SHIFT) {
        char *p = (char *)ptr - HEADER;
        char *q = mremap(p, *(size_t *)p, n + HEADER, MREMAP_MAYMOVE);
        if (q != MAP_FAILED) {
            FRESH(q, n + HEADER);
            *(size_t *)q = n + HEADER;
            return q + HEADER;
        }
    }
    void *q = tg__alloc(n);
    if (!q || !ptr)
        return q;
    char *p = (char *)ptr - HEADER;
    int s = ((int *)p)[2];
    size_t old = s > MAX_SHIFT ? *(size_t *)p - HEADER : *(size_t *)p;
    memcpy(q, ptr, old < n ? old : n);
    tg__free(ptr);
    return q;
}

void tg__alloc_after_fork(void)
{
    alloc_lock.state = 0;
}
