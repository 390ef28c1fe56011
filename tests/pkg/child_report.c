/* SPDX-License-Identifier: MIT */
/* child_report.c: a program whose findings are made by a child process.
 *
 *   child_report fork    a forked child unlocks a mutex nobody holds (a
 *                        hazard) and exits 0; the parent exits 0.
 *   child_report exec    the same, in a child that execs this program
 *                        ("misuse" mode).
 *   child_report clean   a forked child that does nothing wrong.
 *
 * Expected under `tangle run`: fork and exec end with status 66 and a line
 * naming the child and where its report went; clean ends with status 0. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int misuse(void)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_unlock(&m); /* glibc returns 0; tangle reports it */
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "fork";
    if (!strcmp(mode, "misuse"))
        return misuse();
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (!strcmp(mode, "exec")) {
            execl("/proc/self/exe", argv[0], "misuse", (char *)NULL);
            _exit(1);
        }
        _exit(!strcmp(mode, "fork") ? misuse() : 0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return 1;
    printf("child %ld ended with status %d\n", (long)pid, WEXITSTATUS(st));
    return 0;
}
