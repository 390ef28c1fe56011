/* SPDX-License-Identifier: MIT */
/* run.c: `tangle run`: parse the options, check the program can be
 * watched (watchable.c), set LD_PRELOAD and TANGLE_OPTIONS, and run it as
 * a child (supervise.c): same arguments, environment, descriptors and exit
 * status; the library turns a run with reports into exit status 66. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/report.h"
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
            "  --html FILE           also write the findings as one self-contained HTML page\n"
            "  --sarif FILE          also write the findings as SARIF 2.1.0 (code scanning)\n"
            "  --log FILE            write the text report to FILE instead of stderr\n"
            "  --on-deadlock WHAT    exit (default), abort (core dump) or hang (attach a debugger)\n"
            "  --exitcode N          exit status when anything was reported (default 66)\n"
            "  --stall-ms N          report a global stall after N ms (default 1000; 0: off)\n"
            "  --long-wait-ms N      report, once, a wait longer than N ms that no deadlock\n"
            "                        explains, with what its holder is doing (default: off)\n"
            "  --dump-signal SIG     on signal SIG (USR1, USR2, a number...) print what every\n"
            "                        thread holds and waits for, and go on\n"
            "  --check-ms N          a blocked thread checks for a cycle after N ms (default 10)\n"
            "  --no-hazards          report deadlocks only, no hazards\n"
            "  --quiet               no text report (use with --json)\n"
            "  --color WHEN          auto (default: a terminal, unless NO_COLOR is set), always\n"
            "                        or never\n"
            "  -O KEY=VALUE          any TANGLE_OPTIONS key (see 'tangle --help')\n"
            "  -h, --help            this text\n"
            "\n"
            "PROG runs as a child of tangle; processes it starts are watched too, and when\n"
            "one of them reports, tangle says where its report went.\n"
            "\n"
            "Exit status: PROG's own when nothing was reported; 66 (--exitcode) when PROG or\n"
            "any process it started reported. When PROG was not started:\n"
            "  2    bad options\n"
            "  120  PROG is statically linked (no dynamic loader to attach through)\n"
            "  121  PROG is set-user-ID, set-group-ID or has file capabilities (the loader\n"
            "       would ignore LD_PRELOAD)\n"
            "  122  PROG is 32-bit or built for another processor\n"
            "  123  PROG's loader is not glibc's (musl, ...) or is missing\n"
            "  126  PROG could not be executed\n"
            "  127  PROG was not found\n");
}

/* Appends key=value to the options string. */
static int add_opt(char *spec, size_t n, const char *key, const char *val)
{
    size_t len = strlen(spec);
    int w = snprintf(spec + len, n - len, "%s%s%s%s", len ? ":" : "", key, val ? "=" : "", val ? val : "");
    return (w < 0 || (size_t)w >= n - len) ? -1 : 0;
}

