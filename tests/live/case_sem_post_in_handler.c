/* SPDX-License-Identifier: MIT */
/* Issue 17 item 2: sem_post is async-signal-safe, so a signal handler may
 * call it whenever the program runs, including while tangle's own code
 * runs on that thread (here: registering a new thread, which takes the
 * engine lock). A timer posts two semaphores from its handler thousands
 * of times while main creates and joins threads: one counts ticks, the
 * other is a binary semaphore another thread took (a post by a thread
 * that did not take it). The program ends, and nothing is reported.
 * Before the fix, the handler waited for the engine lock its own thread
 * held, and the watchdog then waited for it too. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: done, the handler posted
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static sem_t taken, ticks;

static void on_timer(int sig)
{
    (void)sig;
    sem_post(&taken);
    sem_post(&ticks);
}

static void *take(void *arg)
{
    (void)arg;
    sem_wait(&taken);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    sem_init(&taken, 0, 1);
    sem_init(&ticks, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, take, NULL);
    pthread_join(t, NULL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_timer;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &every, NULL);
    for (int i = 0; i < 5000; i++) {
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    int posted = 0;
    sem_getvalue(&ticks, &posted);
    printf("done, the handler posted %s\n", posted > 0 ? "ticks" : "nothing");
    return 0;
}
