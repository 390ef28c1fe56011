/* SPDX-License-Identifier: MIT */
/* symbolize.c: return addresses to functions, files and lines.
 *
 * A symbolizer belongs to one process (this one, or another read by
 * `tangle attach`). It finds the module of each address, asks libdw (or,
 * without it, addr2line) for the chain of inlined calls there, and caches
 * the answer per address, so that the thousandth report of a program costs
 * no more than the first. Frames it cannot resolve keep module+offset;
 * when no symbols can be had at all it says so once, and why. Nothing here
 * forks the whole process or waits without a deadline, so it is safe in a
 * process whose other threads are deadlocked. */
#define _GNU_SOURCE
#include "report/report.h"
#include "report/sym.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/lock.h"

/* Answers kept per process: enough for every frame of thousands of
 * distinct reports; past it, answers are computed again, never dropped. */
#define CACHE_MAX (1 << 16)

struct cached {
    uintptr_t pc;
    struct tg__sym_answer a;
};

struct tg_symbolizer {
    long pid;                /* 0: this process */
    struct tg__dw *dw;       /* NULL: libdw not available */
    int dw_tried;
    int a2l_failed;          /* addr2line could not be run */
    struct cached *cache;    /* open addressing on pc; pc 0 marks a free slot */
    size_t cache_cap, cache_n;
};

/* This process's symbolizer, made at its first report. */
static tg_lock_t self_lock = TG_LOCK_INIT;
static struct tg_symbolizer *self_sym;
static int self_no_libdw;

/* ---- small helpers -------------------------------------------------------- */

void tg__sym_answer_free(struct tg__sym_answer *a)
{
    free(a->module);
    for (int i = 0; i < a->n; i++) {
        free(a->loc[i].function);
        free(a->loc[i].file);
    }
    memset(a, 0, sizeof *a);
}

/* Set by the engine (core/libcwait.c) while a thread is seen blocked on
 * the dynamic loader's lock; absent from the tangle command. */
extern int tg__loader_busy __attribute__((weak));

char *tg__sym_demangle(const char *name)
{
    static char *(*demangle)(const char *, char *, size_t *, int *);
    static int looked;
    if (!name)
        return NULL;
    if (strncmp(name, "_Z", 2) != 0)
        return strdup(name);
    if (!looked) {
        looked = 1;
        demangle = (char *(*)(const char *, char *, size_t *, int *))dlsym(RTLD_DEFAULT,
                                                                            "__cxa_demangle");
        if (!demangle) {
            void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
            if (h)
                demangle = (char *(*)(const char *, char *, size_t *, int *))dlsym(
                    h, "__cxa_demangle");
        }
    }
    int status = -1;
    char *out = demangle ? demangle(name, NULL, NULL, &status) : NULL;
    if (out && status == 0)
        return out;
    free(out);
    return strdup(name);
}

static const char *path_prefix;

void tg__report_set_path_prefix(const char *prefix)
{
    path_prefix = prefix && prefix[0] ? prefix : NULL;
}

const char *tg__report_path(const char *file)
{
    if (!file || !path_prefix)
        return file;
    size_t n = strlen(path_prefix);
    return strncmp(file, path_prefix, n) == 0 && file[n] ? file + n : file;
}

/* ---- which module holds an address ------------------------------------------ */

struct module_q {
    uintptr_t pc;
    char path[4096];
    uintptr_t bias;
    int found;
};

struct phdr_q {
    uintptr_t addr;
    const char *name;
    uintptr_t bias;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct phdr_q *q = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && q->addr >= lo && q->addr < lo + ph->p_memsz) {
            q->name = info->dlpi_name ? info->dlpi_name : "";
            q->bias = info->dlpi_addr;
            return 1;
        }
    }
    return 0;
}

const char *tg__module_of(uintptr_t addr, uintptr_t *bias)
{
    struct phdr_q q = {addr, NULL, 0};
    dl_iterate_phdr(phdr_cb, &q);
    if (bias)
        *bias = q.bias;
    return q.name;
}

/* This process: the loaded object that holds q->pc, by the loader's list. */
static void self_lookup(struct module_q *q)
{
    const char *name = tg__module_of(q->pc, &q->bias);
    if (!name)
        return;
    if (name[0]) {
        snprintf(q->path, sizeof q->path, "%s", name);
    } else {
        ssize_t n = readlink("/proc/self/exe", q->path, sizeof q->path - 1);
        q->path[n > 0 ? n : 0] = '\0';
    }
    q->found = q->path[0] != '\0';
}

