/* SPDX-License-Identifier: MIT */
/* libcwait.c: threads asleep on one of the C library's own locks.
 *
 * glibc's allocator, stdio and dynamic loader guard their state with
 * locks of their own (lll_lock): a thread that waits for one sleeps in a
 * futex system call made inline, never through a function tangle hooks,
 * so tangle saw it running. A malloc called from a signal handler that
 * interrupted malloc on the same thread waits for the allocator lock its
 * own thread holds, for ever: the process hung with no report.
 *
 * The watchdog looks at the threads it sees running (a few per tick, see
 * tg__libc_wait_watch): the kernel's /proc/self/task/TID/syscall tells
 * whether one sleeps in an untimed private futex wait, at which futex word
 * and program counter. One found there, inside libc or the loader, on two
 * ticks in a row counts as blocked on that word (a wait anyone in the
 * process may end: no owner is known), so a process whose every thread
 * sleeps so is reported as a global stall.
 *
 * What it is inside comes from its stack, read by the watchdog from the
 * stack pointer the kernel gives (the thread sleeps: its stack does not
 * change): words that are return addresses (they point just past a call
 * instruction in an executable mapping), and on x86-64 signal frames,
 * recognised by the signal return trampoline's address, whose saved
 * context gives the interrupted instruction and stack. Return addresses
 * inside a known libc function (malloc, free, fputs, dlopen, ...; their
 * ranges are taken once, at load) name the call it is blocked in, and
 * the one a signal handler interrupted. A scan can keep a stale return
 * address that no live frame uses: the stack shown is the scan's.
 *
 * Runs on the watchdog thread with the engine lock held: no allocation, no
 * call that takes the loader's lock (dladdr, dlsym: a thread blocked in
 * dlopen holds it), only system calls and reads of the process's memory
 * through process_vm_readv (a bad address fails, it does not fault).
 * A report about a thread blocked on the loader's lock is symbolized
 * without dlopen (tg__loader_busy). */
#define _GNU_SOURCE
#include "core/internal.h"
#include "core/procstat.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

/* tangle's own image (defined by the linker). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

enum family { F_NONE, F_MALLOC, F_STDIO, F_LOADER };

static const struct known {
    const char *name;
    enum family fam;
} known_fns[] = {
    {"malloc", F_MALLOC}, {"free", F_MALLOC}, {"calloc", F_MALLOC}, {"realloc", F_MALLOC},
    {"reallocarray", F_MALLOC}, {"memalign", F_MALLOC}, {"posix_memalign", F_MALLOC},
    {"aligned_alloc", F_MALLOC}, {"valloc", F_MALLOC}, {"pvalloc", F_MALLOC},
    {"malloc_trim", F_MALLOC}, {"malloc_stats", F_MALLOC}, {"mallinfo2", F_MALLOC},
    {"malloc_info", F_MALLOC}, {"strdup", F_MALLOC}, {"strndup", F_MALLOC},
    {"printf", F_STDIO}, {"fprintf", F_STDIO}, {"vprintf", F_STDIO}, {"vfprintf", F_STDIO},
    {"puts", F_STDIO}, {"fputs", F_STDIO}, {"fputc", F_STDIO}, {"putc", F_STDIO},
    {"putchar", F_STDIO}, {"fwrite", F_STDIO}, {"fflush", F_STDIO}, {"fclose", F_STDIO},
    {"fopen", F_STDIO}, {"fdopen", F_STDIO}, {"freopen", F_STDIO}, {"fgets", F_STDIO},
    {"fgetc", F_STDIO}, {"getc", F_STDIO}, {"getchar", F_STDIO}, {"fread", F_STDIO},
    {"fscanf", F_STDIO}, {"scanf", F_STDIO}, {"vfscanf", F_STDIO}, {"ungetc", F_STDIO},
    {"fseek", F_STDIO}, {"ftell", F_STDIO}, {"rewind", F_STDIO}, {"setvbuf", F_STDIO},
    {"flockfile", F_STDIO}, {"perror", F_STDIO}, {"getline", F_STDIO}, {"getdelim", F_STDIO},
    {"fputws", F_STDIO}, {"fwprintf", F_STDIO}, {"_IO_fwrite", F_STDIO}, {"_IO_puts", F_STDIO},
    {"_IO_fputs", F_STDIO}, {"_IO_fflush", F_STDIO}, {"_IO_getc", F_STDIO},
    {"_IO_putc", F_STDIO}, {"_IO_flockfile", F_STDIO}, {"__uflow", F_STDIO},
    {"__overflow", F_STDIO}, {"_IO_file_xsputn", F_STDIO},
    {"dlopen", F_LOADER}, {"dlclose", F_LOADER}, {"dlsym", F_LOADER}, {"dlvsym", F_LOADER},
    {"dladdr", F_LOADER}, {"dladdr1", F_LOADER}, {"dlinfo", F_LOADER}, {"dlmopen", F_LOADER},
    {"dl_iterate_phdr", F_LOADER}, {"__libc_start_main", F_NONE},
};
#define N_KNOWN (sizeof known_fns / sizeof known_fns[0])

/* [lo, hi) of each known function in the libc that is loaded; 0 if absent. */
static struct {
    uintptr_t lo, hi;
} ranges[N_KNOWN];
static uintptr_t sig_restorer; /* glibc's signal return trampoline (x86-64) */
static int stop_known = -1;    /* __libc_start_main: main's caller */
/* Return addresses where a scan of a thread other than main stops: past
 * them lies the start of the thread (start_thread's call of the thread
 * function, and clone's), taken from the watchdog's own stack. */
