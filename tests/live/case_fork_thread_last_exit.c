/* SPDX-License-Identifier: MIT */
/* Issue 15 (CPython's test_3_join_in_forked_from_thread): a thread that
 * is not main forks; in the child it starts and joins a thread, then
 * returns, so the child's last thread ends with pthread_exit and glibc
 * ends the child with status 0. tangle's watchdog (restarted in the child
 * by its first thread) must not keep the child alive. The parent gives
 * the child 30 s before it says it hung. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: child ended with status 0
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nothing(void *arg)
{
    return arg;
}

static void *forker(void *arg)
{
    (void)arg;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
        return NULL; /* the child's last thread ends here */
    }
    int status = 0;
    for (int i = 0; i < 3000 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        printf("child hung after its last thread ended\n");
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return NULL;
    }
    printf("child ended with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, forker, NULL);
    pthread_join(t, NULL);
    return 0;
}
