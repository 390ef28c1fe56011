/* SPDX-License-Identifier: MIT */
/* cli_predict.c: `tangle predict FILE`, the offline sound deadlock
 * predictor (see spd.h). The CLI's main dispatches here with argv[0] ==
 * "predict". Exit status: 0 nothing found, --exitcode (66) when deadlocks
 * are reported, 2 for bad usage, 1 when the trace is unreadable or damaged
 * (what was intact is still analysed and reported first). */
#include "predict/spd.h"
#include "core/options.h"
#include "report/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#ifndef TG_VERSION
#define TG_VERSION "0.1.0"
#endif

int tg__cli_predict(int argc, char **argv);

static const char usage[] =
    "usage: tangle predict [OPTIONS] FILE\n"
    "\n"
    "Predicts deadlocks that another interleaving of a recorded run would hit.\n"
    "FILE is a trace written by `tangle record` (binary) or a text trace in the\n"
    "THREAD|op(ARG)|LOC format of deadlock-prediction benchmarks (ops acq, rel,\n"
    "r, w, fork, join, req, begin, end, wait, notify, and tangle's racq, wacq\n"
    "and tacq for rwlock read/write locks and trylocks); the format is detected.\n"
    "Use - to read the trace from standard input. Working data goes to an\n"
    "unlinked temporary file in $TMPDIR, so memory does not grow with the trace.\n"
    "\n"
    "Prediction is sound: every report is reachable by a correct reordering of\n"
    "the observed events (same reads-from, fork/join and critical-section\n"
    "order), and each report shows such a reordering as its witness. It finds\n"
    "every sync-preserving deadlock (Tunc et al., PLDI 2023), including cycles\n"
    "through a join made while holding a lock. See docs/predict.md.\n"
    "\n"
    "Options:\n"
    "  --format text|json  how reports are printed on standard output (text)\n"
    "  --json OUT          also write the JSON report document to the file OUT\n"
    "  --exitcode N        exit status when deadlocks are reported (66)\n"
    "  --max-patterns N    examine at most N abstract deadlock patterns (100000)\n"
    "  --max-warnings N    show at most N warnings about the trace (20)\n"
    "  --progress          show progress on stderr (default: only on a terminal)\n"
    "  --no-progress       never show progress\n"
    "  --stats             print events, time, events/second and peak memory on stderr\n"
    "  --quiet             print no reports (the exit status and --json still work)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 no deadlock, the --exitcode value when deadlocks are reported,\n"
    "1 when the trace cannot be read or is damaged (reports on the intact part\n"
    "are still printed), 2 for bad usage.\n";

struct pargs {
    const char *file, *json_out;
    int json, quiet, stats, progress;
    int exitcode;
    unsigned long max_patterns, max_warnings;
};

static int number(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *s == '-' || end == s || *end || v > max) {
        fprintf(stderr, "tangle predict: %s needs a number from 0 to %lu, not '%s'.\n", opt,
                max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* 0 to go on, or the exit status (0 after --help, 2 for bad usage). */
static int parse_args(int argc, char **argv, struct pargs *a, int *done)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'},   {"json", required_argument, 0, 'j'},
        {"exitcode", required_argument, 0, 'e'}, {"max-patterns", required_argument, 0, 'p'},
        {"max-warnings", required_argument, 0, 'w'}, {"progress", no_argument, 0, 'P'},
        {"no-progress", no_argument, 0, 'N'},    {"stats", no_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    unsigned long v;
    int c;
    *done = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                fprintf(stderr, "tangle predict: --format is text or json, not '%s'.\n", optarg);
                return 2;
            }
            a->json = !strcmp(optarg, "json");
            break;
        case 'j': a->json_out = optarg; break;
        case 'e':
            if (number("--exitcode", optarg, 255, &v) < 0)
                return 2;
            a->exitcode = (int)v;
            break;
        case 'p':
            if (number("--max-patterns", optarg, 1000000000ul, &v) < 0)
                return 2;
            a->max_patterns = v;
            break;
        case 'w':
            if (number("--max-warnings", optarg, 1000000000ul, &v) < 0)
                return 2;
            a->max_warnings = v;
            break;
        case 'P': a->progress = 1; break;
        case 'N': a->progress = 0; break;
        case 's': a->stats = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h':
            fputs(usage, stdout);
            *done = 1;
            return 0;
        default:
            fprintf(stderr, "tangle predict: unknown or incomplete option '%s'; see "
                    "tangle predict --help.\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "tangle predict: %s; see tangle predict --help.\n",
                optind == argc ? "give the trace FILE to analyse" : "give exactly one trace FILE");
        return 2;
    }
    a->file = argv[optind];
    return 0;
}

