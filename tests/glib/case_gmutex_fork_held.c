/* SPDX-License-Identifier: MIT */
/* fork() while a GLib worker holds a GMutex; the child, which has only the
 * forking thread, takes the GMutex and would hang for good (the worker was
 * not copied into it). The child reports the deadlock, worded for a fork
 * child, in FILE.PID and ends with status 66; the parent reports nothing.
 * A GMutex names no owner in its memory (tangle reads a pthread mutex's
 * owner to see whether a child reset it): the bytes after it, which a
 * pthread mutex would hold its owner in, say "no owner" here, and the
 * worker's hold still stands. */
// EXIT: 66
// JSON: child
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "fork"
// CHECK: reports[0].threads[*].state == "parent-only"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(child_lock)
// STDOUT: child status 66
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* A pthread mutex keeps its owner's thread id 8 bytes in: here, 0. */
static struct {
    GMutex lock;
    int no_owner[2];
} shared;
static pthread_barrier_t held, forked;

static gpointer worker(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&shared.lock);
    pthread_barrier_wait(&held);
    pthread_barrier_wait(&forked);
    g_mutex_unlock(&shared.lock);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&held, NULL, 2);
    pthread_barrier_init(&forked, NULL, 2);
    GThread *w = g_thread_new("worker", worker, NULL);
    pthread_barrier_wait(&held);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        g_mutex_lock(&shared.lock); // @child_lock
        _exit(0);
    }
    pthread_barrier_wait(&forked);
    g_thread_join(w);
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
