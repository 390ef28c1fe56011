/* SPDX-License-Identifier: MIT */
/* supervise.c: `tangle run` starts the program as its child and waits for
 * it, so that findings of the processes the program starts (fork, exec)
 * reach the run's exit status. Each watched process that reports writes a
 * note into the run directory (TANGLE_RUN_DIR, see core/report.c); when the
 * program ends, every note of another process is summarised on stderr, and
 * the status becomes `exitcode` if any process reported.
 *
 * The program keeps what it had under an exec: its own process group,
 * terminal, file descriptors and signal dispositions. Termination signals
 * sent to tangle are passed on to it; a program killed by a signal makes
 * tangle die of the same signal (without a second core dump). Processes the
 * program leaves behind are reaped (tangle is a child subreaper) but not
 * waited for. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

static volatile sig_atomic_t child_pid;

static const int forwarded[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};
static const int ignored[] = {SIGINT, SIGQUIT}; /* the terminal sends them to the program too */
#define NFWD (sizeof forwarded / sizeof forwarded[0])
#define NIGN (sizeof ignored / sizeof ignored[0])

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

/* Summarises the notes of processes other than `top` and returns how many
 * of them reported anything; *top_reported says whether `top` did (before
 * an exec, its new image may have ended cleanly). Removes the notes. */
static int summarise(const char *dir, pid_t top, int *top_reported)
{
    *top_reported = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int reported = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (e->d_name[0] == '.' || *end)
            continue;
        char path[4200], line[4096] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(line, sizeof line, f))
                line[0] = '\0';
            fclose(f);
        }
        unlink(path);
        line[strcspn(line, "\n")] = '\0';
        /* "N\tPROGRAM\tTEXT\tJSON" (core/report.c) */
        char *fields[4] = {line, "", "", ""};
        for (int i = 1; i < 4 && fields[i - 1]; i++) {
            char *tab = strchr(fields[i - 1], '\t');
            if (!tab)
                break;
            *tab = '\0';
            fields[i] = tab + 1;
        }
        long n = atol(fields[0]);
        if (n <= 0)
            continue;
        if (pid == (long)top) {
            *top_reported = 1; /* its report is in front of the user already */
            continue;
        }
        reported++;
        fprintf(stderr, "tangle: process %ld (%s), started by the watched program, reported %ld "
                        "finding%s; its report went to %s%s%s.\n",
                pid, fields[1][0] ? fields[1] : "?", n, n == 1 ? "" : "s", fields[2],
                fields[3][0] ? ", JSON to " : "", fields[3]);
    }
    closedir(d);
    rmdir(dir);
    return reported;
}

/* Dies of `sig` as the program did; a core was already dumped by it. */
static int die_like(int sig)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    return 128 + sig;
}

int tg__cli_supervise(const char *prog, char **argv, const char *rundir, int exitcode)
{
    /* Block what we forward until the handlers are in place; the child
     * restores everything before exec. */
    sigset_t fwd, old_mask;
    sigemptyset(&fwd);
    for (size_t i = 0; i < NFWD; i++)
        sigaddset(&fwd, forwarded[i]);
    sigprocmask(SIG_BLOCK, &fwd, &old_mask);
    struct sigaction old_ign[NIGN], ign = {.sa_handler = SIG_IGN};
    for (size_t i = 0; i < NIGN; i++)
        sigaction(ignored[i], &ign, &old_ign[i]);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "tangle run: cannot start the program: %s.\n", strerror(errno));
        return TG_RUN_NOEXEC;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "tangle run: cannot start the program: %s.\n", strerror(errno));
        return TG_RUN_NOEXEC;
    }
    if (pid == 0) {
        close(errpipe[0]);
        char owner[32];
        snprintf(owner, sizeof owner, "%ld", (long)getpid());
        setenv("TANGLE_JSON_OWNER", owner, 1);
        for (size_t i = 0; i < NIGN; i++)
            sigaction(ignored[i], &old_ign[i], NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        execv(prog, argv);
        int err = errno;
        if (write(errpipe[1], &err, sizeof err) < 0)
            _exit(TG_RUN_NOEXEC);
        _exit(TG_RUN_NOEXEC);
    }
    child_pid = pid;
    close(errpipe[1]);
    struct sigaction fa = {.sa_handler = forward, .sa_flags = SA_RESTART};
    sigemptyset(&fa.sa_mask);
    for (size_t i = 0; i < NFWD; i++)
        sigaction(forwarded[i], &fa, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    int err = 0;
    ssize_t r;
    while ((r = read(errpipe[0], &err, sizeof err)) < 0 && errno == EINTR)
        ;
    close(errpipe[0]);
    int status = 0;
    for (;;) {
        pid_t w = waitpid(-1, &status, 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = 0;
            break;
        }
    }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ; /* orphans that ended already */
    if (r == (ssize_t)sizeof err) {
        fprintf(stderr, "tangle run: cannot execute '%s': %s. The program was not started.\n",
                prog, strerror(err));
        int top_reported;
        if (rundir)
            summarise(rundir, pid, &top_reported);
        return err == ENOENT ? TG_RUN_NOTFOUND : TG_RUN_NOEXEC;
    }
    int top_reported = 0;
    int others = rundir ? summarise(rundir, pid, &top_reported) : 0;
    if (WIFSIGNALED(status))
        return die_like(WTERMSIG(status));
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if ((others || top_reported) && code != exitcode) {
        fprintf(stderr, "tangle: exit status %d (the program's own was %d) because %s.\n",
                exitcode, code, others ? "a process it started reported"
                                       : "it reported, then ended through _exit() or an exec, "
                                         "past where tangle sets the status itself");
        return exitcode;
    }
    return code;
}
