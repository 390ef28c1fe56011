/* SPDX-License-Identifier: MIT */
/* A process-shared mutex held by a child process: its owner TID is no
 * thread of the process attached to, yet the owner has not exited. The
 * wait names the other process, and nothing is a deadlock (a process-shared
 * lock can be released from outside). */
// EXIT: 0
// CHECK: !reports[*].kind == "deadlock"
// CHECK: reports[*].threads[0].waits_for.lock.detail ~ "of another process"
// CHECK: reports[*].threads[0].waits_for.holder == null
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "hang.h"

pthread_mutex_t *shared_lock_ptr;

int main(void)
{
    shared_lock_ptr = mmap(NULL, sizeof *shared_lock_ptr, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_lock_ptr == MAP_FAILED)
        return 1;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(shared_lock_ptr, &a);
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    if (fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pthread_mutex_lock(shared_lock_ptr);
        if (write(fds[1], "x", 1) != 1)
            return 1;
        forever();
    }
    char c;
    if (read(fds[0], &c, 1) != 1)
        return 1;
    ready();
    pthread_mutex_lock(shared_lock_ptr);
    return 0;
}
