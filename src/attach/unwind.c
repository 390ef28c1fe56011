/* SPDX-License-Identifier: MIT */
/* unwind.c: stacks and symbols of the target, with elfutils' libdwfl.
 *
 * Why libdwfl: it reads the modules of a live process (/proc/PID/maps) or
 * of a core (its notes and link map) the same way, unwinds with the CFI of
 * each module (glibc is built without frame pointers, so walking %rbp
 * would lose frames), finds separate debug info, and symbolizes with line
 * tables, all in-process. libunwind-ptrace unwinds too but leaves modules,
 * cores and symbols to us; gdb is far too slow for 10,000 threads.
 *
 * We give libdwfl our own thread callbacks instead of
 * dwfl_linux_proc_attach: that one attaches, stops and releases one thread
 * at a time, while we stop the whole process first (ptrace.c), so the
 * stacks are one consistent moment and the stop is as short as we make it. */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "attach/attach.h"

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static const Dwfl_Callbacks core_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
    (void)dwfl;
    struct tg__target *t = arg;
    intptr_t i = (intptr_t)*thread_argp; /* index + 1 of the previous one */
    if (i >= t->n_threads)
        return 0;
    *thread_argp = (void *)(i + 1);
    return (pid_t)t->threads[i].tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
    (void)dwfl;
    return tg__target_read(arg, (uintptr_t)addr, result, sizeof *result) == 0;
}

/* next_thread hands out index+1 as each thread's argument; the callbacks
 * get the target itself only as the Dwfl's argument, kept here for the
 * one unwind that runs at a time. */
static struct tg__target *current_target;

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    const struct tg__tthread *th = &current_target->threads[(intptr_t)thread_arg - 1];
#if defined(__x86_64__)
    const struct user_regs_struct *r = th->raw_regs;
    /* DWARF numbering of x86_64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
    Dwarf_Word regs[17] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
                           r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip};
    if (th->scan_sp) { /* resumed from a return address found by scanning (scan_on) */
        regs[7] = th->scan_sp;
        regs[16] = th->scan_pc;
    }
    if (!dwfl_thread_state_registers(thread, 0, 17, regs))
        return false;
    dwfl_thread_state_register_pc(thread, regs[16]);
    return true;
#else
    (void)thread;
    (void)th;
    return false;
#endif
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static int report_modules(struct tg__target *t)
{
    Dwfl *dwfl = dwfl_begin(t->is_core ? &core_callbacks : &proc_callbacks);
    if (!dwfl)
        return -1;
    t->dwfl = dwfl;
    dwfl_report_begin(dwfl);
    int r = t->is_core ? dwfl_core_file_report(dwfl, t->core_elf, t->exe[0] ? t->exe : NULL)
                       : dwfl_linux_proc_report(dwfl, (pid_t)t->pid);
    dwfl_report_end(dwfl, NULL, NULL);
    return r < 0 || (!t->is_core && r != 0) ? -1 : 0;
}

/* Loads what unwinding and naming need from one module's files. */
static int preload_module(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)name;
    (void)start;
    (void)arg;
    Dwarf_Addr bias;
    dwfl_module_getsymtab(m);
    dwfl_module_eh_cfi(m, &bias);
    dwfl_module_dwarf_cfi(m, &bias);
    return DWARF_CB_OK;
}

static void no_debuginfod(struct tg__target *t)
{
    /* debuginfod would fetch over the network while the target is stopped. */
    unsetenv("DEBUGINFOD_URLS");
    /* --no-debuginfo: an absolute directory that holds nothing stops the
     * search for separate debug info (what a machine without it sees). */
    static char nowhere[] = "/nonexistent-tangle-debuginfo";
    if (t->no_debuginfo)
        debuginfo_path = nowhere;
}

int tg__unwind_prepare(struct tg__target *t, long pid)
{
    no_debuginfod(t);
    t->pid = pid;
    if (report_modules(t) != 0) {
        tg__unwind_free(t);
        return -1;
    }
    dwfl_getmodules(t->dwfl, preload_module, NULL, 0);
    return 0;
}

static Dwfl_Module *module_at(struct tg__target *t, uintptr_t a);

