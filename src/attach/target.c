/* SPDX-License-Identifier: MIT */
/* target.c: reading the memory of a stopped process or of a core dump.
 *
 * Reads go through a small direct-mapped cache of 4 KB pages: the unwinder
 * asks for one word at a time, mostly from the same few stack pages, and a
 * process with 10,000 threads must not cost a system call per word. The
 * target is stopped (or is a file) while the cache lives, so it never goes
 * stale. */
#define _GNU_SOURCE
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/user.h>
#endif

#include "attach/attach.h"

#define PAGE 4096u
#define SLOTS 64u

/* Reads one whole page at page-aligned addr into buf; 0 or -1. */
static int read_page(struct tg__target *t, uintptr_t addr, unsigned char *buf)
{
    if (!t->is_core)
        return pread(t->mem_fd, buf, PAGE, (off_t)addr) == (ssize_t)PAGE ? 0 : -1;
    /* A core: the page may be split across segments or partly absent. */
    int found = 0;
    memset(buf, 0, PAGE);
    for (int i = 0; i < t->n_segs; i++) {
        const struct tg__coreseg *s = &t->segs[i];
        uintptr_t lo = addr > s->vaddr ? addr : s->vaddr;
        uintptr_t hi = addr + PAGE < s->vaddr + s->filesz ? addr + PAGE : s->vaddr + s->filesz;
        if (lo >= hi)
            continue;
        ssize_t want = (ssize_t)(hi - lo);
        if (pread(t->mem_fd, buf + (lo - addr), (size_t)want, s->offset + (off_t)(lo - s->vaddr)) != want)
            return -1;
        found = 1;
    }
    return found ? 0 : -1;
}

int tg__target_read(struct tg__target *t, uintptr_t addr, void *out, size_t n)
{
    if (!t->cache_data && !(t->cache_data = malloc((size_t)PAGE * SLOTS)))
        return -1;
    unsigned char *o = out;
    while (n > 0) {
        uintptr_t page = addr & ~(uintptr_t)(PAGE - 1);
        unsigned slot = (unsigned)(page / PAGE) % SLOTS;
        unsigned char *data = t->cache_data + (size_t)slot * PAGE;
        if (!t->cache_valid[slot] || t->cache_page[slot] != page) {
            t->cache_valid[slot] = 0;
            if (read_page(t, page, data) != 0)
                return -1;
            t->cache_page[slot] = page;
            t->cache_valid[slot] = 1;
        }
        size_t in = page + PAGE - addr;
        size_t k = n < in ? n : in;
        memcpy(o, data + (addr - page), k);
        o += k;
        addr += k;
        n -= k;
    }
    return 0;
}

static int by_tid_key(const void *key, const void *elem)
{
    long k = *(const long *)key, tid = ((const struct tg__tthread *)elem)->tid;
    return (k > tid) - (k < tid);
}

int tg__thread_index(const struct tg__target *t, long tid)
{
    const struct tg__tthread *th = bsearch(&tid, t->threads, (size_t)t->n_threads, sizeof *th, by_tid_key);
    return th ? (int)(th - t->threads) : -1;
}

void tg__target_free(struct tg__target *t)
{
    for (int i = 0; i < t->n_threads; i++)
        free(t->threads[i].raw_regs);
    free(t->threads);
    free(t->cache_data);
    free(t->segs);
    if (t->core_elf)
        elf_end(t->core_elf);
    if (t->mem_fd >= 0)
        close(t->mem_fd);
    t->mem_fd = -1;
    tg__records_free(t);
    tg__unwind_free(t);
}

#if defined(__x86_64__)
void tg__thread_set_regs(struct tg__tthread *th, void *regs)
{
    const struct user_regs_struct *r = regs;
    th->raw_regs = regs;
    th->regs.pc = r->rip;
    th->regs.sp = r->rsp;
    th->regs.syscall = (long)r->orig_rax;
    th->regs.ret = (long)r->rax;
    th->regs.arg[0] = r->rdi;
    th->regs.arg[1] = r->rsi;
    th->regs.arg[2] = r->rdx;
    th->regs.arg[3] = r->r10;
    th->regs.arg[4] = r->r8;
    th->regs.arg[5] = r->r9;
}
#endif
