/* SPDX-License-Identifier: MIT */
/* Issue 17 item 3: while tangle keeps its own handler on SIGRTMAX-7, the
 * program sees only what it set: the default at first (also once tangle's
 * watchdog runs), then each disposition it sets, through sigaction,
 * signal, sysv_signal and sigset. Raised while ignored, the signal does
 * nothing; raised with the default action, it kills the process, as
 * without tangle (checked in a child). */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: default at first
// STDOUT: ignored as set
// STDOUT: signal returned the handler
// STDOUT: sysv_signal is one-shot
// STDOUT: sigset returned SIG_IGN
// STDOUT: survived an ignored raise
// STDOUT: child killed by SIGRTMAX-7
// NOSTDERR: tangle:
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* sigset */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIG (SIGRTMAX - 7)

static void on_signal(int sig)
{
    (void)sig;
}

static void *idle(void *arg)
{
    return arg;
}

static void *disposition(void)
{
    struct sigaction cur;
    sigaction(SIG, NULL, &cur);
    return (void *)cur.sa_handler;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL); /* tangle's watchdog starts here */
    pthread_join(t, NULL);
    if (disposition() == (void *)SIG_DFL)
        puts("default at first");
    struct sigaction ign = {.sa_handler = SIG_IGN}, cur;
    sigaction(SIG, &ign, NULL);
    sigaction(SIG, NULL, &cur);
    if (cur.sa_handler == SIG_IGN)
        puts("ignored as set");
    signal(SIG, on_signal);
    if (signal(SIG, SIG_DFL) == on_signal && disposition() == (void *)SIG_DFL)
        puts("signal returned the handler");
    sysv_signal(SIG, on_signal);
    sigaction(SIG, NULL, &cur);
    if (cur.sa_handler == on_signal && (cur.sa_flags & SA_RESETHAND)) {
        raise(SIG); /* one-shot: runs on_signal and resets to the default */
        if (disposition() == (void *)SIG_DFL)
            puts("sysv_signal is one-shot");
    }
    sigset(SIG, SIG_IGN);
    if (sigset(SIG, SIG_IGN) == SIG_IGN)
        puts("sigset returned SIG_IGN");
    raise(SIG);
    puts("survived an ignored raise");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIG, SIG_DFL);
        raise(SIG);
        _exit(3);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIG)
        puts("child killed by SIGRTMAX-7");
    return 0;
}
