/* SPDX-License-Identifier: MIT */
/* A threaded program forks while another thread holds locks; the child
 * keeps working (locks, threads) and its own deadlock is caught and
 * reported in FILE.PID. The parent sees the child end with status 66, and
 * the run ends with 66 too: a child's finding is the run's. The fork waits
 * until the spinner runs: a thread still starting up is inside gcc 12's
 * ASan runtime, whose allocator lock it may hold at the fork, and the
 * child's first new thread would then wait for that lock forever (issue
 * 17.14; the same without tangle). */
// EXIT: 66
// JSON: child
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(child_wait)
// STDOUT: child status 66
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both, started;

static void *spinner(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    for (int i = 0; i < 200000; i++) {
        pthread_mutex_lock(&busy);
        pthread_mutex_unlock(&busy);
    }
    return NULL;
}

static void *child_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&a); // @child_wait
    return NULL;
}

int main(void)
{
    pthread_t s;
    pthread_barrier_init(&started, NULL, 2);
    pthread_create(&s, NULL, spinner, NULL);
    pthread_barrier_wait(&started);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_barrier_init(&both, NULL, 2);
        pthread_create(&t, NULL, child_worker, NULL);
        pthread_mutex_lock(&a);
        pthread_barrier_wait(&both);
        pthread_mutex_lock(&b); // @child_wait
        return 0;
    }
    int st;
    waitpid(pid, &st, 0);
    pthread_join(s, NULL);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