/* Whether the bytes before ret end a call instruction (x86-64: call rel32,
 * call *disp32(%rip), call *%reg, call *(%reg), call *disp8(%reg)), in a
 * module's code: what a return address on the stack looks like. */
static int after_call(struct tg__target *t, uintptr_t ret)
{
    unsigned char b[8];
    Dwfl_Module *m = ret >= 8 ? module_at(t, ret - 1) : NULL;
    if (!m)
        return 0;
    if (tg__target_read(t, ret - 8, b, sizeof b) != 0) {
        /* A core often leaves code out: it is read from the module's file. */
        Dwarf_Addr at = ret - 8, bias;
        Elf_Scn *scn = dwfl_module_address_section(m, &at, &bias);
        Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
        if (!d || !d->d_buf || at + sizeof b > d->d_size)
            return 0;
        memcpy(b, (const char *)d->d_buf + at, sizeof b);
    }
    return b[3] == 0xe8 || (b[2] == 0xff && b[3] == 0x15) || (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) ||
           (b[6] == 0xff && (b[7] & 0xf8) == 0x10) || (b[5] == 0xff && (b[6] & 0xf8) == 0x50);
}

/* Unwinding stopped in code without unwind tables (musl's libc.so is
 * built without them): the stack above the last frame is scanned, a
 * bounded number of words, for the first return address (into another
 * module than the one without tables, the first time: that one's own
 * internal calls are skipped), and unwinding resumes there (th->scan_pc,
 * th->scan_sp). 1 when one was found. */
static int scan_on(struct tg__target *t, struct tg__tthread *th, int first)
{
    uintptr_t last = th->pcs[th->n_pcs - 1];
    Dwfl_Module *stuck = module_at(t, th->n_pcs == 1 ? last : last - 1);
    if (!stuck || !th->last_sp)
        return 0;
    for (uintptr_t at = th->last_sp, k = 0; k < 2048; k++, at += sizeof(uintptr_t)) {
        uintptr_t w;
        if (tg__target_read(t, at, &w, sizeof w) != 0)
            return 0;
        Dwfl_Module *m = w > 1 ? module_at(t, w - 1) : NULL;
        if (m && (m != stuck || !first) && after_call(t, w)) {
            th->scan_pc = w;
            th->scan_sp = at + sizeof(uintptr_t);
            th->last_sp = at;
            return 1;
        }
    }
    return 0;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
    struct tg__tthread *th = arg;
    Dwarf_Addr pc;
    bool activation;
    if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    Dwarf_Word sp = 0;
    dwfl_frame_reg(state, 7, &sp);
    if (th->scan_sp && th->n_pcs > th->scan_from) {
        /* After a scan the registers other than pc and sp are the
         * innermost frame's, which may not be these frames': a frame is
         * kept only while it looks like a return address above the last. */
        if (sp <= th->last_sp || !after_call(current_target, (uintptr_t)pc))
            return DWARF_CB_ABORT;
    }
    th->last_sp = sp;
    if (th->n_pcs < TG__ATTACH_SAVED_FRAMES && !th->scan_sp) {
        static const unsigned regs[TG__ATTACH_SAVED_REGS] = {3, 6, 12, 13, 14, 15};
        for (int k = 0; k < TG__ATTACH_SAVED_REGS; k++) {
            Dwarf_Word v = 0;
            th->saved[th->n_pcs][k] = dwfl_frame_reg(state, regs[k], &v) == 0 ? v : 0;
        }
    }
    th->pcs[th->n_pcs++] = (uintptr_t)pc;
    return th->n_pcs < TG__ATTACH_MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
    struct tg__target *t = arg;
    int i = tg__thread_index(t, dwfl_thread_tid(thread));
    struct tg__tthread *th = i >= 0 ? &t->threads[i] : NULL;
    if (th) {
        th->n_pcs = 0;
        th->scan_sp = 0;
        /* A partial stack is still a stack. When unwinding fails (not when
         * it reaches the outermost frame), it goes on by scanning, frame
         * after frame, as long as return addresses are found: after a scan
         * the registers the unwind tables need may be wrong, and where the
         * stack really ends cannot be told from them. */
        int rc = dwfl_thread_getframes(thread, frame_cb, th), first = 1;
        if (th->n_pcs == 0 && rc == -1) { /* not even the innermost frame's module is readable */
            th->pcs[0] = (uintptr_t)th->regs.pc;
            th->n_pcs = 1;
            th->last_sp = th->regs.sp;
        }
        while (th->n_pcs > 0 && th->n_pcs < TG__ATTACH_MAX_FRAMES && (rc == -1 || !first) &&
               scan_on(t, th, first)) {
            t->scanned += first;
            first = 0;
            th->scan_from = th->n_pcs;
            rc = dwfl_thread_getframes(thread, frame_cb, th);
        }
        if (th->n_pcs == 0) {
            th->pcs[0] = (uintptr_t)th->regs.pc;
            th->n_pcs = 1;
        }
    }
    return DWARF_CB_OK;
}

