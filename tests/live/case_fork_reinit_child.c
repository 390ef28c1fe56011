/* SPDX-License-Identifier: MIT */
/* Issue 15 item 8: fork() while a worker holds a mutex; the child resets
 * it, once with pthread_mutex_init and once with a static initialiser
 * (the usual child-side resets), and its own threads then contend for
 * it. A reset starts a new lock that the parent's worker does not hold
 * in the child: nothing is reported, in the parent or the child. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: child status 0
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t held, forked;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_barrier_wait(&held);
    pthread_barrier_wait(&forked);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m); /* waits while the child's main thread holds it */
    pthread_mutex_unlock(&m);
    return NULL;
}

static void contend(void)
{
    pthread_t t;
    pthread_mutex_lock(&m);
    pthread_create(&t, NULL, child_thread, NULL);
    usleep(1500000); /* long enough for the watchdog to look */
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
}

int main(void)
{
    pthread_t w;
    pthread_barrier_init(&held, NULL, 2);
    pthread_barrier_init(&forked, NULL, 2);
    pthread_create(&w, NULL, worker, NULL);
    pthread_barrier_wait(&held);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_init(&m, NULL);
        contend();
        m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        contend();
        _exit(0);
    }
    pthread_barrier_wait(&forked);
    pthread_join(w, NULL);
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