/* Finds prog as execvp would. 0, or TG_RUN_NOTFOUND / TG_RUN_NOEXEC. */
static int find_in_path(const char *prog, char *out, size_t n)
{
    if (strchr(prog, '/')) {
        snprintf(out, n, "%s", prog);
        if (access(out, F_OK) != 0)
            return TG_RUN_NOTFOUND;
        return access(out, X_OK) == 0 ? 0 : TG_RUN_NOEXEC;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int found_noexec = 0;
    for (const char *p = path; *p;) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        snprintf(out, n, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", prog);
        if (access(out, X_OK) == 0)
            return 0;
        if (access(out, F_OK) == 0)
            found_noexec = 1;
        p += len + (c ? 1 : 0);
    }
    return found_noexec ? TG_RUN_NOEXEC : TG_RUN_NOTFOUND;
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

/* The JSON report before the program starts: not (yet) watched. The
 * library rewrites it with "watched": true, start and end (schema in
 * docs/report-schema.md), so a file that still says false is a run that
 * never started or was never watched. */
static int write_unwatched_json(const char *path, const char *prog)
{
    if (strstr(path, "%p"))
        return 0;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"tool\":\"tangle\",\"schema\":" TG_REPORT_SCHEMA_STR ",\"version\":\"%s\",\"pid\":null,\"program\":\"",
            TG_VERSION);
    for (const unsigned char *c = (const unsigned char *)prog; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fprintf(f, "\",\"watched\":false,\"start\":null,\"end\":null,\"reports\":[\n]}\n");
    return fclose(f);
}

/* A private directory where watched processes leave a note when they
 * report (see supervise.c); NULL (and no summary of children) if none can
 * be made. */
/* A signal by name (USR1, SIGUSR1) or number; 0 if it is neither. Only
 * signals a program may reasonably hand to tangle are named. */
static int signal_number(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = {{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
                 {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
                 {"URG", SIGURG}, {"WINCH", SIGWINCH}, {"PWR", SIGPWR}};
    if (!strncmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name))
            return names[i].sig;
    char *end;
    long n = strtol(s, &end, 10);
    return *s && !*end && n > 0 && n < 65 ? (int)n : 0;
}

static char *make_run_dir(char *out, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/tangle-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(out))
        return out;
    fprintf(stderr, "tangle run: warning: cannot create %s (%s); reports of processes the "
                    "program starts will not change the exit status.\n", out, strerror(errno));
    return NULL;
}

int tg__cli_run(int argc, char **argv)
{
    char spec[8192] = "";
    const char *env = getenv("TANGLE_OPTIONS");
    if (env)
        snprintf(spec, sizeof spec, "%s", env);
    const char *json = NULL, *html = NULL, *sarif = NULL;
    char signo[16]; /* --dump-signal's number, while spec is being built */
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *key = NULL, *val = NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--html") || !strcmp(a, "--sarif") || !strncmp(a, "--html=", 7) ||
            !strncmp(a, "--sarif=", 8)) {
            const char **dst = a[2] == 'h' ? &html : &sarif;
            const char *eq = strchr(a, '=');
            if (!eq && i + 1 >= argc) {
                fprintf(stderr, "tangle run: option '%s' needs a value.\n", a);
                return 2;
            }
            *dst = eq ? eq + 1 : argv[++i];
            continue;
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
                {"--long-wait-ms", "long_wait_ms"}, {"--dump-signal", "dump_signal"},
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
            if (key && !strcmp(key, "dump_signal")) {
                int sig = signal_number(val);
                if (sig <= 0) {
                    fprintf(stderr, "tangle run: --dump-signal takes a signal name or number "
                                    "(USR1, USR2, 10...), not '%s'.\n", val);
                    return 2;
                }
                snprintf(signo, sizeof signo, "%d", sig);
                val = signo;
            }
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
    char prog[PATH_MAX], why[PATH_MAX + 512];
    int rc = find_in_path(argv[i], prog, sizeof prog);
    if (rc) {
        fprintf(stderr, "tangle run: %s '%s'%s. The program was not started.\n",
                rc == TG_RUN_NOTFOUND ? "cannot find" : "no permission to execute", argv[i],
                rc == TG_RUN_NOTFOUND && !strchr(argv[i], '/') ? " in PATH" : "");
        return rc;
    }
    if ((rc = tg__cli_watchable(prog, why, sizeof why)) != 0) {
        fprintf(stderr, "tangle run: %s. The program was not started (exit status %d).\n", why,
                rc);
        return rc;
    }
    char lib[PATH_MAX];
    if (find_library(lib, sizeof lib) != 0) {
        fprintf(stderr, "tangle run: cannot find libtangle.so next to the tangle command; set "
                        "TANGLE_LIB to its path.\n");
        return TG_RUN_USAGE;
    }
    /* HTML and SARIF are made from the JSON report when the program ends:
     * without --json it goes to a temporary file. */
    char tmp_json[sizeof o.json] = ""; /* the report's path must fit the options' field */
    if ((html || sarif) && !json) {
        const char *tmp = getenv("TMPDIR");
        if (snprintf(tmp_json, sizeof tmp_json, "%s/tangle-report.XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
            (int)sizeof tmp_json) {
            fprintf(stderr, "tangle run: TMPDIR is too long for a temporary JSON report (at most "
                            "%zu bytes in all); give --json FILE.\n", sizeof tmp_json - 1);
            return 2;
        }
        int fd = mkstemp(tmp_json);
        if (fd < 0 || strchr(tmp_json, ':')) {
            fprintf(stderr, "tangle run: cannot create a temporary JSON report for --html/--sarif "
                            "(%s); give --json FILE.\n", strerror(errno));
            return 2;
        }
        close(fd);
        json = tmp_json;
        snprintf(o.json, sizeof o.json, "%s", json);
        if (add_opt(spec, sizeof spec, "json", json) != 0) {
            unlink(tmp_json);
            goto too_long;
        }
    }
    if (json && write_unwatched_json(o.json, prog) != 0) {
        fprintf(stderr, "tangle run: cannot write the JSON report '%s': %s.\n", o.json,
                strerror(errno));
        return TG_RUN_USAGE;
    }
    char preload[3 * PATH_MAX];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof preload, "%s%s%s%s%s", TANGLE_ASAN_RUNTIME,
             TANGLE_ASAN_RUNTIME[0] ? ":" : "", lib, old && *old ? ":" : "", old ? old : "");
    char dirbuf[PATH_MAX];
    const char *rundir = make_run_dir(dirbuf, sizeof dirbuf);
    if (setenv("LD_PRELOAD", preload, 1) || setenv("TANGLE_OPTIONS", spec, 1) ||
        (rundir && setenv("TANGLE_RUN_DIR", rundir, 1))) {
        fprintf(stderr, "tangle run: cannot set up the environment: %s.\n", strerror(errno));
        return TG_RUN_USAGE;
    }
    if (TANGLE_ASAN_RUNTIME[0])
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 0);
    rc = tg__cli_supervise(prog, argv + i, rundir, o.exitcode);
    if (html && tg__cli_convert(o.json, "html", html, o.strip_path_prefix, "tangle run --html"))
        fprintf(stderr, "tangle run: the HTML report could not be made.\n");
    if (sarif && tg__cli_convert(o.json, "sarif", sarif, o.strip_path_prefix, "tangle run --sarif"))
        fprintf(stderr, "tangle run: the SARIF report could not be made.\n");
    if (tmp_json[0])
        unlink(tmp_json);
    return rc;
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
                   "does not grow with the trace.\n\n"
                   "Options:\n"
                   "  -o, --output FILE     the trace file (required)\n"
                   "  -h, --help            this text\n"
                   "and every option of 'tangle run' ('tangle run --help').\n");
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
