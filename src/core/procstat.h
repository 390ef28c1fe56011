/* SPDX-License-Identifier: MIT */
/* procstat.h: a thread's scheduling state as the kernel shows it in
 * /proc/self/task/TID/stat. Header-only, because the task runtime built
 * without the engine needs it too. System calls only, no allocation: safe
 * with the engine lock held. */
#ifndef TANGLE_CORE_PROCSTAT_H
#define TANGLE_CORE_PROCSTAT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Thread tid of process pid (0: this process): 'R' running or runnable,
 * 'S'/'D' asleep in a call, 'Z'/'X' gone, 't' stopped by a tracer, ...;
 * 0 when the file cannot be read (the thread has ended), '?' when its text
 * cannot be parsed. */
static inline char tg__proc_task_state(long pid, long tid)
{
    char path[96], buf[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", pid, tid);
    else
        snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the name may hold anything */
    return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

static inline char tg__proc_thread_state(long tid)
{
    return tg__proc_task_state(0, tid);
}

#endif