/* Another process: the file mapping that holds pc in /proc/PID/maps, its
 * bias being the start of the file's first mapping (0 for ET_EXEC). */
static void maps_lookup(long pid, struct module_q *q)
{
    char path[64], line[4608];
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char first_path[4096] = "";
    uintptr_t first_start = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off;
        int pos = 0;
        if (sscanf(line, "%lx-%lx %*s %lx %*s %*s%n", &lo, &hi, &off, &pos) != 3)
            continue;
        char *file = line + pos;
        file += strspn(file, " ");
        file[strcspn(file, "\n")] = '\0';
        if (file[0] != '/')
            continue;
        if (strcmp(file, first_path) != 0) {
            snprintf(first_path, sizeof first_path, "%s", file);
            first_start = lo - off;
        }
        if (q->pc >= lo && q->pc < hi) {
            snprintf(q->path, sizeof q->path, "%s", file);
            q->bias = first_start;
            q->found = 1;
            break;
        }
    }
    fclose(f);
    if (!q->found)
        return;
    int fd = open(q->path, O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr eh;
    if (fd >= 0 && read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && eh.e_type == ET_EXEC)
        q->bias = 0;
    if (fd >= 0)
        close(fd);
}

static void find_module(const struct tg_symbolizer *s, struct module_q *q)
{
    if (s->pid)
        maps_lookup(s->pid, q);
    else
        self_lookup(q);
}

/* ---- the cache ------------------------------------------------------------- */

static struct cached *cache_slot(struct tg_symbolizer *s, uintptr_t pc)
{
    if (!s->cache)
        return NULL;
    size_t mask = s->cache_cap - 1;
    for (size_t i = (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 20) & mask;; i = (i + 1) & mask)
        if (s->cache[i].pc == pc || s->cache[i].pc == 0)
            return &s->cache[i];
}

static int cache_grow(struct tg_symbolizer *s)
{
    size_t cap = s->cache_cap ? s->cache_cap * 2 : 1024;
    struct cached *old = s->cache;
    size_t old_cap = s->cache_cap;
    s->cache = calloc(cap, sizeof *s->cache);
    if (!s->cache) {
        s->cache = old;
        return -1;
    }
    s->cache_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].pc)
            *cache_slot(s, old[i].pc) = old[i];
    free(old);
    return 0;
}

static void answer_copy(struct tg__sym_answer *dst, const struct tg__sym_answer *src)
{
    *dst = *src;
    dst->module = src->module ? strdup(src->module) : NULL;
    for (int i = 0; i < src->n; i++) {
        dst->loc[i].function = src->loc[i].function ? strdup(src->loc[i].function) : NULL;
        dst->loc[i].file = src->loc[i].file ? strdup(src->loc[i].file) : NULL;
    }
}

/* Keeps a copy of a (the cache owns it); a is left to the caller. */
static void cache_put(struct tg_symbolizer *s, uintptr_t pc, const struct tg__sym_answer *a)
{
    if (s->cache_n >= CACHE_MAX || ((s->cache_n + 1) * 2 > s->cache_cap && cache_grow(s) != 0))
        return;
    struct cached *c = cache_slot(s, pc);
    c->pc = pc;
    answer_copy(&c->a, a);
    s->cache_n++;
}

/* ---- the symbolizer -------------------------------------------------------- */

struct tg_symbolizer *tg__symbolizer_open(long pid)
{
    struct tg_symbolizer *s = calloc(1, sizeof *s);
    if (s)
        s->pid = pid;
    return s;
}

void tg__symbolizer_close(struct tg_symbolizer *s)
{
    if (!s)
        return;
    tg__dw_close(s->dw);
    for (size_t i = 0; i < s->cache_cap; i++)
        if (s->cache[i].pc)
            tg__sym_answer_free(&s->cache[i].a);
    free(s->cache);
    free(s);
}

static int said_no_symbolizer, said_no_debug;