static uintptr_t thread_base[2];
/* The return addresses into the C library's frame that called main
 * (__libc_start_call_main since glibc 2.34, a local symbol) and into the
 * program's _start, read from the top of main's stack; 0 if not found.
 * With __libc_start_main's range they name main's start-up frames: where
 * main's scan stops, and words a scan of any other thread skips, since
 * there they can only be stale copies (ASan's fwrite interceptor left
 * main's frames on a writer's stack, and the scan stopped there, before
 * the writer's own frames). */
static uintptr_t main_call_ret, main_entry_ret;
extern void *__libc_stack_end; /* the top of main's stack, from the loader */

/* libc's dynamic symbol table, read through its GNU hash table (what
 * dlsym reads too). */
struct symbols {
    uintptr_t base;
    const ElfW(Sym) *sym;
    const char *str;
    const uint32_t *gnu;
};

static int symbols_of(void *lib, struct symbols *t)
{
    struct link_map *lm;
    memset(t, 0, sizeof *t);
    if (dlinfo(lib, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_ld)
        return -1;
    t->base = lm->l_addr;
    for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
        /* The loader relocates these in place, where the section is
         * writable; where it is not they are still offsets. */
        uintptr_t p = d->d_un.d_ptr < lm->l_addr ? d->d_un.d_ptr + lm->l_addr : d->d_un.d_ptr;
        if (d->d_tag == DT_SYMTAB)
            t->sym = (const ElfW(Sym) *)p;
        else if (d->d_tag == DT_STRTAB)
            t->str = (const char *)p;
        else if (d->d_tag == DT_GNU_HASH)
            t->gnu = (const uint32_t *)p;
    }
    return t->sym && t->str && t->gnu ? 0 : -1;
}

/* The symbol named `name` at address f, NULL if the hash table has none
 * (a function dlsym resolved through an IFUNC, say). */
static const ElfW(Sym) *symbol_at(const struct symbols *t, const char *name, uintptr_t f)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    uint32_t n_buckets = t->gnu[0], sym_offset = t->gnu[1], bloom_words = t->gnu[2];
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(t->gnu + 4) + bloom_words);
    const uint32_t *chain = buckets + n_buckets;
    if (n_buckets == 0)
        return NULL;
    uint32_t i = buckets[h % n_buckets];
    if (i < sym_offset)
        return NULL;
    for (;; i++) {
        uint32_t h2 = chain[i - sym_offset];
        const ElfW(Sym) *s = &t->sym[i];
        if ((h | 1) == (h2 | 1) && t->base + s->st_value == f && !strcmp(t->str + s->st_name, name))
            return s;
        if (h2 & 1)
            return NULL;
    }
}