/* Copies standard input to an unlinked temporary file, because the
 * analysis reads the trace twice. Returns a path valid while fd is open. */
static int spool_stdin(char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/tangle-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    char buf[1 << 16];
    ssize_t k;
    while ((k = read(0, buf, sizeof buf)) != 0) {
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 || write(fd, buf, (size_t)k) != k) {
            close(fd);
            unlink(path);
            return -1;
        }
    }
    return fd;
}

static int emit(const struct pargs *a, struct tg_finding **fs, long n, const char *file)
{
    struct tg_report_meta meta = {.tool_version = TG_VERSION, .program = file};
    struct tg_buf b = {0};
    int rc = 0;
    for (long i = 0; i < n; i++)
        fs[i]->id = (unsigned long)i + 1; /* report ids, as a live run numbers them */
    if (a->json_out) {
        tg__render_json(&b, fs, (int)n, &meta);
        FILE *f = fopen(a->json_out, "w");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            fprintf(stderr, "tangle predict: cannot write the JSON report %s: %s\n",
                    a->json_out, strerror(errno));
            rc = -1;
        }
        tg__buf_free(&b);
        memset(&b, 0, sizeof b);
    }
    if (a->quiet)
        return rc;
    if (a->json) {
        tg__render_json(&b, fs, (int)n, &meta);
    } else {
        int color = tg__options_color(TG_COLOR_AUTO, 1);
        for (long i = 0; i < n; i++) {
            tg__render_text(&b, fs[i], color);
            tg__buf_puts(&b, "\n");
        }
    }
    if (tg__buf_write_fd(&b, 1) < 0)
        rc = -1;
    tg__buf_free(&b);
    return rc;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_stats(const struct tg__spd *s, double t0)
{
    struct tg__spd_stats st;
    struct rusage ru;
    double dt = seconds() - t0;
    tg__spd_stats(s, &st);
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "tangle predict: %llu events (%llu stored), %u threads, %u locks, "
            "%llu patterns (%llu checked), %llu deadlocks; %.3f s, %.1f million events/s, "
            "peak memory %ld MiB\n",
            (unsigned long long)st.events, (unsigned long long)st.stored, st.threads, st.locks,
            (unsigned long long)st.patterns, (unsigned long long)st.patterns_checked,
            (unsigned long long)st.deadlocks, dt, dt > 0 ? st.events / dt / 1e6 : 0.0,
            ru.ru_maxrss / 1024);
}

/* The analysis may take no more address space than the machine has (its
 * memory and swap), so that a trace too large for it ends with an error
 * of ours, not with the kernel's OOM killer. Returns that size in MiB, 0
 * if the limit was left alone. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TG_PREDICT_NO_CAP 1 /* the sanitizers reserve terabytes of shadow */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TG_PREDICT_NO_CAP 1
#endif
#endif

static unsigned long long limit_memory(void)
{
#ifdef TG_PREDICT_NO_CAP
    return 0;
#endif
    struct sysinfo si;
    struct rlimit rl;
    if (sysinfo(&si) != 0 || getrlimit(RLIMIT_AS, &rl) != 0)
        return 0;
    unsigned long long have = ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit;
    if (have == 0 || (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= have))
        return 0;
    rl.rlim_cur = have;
    return setrlimit(RLIMIT_AS, &rl) == 0 ? have >> 20 : 0;
}

static void explain_memory(const char *err, unsigned long long cap_mb)
{
    if (strncmp(err, "out of memory", 13) != 0)
        return;
    if (cap_mb)
        fprintf(stderr, "tangle predict: the analysis stopped at this machine's memory (%llu MiB) "
                "rather than be killed by the kernel; its memory grows with the locks, threads "
                "and held locks of the trace, not with its length.\n", cap_mb);
    else
        fprintf(stderr, "tangle predict: the analysis ran out of the memory its limit allows "
                "(ulimit -v).\n");
}