/* Once per process: why frames will show module+offset only. */
static void say_once(const struct tg_symbolizer *s, const struct tg__sym_answer *a)
{
    if (!s->dw && s->a2l_failed && !said_no_symbolizer) {
        said_no_symbolizer = 1;
        dprintf(2, "tangle: note: stacks show module+offset, not functions and lines: %s, and "
                   "addr2line (binutils) could not be run.\n",
                s == self_sym && self_no_libdw ? "libdw was not used (symbolizer=addr2line)"
                                               : "libdw (Debian package libdw1) could not be "
                                                 "loaded");
    }
    if (a->module && !a->has_debug && !said_no_debug && s->dw &&
        strncmp(a->module, "/lib", 4) != 0 && strncmp(a->module, "/usr/", 5) != 0 &&
        !strstr(a->module, "linux-vdso") && !strstr(a->module, "libtangle")) {
        said_no_debug = 1;
        dprintf(2, "tangle: note: %s has no debug information, so its frames show no file "
                   "and line: build it with -g (or install its debug symbols).\n", a->module);
    }
}

/* Without any symbolizer: the dynamic symbol whose extent covers pc. */
static void dladdr_answer(uintptr_t pc, struct tg__sym_answer *a)
{
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1((void *)(pc - 1), &di, (void **)&sym, RTLD_DL_SYMENT) && di.dli_sname && sym &&
        sym->st_size > 0 && pc - 1 - (uintptr_t)di.dli_saddr < sym->st_size) {
        a->loc[0].function = tg__sym_demangle(di.dli_sname);
        a->n = 1;
    }
}

/* Answers for pcs[0..n), each computed or copied from the cache. */
static void answer_all(struct tg_symbolizer *s, const uintptr_t *pcs, int n,
                       struct tg__sym_answer *ans)
{
    /* libdw is loaded with dlopen, which waits for the loader's lock: not
     * while a thread is seen blocked in the loader (its holder may be
     * blocked too); addr2line answers this report. */
    if (!s->dw_tried && !(&tg__loader_busy && tg__loader_busy)) {
        s->dw_tried = 1;
        s->dw = tg__dw_open(s->pid);
    }
    char *todo = calloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++) {
        struct cached *c = cache_slot(s, pcs[i]);
        if (c && c->pc == pcs[i] && pcs[i]) {
            answer_copy(&ans[i], &c->a);
            continue;
        }
        if (!pcs[i] || !todo)
            continue;
        if (s->dw) {
            int rc = tg__dw_lookup(s->dw, pcs[i], &ans[i]);
            if (rc == 0)
                continue;
            if (rc == TG__DW_ABANDONED)
                s->dw = NULL; /* left as it is: libdw's state may be half made */
        }
        struct module_q q = {.pc = pcs[i] - 1};
        find_module(s, &q);
        if (!q.found)
            continue;
        ans[i].module = strdup(q.path);
        ans[i].offset = pcs[i] - q.bias;
        todo[i] = !s->dw && !strstr(q.path, "linux-vdso");
    }
    /* addr2line, one run per module. */
    for (int i = 0; todo && i < n; i++) {
        if (!todo[i])
            continue;
        int m = 0;
        uintptr_t *offs = malloc((size_t)n * sizeof *offs);
        struct tg__sym_answer **grp = malloc((size_t)n * sizeof *grp);
        for (int j = i; offs && grp && j < n; j++) {
            if (todo[j] && ans[j].module && !strcmp(ans[j].module, ans[i].module)) {
                todo[j] = 0;
                offs[m] = ans[j].offset;
                grp[m++] = &ans[j];
            }
        }
        if (m && !s->a2l_failed && tg__a2l_lookup(ans[i].module, offs, m, grp) != 0)
            s->a2l_failed = 1;
        for (int k = 0; k < m && s->a2l_failed && !s->pid; k++)
            dladdr_answer(pcs[grp[k] - ans], grp[k]);
        free(offs);
        free(grp);
    }
    for (int i = 0; i < n; i++) {
        if (!pcs[i])
            continue;
        struct cached *c = cache_slot(s, pcs[i]);
        if (!c || c->pc != pcs[i])
            cache_put(s, pcs[i], &ans[i]);
        say_once(s, &ans[i]);
    }
    free(todo);
}

/* Frames for one answer, innermost first (inlined ones flagged), into fr
 * (room for TG_SYM_MAX_INLINE); returns how many. Takes over a's strings. */
static int answer_frames(uintptr_t pc, struct tg__sym_answer *a, struct tg_frame *fr)
{
    int n = a->n > 0 ? a->n : 1;
    for (int k = 0; k < n; k++) {
        memset(&fr[k], 0, sizeof fr[k]);
        fr[k].pc = pc;
        fr[k].offset = a->offset;
        fr[k].module = k == 0 ? a->module : (a->module ? strdup(a->module) : NULL);
        fr[k].function = a->loc[k].function;
        fr[k].file = a->loc[k].file;
        fr[k].line = a->loc[k].line;
        fr[k].inlined = k + 1 < n;
    }
    return n;
}