/* At load, when dlsym and dladdr may be called: the known functions'
 * ranges, from libc's own dynamic symbols and their sizes. The symbol of
 * each is found through libc's hash table; dladdr1, which walks every
 * symbol of libc (some 85,000 instructions a call, 6 million in all),
 * answers only for those not found there. */
__attribute__((constructor)) static void libc_ranges(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc)
        return;
    struct symbols t;
    int hashed = symbols_of(libc, &t) == 0;
    for (size_t i = 0; i < N_KNOWN; i++) {
        void *f = dlsym(libc, known_fns[i].name);
        Dl_info di;
        const ElfW(Sym) *sym = f && hashed ? symbol_at(&t, known_fns[i].name, (uintptr_t)f) : NULL;
        if (!f || (!sym && (!dladdr1(f, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym)) || !sym->st_size)
            continue;
        ranges[i].lo = (uintptr_t)f;
        ranges[i].hi = (uintptr_t)f + sym->st_size;
        if (!strcmp(known_fns[i].name, "__libc_start_main"))
            stop_known = (int)i;
    }
    dlclose(libc);
#if defined(__x86_64__)
    /* The kernel's view of any handler glibc installed carries the
     * trampoline: install one on a signal nobody uses, read it, restore. */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } ksa;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    int sig = SIGRTMAX - 8;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        sigaction(sig, &sa, NULL) == 0) {
        if (syscall(SYS_rt_sigaction, sig, NULL, &ksa, sizeof ksa.mask) == 0)
            sig_restorer = (uintptr_t)ksa.restorer;
        sigaction(sig, &old, NULL);
    }
#endif
}

/* ---- the process's executable mappings ------------------------------------ */

struct map {
    uintptr_t lo, hi;
    uint8_t where; /* 1 libc, 2 the dynamic loader, 0 other */
};
static struct map maps[512];
static int n_maps;
static char mapbuf[8192];

static void maps_read(void)
{
    n_maps = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, mapbuf + have, sizeof mapbuf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        mapbuf[have] = 0;
        char *line = mapbuf, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = 0;
            char *end;
            uintptr_t lo = strtoull(line, &end, 16), hi = *end == '-' ? strtoull(end + 1, &end, 16) : 0;
            if (hi > lo && end[0] == ' ' && end[3] == 'x' && n_maps < (int)(sizeof maps / sizeof maps[0])) {
                const char *path = strchr(end, '/');
                uint8_t where = 0;
                if (path && strstr(path, "/libc.so"))
                    where = 1;
                else if (path && strstr(path, "/ld-linux"))
                    where = 2;
                maps[n_maps++] = (struct map){lo, hi, where};
            }
            line = nl + 1;
        }
        have = strlen(line);
        memmove(mapbuf, line, have);
    }
    close(fd);
}

static const struct map *map_of(uintptr_t pc)
{
    for (int i = 0; i < n_maps; i++)
        if (pc >= maps[i].lo && pc < maps[i].hi)
            return &maps[i];
    return NULL;
}

/* 1 if w is just past a call instruction in executable code. */
static int after_call(uintptr_t w)
{
    const struct map *m = map_of(w);
    if (!m || w < m->lo + 8)
        return 0;
#if defined(__x86_64__)
    uint8_t c[8];
    if (tg__peek(w - 8, c, 8) != 0)
        return 0;
    /* call rel32; call *reg; call *(reg); call *disp8(reg); call *[rip+disp32] */
    return c[3] == 0xE8 || (c[6] == 0xFF && (c[7] & 0x38) == 0x10) ||
           (c[5] == 0xFF && (c[6] & 0x38) == 0x10) || (c[2] == 0xFF && (c[3] & 0x38) == 0x10) ||
           (c[4] == 0xFF && (c[5] & 0x38) == 0x10);
#elif defined(__aarch64__)
    uint32_t insn;
    if (tg__peek(w - 4, &insn, 4) != 0)
        return 0;
    return (insn & 0xFC000000u) == 0x94000000u || (insn & 0xFFFFFC1Fu) == 0xD63F0000u;
#else
    return 0;
#endif
}

