/* SPDX-License-Identifier: MIT */
/* symbolize.c: return addresses to function, file and line.
 *
 * The toolchain's own symbolizer (binutils addr2line) runs once per module
 * per call, started with posix_spawn so that a process whose other threads
 * are deadlocked is not forked whole. Each run is bounded by a deadline and
 * killed past it. Where it is missing or fails, dladdr gives the exported
 * symbol name and the frame keeps its module+offset: never a crash, never a
 * hang. */
#define _GNU_SOURCE
#include "report/report.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEADLINE_MS 5000

struct module_q {
    uintptr_t pc;
    const char *path;    /* owned by the loader or by exe_path */
    uintptr_t bias;
    int found;
};

static char exe_path[4096];

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct module_q *q = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (q->pc >= lo && q->pc < lo + ph->p_memsz) {
            q->bias = info->dlpi_addr;
            q->path = info->dlpi_name;
            if (!q->path || !q->path[0]) {
                if (!exe_path[0]) {
                    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
                    exe_path[n > 0 ? n : 0] = '\0';
                }
                q->path = exe_path;
            }
            q->found = 1;
            return 1;
        }
    }
    return 0;
}

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

/* Runs addr2line on `n` offsets of `module`, reading its whole output into
 * *out (NUL-terminated). Returns 0 on success. */
