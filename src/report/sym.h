/* SPDX-License-Identifier: MIT */
/* sym.h: the symbolizer's back ends (internal to src/report/).
 *
 * symbolize.c finds the module of an address and caches answers; a back end
 * turns one module offset into a chain of source locations, innermost
 * first, each inlined into the next. Two back ends exist: elfutils' libdw,
 * loaded with dlopen when a report is made (sym_dw.c), and binutils'
 * addr2line, spawned once per module per batch (sym_a2l.c). */
#ifndef TG_REPORT_SYM_H
#define TG_REPORT_SYM_H

#include <stdint.h>

#define TG_SYM_MAX_INLINE 8

struct tg__sym_loc {
    char *function; /* malloc'd, demangled; NULL if unknown */
    char *file;     /* malloc'd full path; NULL if unknown */
    int line;       /* 0 if unknown */
};

struct tg__sym_answer {
    char *module;     /* malloc'd path; NULL when no module holds the address */
    uintptr_t offset; /* the return address relative to the module's load bias */
    int n;            /* locations known, innermost first */
    struct tg__sym_loc loc[TG_SYM_MAX_INLINE];
    int has_debug;    /* the module has debug information (libdw only: 1 without it) */
};

void tg__sym_answer_free(struct tg__sym_answer *a);
/* A demangled copy of a C++ symbol name (or a plain copy of any other). */
char *tg__sym_demangle(const char *name);

/* libdw. Opening fails (NULL) when libdw.so.1 cannot be loaded. */
struct tg__dw;
struct tg__dw *tg__dw_open(long pid);
void tg__dw_close(struct tg__dw *dw);
/* Answers for the return address pc of the process; 0, -1 when no
 * module of the process holds it, or TG__DW_ABANDONED when libdw ran out
 * of memory: dw must then never be used again, not even closed. */
#define TG__DW_ABANDONED (-2)
int tg__dw_lookup(struct tg__dw *dw, uintptr_t pc, struct tg__sym_answer *out);

/* addr2line: fills out[i] for each offsets[i] of module (module and offset
 * already set by the caller). Returns 0, or -1 when addr2line could not be
 * run at all. */
int tg__a2l_lookup(const char *module, const uintptr_t *offsets, int n,
                   struct tg__sym_answer **out);

#endif
