/* SPDX-License-Identifier: MIT */
/* attach.c: `tangle attach PID` and `tangle core COREFILE [EXECUTABLE]`.
 *
 * Both read a process that was not started under tangle (live, or from
 * its core dump), print what each thread waits for with the same reporters
 * as `tangle run`, and exit 66 when there is a deadlock. A live process is
 * stopped only while its registers, stacks and lock fields are read, then
 * released exactly as it was (docs/attach.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#ifdef TANGLE_HAVE_ATTACH
#include "attach/attach.h"
#include "report/report.h"
#endif

static void usage(FILE *out, int core)
{
    if (core)
        fprintf(out, "Usage: tangle core [options] COREFILE [EXECUTABLE]\n"
                     "\n"
                     "Explains a core dump (from gcore, systemd-coredump, or on_deadlock=abort):\n"
                     "every thread's stack and what it waits for, and the deadlock if there is one.\n");
    else
        fprintf(out, "Usage: tangle attach [options] PID\n"
                     "\n"
                     "Explains a running process that was not started under tangle: it is stopped\n"
                     "for as short a time as possible, every thread's stack and what it waits for\n"
                     "are read, and it is released exactly as it was (not killed, unless --kill).\n");
    fprintf(out, "\n"
                 "Options:\n"
                 "  --json FILE    also write the findings as JSON (docs/report-schema.md)\n"
                 "  --quiet        no text report (use with --json)\n"
                 "  --no-debuginfo do not read separate debug info (/usr/lib/debug): faster, and\n"
                 "                 shows what a machine without glibc's debug symbols sees\n"
                 "%s"
                 "  -h, --help     this text\n"
                 "\n"
                 "Exit status: 66 a deadlock was found; 0 none; 2 bad usage or no such process;\n"
                 "3 the kernel refused to let tangle trace the process (the message says why and\n"
                 "what to do); 4 the target could not be read (it exited meanwhile, a truncated or\n"
                 "foreign core file, a 32-bit program).\n",
            core ? "" : "  --kill         kill the process (SIGKILL) after reading it\n");
}

#ifdef TANGLE_HAVE_ATTACH
static int write_json(const char *path, struct tg_finding **fs, int n, long pid, const char *prog)
{
    struct tg_buf b = {0};
    struct tg_report_meta meta = {.tool_version = TG_VERSION, .pid = pid, .program = prog};
    tg__render_json(&b, fs, n, &meta);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int r = fd >= 0 && !b.failed ? tg__buf_write_fd(&b, fd) : -1;
    if (fd >= 0)
        close(fd);
    tg__buf_free(&b);
    if (r != 0)
        fprintf(stderr, "tangle: cannot write the JSON report to '%s': %s.\n", path, strerror(errno));
    return r;
}

static int explain(struct tg__target *t, const char *json, int quiet, int kill_after)
{
    double t0 = tg__now_ms();
    struct tg__glibc g;
    int times = getenv("TANGLE_ATTACH_TIMES") != NULL;
    if (tg__unwind_all(t) == 0) {
        if (times)
            fprintf(stderr, "tangle: unwound in %.1f ms\n", tg__now_ms() - t0);
        tg__glibc_layout(t, &g);
        tg__attach_classify(t, &g);
        tg__records_read(t);
        if (times)
            fprintf(stderr, "tangle: classified at %.1f ms\n", tg__now_ms() - t0);
    }
    if (!t->is_core) {
        tg__ptrace_release(t);
        if (kill_after)
            kill((pid_t)t->pid, SIGKILL);
    }
    if (t->error[0]) {
        fprintf(stderr, "tangle: %s\n", t->error);
        return t->error_status;
    }
    struct tg_finding **fs = NULL;
    int n = tg__attach_findings(t, &g, &fs);
    if (times)
        fprintf(stderr, "tangle: findings at %.1f ms\n", tg__now_ms() - t0);
    if (n < 0) {
        fprintf(stderr, "tangle: out of memory while building the report.\n");
        return TG_ATTACH_EXIT_UNREADABLE;
    }
    int deadlocks = 0;
    for (int i = 0; i < n; i++)
        deadlocks += fs[i]->kind == TG_FINDING_DEADLOCK;
    t->total_ms = tg__now_ms() - t0 + t->total_ms;
    struct tg_buf b = {0};
    const char *what = t->is_core ? "core of process" : "process";
    if (!quiet) {
        if (t->scanned)
            tg__buf_printf(&b, "tangle: note: %d thread stack%s went through code without unwind "
                               "tables (such as musl's libc.so); %s continued at a return address "
                               "found by scanning the stack, and %s frames after it are a best "
                               "guess.\n", t->scanned, t->scanned == 1 ? "" : "s",
                           t->scanned == 1 ? "it was" : "they were", t->scanned == 1 ? "its" : "their");
        if (t->unstopped)
            tg__buf_printf(&b, "tangle: note: %d thread%s did not stop within seconds (an "
                               "uninterruptible sleep, state D, for example in a disk or NFS "
                               "wait) and %s not shown.\n", t->unstopped,
                           t->unstopped == 1 ? "" : "s", t->unstopped == 1 ? "is" : "are");
        if (t->records)
            tg__buf_printf(&b, "tangle: note: the %s ran under tangle: which thread holds each lock, "
                               "in which mode, and where it was acquired come from tangle's own "
                               "records.\n", t->is_core ? "process of this core" : "process");
        else if (t->records_note[0])
            tg__buf_printf(&b, "tangle: note: %s.\n", t->records_note);
        if (!g.known)
            tg__buf_printf(&b, "tangle: note: %s.\n", g.why);
        else if (!g.checked)
            tg__buf_printf(&b, "tangle: note: glibc %s's layout is taken from tangle's table; it could "
                               "not be checked at run time because the %s uses another glibc build "
                               "than tangle.\n", g.version, t->is_core ? "core" : "process");
        if (deadlocks == 0)
            tg__buf_printf(&b, "tangle: no deadlock found in %s %ld (%d thread%s). What each thread "
                               "is doing:\n", what, t->pid, t->n_threads, t->n_threads == 1 ? "" : "s");
        for (int i = 0; i < n; i++) {
            tg__render_text(&b, fs[i], 0);
            tg__buf_puts(&b, "\n");
        }
    }
    int status = deadlocks ? TG_ATTACH_EXIT_DEADLOCK : TG_ATTACH_EXIT_NONE;
    if (json && write_json(json, fs, n, t->pid, t->exe[0] ? t->exe : NULL) != 0)
        status = TG_ATTACH_EXIT_UNREADABLE;
    if (t->is_core)
        tg__buf_printf(&b, "tangle: read %d thread%s of the core of process %ld in %.0f ms%s%s%s.\n",
                       t->n_threads, t->n_threads == 1 ? "" : "s", t->pid, t->total_ms,
                       t->core_packer[0] ? " (decompressed with " : "", t->core_packer,
                       t->core_packer[0] ? ")" : "");
    else
        tg__buf_printf(&b, "tangle: read %d thread%s of process %ld in %.0f ms; the process was "
                           "stopped for %.1f ms and %s.\n",
                       t->n_threads, t->n_threads == 1 ? "" : "s", t->pid, t->total_ms, t->stopped_ms,
                       kill_after ? "then killed (--kill)" : "has been released as it was");
    tg__buf_write_fd(&b, 1);
    tg__buf_free(&b);
    for (int i = 0; i < n; i++)
        tg__finding_free(fs[i]);
    free(fs);
    return status;
}
#endif

static int no_debuginfo;

static int parse(int argc, char **argv, int core, const char **json, int *quiet, int *kill_after,
                 const char **args, int *n_args)
{
    *n_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, core);
            return 0;
        } else if (!strcmp(a, "--json") && i + 1 < argc) {
            *json = argv[++i];
        } else if (!strncmp(a, "--json=", 7)) {
            *json = a + 7;
        } else if (!strcmp(a, "--no-debuginfo")) {
            no_debuginfo = 1;
        } else if (!strcmp(a, "--quiet")) {
            *quiet = 1;
        } else if (!core && !strcmp(a, "--kill")) {
            *kill_after = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "tangle %s: unknown option '%s'. Run 'tangle %s --help'.\n", argv[0], a, argv[0]);
            return 2;
        } else if (*n_args < 2) {
            args[(*n_args)++] = a;
        } else {
            fprintf(stderr, "tangle %s: too many arguments. Run 'tangle %s --help'.\n", argv[0], argv[0]);
            return 2;
        }
    }
    if (*n_args == 0 || (!core && *n_args != 1)) {
        usage(stderr, core);
        return 2;
    }
    return -1;
}

#ifndef TANGLE_HAVE_ATTACH
static int unavailable(const char *cmd)
{
    fprintf(stderr,
            "tangle %s is unavailable: this tangle was built without elfutils' libdw (on Debian: "
            "apt-get install libdw-dev libelf-dev, then rebuild).\n", cmd);
    return 2;
}
#endif

int tg__cli_attach(int argc, char **argv)
{
    const char *json = NULL, *args[2];
    int quiet = 0, kill_after = 0, n_args;
    int r = parse(argc, argv, 0, &json, &quiet, &kill_after, args, &n_args);
    if (r >= 0)
        return r;
    char *end;
    errno = 0;
    long pid = strtol(args[0], &end, 10);
    if (*end || pid <= 0 || errno) {
        fprintf(stderr, "tangle attach: '%s' is not a process id.\n", args[0]);
        return 2;
    }
    if (pid == getpid()) {
        fprintf(stderr, "tangle attach: %ld is tangle itself.\n", pid);
        return 2;
    }
#ifdef TANGLE_HAVE_ATTACH
    struct tg__target t = {.mem_fd = -1, .no_debuginfo = no_debuginfo};
    double t0 = tg__now_ms();
    tg__unwind_prepare(&t, pid); /* failing here is explained by the stop below */
    if (tg__ptrace_stop(&t, pid) != 0) {
        fprintf(stderr, "tangle: %s\n", t.error);
        tg__target_free(&t);
        return t.error_status;
    }
    t.total_ms = tg__now_ms() - t0;
    if (getenv("TANGLE_ATTACH_TIMES"))
        fprintf(stderr, "tangle: stopped %d threads in %.1f ms\n", t.n_threads, t.total_ms);
    int status = explain(&t, json, quiet, kill_after);
    tg__target_free(&t);
    return status;
#else
    (void)json;
    (void)quiet;
    (void)kill_after;
    return unavailable("attach");
#endif
}

int tg__cli_core(int argc, char **argv)
{
    const char *json = NULL, *args[2];
    int quiet = 0, kill_after = 0, n_args;
    int r = parse(argc, argv, 1, &json, &quiet, &kill_after, args, &n_args);
    if (r >= 0)
        return r;
#ifdef TANGLE_HAVE_ATTACH
    struct tg__target t = {.mem_fd = -1, .no_debuginfo = no_debuginfo};
    if (tg__core_open(&t, args[0], n_args > 1 ? args[1] : NULL) != 0) {
        fprintf(stderr, "tangle: %s\n", t.error);
        tg__target_free(&t);
        return t.error_status;
    }
    int status = explain(&t, json, quiet, 0);
    tg__target_free(&t);
    return status;
#else
    (void)json;
    (void)quiet;
    return unavailable("core");
#endif
}
