/* SPDX-License-Identifier: MIT */
/* glibc.c: where glibc keeps the owner of each primitive, per version.
 *
 * glibc records a mutex's owner TID (__owner), an rwlock's writer TID
 * (__cur_writer) and a thread's own TID in its struct pthread, which is
 * also the futex word a joiner sleeps on. Readers of an rwlock are only
 * counted. None of this is public API, so the offsets come from a table
 * per glibc version and architecture, and are used only when:
 *  - the target's glibc is the one tangle runs with (same build id) and
 *    the table's offsets match what tangle sees in primitives it locks
 *    itself, right now (check_own); or
 *  - the target's glibc version is in the table; the report then says the
 *    offsets were not checked at run time.
 * Otherwise owners are not read and the report says why. */
#define _GNU_SOURCE
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/attach.h"

struct layout_row {
    const char *arch;
    int min_minor, max_minor; /* glibc 2.min .. 2.max */
    struct tg__glibc g;
};

/* x86_64, from glibc's struct __pthread_mutex_s, __pthread_rwlock_arch_t,
 * __pthread_cond_s, struct pthread_barrier and struct pthread; unchanged
 * over these releases. */
static const struct layout_row rows[] = {
    {"x86_64", 28, 40,
     {.mutex_owner = 8, .mutex_kind = 16, .mutex_count = 4,
      .rw_readers = 0, .rw_wrphase_futex = 8, .rw_writers_futex = 12, .rw_cur_writer = 24,
      .rw_flags = 48, .rw_size = 56,
      .cond_g_signals = 40, .cond_wrefs = 36,
      .pthread_tid = 720,
      .barrier_round = 4, .barrier_count = 8}},
};

#define AT(p, off) (*(const int *)((const char *)(p) + (off)))

/* 0 when the offsets match primitives locked here; else -1 and why. */
static int check_own(const struct tg__glibc *g, char *why, size_t n)
{
    int me = (int)gettid();
    const char *bad = NULL;
    pthread_mutexattr_t ma;
    pthread_mutex_t m;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m, &ma);
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m);
    if (AT(&m, g->mutex_owner) != me)
        bad = "mutex owner";
    else if ((AT(&m, g->mutex_kind) & 3) != PTHREAD_MUTEX_RECURSIVE || AT(&m, g->mutex_count) != 2)
        bad = "mutex kind and count";
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&ma);

    pthread_rwlockattr_t ra;
    pthread_rwlock_t rw;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&rw, &ra);
    pthread_rwlock_wrlock(&rw);
    if (!bad && (AT(&rw, g->rw_cur_writer) != me || AT(&rw, g->rw_flags) != 2))
        bad = "rwlock writer and flags";
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_rdlock(&rw);
    if (!bad && ((unsigned)AT(&rw, g->rw_readers) >> 3) != 2)
        bad = "rwlock readers";
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_destroy(&rw);
    pthread_rwlockattr_destroy(&ra);

    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 3);
    if (!bad && AT(&b, g->barrier_count) != 3)
        bad = "barrier count";
    pthread_barrier_destroy(&b);

    if (!bad && AT((const void *)pthread_self(), g->pthread_tid) != me)
        bad = "thread id in struct pthread";
    if (!bad && (g->cond_g_signals + 8 > (int)sizeof(pthread_cond_t) ||
                 g->rw_size != (int)sizeof(pthread_rwlock_t)))
        bad = "structure sizes";
    if (bad)
        snprintf(why, n, "%s", bad);
    return bad ? -1 : 0;
}

struct own_id {
    unsigned char id[64];
    int n;
};

static int own_libc_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct own_id *o = arg;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strncmp(base, "libc.so", 7))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *desc = p + sizeof *nh + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_descsz <= sizeof o->id) {
                memcpy(o->id, desc, nh->n_descsz);
                o->n = (int)nh->n_descsz;
                return 1;
            }
            p = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
    return 1;
}

/* The "release version 2.NN" string every glibc carries; minor or -1. */
static int file_minor(Dwfl_Module *m, char *version, size_t n)
{
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(m, &bias);
    size_t size;
    const char *raw = elf ? elf_rawfile(elf, &size) : NULL;
    if (!raw)
        return -1;
    static const char key[] = "release version 2.";
    const char *p = memmem(raw, size, key, sizeof key - 1);
    if (!p)
        return -1;
    int minor = atoi(p + sizeof key - 1);
    snprintf(version, n, "2.%d", minor);
    return minor;
}

/* A libc.so without glibc's release string is another C library (musl's
 * is named libc.so too): said by name when its path gives it. */
static void not_glibc(Dwfl_Module *libc, struct tg__glibc *g)
{
    const char *path = NULL;
    const char *name = dwfl_module_info(libc, NULL, NULL, NULL, NULL, NULL, &path, NULL);
    if (!path)
        path = name; /* a core's module whose file was not found */
    int musl = path && strstr(path, "musl");
    snprintf(g->why, sizeof g->why,
             "the program's C library (%s) is %s, not glibc, so the owners of locks cannot be read; "
             "stacks and futex waits are shown", path ? path : "libc.so", musl ? "musl" : "another C library");
}

void tg__glibc_layout(struct tg__target *t, struct tg__glibc *g)
{
    memset(g, 0, sizeof *g);
    Dwfl_Module *libc = tg__libc_module(t);
    if (!libc) {
        snprintf(g->why, sizeof g->why,
                 "the program is not linked with glibc's libc.so (statically linked, or another C "
                 "library), so the owners of locks cannot be read; stacks and futex waits are shown");
        return;
    }
    const unsigned char *tid_bits;
    GElf_Addr vaddr;
    int tn = dwfl_module_build_id(libc, &tid_bits, &vaddr);
    struct own_id own = {0};
    dl_iterate_phdr(own_libc_cb, &own);
    int same = tn > 0 && tn == own.n && !memcmp(tid_bits, own.id, (size_t)tn);
    int minor;
    if (same) {
        snprintf(g->version, sizeof g->version, "%s", gnu_get_libc_version());
        minor = atoi(strchr(g->version, '.') ? strchr(g->version, '.') + 1 : "0");
    } else {
        minor = file_minor(libc, g->version, sizeof g->version);
        if (minor < 0) {
            not_glibc(libc, g);
            return;
        }
    }
    const char *arch =
#if defined(__x86_64__)
        "x86_64";
#else
        "unknown";
#endif
    const struct layout_row *row = NULL;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strcmp(rows[i].arch, arch) && minor >= rows[i].min_minor && minor <= rows[i].max_minor)
            row = &rows[i];
    if (!row) {
        snprintf(g->why, sizeof g->why,
                 "glibc %s on %s is not in tangle's table of glibc layouts, so the owners of locks "
                 "cannot be read; stacks and futex waits are shown",
                 g->version[0] ? g->version : "(version unknown)", arch);
        return;
    }
    char version[32];
    memcpy(version, g->version, sizeof version);
    *g = row->g;
    memcpy(g->version, version, sizeof version);
    if (same) {
        char bad[64];
        if (check_own(g, bad, sizeof bad) != 0) {
            g->known = 0;
            snprintf(g->why, sizeof g->why,
                     "glibc %s does not match tangle's table of its layout (%s), so the owners of "
                     "locks are not read; stacks and futex waits are shown", g->version, bad);
            return;
        }
        g->checked = 1;
    }
    g->known = 1;
}