static int known_of(uintptr_t pc)
{
    for (size_t i = 0; i < N_KNOWN; i++)
        if (pc > ranges[i].lo && pc <= ranges[i].hi)
            return (int)i;
    return -1;
}

/* 1 if w is one of main's start-up frames (main's callers in libc). */
static int main_start_up(uintptr_t w)
{
    return (stop_known >= 0 && known_of(w) == stop_known) || (main_call_ret && w == main_call_ret) ||
           (main_entry_ret && w == main_entry_ret);
}

/* 1 if w is where a scan of a thread stops: the thread's own start, and
 * on main (which may be a fork child's, started as a thread) also main's
 * start-up frames. */
static int at_base(uintptr_t w, int is_main)
{
    return w == thread_base[0] || w == thread_base[1] || (is_main && main_start_up(w));
}

/* ---- reading one sleeping thread ------------------------------------------ */

struct section { /* the frames between two signal frames */
    int known;   /* index into known_fns of the first known frame, -1 */
    int loader;  /* a frame in the dynamic loader */
};

#define SCAN_BYTES 16384
static uintptr_t scan[SCAN_BYTES / sizeof(uintptr_t)];

/* What a family's frame is called in a report: the allocator's entry
 * points are named together (free tail-calls its worker, so a stack shows
 * no return into free, and a scan may keep a stale return into malloc). */
static const char *what_of(enum family f, const char *name, char *buf, size_t cap)
{
    if (f == F_MALLOC)
        return "malloc/free (the allocator's lock)";
    if (f == F_STDIO) {
        snprintf(buf, cap, "%s (a FILE's lock)", name ? name : "stdio");
        return buf;
    }
    return "the dynamic loader (its lock)";
}


/* Once, on the watchdog: its own start frames, and main's start-up
 * frames: below __libc_stack_end, the first return address (into _start),
 * the first into __libc_start_main, then the first into libc below it,
 * taken only if it lies just before __libc_start_main (the same source
 * file). */
static void thread_base_init(void)
{
    void *raw[64];
    int n = tg__backtrace(raw, 64);
    if (n >= 2) {
        thread_base[0] = (uintptr_t)raw[n - 1];
        thread_base[1] = (uintptr_t)raw[n - 2];
    }
    uintptr_t top[128];
    uintptr_t end = (uintptr_t)__libc_stack_end;
    if (stop_known < 0 || !end || tg__peek(end - sizeof top, top, sizeof top) != 0)
        return;
    maps_read();
    int i = 128;
    uintptr_t entry = 0;
    while (--i >= 0 && !(after_call(top[i]) && known_of(top[i]) == stop_known))
        if (!entry && after_call(top[i]))
            entry = top[i];
    if (i >= 0)
        main_entry_ret = entry;
    while (--i >= 0) {
        const struct map *m = map_of(top[i]);
        if (m && m->where == 1 && after_call(top[i])) {
            if (top[i] < ranges[stop_known].lo && top[i] + 4096 > ranges[stop_known].lo)
                main_call_ret = top[i];
            break;
        }
    }
}