static int run_addr2line(const char *module, const uintptr_t *offs, int n, char **out)
{
    char **argv = calloc((size_t)n + 6, sizeof *argv);
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
    argv[k++] = "addr2line";
    argv[k++] = "-f";
    argv[k++] = "-C";
    argv[k++] = "-e";
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
    if (posix_spawnp(&pid, "addr2line", &fa, NULL, argv, env) != 0) {
        pid = -1;
        goto done;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    long deadline = now_ms() + DEADLINE_MS;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            goto done;
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            goto done;
        char chunk[4096];
        ssize_t r = read(pipefd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        tg__buf_put(&b, chunk, (size_t)r);
    }
    rc = b.failed ? -1 : 0;
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

/* Applies addr2line's two-line answers to the frames, in order. */
static void apply_output(char *text, struct tg_frame **frs, int n)
{
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    for (int i = 0; i < n && line; i++) {
        char *loc = strtok_r(NULL, "\n", &save);
        if (!loc)
            break;
        if (strcmp(line, "??") != 0) {
            free((char *)frs[i]->function);
            frs[i]->function = tg__strdup(line);
        }
        char *disc = strstr(loc, " (discriminator");
        if (disc)
            *disc = '\0';
        char *colon = strrchr(loc, ':');
        if (colon && strncmp(loc, "??", 2) != 0) {
            *colon = '\0';
            int ln = atoi(colon + 1);
            if (ln > 0) {
                const char *base = strrchr(loc, '/');
                frs[i]->file = tg__strdup(base ? base + 1 : loc);
                frs[i]->line = ln;
            }
        }
        line = strtok_r(NULL, "\n", &save);
    }
}

struct frame_list {
    struct tg_frame **v;
    int n, cap;
};

static void collect(struct frame_list *l, struct tg_stack *s)
{
    for (int i = 0; i < s->n; i++) {
        if (!s->frames[i].pc || s->frames[i].function || s->frames[i].file)
            continue;
        if (l->n == l->cap) {
            int cap = l->cap ? l->cap * 2 : 64;
            struct tg_frame **v = realloc(l->v, (size_t)cap * sizeof *v);
            if (!v)
                return;
            l->v = v;
            l->cap = cap;
        }
        l->v[l->n++] = &s->frames[i];
    }
}

static void collect_res(struct frame_list *l, struct tg_res_info *r)
{
    collect(l, &r->created);
}

static void collect_finding(struct frame_list *l, struct tg_finding *f)
{
    collect(l, &f->where);
    for (int i = 0; i < f->n_actors; i++) {
        struct tg_actor_info *a = &f->actors[i];
        collect(l, &a->created);
        collect(l, &a->wait.stack);
        collect_res(l, &a->wait.res);
        for (int j = 0; j < a->wait.n_any; j++)
            collect_res(l, &a->wait.any[j].res);
        for (int j = 0; j < a->n_holds; j++) {
            collect(l, &a->holds[j].acquired);
            collect_res(l, &a->holds[j].res);
        }
    }
}

static void symbolize_list(struct frame_list *lp);

void tg__symbolize_findings(struct tg_finding **fs, int nf)
{
    struct frame_list l = {0};
    for (int i = 0; i < nf; i++)
        collect_finding(&l, fs[i]);
    symbolize_list(&l);
}

void tg__symbolize_stack(struct tg_stack *s)
{
    struct frame_list l = {0};
    collect(&l, s);
    symbolize_list(&l);
}

/* Locates every frame's module, then runs the symbolizer module by module. */
static void symbolize_list(struct frame_list *lp)
{
    struct frame_list l = *lp;
    const char **paths = calloc((size_t)l.n + 1, sizeof *paths);
    char *done = calloc((size_t)l.n + 1, 1);
    if (!paths || !done)
        goto out;
    for (int i = 0; i < l.n; i++) {
        struct tg_frame *fr = l.v[i];
        struct module_q q = {.pc = fr->pc - 1};
        dl_iterate_phdr(phdr_cb, &q);
        if (!q.found)
            continue;
        paths[i] = q.path;
        fr->module = tg__strdup(q.path);
        fr->offset = fr->pc - q.bias;
        Dl_info di;
        if (dladdr((void *)(fr->pc - 1), &di) && di.dli_sname)
            fr->function = tg__strdup(di.dli_sname);
    }
    for (int i = 0; i < l.n; i++) {
        if (done[i] || !paths[i] || strstr(paths[i], "linux-vdso"))
            continue;
        int m = 0;
        struct tg_frame **grp = calloc((size_t)l.n, sizeof *grp);
        uintptr_t *offs = calloc((size_t)l.n, sizeof *offs);
        if (!grp || !offs) {
            free(grp);
            free(offs);
            break;
        }
        for (int j = i; j < l.n; j++) {
            if (!done[j] && paths[j] && strcmp(paths[j], paths[i]) == 0) {
                done[j] = 1;
                grp[m] = l.v[j];
                offs[m++] = l.v[j]->offset - 1;
            }
        }
        char *text = NULL;
        if (run_addr2line(paths[i], offs, m, &text) == 0)
            apply_output(text, grp, m);
        free(text);
        free(grp);
        free(offs);
    }
out:
    free(paths);
    free(done);
    free(l.v);
}

/* ---- data symbols: which global a lock is ------------------------------- */

#include <elf.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Looks off up among the STT_OBJECT symbols of an ELF file's .symtab (or
 * .dynsym). Returns a malloc'd "name" or "name+N", or NULL. */
static char *elf_object_at(const char *path, uintptr_t off)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *result = NULL;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    for (int pass = 0; pass < 2 && !result; pass++) {
        Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (int i = 0; i < eh->e_shnum && !result; i++) {
            if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
                continue;
            const Elf64_Shdr *strs = &sh[sh[i].sh_link];
            if (sh[i].sh_offset + sh[i].sh_size > size || strs->sh_offset + strs->sh_size > size)
                continue;
            const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
            size_t n = sh[i].sh_size / sizeof *sym;
            for (size_t k = 0; k < n; k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_OBJECT || sym[k].st_name >= strs->sh_size)
                    continue;
                if (off < sym[k].st_value || off >= sym[k].st_value + (sym[k].st_size ? sym[k].st_size : 1))
                    continue;
                const char *name = (const char *)img + strs->sh_offset + sym[k].st_name;
                uintptr_t delta = off - sym[k].st_value;
                result = delta ? tg__sprintf("%s+%lu", name, (unsigned long)delta) : tg__strdup(name);
                break;
            }
        }
    }
out:
    munmap((void *)img, size);
    return result;
}

char *tg__data_symbol(uintptr_t addr)
{
    struct module_q q = {.pc = addr};
    dl_iterate_phdr(phdr_cb, &q);
    if (!q.found || strstr(q.path, "linux-vdso"))
        return NULL;
    return elf_object_at(q.path, addr - q.bias);
}
