/* SPDX-License-Identifier: MIT */
/* main waits on a shared futex (no FUTEX_PRIVATE_FLAG) in shared memory,
 * which another process ends after a while; meanwhile the only other thread
 * waits on a private futex that main will wake. Every thread waits, but a
 * shared futex wait may be ended from outside the process: no stall is
 * reported, and the program ends normally. */
// RUN: -O stall_ms=200
// EXIT: 0
// STDOUT: woken from outside, then the worker
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static uint32_t go;

static void futex_wait(uint32_t *word, int op)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, word, op, 0, NULL, NULL, 0);
}

static void futex_set(uint32_t *word, int op)
{
    __atomic_store_n(word, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, word, op, 1, NULL, NULL, 0);
}

static void *worker(void *arg)
{
    (void)arg;
    futex_wait(&go, FUTEX_WAIT_PRIVATE);
    return NULL;
}

int main(void)
{
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        usleep(1200 * 1000); /* several stall_ms: a stall would be seen by now */
        futex_set(shared, FUTEX_WAKE);
        _exit(0);
    }
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    futex_wait(shared, FUTEX_WAIT);
    futex_set(&go, FUTEX_WAKE_PRIVATE);
    pthread_join(t, NULL);
    waitpid(child, NULL, 0);
    puts("woken from outside, then the worker");
    return 0;
}
