/* SPDX-License-Identifier: MIT */
/* Issue 15 item 1: a process waits longer than stall_ms on a named
 * semaphore (sem_open) that another process posts. Whatever another
 * process can wake is never a stall by itself: nothing is reported. */
// RUN: -O stall_ms=200
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: posted by the other process
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char name[64];
    snprintf(name, sizeof name, "/tangle-case-%d", (int)getpid());
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (s == SEM_FAILED)
        return 2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(800000);
        sem_t *mine = sem_open(name, 0);
        sem_post(mine);
        _exit(0);
    }
    sem_wait(s);
    printf("posted by the other process\n");
    waitpid(pid, NULL, 0);
    sem_unlink(name);
    return 0;
}