int tg__symbolizer_stack(struct tg_symbolizer *s, const uintptr_t *pcs, int n,
                         struct tg_stack *out)
{
    struct tg__sym_answer *ans = calloc((size_t)n + 1, sizeof *ans);
    size_t cap = 1;
    while (cap < (size_t)n * TG_SYM_MAX_INLINE)
        cap *= 2;
    struct tg_frame *frames = calloc(cap, sizeof *frames);
    if (!ans || !frames) {
        free(ans);
        free(frames);
        return -1;
    }
    answer_all(s, pcs, n, ans);
    int k = 0;
    for (int i = 0; i < n; i++)
        k += answer_frames(pcs[i], &ans[i], &frames[k]);
    free(ans);
    out->frames = frames;
    out->n = k;
    return 0;
}

/* ---- this process's findings ---------------------------------------------- */


void tg__symbolize_use_libdw(int on)
{
    self_no_libdw = !on;
}

void tg__symbolize_after_fork(void)
{
    self_lock.state = 0;
}

static struct tg_symbolizer *self_take(void)
{
    tg__lock_take(&self_lock);
    if (!self_sym) {
        self_sym = tg__symbolizer_open(0);
        if (self_sym)
            self_sym->dw_tried = self_no_libdw;
    }
    return self_sym;
}

/* Replaces the raw frames of s by symbolized ones, inlined callers
 * expanded when `expand`; frames that are already symbolic stay. */
static void stack_symbolize(struct tg_symbolizer *sym, struct tg_stack *s, int expand)
{
    int raw = 0;
    for (int i = 0; i < s->n; i++)
        raw += s->frames[i].pc && !s->frames[i].function && !s->frames[i].file && !s->frames[i].module;
    if (!raw || !sym)
        return;
    uintptr_t *pcs = malloc((size_t)s->n * sizeof *pcs);
    struct tg__sym_answer *ans = calloc((size_t)s->n, sizeof *ans);
    size_t cap = 1;
    while (cap < (size_t)s->n * (expand ? TG_SYM_MAX_INLINE : 1))
        cap *= 2;
    struct tg_frame *nf = calloc(cap, sizeof *nf);
    if (!pcs || !ans || !nf) {
        free(pcs);
        free(ans);
        free(nf);
        return;
    }
    for (int i = 0; i < s->n; i++) {
        const struct tg_frame *f = &s->frames[i];
        pcs[i] = f->pc && !f->function && !f->file && !f->module ? f->pc : 0;
    }
    answer_all(sym, pcs, s->n, ans);
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        if (!pcs[i]) {
            nf[k++] = s->frames[i];
            continue;
        }
        struct tg_frame tmp[TG_SYM_MAX_INLINE];
        int m = answer_frames(pcs[i], &ans[i], tmp);
        int keep = expand ? m : 1;
        for (int j = 0; j < m; j++) {
            if (j < keep) {
                nf[k++] = tmp[j];
                nf[k - 1].inlined = expand ? tmp[j].inlined : 0;
            } else {
                free((char *)tmp[j].module);
                free((char *)tmp[j].function);
                free((char *)tmp[j].file);
            }
        }
    }
    free(s->frames);
    s->frames = nf;
    s->n = k;
    free(pcs);
    free(ans);
}

static void res_symbolize(struct tg_symbolizer *sym, struct tg_res_info *r)
{
    stack_symbolize(sym, &r->created, 1);
}

/* libdw needs more stack than a thread of the program may have (threads of
 * 64 KB are common): this process's symbolization runs on a stack of its
 * own, switched to under self_lock. Its pages are touched
 * only as used. */