int tg__cli_predict(int argc, char **argv)
{
    struct pargs a = {.exitcode = 66, .progress = isatty(2), .max_warnings = 20};
    int done, rc = parse_args(argc, argv, &a, &done);
    if (rc || done)
        return rc;
    double t0 = seconds();
    unsigned long long cap_mb = limit_memory();
    char err[600], tmp[4096];
    const char *path = a.file;
    int spool = -1;
    if (!strcmp(a.file, "-")) {
        spool = spool_stdin(tmp, sizeof tmp);
        if (spool < 0) {
            fprintf(stderr, "tangle predict: cannot buffer standard input in a temporary "
                    "file: %s\n", strerror(errno));
            return 1;
        }
        path = tmp;
    }
    struct tg_trace_reader *r = tg__trace_open(path, err, sizeof err);
    if (spool >= 0) {
        unlink(tmp);
        close(spool);
    }
    if (!r) {
        fprintf(stderr, "tangle predict: %s\n", err);
        return 1;
    }
    tg__trace_set_warning_limit(r, a.max_warnings);
    struct tg__spd_options opt = {a.max_patterns, 0, a.progress};
    struct tg__spd *s = tg__spd_new(&opt);
    struct tg_finding **fs = NULL;
    long n = 0;
    int status = 0;
    if (!s) {
        fprintf(stderr, "tangle predict: out of memory\n");
        tg__trace_close(r);
        return 1;
    }
    if (tg__spd_load(s, r) < 0) {
        fprintf(stderr, "tangle predict: %s: %s\n", a.file, tg__spd_error(s));
        explain_memory(tg__spd_error(s), cap_mb);
        status = 1;
        goto out;
    }
    int damaged = tg__trace_damaged(r);
    char damage[600];
    snprintf(damage, sizeof damage, "%s", tg__trace_error(r));
    if ((n = tg__spd_analyse(s)) < 0 || (n = tg__spd_findings(s, r, a.file, &fs)) < 0) {
        fprintf(stderr, "tangle predict: %s: %s\n", a.file, tg__spd_error(s));
        explain_memory(tg__spd_error(s), cap_mb);
        status = 1;
        goto out;
    }
    n = tg__findings_merge(fs, (int)n); /* one bug, one report: places of one cycle */
    if (emit(&a, fs, n, a.file) < 0)
        status = 1;
    struct tg__spd_stats st;
    tg__spd_stats(s, &st);
    if (st.pattern_limit_hit)
        fprintf(stderr, "tangle predict: warning: the pattern search stopped after %llu "
                "deadlock patterns and %llu steps (--max-patterns); deadlocks among the rest "
                "are not reported.\n", (unsigned long long)st.patterns,
                (unsigned long long)st.search_steps);
    if (st.one_thread_limit_hit)
        fprintf(stderr, "tangle predict: warning: the search for lock-order inversions within "
                "one thread stopped at its limit (a hundredth of the deadlock search's steps, or "
                "--max-patterns); inversions among the rest are not reported.\n");
    if (st.one_thread_unreported && (a.quiet || a.json))
        fprintf(stderr, "tangle predict: %llu more lock-order inversions seen in one thread, "
                "over other sets of locks, are not shown (only the %llu shortest are).\n",
                (unsigned long long)st.one_thread_unreported,
                (unsigned long long)st.one_thread);
    long one = (long)st.one_thread, pd = n - one; /* merging folds potential deadlocks only */
    if (!a.quiet && !a.json) {
        printf("tangle: %ld potential deadlock%s predicted in %s (%llu events, %u threads, "
               "%u locks)", pd, pd == 1 ? "" : "s", a.file, (unsigned long long)st.events,
               st.threads, st.locks);
        if (one)
            printf("; %ld lock-order inversion%s seen in one thread only", one,
                   one == 1 ? "" : "s");
        if (st.one_thread_unreported)
            printf(" (the shortest; %llu more over other sets of locks are not shown)",
                   (unsigned long long)st.one_thread_unreported);
        printf(".\n");
    }
    if (damaged) {
        fprintf(stderr, "tangle predict: error: %s: the trace is damaged: %s. Only the intact "
                "part was analysed; record the program again for a complete answer.\n",
                a.file, damage);
        status = 1;
    } else if (n > 0 && status == 0) {
        status = a.exitcode;
    }
out:
    if (a.stats)
        print_stats(s, t0);
    for (long i = 0; i < n; i++)
        tg__finding_free(fs[i]);
    free(fs);
    tg__spd_free(s);
    tg__trace_close(r);
    fflush(stdout);
    return status;
}
