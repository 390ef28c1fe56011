/* SPDX-License-Identifier: MIT */
/* Issue 15 item 7: a process-shared mutex and condition in shm_open
 * memory, set up by another process; this one only maps the segment and
 * waits longer than stall_ms for the other's signal. The process-shared
 * attribute is read from the objects themselves: nothing is reported. */
// RUN: -O stall_ms=200
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: signalled by the other process
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    pthread_mutex_t m;
    pthread_cond_t c;
    volatile int ready, done;
};

static struct shared *map(const char *name)
{
    int fd = shm_open(name, O_RDWR, 0600);
    if (fd < 0)
        return NULL;
    void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

static void other_process(const char *name)
{
    struct shared *sh = map(name);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->m, &ma);
    pthread_cond_init(&sh->c, &ca);
    sh->ready = 1;
    usleep(800000);
    pthread_mutex_lock(&sh->m);
    sh->done = 1;
    pthread_cond_signal(&sh->c);
    pthread_mutex_unlock(&sh->m);
    _exit(0);
}

int main(void)
{
    char name[64];
    snprintf(name, sizeof name, "/tangle-case-%d", (int)getpid());
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, sizeof(struct shared)) != 0)
        return 2;
    close(fd);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        other_process(name);
    struct shared *sh = map(name);
    while (!sh->ready)
        usleep(1000);
    pthread_mutex_lock(&sh->m);
    while (!sh->done)
        pthread_cond_wait(&sh->c, &sh->m);
    pthread_mutex_unlock(&sh->m);
    printf("signalled by the other process\n");
    waitpid(pid, NULL, 0);
    shm_unlink(name);
    return 0;
}