#define SYM_STACK (8u << 20)
static void *sym_stack;
static ucontext_t sym_caller, sym_ctx;
static void (*sym_fn)(void *);
static void *sym_arg;

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define FIBER_START(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define FIBER_DONE(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define FIBER_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define FIBER_DONE(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif
static const void *caller_bottom;
static size_t caller_size;
static void *caller_fake; /* ASan's fake stack of the caller */

static void sym_trampoline(void)
{
    FIBER_DONE(NULL, &caller_bottom, &caller_size);
    sym_fn(sym_arg);
    FIBER_START(NULL, caller_bottom, caller_size); /* back through uc_link */
}

/* getcontext/setcontext rather than swapcontext, which ASan warns about;
 * the switch is announced to ASan as a fiber switch. */
static void on_sym_stack(void (*fn)(void *), void *arg)
{
    if (!sym_stack) {
        void *p = mmap(NULL, SYM_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        sym_stack = p == MAP_FAILED ? NULL : p;
    }
    if (!sym_stack || getcontext(&sym_ctx) != 0) {
        fn(arg); /* no room for a stack: as before, on the caller's */
        return;
    }
    sym_fn = fn;
    sym_arg = arg;
    sym_ctx.uc_stack.ss_sp = sym_stack;
    sym_ctx.uc_stack.ss_size = SYM_STACK;
    sym_ctx.uc_link = &sym_caller;
    makecontext(&sym_ctx, sym_trampoline, 0);
    volatile int back = 0;
    if (getcontext(&sym_caller) != 0) {
        fn(arg);
        return;
    }
    if (!back) {
        back = 1;
        FIBER_START(&caller_fake, sym_stack, SYM_STACK);
        setcontext(&sym_ctx);
        fn(arg); /* setcontext failed */
        return;
    }
    FIBER_DONE(caller_fake, NULL, NULL);
}

struct findings_job {
    struct tg_finding **fs;
    int n;
};

static void findings_job(void *arg)
{
    struct findings_job *job = arg;
    struct tg_symbolizer *sym = self_sym;
    for (int n = 0; n < job->n; n++) {
        struct tg_finding *f = job->fs[n];
        stack_symbolize(sym, &f->where, 1);
        for (int i = 0; i < f->n_actors; i++) {
            struct tg_actor_info *a = &f->actors[i];
            stack_symbolize(sym, &a->created, 1);
            stack_symbolize(sym, &a->wait.stack, 1);
            res_symbolize(sym, &a->wait.res);
            for (int j = 0; j < a->wait.n_any; j++)
                res_symbolize(sym, &a->wait.any[j].res);
            for (int j = 0; j < a->n_holds; j++) {
                stack_symbolize(sym, &a->holds[j].acquired, 1);
                res_symbolize(sym, &a->holds[j].res);
            }
        }
    }
}

void tg__symbolize_findings(struct tg_finding **fs, int nf)
{
    struct findings_job job = {fs, nf};
    self_take();
    on_sym_stack(findings_job, &job);
    tg__lock_give(&self_lock);
}

static void stack_job(void *arg)
{
    stack_symbolize(self_sym, arg, 0);
}

void tg__symbolize_stack(struct tg_stack *s)
{
    self_take();
    on_sym_stack(stack_job, s);
    tg__lock_give(&self_lock);
}

static void stack_job_inlined(void *arg)
{
    stack_symbolize(self_sym, arg, 1);
}

void tg__symbolize_stack_inlined(struct tg_stack *s)
{
    self_take();
    on_sym_stack(stack_job_inlined, s);
    tg__lock_give(&self_lock);
}

/* ---- data symbols: which global a lock is ------------------------------- */

/* Looks off up among the STT_OBJECT symbols of an ELF file's .symtab (or
 * .dynsym). Returns a malloc'd "name" or "name+N", or NULL. */
static char *elf_object_at(const char *path, uintptr_t off)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *result = NULL;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    for (int pass = 0; pass < 2 && !result; pass++) {
        Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (int i = 0; i < eh->e_shnum && !result; i++) {
            if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
                continue;
            const Elf64_Shdr *strs = &sh[sh[i].sh_link];
            if (sh[i].sh_offset + sh[i].sh_size > size || strs->sh_offset + strs->sh_size > size)
                continue;
            const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
            size_t n = sh[i].sh_size / sizeof *sym;
            for (size_t k = 0; k < n; k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_OBJECT || sym[k].st_name >= strs->sh_size)
                    continue;
                if (off < sym[k].st_value || off >= sym[k].st_value + (sym[k].st_size ? sym[k].st_size : 1))
                    continue;
                char *name = tg__sym_demangle((const char *)img + strs->sh_offset + sym[k].st_name);
                uintptr_t delta = off - sym[k].st_value;
                result = delta && name ? tg__sprintf("%s+%lu", name, (unsigned long)delta) : name;
                if (result != name)
                    free(name);
                break;
            }
        }
    }
out:
    munmap((void *)img, size);
    return result;
}

char *tg__data_symbol(uintptr_t addr)
{
    struct module_q q = {.pc = addr};
    self_lookup(&q);
    if (!q.found || strstr(q.path, "linux-vdso"))
        return NULL;
    return elf_object_at(q.path, addr - q.bias);
}
