/* SPDX-License-Identifier: MIT */
/* run.c: `tangle run`: check the program can be watched, set LD_PRELOAD
 * and TANGLE_OPTIONS, and exec it (same pid, same signals, same exit
 * status; the library turns a run with reports into exit status 66). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/options.h"

#ifndef TANGLE_LIBDIR_REL
#define TANGLE_LIBDIR_REL "../lib"
#define TANGLE_SOVERSION "0"
#endif
#ifndef TANGLE_ASAN_RUNTIME
#define TANGLE_ASAN_RUNTIME ""
#endif

static void run_usage(FILE *out)
{
    fprintf(out,
            "Usage: tangle run [options] -- PROG [ARGS...]\n"
            "\n"
            "Runs PROG with tangle watching every pthread lock, condition, semaphore, barrier\n"
            "and join. A deadlock is reported the moment it forms (within about a second for\n"
            "a global stall) and, by default, the program is stopped with exit status 66.\n"
            "\n"
            "Options:\n"
            "  --json FILE           also write the findings as JSON (schema: docs/report-schema.md);\n"
            "                        child processes write FILE.PID\n"
            "  --log FILE            write the text report to FILE instead of stderr\n"
            "  --on-deadlock WHAT    exit (default), abort (core dump) or hang (attach a debugger)\n"
            "  --exitcode N          exit status when anything was reported (default 66)\n"
            "  --stall-ms N          report a global stall after N ms (default 1000; 0: off)\n"
            "  --check-ms N          a blocked thread checks for a cycle after N ms (default 10)\n"
            "  --no-hazards          report deadlocks only, no hazards\n"
            "  --quiet               no text report (use with --json)\n"
            "  --color WHEN          auto, always or never\n"
            "  -O KEY=VALUE          any TANGLE_OPTIONS key (see 'tangle --help')\n"
            "  -h, --help            this text\n");
}

/* Appends key=value to the options string. */
static int add_opt(char *spec, size_t n, const char *key, const char *val)
{
    size_t len = strlen(spec);
    int w = snprintf(spec + len, n - len, "%s%s%s%s", len ? ":" : "", key, val ? "=" : "", val ? val : "");
    return (w < 0 || (size_t)w >= n - len) ? -1 : 0;
}

static int find_in_path(const char *prog, char *out, size_t n)
{
    if (strchr(prog, '/')) {
        snprintf(out, n, "%s", prog);
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        snprintf(out, n, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", prog);
        if (access(out, X_OK) == 0)
            return 0;
        p += len + (c ? 1 : 0);
    }
    return -1;
}

/* 1 if path is an ELF executable without a program interpreter (static),
 * 0 if it is dynamic or not ELF; follows one "#!" line. */
static int is_static(const char *path, int depth)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int result = 0;
    if (n > 2 && buf[0] == '#' && buf[1] == '!' && depth == 0) {
        buf[n] = '\0';
        char *s = (char *)buf + 2;
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n')
            e++;
        *e = '\0';
        result = is_static(s, 1);
    } else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG) &&
               buf[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        memcpy(&eh, buf, sizeof eh);
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
                result = 0;
        }
    }
    close(fd);
    return result;
}

static int find_library(char *out, size_t n)
{
    const char *env = getenv("TANGLE_LIB");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return access(out, R_OK);
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return -1;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    /* The build tree keeps the library in ../lib; an installed tangle in
     * its libdir, by its SONAME (the development symlink may be absent). */
    static const char *const rel[] = {"../lib/libtangle.so", TANGLE_LIBDIR_REL "/libtangle.so."
                                      TANGLE_SOVERSION, "libtangle.so"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        int w = snprintf(out, n, "%s/%s", self, rel[i]);
        if (w > 0 && (size_t)w < n && access(out, R_OK) == 0) {
            char *real = realpath(out, NULL);
            if (real) {
                snprintf(out, n, "%s", real);
                free(real);
            }
            return 0;
        }
    }
    return -1;
}

static int write_empty_json(const char *path)
{
    if (strstr(path, "%p"))
        return 0;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"tool\":\"tangle\",\"schema\":1,\"version\":\"0.1.0\",\"pid\":%ld,"
               "\"program\":null,\"reports\":[\n]}\n", (long)getpid());
    return fclose(f);
}

