/* SPDX-License-Identifier: MIT */
/* sym_a2l.c: symbolization by binutils' addr2line (see sym.h).
 *
 * addr2line runs once per module per batch, started with posix_spawn so
 * that a process whose other threads are deadlocked is not forked whole,
 * and is killed past a deadline: never a hang. It is asked for inlined
 * callers (-i), demangled names (-C) and each address echoed first (-a),
 * which is how the answers of one address are told from the next. */
#define _GNU_SOURCE
#include "report/sym.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/report.h"

extern char **environ;

#define DEADLINE_MS 5000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The environment for addr2line, without tangle's own variables so that the
 * symbolizer is not watched itself. */
static char **clean_env(void)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "TANGLE_", 7) != 0)
            env[k++] = environ[i];
    return env;
}

/* Reads fd until end of file or the deadline. 0 when it reached the end. */
static int read_all(int fd, struct tg_buf *b)
{
    long deadline = now_ms() + DEADLINE_MS;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        char chunk[4096];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && !b->failed ? 0 : -1;
        tg__buf_put(b, chunk, (size_t)r);
    }
}

/* TANGLE_ADDR2LINE names another addr2line (a cross binutils, say). It is
 * read once, as tangle starts: by report time the program may have changed
 * or cleared its environment, or be changing it in another thread. */
static char a2l_tool[4096];
static int a2l_state; /* 0 not read, 1 read, 2 too long: run nothing */

void tg__a2l_read_env(void)
{
    if (a2l_state)
        return;
    const char *t = getenv("TANGLE_ADDR2LINE");
    size_t n = t ? strlen(t) : 0;
    a2l_state = n < sizeof a2l_tool ? 1 : 2;
    if (a2l_state == 1 && n)
        memcpy(a2l_tool, t, n + 1);
}

/* Runs addr2line on n offsets of module; its whole output in *out. */
static int run_addr2line(const char *module, const uintptr_t *offs, int n, char **out)
{
    char **argv = calloc((size_t)n + 8, sizeof *argv);
    char *nums = calloc((size_t)n, 24);
    char **env = clean_env();
    int pipefd[2] = {-1, -1};
    int rc = -1;
    pid_t pid = -1;
    struct tg_buf b = {0};
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (!argv || !nums || !env || pipe2(pipefd, O_CLOEXEC) != 0)
        goto done;
    int k = 0;
    const char *flags[] = {"addr2line", "-a", "-i", "-f", "-C", "-e"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        argv[k++] = (char *)flags[i];
    argv[k++] = (char *)module;
    for (int i = 0; i < n; i++) {
        snprintf(nums + i * 24, 24, "0x%lx", (unsigned long)offs[i]);
        argv[k++] = nums + i * 24;
    }
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto done;
    fa_ok = 1;
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    tg__a2l_read_env(); /* the command line reads it here, the library at start */
    if (a2l_state == 2 ||
        (a2l_tool[0] ? posix_spawn(&pid, a2l_tool, &fa, NULL, argv, env)
                     : posix_spawnp(&pid, "addr2line", &fa, NULL, argv, env)) != 0) {
        pid = -1;
        goto done;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    rc = read_all(pipefd[0], &b);
done:
    if (pid > 0) {
        int st;
        if (rc != 0)
            kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    free(argv);
    free(nums);
    free(env);
    if (rc == 0 && b.data) {
        *out = b.data;
    } else {
        tg__buf_free(&b);
        rc = -1;
    }
    return rc;
}

/* One "function" + "file:line" pair of addr2line's answer. */
static void add_loc(struct tg__sym_answer *a, const char *fn, char *loc)
{
    if (a->n >= TG_SYM_MAX_INLINE)
        return;
    struct tg__sym_loc *l = &a->loc[a->n++];
    if (strcmp(fn, "??") != 0)
        l->function = strdup(fn);
    char *disc = strstr(loc, " (discriminator");
    if (disc)
        *disc = '\0';
    char *colon = strrchr(loc, ':');
    if (colon && strncmp(loc, "??", 2) != 0) {
        *colon = '\0';
        int ln = atoi(colon + 1);
        if (ln > 0) {
            l->file = strdup(loc);
            l->line = ln;
        }
    }
}

int tg__a2l_lookup(const char *module, const uintptr_t *offsets, int n,
                   struct tg__sym_answer **out)
{
    uintptr_t *offs = malloc((size_t)n * sizeof *offs);
    char *text = NULL;
    if (!offs)
        return -1;
    for (int i = 0; i < n; i++)
        offs[i] = offsets[i] - 1; /* inside the call, not after it */
    int rc = run_addr2line(module, offs, n, &text);
    free(offs);
    if (rc != 0)
        return -1;
    char *save = NULL;
    int cur = -1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '0' && line[1] == 'x') { /* -a: the next address begins */
            cur++;
            continue;
        }
        char *loc = strtok_r(NULL, "\n", &save);
        if (!loc || cur < 0 || cur >= n)
            break;
        add_loc(out[cur], line, loc);
    }
    for (int i = 0; i < n; i++)
        if (out[i]->n == 1 && !out[i]->loc[0].function && !out[i]->loc[0].file)
            out[i]->n = 0;
    free(text);
    return 0;
}