static int by_tid(const void *a, const void *b)
{
    long x = ((const struct tg__tthread *)a)->tid, y = ((const struct tg__tthread *)b)->tid;
    return (x > y) - (x < y);
}

int tg__unwind_all(struct tg__target *t)
{
    no_debuginfod(t);
    qsort(t->threads, (size_t)t->n_threads, sizeof *t->threads, by_tid);
    current_target = t;
    if ((!t->dwfl && report_modules(t) != 0) ||
        !dwfl_attach_state(t->dwfl, t->is_core ? t->core_elf : NULL, (pid_t)t->pid, &thread_callbacks, t)) {
        snprintf(t->error, sizeof t->error, "cannot read the modules of the %s: %s.",
                 t->is_core ? "core file" : "process", dwfl_errmsg(-1));
        t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        return -1;
    }
    dwfl_getthreads(t->dwfl, thread_cb, t);
    return 0;
}

static Dwfl_Module *module_at(struct tg__target *t, uintptr_t a)
{
    return t->dwfl ? dwfl_addrmodule(t->dwfl, a) : NULL;
}

/* libdwfl looks a symbol up by scanning the module's whole symbol table;
 * thousands of threads share a few dozen distinct pcs, so names are cached
 * by address (a miss only costs the lookup again). */
#define NAME_CACHE 4096

struct name_cache {
    uintptr_t addr[NAME_CACHE];
    const char *name[NAME_CACHE];
};

const char *tg__function_at(struct tg__target *t, uintptr_t pc, int activation)
{
    uintptr_t a = activation ? pc : pc - 1;
    if (!t->name_cache)
        t->name_cache = calloc(1, sizeof(struct name_cache));
    struct name_cache *c = t->name_cache;
    size_t slot = (a * 0x9E3779B97F4A7C15ull >> 40) % NAME_CACHE;
    if (c && c->addr[slot] == a)
        return c->name[slot];
    Dwfl_Module *m = module_at(t, a);
    const char *name = m ? dwfl_module_addrname(m, a) : NULL;
    if (c) {
        c->addr[slot] = a;
        c->name[slot] = name;
    }
    return name;
}

/* The name of a subprogram or inlined subroutine (through its abstract
 * origin), or NULL. */
static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    return n;
}

/* Appends one frame (copying the strings) to the array being built. */
static struct tg_frame *push(struct tg_frame **out, int *n, int *cap, const struct tg_frame *fr)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        struct tg_frame *p = realloc(*out, (size_t)c * sizeof *p);
        if (!p)
            return NULL;
        *out = p;
        *cap = c;
    }
    struct tg_frame *f = &(*out)[(*n)++];
    *f = *fr;
    f->module = tg__strdup(fr->module);
    f->function = tg__strdup(fr->function);
    f->file = tg__strdup(fr->file);
    return f;
}

static int is_function(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram;
}

/* The innermost function (inlined or not) among scopes[from..n), or -1. */
static int first_function(Dwarf_Die *scopes, int n, int from)
{
    for (int k = from; k < n; k++)
        if (is_function(&scopes[k]))
            return k;
    return -1;
}

/* One pc as frames: the functions inlined at it, innermost first, each at
 * the line where the next one out called it, then the function it is in.
 * dwarf_getscopes follows an inlined function into its abstract origin,
 * so each step outwards walks the concrete tree with dwarf_getscopes_die. */
