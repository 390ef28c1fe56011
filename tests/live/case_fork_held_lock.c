/* SPDX-License-Identifier: MIT */
/* Issue 15 item 16: fork() while a worker holds a mutex; the child, which
 * has only the forking thread, takes the mutex and would hang for good
 * (the worker was not copied into it). The child reports the deadlock,
 * worded for a fork child, in FILE.PID and ends with status 66; the
 * parent, which did nothing wrong, reports nothing. */
// EXIT: 66
// JSON: child
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "fork"
// CHECK: reports[0].threads[*].state == "parent-only"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(child_lock)
// STDOUT: child status 66
// NOSTDERR: which has exited
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
        pthread_mutex_lock(&m); // @child_lock
        _exit(0);
    }
    pthread_barrier_wait(&forked);
    pthread_join(w, NULL);
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
