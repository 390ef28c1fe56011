/* SPDX-License-Identifier: MIT */
/* watchable.c: can `tangle run` watch this program? tangle attaches through
 * glibc's dynamic loader (LD_PRELOAD), and the loader silently skips it for
 * some programs, which would then run unwatched and look clean. Each such
 * case is refused before the program starts, with its own exit status
 * (cli.h, TG_RUN_*), so a script can tell it from a clean run. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli/cli.h"

#if defined(__x86_64__)
#define TG_OWN_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define TG_OWN_MACHINE EM_AARCH64
#else
#define TG_OWN_MACHINE EM_NONE /* not checked */
#endif

/* The program interpreter (PT_INTERP) of the 64-bit ELF file open as fd,
 * or "" for a static one. */
static void elf_interp(int fd, const Elf64_Ehdr *eh, char *out, size_t n)
{
    out[0] = '\0';
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh->e_phoff + (Elf64_Off)i * eh->e_phentsize)) !=
            (ssize_t)sizeof ph)
            return;
        if (ph.p_type == PT_INTERP) {
            size_t len = ph.p_filesz < n ? (size_t)ph.p_filesz : n - 1;
            ssize_t r = pread(fd, out, len, (off_t)ph.p_offset);
            out[r > 0 ? (size_t)r : 0] = '\0';
            out[strcspn(out, "\n")] = '\0';
            return;
        }
        if (ph.p_type == PT_DYNAMIC)
            snprintf(out, n, "(dynamic)"); /* a static-pie: its own loader */
    }
}

/* The interpreter of the tangle command itself: the glibc loader that
 * libtangle.so was built for. */
static void own_interp(char *out, size_t n)
{
    out[0] = '\0';
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr eh;
    if (fd >= 0 && pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh)
        elf_interp(fd, &eh, out, n);
    if (fd >= 0)
        close(fd);
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The loader runs a program in secure mode, ignoring LD_PRELOAD from the
 * environment, when exec changes its user or group or gives it file
 * capabilities. */
static int secure_exec(const char *path, const struct stat *st, char *msg, size_t n)
{
    const char *why = NULL;
    if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
        why = "is set-user-ID";
    else if ((st->st_mode & S_ISGID) && st->st_gid != getgid())
        why = "is set-group-ID";
    else if (getxattr(path, "security.capability", NULL, 0) > 0)
        why = "has file capabilities";
    if (!why)
        return 0;
    snprintf(msg, n, "'%s' %s: the dynamic loader runs it in secure mode and ignores "
                     "LD_PRELOAD, so tangle could not watch it. Run a copy without the "
                     "set-ID bits or capabilities (cp PROG /tmp/x), or run tangle as the "
                     "program's owner", path, why);
    return TG_RUN_SECURE;
}

static int check_elf(const char *path, int fd, const unsigned char *buf, ssize_t got,
                     char *msg, size_t n)
{
    if (buf[EI_CLASS] != ELFCLASS64) {
        snprintf(msg, n, "'%s' is a 32-bit program; libtangle is 64-bit, so the loader would "
                         "skip it and the program would run unwatched. Build the program for "
                         "64 bits, or build tangle for 32 bits", path);
        return TG_RUN_FOREIGN;
    }
    if (got < (ssize_t)sizeof(Elf64_Ehdr))
        return 0; /* truncated: exec reports it */
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    if (TG_OWN_MACHINE != EM_NONE && eh.e_machine != TG_OWN_MACHINE) {
        snprintf(msg, n, "'%s' is built for another processor (ELF machine %u) than tangle "
                         "(%u); libtangle could not be loaded into it", path,
                 (unsigned)eh.e_machine, (unsigned)TG_OWN_MACHINE);
        return TG_RUN_FOREIGN;
    }
    char interp[PATH_MAX], mine[PATH_MAX];
    elf_interp(fd, &eh, interp, sizeof interp);
    if (!interp[0] || !strcmp(interp, "(dynamic)")) {
        snprintf(msg, n, "'%s' is statically linked. tangle attaches through the dynamic "
                         "loader (LD_PRELOAD) and cannot watch a static binary; rebuild it "
                         "without -static", path);
        return TG_RUN_STATIC;
    }
    own_interp(mine, sizeof mine);
    const char *base = strrchr(interp, '/');
    base = base ? base + 1 : interp;
    if (!(mine[0] && same_file(interp, mine)) && strncmp(base, "ld-linux", 8) != 0) {
        snprintf(msg, n, "'%s' is loaded by %s, not by glibc's loader (%s): libtangle is "
                         "built for glibc and would not be loaded (a musl or other libc "
                         "program runs unwatched). Build the program against glibc",
                 path, interp, mine[0] ? mine : "ld-linux");
        return TG_RUN_INTERP;
    }
    if (access(interp, X_OK) != 0) {
        snprintf(msg, n, "'%s' needs the loader %s, which is not on this system", path, interp);
        return TG_RUN_INTERP;
    }
    return 0;
}

int tg__cli_watchable(const char *path, char *msg, size_t n)
{
    char interp[PATH_MAX];
    for (int depth = 0; depth < 2; depth++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0; /* exec will say why */
        struct stat st;
        unsigned char buf[sizeof(Elf64_Ehdr) + 1];
        ssize_t got = read(fd, buf, sizeof buf - 1);
        int script = got >= 2 && buf[0] == '#' && buf[1] == '!';
        int rc = 0;
        if (!script && fstat(fd, &st) == 0)
            rc = secure_exec(path, &st, msg, n);
        if (!rc && got >= EI_NIDENT && !memcmp(buf, ELFMAG, SELFMAG))
            rc = check_elf(path, fd, buf, got, msg, n);
        close(fd);
        if (rc || !script)
            return rc;
        /* A script: check its interpreter (set-ID bits on scripts are
         * ignored by Linux). */
        FILE *f = fopen(path, "r");
        if (!f || !fgets(interp, sizeof interp, f)) {
            if (f)
                fclose(f);
            return 0;
        }
        fclose(f);
        char *s = interp + 2;
        s += strspn(s, " \t");
        s[strcspn(s, " \t\r\n")] = '\0';
        path = s;
    }
    return 0;
}
