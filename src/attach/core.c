/* SPDX-License-Identifier: MIT */
/* core.c: the threads and memory of a core dump.
 *
 * A core file is checked before anything is believed from it: it must be
 * an ELF core of this machine's architecture, and every segment it claims
 * must be inside the file (a dump cut short by a size limit is said to be
 * truncated). Threads come from the NT_PRSTATUS notes, one per thread,
 * with the registers as the kernel (or gcore) saved them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/attach.h"

static int fail(struct tg__target *t, int status, const char *fmt, const char *a, const char *b)
{
    snprintf(t->error, sizeof t->error, fmt, a, b);
    t->error_status = status;
    return -1;
}

#if defined(__x86_64__)
static int add_prstatus(struct tg__target *t, const void *desc, size_t n)
{
    struct elf_prstatus ps;
    if (n < sizeof ps)
        return 0;
    memcpy(&ps, desc, sizeof ps);
    if (t->n_threads == t->cap_threads) {
        int cap = t->cap_threads ? t->cap_threads * 2 : 64;
        struct tg__tthread *p = realloc(t->threads, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        t->threads = p;
        t->cap_threads = cap;
    }
    struct user_regs_struct *r = malloc(sizeof *r);
    if (!r)
        return -1;
    memcpy(r, &ps.pr_reg, sizeof *r);
    struct tg__tthread *th = &t->threads[t->n_threads++];
    memset(th, 0, sizeof *th);
    th->tid = ps.pr_pid;
    tg__thread_set_regs(th, r);
    return 0;
}
#endif

static int read_notes(struct tg__target *t, Elf *elf, const GElf_Phdr *ph)
{
    Elf_Data *d = elf_getdata_rawchunk(elf, (off_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
    if (!d)
        return 0;
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
        const char *name = (const char *)d->d_buf + name_off;
        const char *desc = (const char *)d->d_buf + desc_off;
        if (nh.n_namesz < 4 || strncmp(name, "CORE", 4))
            continue;
#if defined(__x86_64__)
        if (nh.n_type == NT_PRSTATUS && add_prstatus(t, desc, nh.n_descsz) != 0)
            return -1;
#endif
        if (nh.n_type == NT_PRPSINFO && nh.n_descsz >= sizeof(struct elf_prpsinfo)) {
            struct elf_prpsinfo pi;
            memcpy(&pi, desc, sizeof pi);
            t->pid = pi.pr_pid;
            snprintf(t->procname, sizeof t->procname, "%.16s", pi.pr_fname);
        }
    }
    return 0;
}

/* Compressed cores, as systemd-coredump stores them (core.*.zst, .lz4, .xz
 * under /var/lib/systemd/coredump): known by their magic bytes. */
static const struct packer {
    unsigned char magic[6];
    size_t n;
    const char *tool;
} packers[] = {
    {{0x28, 0xb5, 0x2f, 0xfd}, 4, "zstd"},
    {{0x04, 0x22, 0x4d, 0x18}, 4, "lz4"},
    {{0xfd, '7', 'z', 'X', 'Z', 0}, 6, "xz"},
};

/* Replaces t->mem_fd, a compressed core, by a descriptor of its
 * decompressed copy: a temporary file (in TMPDIR, else /tmp) that is
 * unlinked at once, written by the packer's own tool ("zstd -dc"), so no
 * decompression library is needed. 0, 1 when the core is not compressed,
 * or -1 with t->error set. */
static int decompress(struct tg__target *t, const char *core)
{
    unsigned char head[6] = {0};
    if (pread(t->mem_fd, head, sizeof head, 0) != (ssize_t)sizeof head)
        return 1;
    const struct packer *p = NULL;
    for (size_t i = 0; i < sizeof packers / sizeof packers[0]; i++)
        if (!memcmp(head, packers[i].magic, packers[i].n))
            p = &packers[i];
    if (!p)
        return 1;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tangle-core-XXXXXX", dir && *dir ? dir : "/tmp");
    int out = mkstemp(path);
    if (out < 0)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE, "cannot make a temporary file to decompress '%s' "
                    "into: %s.", core, strerror(errno));
    unlink(path);
    pid_t child = fork();
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (dup2(t->mem_fd, 0) < 0 || dup2(out, 1) < 0 || (null >= 0 && dup2(null, 2) < 0))
            _exit(126);
        execlp(p->tool, p->tool, "-dc", (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    int status = -1;
    if (child > 0)
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
            ;
    if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        close(out);
        snprintf(t->error, sizeof t->error,
                 child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127
                     ? "core file '%s' is compressed with %s (as systemd-coredump stores cores), and "
                       "the '%s' command is not installed: install it, or write the core out with "
                       "'coredumpctl dump PID > core' and give that file."
                     : "core file '%s' is compressed with %s, and '%s -dc' could not decompress it "
                       "(it is damaged or cut short, or the disk of the temporary file is full).",
                 core, p->tool, p->tool);
        t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        return -1;
    }
    close(t->mem_fd);
    t->mem_fd = out;
    snprintf(t->core_packer, sizeof t->core_packer, "%s", p->tool);
    return 0;
}