/* Fills a's raw wait description (stack, detail, advice) from its stack. */
static void describe(struct tg_actor *a, uintptr_t pc, uintptr_t sp)
{
    int is_main = a->tid == getpid();
    uintptr_t pcs[32];
    int n = 0;
    struct section sec[4];
    int ns = 1;
    sec[0] = (struct section){-1, 0};
    maps_read();
    pcs[n++] = pc;
    const struct map *m0 = map_of(pc);
    if (m0 && m0->where == 2)
        sec[0].loader = 1;
    for (int hops = 0; hops < 4 && n < 32; hops++) {
        size_t got = tg__peek_some(sp, scan, sizeof scan) / sizeof scan[0];
        uintptr_t next_sp = 0;
        for (size_t i = 0; i < got && n < 32; i++) {
            uintptr_t w = scan[i];
#if defined(__x86_64__)
            if (sig_restorer && w == sig_restorer && ns < 4) {
                ucontext_t uc;
                uintptr_t at = sp + i * sizeof w + sizeof w;
                if (tg__peek(at, &uc, sizeof uc) != 0)
                    break;
                uintptr_t ip = (uintptr_t)uc.uc_mcontext.gregs[REG_RIP];
                next_sp = (uintptr_t)uc.uc_mcontext.gregs[REG_RSP];
                int k = known_of(ip);
                sec[ns++] = (struct section){k >= 0 && known_fns[k].fam != F_NONE ? k : -1,
                                             map_of(ip) && map_of(ip)->where == 2};
                pcs[n++] = ip + 1; /* shown as a return address: the frame is ip's */
                break;
            }
#endif
            if (!after_call(w) || (w >= (uintptr_t)__ehdr_start && w < (uintptr_t)_end) ||
                (!is_main && main_start_up(w)))
                continue; /* not a return address, or a stale one (into tangle, or main's) */
            pcs[n++] = w;
            if (at_base(w, is_main))
                break;
            struct section *s = &sec[ns - 1];
            int k = known_of(w);
            if (s->known < 0 && k >= 0 && known_fns[k].fam != F_NONE)
                s->known = k;
            const struct map *m = map_of(w);
            if (m && m->where == 2)
                s->loader = 1;
        }
        if (!next_sp || next_sp <= sp || at_base(pcs[n - 1], is_main))
            break;
        sp = next_sp;
    }
    a->side->raw_stack = tg__stack_intern_locked(pcs, n);
    a->side->raw_loader = sec[0].loader || (sec[0].known >= 0 && known_fns[sec[0].known].fam == F_LOADER);

    enum family f0 = sec[0].known >= 0 ? known_fns[sec[0].known].fam : F_NONE;
    if (f0 == F_NONE && sec[0].loader)
        f0 = F_LOADER;
    const char *name0 = sec[0].known >= 0 ? known_fns[sec[0].known].name : NULL;
    enum family f1 = F_NONE;
    const char *name1 = NULL;
    if (ns > 1) {
        f1 = sec[1].known >= 0 ? known_fns[sec[1].known].fam : F_NONE;
        name1 = sec[1].known >= 0 ? known_fns[sec[1].known].name : NULL;
        if (f1 == F_NONE && sec[1].loader)
            f1 = F_LOADER;
    }
    char *d = a->side->raw_detail, b0[64], b1[64];
    size_t cap = sizeof a->side->raw_detail;
    if (f0 == F_NONE)
        snprintf(d, cap, "blocked on a lock inside the C library");
    else
        snprintf(d, cap, "blocked inside %s", what_of(f0, name0, b0, sizeof b0));
    if (ns > 1) {
        size_t len = strlen(d);
        if (f1 != F_NONE)
            snprintf(d + len, cap - len, ", called from a signal handler that interrupted %s on "
                     "the same thread", f1 == F_MALLOC ? "malloc/free"
                                        : what_of(f1, name1, b1, sizeof b1));
        else
            snprintf(d + len, cap - len, ", called from a signal handler");
    }
    if (ns > 1 && f0 != F_NONE && f0 == f1)
        a->side->raw_advice = "the signal handler called a function that is not async-signal-safe while "
                        "its thread was inside the C library's code that holds the same lock, "
                        "which the handler now waits for: it never opens. Call only "
                        "async-signal-safe functions in a handler (no malloc, free, printf, "
                        "stdio, dlopen, or anything that calls them); set a volatile "
                        "sig_atomic_t flag or write to a pipe there, and do the work outside.";
    else if (ns > 1)
        a->side->raw_advice = "a signal handler waits for a lock inside the C library: call only "
                        "async-signal-safe functions in a handler; set a volatile sig_atomic_t "
                        "flag or write to a pipe there, and do the work outside.";
    else if (f0 == F_STDIO)
        a->side->raw_advice = "it waits for a FILE's lock, held by a thread that is itself blocked "
                        "(flockfile without funlockfile, or a stdio call that cannot finish): "
                        "release the FILE before waiting for anything else.";
    else if (f0 == F_LOADER)
        a->side->raw_advice = "it waits for the dynamic loader's lock, which dlopen and dlclose hold "
                        "while library constructors and destructors run: a constructor that "
                        "waits for another thread deadlocks with any thread that loads a "
                        "library or resolves a symbol; do not wait in constructors, and do not "
                        "hold a lock across dlopen.";
    else if (f0 == F_MALLOC)
        a->side->raw_advice = "it waits for the allocator's lock, held by a thread that cannot go on "
                        "(a signal handler that allocates, or a fork child of a threaded "
                        "program that allocates before exec).";
    else
        a->side->raw_advice = NULL;
}

