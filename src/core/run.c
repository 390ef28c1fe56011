/* SPDX-License-Identifier: MIT */
/* run.c: the run as a whole, as the JSON report and `tangle run` see it:
 * when this process started being watched and when it ended (the JSON's
 * "watched", "start" and "end"), and the note a reporting process leaves
 * for `tangle run` in TANGLE_RUN_DIR so that findings of child processes
 * reach the run's exit status (cli/supervise.c reads the notes). */
#define _GNU_SOURCE
#include "core/internal.h"
#include "report/report.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char run_start[40], run_end[40];

/* What `tangle run` told the process it started, read once, at the
 * library's start: a program may later clear or replace its environment
 * (nginx's workers keep only TZ), and its fork children must still know
 * that they are children and where to leave their notes. run_owner is -1
 * until read, then the pid `tangle run` started, or 0 for none. */
static long run_owner = -1;
static char run_dir[1024];

static void read_run_env(void)
{
    if (run_owner >= 0)
        return;
    const char *owner = getenv("TANGLE_JSON_OWNER");
    const char *dir = getenv("TANGLE_RUN_DIR");
    snprintf(run_dir, sizeof run_dir, "%s", dir ? dir : "");
    run_owner = owner ? atol(owner) : 0;
}

/* Now as ISO 8601 UTC with milliseconds. Computed by hand: gmtime_r takes
 * glibc's time-zone lock, which a fork may have left held. */
static void utc_now(char *out, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long secs = ts.tv_sec % 86400, z = ts.tv_sec / 86400 + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;                                    /* day of era */
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of era */
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* from March 1 */
    long long mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long long y = yoe + era * 400 + (m <= 2);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)(y % 10000), (int)m, (int)d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
             (int)(ts.tv_nsec / 1000000));
}

void tg__run_begin(void)
{
    read_run_env();
    if (!run_start[0])
        utc_now(run_start, sizeof run_start);
}

void tg__run_after_fork(void)
{
    utc_now(run_start, sizeof run_start);
    run_end[0] = '\0';
}

void tg__run_end(void)
{
    utc_now(run_end, sizeof run_end);
}

int tg__run_is_owner(void)
{
    read_run_env();
    return run_owner == 0 || run_owner == (long)getpid();
}

void tg__run_meta(struct tg_report_meta *m)
{
    m->watched = 1;
    m->start = run_start[0] ? run_start : NULL;
    m->end = run_end[0] ? run_end : NULL;
}

/* One line, "N\tPROGRAM\tTEXT\tJSON", in TANGLE_RUN_DIR/PID: how many
 * findings this process reported and where they went. Rewritten at each
 * new finding (a slow path). */
void tg__run_note(unsigned long n)
{
    read_run_env();
    const char *dir = run_dir;
    if (!*dir)
        return;
    char path[1100], prog[512] = "", text[1100] = "standard error", json[1100] = "";
    ssize_t r = readlink("/proc/self/exe", prog, sizeof prog - 1);
    prog[r > 0 ? r : 0] = '\0';
    if (tg__opt.quiet)
        snprintf(text, sizeof text, "nowhere (quiet)");
    else if (tg__opt.log[0])
        tg__log_path(text, sizeof text);
    if (tg__opt.json[0])
        tg__output_path(tg__opt.json, json, sizeof json);
    char line[4096];
    int len = snprintf(line, sizeof line, "%lu\t%s\t%s\t%s\n", n, prog, text, json);
    snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return; /* tangle run has ended, or the program removed its folder */
    if (len > 0 && write(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1) < 0)
        len = 0;
    close(fd);
}