int tg__core_open(struct tg__target *t, const char *core, const char *exe)
{
    t->is_core = 1;
    t->mem_fd = open(core, O_RDONLY | O_CLOEXEC);
    if (t->mem_fd < 0)
        return fail(t, TG_ATTACH_EXIT_USAGE, "cannot open core file '%s': %s.", core, strerror(errno));
    if (decompress(t, core) < 0)
        return -1;
    if (exe && access(exe, R_OK) != 0)
        return fail(t, TG_ATTACH_EXIT_USAGE, "cannot read the executable '%s': %s.", exe, strerror(errno));
    snprintf(t->exe, sizeof t->exe, "%s", exe ? exe : "");
    struct stat st;
    fstat(t->mem_fd, &st);
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(t->mem_fd, ELF_C_READ_MMAP, NULL);
    t->core_elf = elf;
    GElf_Ehdr eh;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
        return fail(t, TG_ATTACH_EXIT_UNREADABLE,
                    "'%s' is not a core dump (not an ELF file%s).", core, "");
    if (eh.e_type != ET_CORE)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE,
                    "'%s' is an ELF file but not a core dump%s; give the core file first, the "
                    "executable second.", core, "");
#if defined(__x86_64__)
    if (eh.e_machine != EM_X86_64 || gelf_getclass(elf) != ELFCLASS64)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE,
                    "'%s' is the core of a program of another architecture (or 32-bit)%s; "
                    "tangle core reads x86_64 cores only.", core, "");
#else
    return fail(t, TG_ATTACH_EXIT_UNREADABLE, "tangle core reads x86_64 cores only%s%s.", "", "");
#endif
    size_t nph;
    if (elf_getphdrnum(elf, &nph) != 0)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE, "'%s' has no readable program headers%s.", core, "");
    t->segs = calloc(nph ? nph : 1, sizeof *t->segs);
    if (!t->segs)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE, "out of memory reading '%s'%s.", core, "");
    unsigned long long need = 0;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph))
            continue;
        if (ph.p_offset + ph.p_filesz > need)
            need = ph.p_offset + ph.p_filesz;
        if (ph.p_type == PT_LOAD && ph.p_filesz > 0) {
            struct tg__coreseg *s = &t->segs[t->n_segs++];
            s->vaddr = ph.p_vaddr;
            s->filesz = ph.p_filesz;
            s->offset = (long)ph.p_offset;
        }
    }
    if (need > (unsigned long long)st.st_size) {
        char a[64], b[64];
        snprintf(a, sizeof a, "%lld", (long long)st.st_size);
        snprintf(b, sizeof b, "%llu", need);
        snprintf(t->error, sizeof t->error,
                 "core file '%s' is truncated: it has %s bytes but its segments need %s. The "
                 "dump was cut short (a core size limit, 'ulimit -c', or a full disk); dump it "
                 "again with 'gcore PID' or a larger limit.", core, a, b);
        t->error_status = TG_ATTACH_EXIT_UNREADABLE;
        return -1;
    }
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_NOTE && read_notes(t, elf, &ph) != 0)
            return fail(t, TG_ATTACH_EXIT_UNREADABLE, "out of memory reading '%s'%s.", core, "");
    }
    if (t->n_threads == 0)
        return fail(t, TG_ATTACH_EXIT_UNREADABLE,
                    "core file '%s' describes no threads (no NT_PRSTATUS notes)%s.", core, "");
    for (int i = 0; i < t->n_threads; i++)
        if (t->threads[i].tid == t->pid)
            snprintf(t->threads[i].name, sizeof t->threads[i].name, "%s", t->procname);
    t->bits = 64;
    return 0;
}
