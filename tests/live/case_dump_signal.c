/* SPDX-License-Identifier: MIT */
/* dump_signal: the program is asked (here by itself, with kill) what it is
 * doing while one thread holds a mutex and sleeps in read(), another waits
 * for that mutex and a third waits on a condition. The dump lists every
 * thread, what it holds, what it waits for and for how long, and the
 * program goes on: a dump is not a finding (exit status 0, no report). */
// RUN: -O dump_signal=10
// EXIT: 0
// STDOUT: finished
// CHECK: reports# == 0
// STDERR: tangle: dump on signal 10 (not a finding; the program goes on)
// STDERR: tangle: THREADS: what every thread and task is doing: 2 of 4 waiting
// STDERR: is asleep in a system call (read)
// STDERR: ms so far
// STDERR: waits for condition
// NOSTDERR: SUMMARY:
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER, m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int pipefd[2], go;
static sem_t taken;

static void *reader(void *arg)
{
    (void)arg;
    char c;
    pthread_mutex_lock(&table);
    sem_post(&taken);
    if (read(pipefd[0], &c, 1) != 1)
        perror("read");
    pthread_mutex_unlock(&table);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table); /* waits while the reader sleeps */
    pthread_mutex_unlock(&table);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&ready, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

/* Whether the dump on stderr (a file, in the tests) shows every wait: on a
 * loaded machine the watchdog may need a few ticks to see them all, so the
 * program asks again rather than trusting a sleep. */
static int dumped_all(void)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/fd/2", O_RDONLY);
    if (fd < 0)
        return 1; /* not a file: the sleeps below have to do */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return strstr(buf, "2 of 4 waiting") && strstr(buf, "(read)");
}

int main(void)
{
    pthread_t r, w, s;
    if (pipe(pipefd) != 0)
        return 1;
    sem_init(&taken, 0, 0);
    pthread_create(&r, NULL, reader, NULL);
    sem_wait(&taken);
    pthread_create(&w, NULL, waiter, NULL);
    pthread_create(&s, NULL, sleeper, NULL);
    for (int i = 0; i < 100; i++) { /* up to 30 s */
        usleep(300000);
        kill(getpid(), SIGUSR1);
        usleep(300000); /* the watchdog writes the dump at its next tick */
        if (dumped_all())
            break;
    }
    if (write(pipefd[1], "x", 1) != 1)
        perror("write");
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&m);
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    pthread_join(s, NULL);
    puts("finished");
    return 0;
}
