/* SPDX-License-Identifier: MIT */
/* Counts real-time signals (which are queued, never merged) while its
 * threads sleep in waits; on SIGTERM prints the count and exits. With
 * check_signals.sh: attaching over and over while signals arrive must
 * lose none. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t count;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static void on_rt(int sig)
{
    (void)sig;
    count++;
}

static void on_term(int sig)
{
    (void)sig;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "count %d\n", (int)count);
    if (write(1, buf, (size_t)n) < 0)
        _exit(1);
    _exit(0);
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&c, &m);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_rt;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    pthread_t t;
    for (int i = 0; i < 4; i++)
        pthread_create(&t, NULL, waiter, NULL);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
