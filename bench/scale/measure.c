/* SPDX-License-Identifier: MIT */
/* measure: runs a command with a deadline and prints what it cost.
 *
 *   measure [-o FILE] SECONDS PROG [ARGS...]
 *
 * PROG runs in its own process group with stdin, stdout and stderr
 * inherited. When it ends, one line goes to stdout (or to FILE):
 *     measure: wall_s=W maxrss_kb=K status=S left=L
 * S is the exit status, "signal N", or "timeout" when PROG was stopped
 * after SECONDS: SIGTERM to PROG first, so that a supervisor such as
 * `tangle run` can end and reap its child (its peak memory then counts),
 * then SIGKILL to the whole process group 5 seconds later. K is the peak
 * resident set of PROG and of the descendants it waited for (wait4's
 * rusage). L is "yes" when processes of PROG's group were still there
 * after PROG ended (they are killed: nothing outlives a measurement), else
 * "no". The exit status of measure is 0 unless it could not run PROG. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Waits for pid until the deadline; returns 1 if it has ended (reaped
 * later by wait4), 0 at the deadline. */
static int wait_until(pid_t pid, double deadline)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        double left = deadline - now();
        if (left <= 0)
            break;
        if (fd >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int r = poll(&p, 1, left > 1000 ? 1000000 : (int)(left * 1000) + 1);
            if (r > 0) {
                close(fd);
                return 1;
            }
            if (r < 0 && errno != EINTR)
                fd = -1;
        } else {
            siginfo_t si = {0};
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                return 1;
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (fd >= 0)
        close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    FILE *out = stdout;
    if (argc > 2 && !strcmp(argv[1], "-o")) {
        out = fopen(argv[2], "w");
        if (!out) {
            perror(argv[2]);
            return 2;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: measure [-o FILE] SECONDS PROG [ARGS...]\n");
        return 2;
    }
    double limit = atof(argv[1]);
    fflush(stdout);
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: cannot run %s\n", argv[2]);
        _exit(127);
    }
    setpgid(pid, pid);
    int ended = wait_until(pid, t0 + limit);
    if (!ended) {
        kill(pid, SIGTERM);
        if (!wait_until(pid, now() + 5))
            kill(-pid, SIGKILL);
    }
    int st = 0;
    struct rusage ru = {0};
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
        ;
    double wall = now() - t0;
    int left = ended && kill(-pid, 0) == 0;
    if (left)
        kill(-pid, SIGKILL);
    char status[32];
    if (!ended)
        snprintf(status, sizeof status, "timeout");
    else if (WIFSIGNALED(st))
        snprintf(status, sizeof status, "signal %d", WTERMSIG(st));
    else
        snprintf(status, sizeof status, "%d", WEXITSTATUS(st));
    fprintf(out, "measure: wall_s=%.3f maxrss_kb=%ld status=%s left=%s\n", wall, ru.ru_maxrss, status,
            left ? "yes" : "no");
    return fclose(out) == 0 ? 0 : 2;
}
