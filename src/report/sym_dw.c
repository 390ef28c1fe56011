/* SPDX-License-Identifier: MIT */
/* sym_dw.c: symbolization through elfutils' libdw (see sym.h).
 *
 * libdw is loaded with dlopen the first time a report needs it, so that a
 * program watched by tangle pays nothing for it until something is found,
 * and a machine without libdw1 falls back to addr2line. It follows
 * .gnu_debuglink and build-id debug files (/usr/lib/debug), and its DWARF
 * scopes give the chain of inlined calls behind one address. */
#define _GNU_SOURCE
#include "report/sym.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef TANGLE_HAVE_LIBDW
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/* The libdw functions used, resolved once. */
#define DW_FUNCS(X)                                                                          \
    X(dwfl_begin) X(dwfl_end) X(dwfl_linux_proc_report) X(dwfl_report_begin)                \
    X(dwfl_report_end) X(dwfl_addrmodule) X(dwfl_module_addrinfo) X(dwfl_module_getsrc)     \
    X(dwfl_lineinfo) X(dwfl_module_addrdie) X(dwfl_module_info) X(dwfl_module_getelf)        \
    X(dwfl_linux_proc_find_elf) X(dwfl_standard_find_debuginfo) X(dwarf_getscopes)          \
    X(dwarf_getscopes_die) X(dwarf_tag) X(dwarf_diename) X(dwarf_attr_integrate)            \
    X(dwarf_formstring) X(dwarf_formudata) X(dwarf_attr) X(dwarf_getsrcfiles) X(dwarf_filesrc) \
    X(dwarf_diecu) X(dwfl_module_getdwarf) X(dwarf_new_oom_handler) X(dwarf_getalt)

static struct {
#define X(f) __typeof__(f) *f;
    DW_FUNCS(X)
#undef X
} dw;
static int dw_loaded; /* 0 not tried, 1 loaded, -1 unavailable */

static int load(void)
{
    if (dw_loaded)
        return dw_loaded;
    void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    dw_loaded = -1;
    if (!h)
        return -1;
#define X(f) if (!(dw.f = (__typeof__(f) *)dlsym(h, #f))) return -1;
    DW_FUNCS(X)
#undef X
    dw_loaded = 1;
    return 1;
}

struct tg__dw {
    Dwfl *dwfl;
    long pid;
    int reported_again; /* modules re-read since the last miss */
};

static char *debuginfo_path;
static Dwfl_Callbacks callbacks;

static int report_modules(struct tg__dw *d)
{
    dw.dwfl_report_begin(d->dwfl);
    int rc = dw.dwfl_linux_proc_report(d->dwfl, d->pid ? (pid_t)d->pid : getpid());
    dw.dwfl_report_end(d->dwfl, NULL, NULL);
    return rc;
}

/* libdw answers running out of memory by calling exit() (its out-of-memory
 * handler ends the process with status 1). Inside the watched program that
 * would change how it exits, and the exit handlers would wait for the
 * lock the report holds. Two defences:
 *  - under an address-space or data limit, where allocation is expected to
 *    fail, a process symbolizing itself leaves libdw alone and addr2line, a
 *    separate process, answers instead;
 *  - everywhere, each Dwarf that a lookup reaches gets a handler of ours,
 *    which jumps back out of the lookup. libdw calls it only where an
 *    allocation of its own failed, with none of its locks held, but the
 *    object it was building is left half made: that Dwfl is abandoned for
 *    good (never read or freed again) and the caller falls back.
 * Split-DWARF (.dwo) units, which libdw opens on its own, keep libdw's
 * handler: no interface reaches them. */
static int memory_limited(void)
{
    struct rlimit as, data;
    return (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) ||
           (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY);
}

/* The lookup running on this thread, where the handler jumps to. */
static __thread sigjmp_buf *oom_jump __attribute__((tls_model("initial-exec")));
static Dwarf_OOM libdw_oom; /* libdw's own handler, for a call outside a lookup */

__attribute__((noreturn)) static void on_oom(void)
{
    if (oom_jump)
        siglongjmp(*oom_jump, 1);
    libdw_oom(); /* cannot happen: every libdw call we make is inside a lookup */
}

static void guard(Dwarf *dwarf)
{
    Dwarf_OOM old = dw.dwarf_new_oom_handler(dwarf, on_oom);
    if (old != on_oom)
        libdw_oom = old;
}

struct tg__dw *tg__dw_open(long pid)
{
    if ((!pid || pid == (long)getpid()) && memory_limited())
        return NULL;
    if (load() != 1)
        return NULL;
    callbacks.find_elf = dw.dwfl_linux_proc_find_elf;
    callbacks.find_debuginfo = dw.dwfl_standard_find_debuginfo;
    callbacks.debuginfo_path = &debuginfo_path;
    struct tg__dw *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->pid = pid;
    d->dwfl = dw.dwfl_begin(&callbacks);
    if (!d->dwfl || report_modules(d) != 0) {
        tg__dw_close(d);
        return NULL;
    }
    return d;
}

void tg__dw_close(struct tg__dw *d)
{
    if (!d)
        return;
    if (d->dwfl)
        dw.dwfl_end(d->dwfl);
    free(d);
}

static int is_function(Dwarf_Die *die)
{
    int tag = dw.dwarf_tag(die);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* A function's name: its linkage name demangled (C++), else its name. */
static char *die_function(Dwarf_Die *die)
{
    Dwarf_Attribute at;
    const char *link = dw.dwarf_formstring(dw.dwarf_attr_integrate(die, DW_AT_linkage_name, &at));
    if (!link)
        link = dw.dwarf_formstring(dw.dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &at));
    if (link)
        return tg__sym_demangle(link);
    const char *name = dw.dwarf_diename(die);
    return name ? strdup(name) : NULL;
}