int tg__cli_run(int argc, char **argv)
{
    char spec[8192] = "";
    const char *env = getenv("TANGLE_OPTIONS");
    if (env)
        snprintf(spec, sizeof spec, "%s", env);
    const char *json = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *key = NULL, *val = NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage(stdout);
            return 0;
        }
        if (a[0] != '-')
            break; /* the program, without "--" */
        if (!strcmp(a, "--no-hazards")) {
            key = "hazards", val = "0";
        } else if (!strcmp(a, "--quiet")) {
            key = "quiet", val = "1";
        } else {
            static const char *const map[][2] = {
                {"--json", "json"},         {"--log", "log"},
                {"--on-deadlock", "on_deadlock"}, {"--exitcode", "exitcode"},
                {"--stall-ms", "stall_ms"}, {"--check-ms", "check_ms"},
                {"--color", "color"},       {"-O", NULL},
            };
            size_t k;
            const char *inl = NULL;
            for (k = 0; k < sizeof map / sizeof map[0]; k++) {
                size_t ml = strlen(map[k][0]);
                if (!strncmp(a, map[k][0], ml) && (a[ml] == '\0' || a[ml] == '=')) {
                    inl = a[ml] == '=' ? a + ml + 1 : NULL;
                    break;
                }
            }
            if (k == sizeof map / sizeof map[0]) {
                fprintf(stderr, "tangle run: unknown option '%s'. Run 'tangle run --help' for the "
                                "options.\n", a);
                return 2;
            }
            if (!inl) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "tangle run: option '%s' needs a value.\n", a);
                    return 2;
                }
                inl = argv[++i];
            }
            key = map[k][1];
            val = inl;
            if (!key) { /* -O key=value */
                if (!strchr(val, '=')) {
                    fprintf(stderr, "tangle run: -O takes key=value, not '%s'.\n", val);
                    return 2;
                }
                if (add_opt(spec, sizeof spec, val, NULL) != 0)
                    goto too_long;
                continue;
            }
            if (!strcmp(key, "json"))
                json = val;
        }
        if (add_opt(spec, sizeof spec, key, val) != 0)
            goto too_long;
    }
    if (i >= argc) {
        fprintf(stderr, "tangle run: no program given. Usage: tangle run [options] -- PROG [ARGS...]\n");
        return 2;
    }
    struct tg_options o;
    tg__options_defaults(&o);
    char err[512];
    if (tg__options_parse(&o, spec, err, sizeof err) != 0) {
        fprintf(stderr, "tangle run: %s. The program was not started.\n", err);
        return 2;
    }
    char prog[PATH_MAX];
    if (find_in_path(argv[i], prog, sizeof prog) != 0) {
        fprintf(stderr, "tangle run: cannot find or execute '%s'%s.\n", argv[i],
                strchr(argv[i], '/') ? "" : " in PATH");
        return 127;
    }
    if (is_static(prog, 0)) {
        fprintf(stderr, "tangle run: '%s' is statically linked. tangle attaches through the "
                        "dynamic loader (LD_PRELOAD) and cannot watch a static binary; rebuild "
                        "it without -static.\n", prog);
        return 2;
    }
    char lib[PATH_MAX];
    if (find_library(lib, sizeof lib) != 0) {
        fprintf(stderr, "tangle run: cannot find libtangle.so next to the tangle command; set "
                        "TANGLE_LIB to its path.\n");
        return 2;
    }
    if (json && write_empty_json(o.json) != 0) {
        fprintf(stderr, "tangle run: cannot write the JSON report '%s': %s.\n", o.json,
                strerror(errno));
        return 2;
    }
    char preload[3 * PATH_MAX];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof preload, "%s%s%s%s%s", TANGLE_ASAN_RUNTIME,
             TANGLE_ASAN_RUNTIME[0] ? ":" : "", lib, old && *old ? ":" : "", old ? old : "");
    char owner[32];
    snprintf(owner, sizeof owner, "%ld", (long)getpid());
    if (setenv("LD_PRELOAD", preload, 1) || setenv("TANGLE_OPTIONS", spec, 1) ||
        setenv("TANGLE_JSON_OWNER", owner, 1)) {
        fprintf(stderr, "tangle run: cannot set up the environment: %s.\n", strerror(errno));
        return 2;
    }
    if (TANGLE_ASAN_RUNTIME[0])
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 0);
    execv(prog, argv + i);
    fprintf(stderr, "tangle run: cannot execute '%s': %s.\n", prog, strerror(errno));
    return 127;
too_long:
    fprintf(stderr, "tangle run: the options are too long.\n");
    return 2;
}

/* `tangle record -o FILE [run options] -- PROG`: `tangle run` with
 * record=FILE. The file is created here, so an unwritable path is an error
 * before the program starts. */
int tg__cli_record(int argc, char **argv)
{
    const char *out = NULL;
    char **args = calloc((size_t)argc + 3, sizeof *args);
    char opt[1100];
    int n = 0;
    if (!args)
        return 2;
    args[n++] = "run";
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Usage: tangle record -o FILE [run options] -- PROG [ARGS...]\n\n"
                   "Runs PROG as 'tangle run' does and writes a binary trace of its lock events\n"
                   "to FILE (format: docs/trace-format.md) for 'tangle predict FILE'. Memory\n"
                   "does not grow with the trace. 'tangle run --help' lists the run options.\n");
            free(args);
            return 0;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tangle record: %s needs a file name.\n", a);
                free(args);
                return 2;
            }
            out = argv[++i];
            continue;
        }
        if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
            continue;
        }
        args[n++] = argv[i];
    }
    if (!out) {
        fprintf(stderr, "tangle record: give the trace file with -o FILE, e.g. "
                        "'tangle record -o run.tgt -- ./prog'.\n");
        free(args);
        return 2;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "tangle record: cannot write '%s': %s.\n", out, strerror(errno));
        free(args);
        return 2;
    }
    fclose(f);
    if (snprintf(opt, sizeof opt, "record=%s", out) >= (int)sizeof opt || strchr(out, ':')) {
        fprintf(stderr, "tangle record: the trace file name is too long or contains ':'.\n");
        free(args);
        return 2;
    }
    args[n++] = "-O";
    args[n++] = opt;
    for (; i < argc; i++)
        args[n++] = argv[i];
    int rc = tg__cli_run(n, args);
    free(args);
    return rc;
}
