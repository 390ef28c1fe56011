/* SPDX-License-Identifier: MIT */
/* A hang tangle cannot classify: main waits for a mutex whose holder sleeps
 * in read() on a pipe (no lock, no deadlock to prove). With long_wait_ms the
 * wait is reported once, naming the holder and the system call it sleeps
 * in; then another thread writes to the pipe and everything finishes. */
// RUN: -O long_wait_ms=300
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "long-wait"
// CHECK: reports[0].summary ~ "asleep in a system call (read)"
// CHECK: reports[0].threads[0].name == "main"
// CHECK: reports[0].threads[0].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(wait)
// CHECK: reports[0].threads[0].waits_for.waited_ms >= 300
// CHECK: reports[0].threads[1].state == "in-syscall"
// CHECK: reports[0].threads[1].syscall == "read"
// CHECK: reports[0].threads[1].holds[0].acquired[0].line == @LINE(take)
// STDERR: is asleep in a system call (read)
// STDERR: SUMMARY: tangle: long-wait
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static int pipefd[2];
static sem_t taken;

static void *reader(void *arg)
{
    (void)arg;
    char c;
    pthread_mutex_lock(&table); // @take
    sem_post(&taken);
    if (read(pipefd[0], &c, 1) != 1) /* sleeps until the writer writes */
        perror("read");
    pthread_mutex_unlock(&table);
    return NULL;
}

/* Whether the report is on stderr (a file, in the tests): on a loaded
 * machine the watchdog may take longer than usual, so the writer waits for
 * it (up to 30 s) rather than trusting a sleep. */
static int reported(void)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/fd/2", O_RDONLY);
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return strstr(buf, "SUMMARY: tangle: long-wait") != NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    sleep(1);
    for (int i = 0; i < 150 && !reported(); i++)
        usleep(200000);
    if (write(pipefd[1], "x", 1) != 1)
        perror("write");
    return NULL;
}

int main(void)
{
    pthread_t r, w;
    if (pipe(pipefd) != 0)
        return 1;
    sem_init(&taken, 0, 0);
    pthread_create(&r, NULL, reader, NULL);
    pthread_create(&w, NULL, writer, NULL);
    sem_wait(&taken);
    pthread_mutex_lock(&table); // @wait
    pthread_mutex_unlock(&table);
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    puts("finished");
    return 0;
}