/* Where an inlined instance was called: its DW_AT_call_file/_line. */
static void call_site(Dwarf_Die *inl, Dwarf_Die *cu, struct tg__sym_loc *loc)
{
    Dwarf_Attribute at;
    Dwarf_Word file = 0, line = 0;
    if (dw.dwarf_formudata(dw.dwarf_attr(inl, DW_AT_call_line, &at), &line) == 0)
        loc->line = (int)line;
    Dwarf_Files *files;
    size_t nfiles;
    if (dw.dwarf_formudata(dw.dwarf_attr(inl, DW_AT_call_file, &at), &file) == 0 &&
        dw.dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && file < nfiles) {
        const char *name = dw.dwarf_filesrc(files, file, NULL, NULL);
        loc->file = name ? strdup(name) : NULL;
    }
}

/* The chain of functions at addr, innermost first: the innermost function
 * scope, then (through the concrete DIE tree, not the abstract origins)
 * each function it is inlined into, up to the real subprogram. */
static void inline_chain(Dwfl_Module *mod, Dwarf_Addr addr, struct tg__sym_answer *out)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dw.dwfl_module_addrdie(mod, addr, &bias);
    if (!cu)
        return;
    Dwarf_Die *scopes = NULL;
    int n = dw.dwarf_getscopes(cu, addr - bias, &scopes);
    int inner = -1;
    for (int i = 0; i < n && inner < 0; i++)
        if (is_function(&scopes[i]))
            inner = i;
    if (inner < 0) {
        free(scopes);
        return;
    }
    Dwarf_Die *chain = NULL;
    int nc = dw.dwarf_getscopes_die(&scopes[inner], &chain);
    out->loc[0].function = die_function(&scopes[inner]);
    Dwarf_Die *callee = &scopes[inner];
    int k = 1;
    for (int i = 1; i < nc && k < TG_SYM_MAX_INLINE; i++) {
        if (!is_function(&chain[i]))
            continue;
        if (dw.dwarf_tag(callee) != DW_TAG_inlined_subroutine)
            break;
        call_site(callee, cu, &out->loc[k]);
        out->loc[k].function = die_function(&chain[i]);
        callee = &chain[i];
        k++;
    }
    out->n = k;
    free(chain);
    free(scopes);
}

static int lookup(struct tg__dw *d, uintptr_t pc, struct tg__sym_answer *out)
{
    Dwarf_Addr addr = pc - 1; /* inside the call, not after it */
    Dwfl_Module *mod = dw.dwfl_addrmodule(d->dwfl, addr);
    if (!mod && !d->reported_again) {
        /* A library loaded since the last look: read the map again, once. */
        d->reported_again = 1;
        report_modules(d);
        mod = dw.dwfl_addrmodule(d->dwfl, addr);
    }
    if (!mod)
        return -1;
    d->reported_again = 0;
    const char *name = dw.dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    GElf_Addr bias = 0;
    dw.dwfl_module_getelf(mod, &bias);
    out->module = name ? strdup(name) : NULL;
    out->offset = pc - bias;
    Dwarf_Addr dbias;
    Dwarf *dwarf = dw.dwfl_module_getdwarf(mod, &dbias);
    out->has_debug = dwarf != NULL;
    if (dwarf) {
        /* Before anything reads its DIEs; the alternate (dwz) file too. */
        guard(dwarf);
        Dwarf *alt = dw.dwarf_getalt(dwarf);
        if (alt)
            guard(alt);
    }
    inline_chain(mod, addr, out);
    Dwfl_Line *line = dw.dwfl_module_getsrc(mod, addr);
    if (line) {
        int ln = 0;
        const char *file = dw.dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL);
        if (out->n == 0)
            out->n = 1;
        if (file && !out->loc[0].file)
            out->loc[0].file = strdup(file);
        out->loc[0].line = ln;
    }
    if (!out->loc[0].function) {
        /* No DWARF function: the symbol table, but only a symbol whose size
         * covers the address (never the nearest one before it). */
        GElf_Off off = 0;
        GElf_Sym sym;
        const char *s = dw.dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
        if (s && sym.st_size > 0 && off < sym.st_size) {
            out->loc[0].function = tg__sym_demangle(s);
            if (out->n == 0)
                out->n = 1;
        }
    }
    return 0;
}

int tg__dw_lookup(struct tg__dw *d, uintptr_t pc, struct tg__sym_answer *out)
{
    static int said;
    memset(out, 0, sizeof *out);
    sigjmp_buf jump;
    sigjmp_buf *outer = oom_jump;
    if (sigsetjmp(jump, 0)) {
        oom_jump = outer;
        tg__sym_answer_free(out);
        if (!said) {
            said = 1;
            dprintf(2, "tangle: note: libdw ran out of memory while reading debug information; "
                       "tangle stopped using it, and the frames of this report and later ones "
                       "come from addr2line or show module+offset.\n");
        }
        return TG__DW_ABANDONED;
    }
    oom_jump = &jump;
    int rc = lookup(d, pc, out);
    oom_jump = outer;
    return rc;
}

#else /* no libdw headers at build time: addr2line only */

struct tg__dw *tg__dw_open(long pid)
{
    (void)pid;
    return NULL;
}

void tg__dw_close(struct tg__dw *d)
{
    (void)d;
}

int tg__dw_lookup(struct tg__dw *d, uintptr_t pc, struct tg__sym_answer *out)
{
    (void)d;
    (void)pc;
    memset(out, 0, sizeof *out);
    return -1;
}

#endif