/* The system call a thread sleeps in, parsed from /proc: 1 and its
 * number, arguments, stack pointer and program counter, or 0. */
static int sleeping_call(long tid, long *nr, uintptr_t args[6], uintptr_t *sp, uintptr_t *pc)
{
    char buf[256];
    if (tg__proc_task_read(0, tid, "syscall", buf, sizeof buf) < 0 || buf[0] < '0' || buf[0] > '9')
        return 0;
    char *p = buf;
    *nr = strtol(p, &p, 10);
    for (int i = 0; i < 6; i++)
        args[i] = strtoull(p, &p, 16);
    *sp = strtoull(p, &p, 16);
    *pc = strtoull(p, &p, 16);
    return *pc != 0;
}

/* One look at thread actor a, which tangle sees running with no lock call
 * published; 1 if whether it counts as blocked changed. */
static int watch_one(struct tg_actor *a)
{
    int was = a->side->raw_ticks >= 2;
    long nr;
    uintptr_t args[6], sp, pc;
    const struct map *m;
    if (a->tid > 0 && sleeping_call(a->tid, &nr, args, &sp, &pc) && nr == SYS_futex &&
        ((args[1] & FUTEX_CMD_MASK) == FUTEX_WAIT || (args[1] & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET) &&
        (args[1] & FUTEX_PRIVATE_FLAG) && args[3] == 0) {
        if (a->side->raw_ticks && a->side->raw_uaddr == args[0] && a->side->raw_pc == pc) {
            if (a->side->raw_ticks == 1 && ((void)maps_read(), (m = map_of(pc)) == NULL || !m->where)) {
                a->side->raw_ticks = -1; /* not the C library's: not looked at again */
            } else if (a->side->raw_ticks == 1) {
                a->side->raw_ticks = 2;
                a->side->raw_seq++;
                describe(a, pc, sp);
                tg__res_fill_word(&a->side->raw_word, args[0], pc, (uint32_t)args[2]);
            }
        } else {
            a->side->raw_ticks = 1;
            a->side->raw_uaddr = args[0];
            a->side->raw_pc = pc;
            a->side->raw_since_ns = tg__now_ns();
        }
    } else {
        a->side->raw_ticks = 0;
    }
    return was != (a->side->raw_ticks >= 2);
}

int tg__loader_busy;

int tg__libc_wait_watch(void)
{
    if (!thread_base[0])
        thread_base_init();
    /* A few threads at most: a stall needs every thread blocked, so when
     * many run the look is skipped (its cost would grow with them). */
    int candidates = 0;
    for (int i = 0; i < tg__n_threads; i++) {
        struct tg_actor *a = tg__threads[i];
        if (!(a->aflags & TG_AF_INTERNAL) && !(__atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE) & 1) &&
            !__atomic_load_n(&a->pending, __ATOMIC_ACQUIRE) &&
            __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED)
            candidates++;
    }
    int changed = 0, loader = 0;
    for (int i = 0; i < tg__n_threads; i++) {
        struct tg_actor *a = tg__threads[i];
        if (!a->side)
            continue; /* its side record could not be allocated: not watched */
        int look = candidates <= 8 && !(a->aflags & TG_AF_INTERNAL) &&
                   !(__atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE) & 1) &&
                   !__atomic_load_n(&a->pending, __ATOMIC_ACQUIRE) &&
                   __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != TG_ST_EXITED;
        if (look) {
            changed |= watch_one(a);
        } else if (a->side->raw_ticks) {
            changed |= a->side->raw_ticks >= 2;
            a->side->raw_ticks = 0;
        }
        loader |= a->side->raw_ticks >= 2 && a->side->raw_loader;
    }
    __atomic_store_n(&tg__loader_busy, loader, __ATOMIC_RELAXED);
    return changed;
}
