/* SPDX-License-Identifier: MIT */
/* Issue 15 item 9: the only thread waits, longer than stall_ms, on a
 * semaphore that a signal handler posts: first from a setitimer timer,
 * then from a signal another process sends. A semaphore a handler could
 * post is not a stall by itself: nothing is reported. */
// RUN: -O stall_ms=200
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: posted by the timer's handler
// STDOUT: posted by the other process's signal
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static sem_t ready;

static void post(int sig)
{
    (void)sig;
    sem_post(&ready);
}

static void handle(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = post;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

int main(void)
{
    sem_init(&ready, 0, 0);
    handle(SIGALRM);
    struct itimerval when = {.it_value = {0, 800000}};
    setitimer(ITIMER_REAL, &when, NULL);
    while (sem_wait(&ready) != 0)
        ; /* EINTR */
    printf("posted by the timer's handler\n");

    handle(SIGUSR1);
    fflush(stdout);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        usleep(800000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    while (sem_wait(&ready) != 0)
        ;
    printf("posted by the other process's signal\n");
    waitpid(pid, NULL, 0);
    return 0;
}
