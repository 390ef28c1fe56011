/* SPDX-License-Identifier: MIT */
/* procstat.h: reading a thread's files under /proc/.../task/TID, and its
 * scheduling state as the kernel shows it in stat. Header-only, because the task runtime built
 * without the engine needs it too. System calls only, no allocation: safe
 * with the engine lock held. */
#ifndef TANGLE_CORE_PROCSTAT_H
#define TANGLE_CORE_PROCSTAT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads the file of thread tid of process pid (0: this process) under
 * /proc/.../task/TID/ named `file` into buf, NUL-terminated: the length
 * read, or -1 when it cannot be read (the thread has ended). */
static inline ssize_t tg__proc_task_read(long pid, long tid, const char *file, char *buf, size_t size)
{
    char path[96];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/%s", pid, tid, file);
    else
        snprintf(path, sizeof path, "/proc/self/task/%ld/%s", tid, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return n;
}

/* Thread tid of process pid (0: this process): 'R' running or runnable,
 * 'S'/'D' asleep in a call, 'Z'/'X' gone, 't' stopped by a tracer, ...;
 * 0 when the file cannot be read (the thread has ended), '?' when its text
 * cannot be parsed. */
static inline char tg__proc_task_state(long pid, long tid)
{
    char buf[256];
    if (tg__proc_task_read(pid, tid, "stat", buf, sizeof buf) < 0)
        return 0;
    const char *p = strrchr(buf, ')'); /* the name may hold anything */
    return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

static inline char tg__proc_thread_state(long tid)
{
    return tg__proc_task_state(0, tid);
}

#endif