static void expand(Dwfl_Module *m, uintptr_t a, struct tg_frame *base, struct tg_frame **out, int *n,
                   int *cap)
{
    Dwarf_Addr cu_bias;
    Dwarf_Die *cu = dwfl_module_addrdie(m, a, &cu_bias);
    Dwarf_Die *scopes = NULL;
    int ns = cu ? dwarf_getscopes(cu, a - cu_bias, &scopes) : 0;
    int k = ns > 0 ? first_function(scopes, ns, 0) : -1;
    if (k < 0) {
        free(scopes);
        push(out, n, cap, base);
        return;
    }
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        files = NULL;
    Dwarf_Die cur = scopes[k];
    free(scopes);
    struct tg_frame fr = *base;
    for (int depth = 0; depth < 16; depth++) {
        const char *name = die_name(&cur);
        if (name)
            fr.function = name;
        if (!push(out, n, cap, &fr) || dwarf_tag(&cur) != DW_TAG_inlined_subroutine)
            break;
        Dwarf_Attribute attr;
        Dwarf_Word file = 0, line = 0;
        dwarf_formudata(dwarf_attr(&cur, DW_AT_call_file, &attr), &file);
        dwarf_formudata(dwarf_attr(&cur, DW_AT_call_line, &attr), &line);
        fr = *base;
        fr.file = files && file < nfiles ? dwarf_filesrc(files, file, NULL, NULL) : NULL;
        fr.line = (int)line;
        Dwarf_Die *chain = NULL;
        int nc = dwarf_getscopes_die(&cur, &chain);
        int j = nc > 1 ? first_function(chain, nc, 1) : -1;
        if (j >= 0)
            cur = chain[j];
        free(chain);
        if (j < 0) {
            push(out, n, cap, &fr);
            break;
        }
    }
}

void tg__symbolize(struct tg__target *t, struct tg_stack *s, int first_is_pc)
{
    struct tg_frame *out = NULL;
    int n = 0, cap = 0;
    for (int i = 0; i < s->n; i++) {
        struct tg_frame fr = s->frames[i];
        uintptr_t a = i == 0 && first_is_pc ? fr.pc : fr.pc - 1;
        Dwfl_Module *m = fr.pc && !fr.function && !fr.module ? module_at(t, a) : NULL;
        if (!m) {
            push(&out, &n, &cap, &fr);
            continue;
        }
        Dwarf_Addr bias = 0;
        dwfl_module_getelf(m, &bias);
        fr.module = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        fr.offset = fr.pc - (uintptr_t)bias;
        fr.function = dwfl_module_addrname(m, a);
        Dwfl_Line *ln = dwfl_module_getsrc(m, a);
        fr.file = ln ? dwfl_lineinfo(ln, NULL, &fr.line, NULL, NULL, NULL) : NULL;
        if (!fr.file)
            fr.line = 0;
        expand(m, a, &fr, &out, &n, &cap);
    }
    /* Replace the raw stack with the symbolized one (on out-of-memory,
     * the frames that fit). */
    for (int i = 0; i < s->n; i++) {
        free((char *)s->frames[i].module);
        free((char *)s->frames[i].function);
        free((char *)s->frames[i].file);
    }
    free(s->frames);
    s->frames = out;
    s->n = n;
}

char *tg__data_name(struct tg__target *t, uintptr_t addr)
{
    Dwfl_Module *m = module_at(t, addr);
    if (!m)
        return NULL;
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT || (sym.st_size && off >= sym.st_size))
        return NULL;
    return off ? tg__sprintf("%s+%lu", name, (unsigned long)off) : tg__strdup(name);
}

static int find_libc(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)start;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    /* musl's libc.so is its dynamic linker too: a core's link map names it
     * ld-musl-ARCH.so.1 */
    if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-2.", 7) || !strncmp(base, "ld-musl-", 8)) {
        *(Dwfl_Module **)arg = m;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

void *tg__libc_module(struct tg__target *t)
{
    Dwfl_Module *libc = NULL;
    if (t->dwfl)
        dwfl_getmodules(t->dwfl, find_libc, &libc, 0);
    return libc;
}

void *tg__module_at(struct tg__target *t, uintptr_t addr)
{
    return module_at(t, addr);
}

void tg__unwind_free(struct tg__target *t)
{
    free(t->name_cache);
    t->name_cache = NULL;
    if (t->dwfl)
        dwfl_end(t->dwfl);
    t->dwfl = NULL;
}
