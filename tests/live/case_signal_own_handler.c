/* SPDX-License-Identifier: MIT */
/* Issue 17 item 3: the program has its own handler for SIGRTMAX-7, the
 * signal tangle sends a stuck thread to ask for its stack, and sends it
 * itself: three raise() calls and one sigqueue() with a value. Its handler
 * runs once for each, with the program's siginfo, and never for tangle's
 * requests, which still bring whole stacks for the deadlock that follows. */
// RUN: -O watchdog_ms=10
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_b)
// STDOUT: handler as set
// STDOUT: handled 4 of 4
// COUNT: 4 program handler ran
// NOSTDERR: unexpected
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;
static volatile sig_atomic_t handled;

static void on_signal(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    static const char ran[] = "program handler ran\n", bad[] = "unexpected siginfo\n";
    handled++;
    write(2, ran, sizeof ran - 1);
    int ok = sig == SIGRTMAX - 7 && info->si_pid == getpid() &&
             (info->si_code == SI_TKILL || (info->si_code == SI_QUEUE && info->si_value.sival_int == 42));
    if (!ok)
        write(2, bad, sizeof bad - 1);
}

__attribute__((noinline)) static void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
}

static void *worker(void *arg)
{
    (void)arg;
    take(&lock_b);
    pthread_barrier_wait(&both);
    take(&lock_a); // @wait_a
    return NULL;
}

int main(void)
{
    struct sigaction sa, cur;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGRTMAX - 7, &sa, NULL);
    pthread_t t;
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, worker, NULL); /* the watchdog starts */
    sigaction(SIGRTMAX - 7, NULL, &cur);
    if (cur.sa_sigaction == on_signal && (cur.sa_flags & SA_SIGINFO) &&
        sigismember(&cur.sa_mask, SIGUSR1) && !sigismember(&cur.sa_mask, SIGUSR2))
        puts("handler as set");
    for (int i = 0; i < 3; i++)
        raise(SIGRTMAX - 7);
    sigqueue(getpid(), SIGRTMAX - 7, (union sigval){.sival_int = 42});
    while (handled < 4)
        usleep(1000);
    printf("handled %d of 4\n", (int)handled);
    fflush(stdout);
    take(&lock_a);
    pthread_barrier_wait(&both);
    take(&lock_b); // @wait_b
    return 0;
}
