/* SPDX-License-Identifier: MIT */
/* report.c: where findings go. Each new finding is symbolized, printed on
 * stderr (or the log file) and appended to the JSON document in one write,
 * so that it is valid JSON even if the program is killed a moment later
 * (the first finding and the final repeat counts rewrite it whole, through
 * a temporary file and a rename). Repeats of a
 * finding (same kind and sites) are counted instead of printed. */
#define _GNU_SOURCE
#include "core/internal.h"
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lock.h"

static tg_lock_t report_lock = TG_LOCK_INIT;

/* Call sites that raised a hazard already: (hazard, pc) -> finding, so that
 * a misuse repeated in a loop costs a table probe, not a stack capture. */
#define SITES 4096
static struct site {
    uintptr_t pc;
    int hazard;
    int finding; /* index in found[] + 1; 0: empty */
} sites[SITES];
static struct tg_finding **found;
static uint64_t *found_keys;
static uint64_t *found_bugs; /* tg__bug_key of each, 0 for none */
static int n_found, cap_found;
static unsigned long reports_made;
static int json_dirty;
/* Deadlocks reported, and deadlocks the user's suppressions silenced. */
static unsigned long kept_deadlocks, suppressed_deadlocks;
static int json_in_file; /* findings the JSON file holds; -1 after a failure */

void tg__report_after_fork(void)
{
    report_lock.state = 0;
    tg__run_after_fork();
    tg__symbolize_after_fork();
    /* The child reports its own findings, into its own file. */
    n_found = 0;
    json_in_file = 0;
    reports_made = 0;
    memset(sites, 0, sizeof sites);
}

unsigned long tg__reports_made(void)
{
    return reports_made;
}

/* ---- describing engine objects ------------------------------------------ */

static const char *res_detail(const struct tg_res *r)
{
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    switch (tg__res_kind_in(f)) {
    case TG_RES_MUTEX:
        if (f & TG_RF_RECURSIVE) return "recursive";
        if (f & TG_RF_ERRORCHECK) return "errorcheck";
        return (f & TG_RF_ROBUST) ? "robust" : NULL;
    case TG_RES_RWLOCK:
        return (f & TG_RF_WRITER_PREF) ? "writer-preferring" : "reader-preferring";
    case TG_RES_SEM:
        return (f & TG_RF_LOCKLIKE) ? "binary, used as a lock" : NULL;
    default:
        return NULL;
    }
}

void tg__res_describe(const struct tg_res *r, struct tg_res_info *info)
{
    memset(info, 0, sizeof *info);
    if (!r)
        return;
    info->id = r->id;
    info->addr = r->addr;
    info->kind = tg__res_kind_name(tg__res_kind_of(r));
    uint32_t f = __atomic_load_n(&r->flags, __ATOMIC_RELAXED);
    if (tg__res_kind_in(f) == TG_RES_EVENT && (f & TG_RF_FUTEX))
        info->kind = "futex";
    info->detail = tg__strdup(res_detail(r));
    info->name = tg__data_symbol(r->addr);
    if (r->created_pc)
        tg__stack_from_pcs(&info->created, &r->created_pc, 1);
}

static void actor_name(const struct tg_actor *a, const char *name, char *out, size_t n)
{
    if (name[0] || a->kind == TG_ACTOR_TASK || !a->tid) {
        snprintf(out, n, "%s", name);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", a->tid);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, out, n - 1);
    close(fd);
    out[r > 0 ? r : 0] = '\0';
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
}

static const char *hold_mode(const struct tg_held *h, const struct tg_res *r)
{
    if (!r || tg__res_kind_of(r) != TG_RES_RWLOCK)
        return NULL;
    return h->mode == TG_MODE_READ ? "read" : "write";
}

/* What a wait (or one alternative of it) is on: a resource, or for a join
 * the actor waited for. */
static void describe_waited(struct tg_res_info *out, const struct tg_res *res, uint32_t kind,
                            const struct tg_actor *target)
{
    if (kind == TG_RES_JOIN && target) {
        struct tg_actor_ident who;
        tg__actor_ident(target, &who);
        out->kind = target->kind == TG_ACTOR_TASK ? "task" : "thread";
        out->id = who.id;
        out->name = tg__strdup(who.name[0] ? who.name : NULL);
    } else {
        tg__res_describe(res, out);
    }
}

char *(*tg__wait_note_hook)(const struct tg_actor *a, const struct tg_wait_desc *w);

void tg__describe_actor(struct tg_actor_info *info, const struct tg_actor *a,
                        const struct tg_wait_desc *wait, uint32_t wait_stack,
                        const struct tg_held *held, int n_held)
{
    char name[64];
    struct tg_actor_ident who;
    tg__actor_ident(a, &who);
    info->id = who.id;
    info->tid = a->tid;
    info->kind = a->kind == TG_ACTOR_TASK ? "task" : "thread";
    actor_name(a, who.name, name, sizeof name);
    info->name = tg__strdup(name);
    info->state = "running";
    tg__stack_to_info(&info->created, who.created, who.created_pc);
    if (wait) {
        info->wait.present = 1;
        info->wait.timed = (wait->flags & TG_WF_TIMED) != 0;
        describe_waited(&info->wait.res, wait->res, wait->kind, wait->target);
        tg__stack_to_info(&info->wait.stack, wait_stack, wait->pc);
        info->wait.any = wait->n_any > 0 ? calloc((size_t)wait->n_any, sizeof *info->wait.any) : NULL;
        for (int k = 0; info->wait.any && k < wait->n_any; k++) {
            const struct tg_wait_alt *alt = &wait->any[k];
            describe_waited(&info->wait.any[k].res, alt->res, alt->kind, alt->target);
            if (alt->kind == TG_RES_RWLOCK)
                info->wait.any[k].mode = alt->mode == TG_MODE_READ ? "read" : "write";
            info->wait.n_any = k + 1;
        }
        if (tg__wait_note_hook)
            info->wait.note = tg__wait_note_hook(a, wait);
    }
    for (int i = 0; i < n_held; i++) {
        const struct tg_held *h = &held[i];
        const struct tg_res *r = tg__held_res(h);
        if (h->released_by_other || (r && h->res_id && h->res_id != r->id))
            continue;
        struct tg_hold *last = info->n_holds ? &info->holds[info->n_holds - 1] : NULL;
        if (last && last->res.addr == h->addr) {
            last->count++;
            continue;
        }
        struct tg_hold *hd = tg__actor_info_add_hold(info);
        if (!hd)
            break;
        tg__res_describe(r, &hd->res);
        if (!r)
            hd->res.addr = h->addr;
        hd->mode = hold_mode(h, r);
        hd->count = 1;
        tg__stack_to_info(&hd->acquired, h->stack, h->pc);
    }
}

struct tg_finding *tg__hazard_new(enum tg_hazard hz, struct tg_actor *a, const char *fmt, ...)
{
    if (!tg__hazard_on(hz))
        return NULL;
    struct tg_finding *f = tg__finding_new(TG_FINDING_HAZARD, hz);
    if (!f)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->summary = tg__strdup(msg);
    tg__stack_to_info(&f->where, tg__stack_capture(1), 0);
    if (a) {
        struct tg_actor_info *info = tg__finding_add_actor(f);
        int n;
        struct tg_held *held = info ? tg__held_copy(a, &n) : NULL;
        if (info)
            tg__describe_actor(info, a, NULL, 0, held, held ? n : 0);
        tg__free(held);
    }
    return f;
}

/* ---- output ---------------------------------------------------------------- */

/* 1 if pc is code of the program's own (its executable or a library of
 * its own, or unknown), not the C library's, the loader's, the vDSO's,
 * tangle's or a sanitizer runtime's. Reads the loader's list of objects
 * (dl_iterate_phdr: its list lock, which dlopen holds only briefly, and
 * never while the program's code runs). */
static int program_pc(uintptr_t pc)
{
    const char *name = tg__module_of(pc - 1, NULL);
    if (!name)
        return 1;
    struct tg_frame fr = {.module = name};
    return !strstr(name, "linux-vdso") && !tg__system_frame(&fr);
}

#define KEY_FRAMES 4   /* frames of a stack that tell findings apart */
#define KEY_LOOK 16    /* frames looked at for the program's first */

/* The first KEY_FRAMES frames of s from the program's first: two tasks
 * sampled inside clock_gettime have the C library's frames (and under
 * ASan its interceptor's) on top, and differ only below; the top frames
 * when none of the first KEY_LOOK is the program's. */
static uint64_t mix_stack(uint64_t h, const struct tg_stack *s)
{
    int first = 0;
    while (first < s->n && first < KEY_LOOK && !program_pc(s->frames[first].pc))
        first++;
    if (first == s->n || first == KEY_LOOK)
        first = 0;
    for (int i = first; i < s->n && i < first + KEY_FRAMES; i++)
        h = (h ^ (uint64_t)s->frames[i].pc) * 1099511628211ull;
    return h;
}

static uint64_t finding_key(const struct tg_finding *f)
{
    uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
    MIX(f->kind);
    MIX(f->hazard);
    h = mix_stack(h, &f->where);
    for (int i = 0; i < f->n_actors; i++) {
        const struct tg_actor_info *a = &f->actors[i];
        MIX(a->wait.res.id);
        h = mix_stack(h, &a->wait.stack);
        for (int j = 0; j < a->n_holds; j++) {
            MIX(a->holds[j].res.id);
            if (a->holds[j].acquired.n)
                MIX(a->holds[j].acquired.frames[0].pc);
        }
    }
#undef MIX
    return h;
}

/* Copies path with %p replaced by the pid. */
static void expand(const char *path, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = path; *p && k + 24 < n; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            k += (size_t)snprintf(out + k, n - k, "%ld", (long)getpid());
            p++;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

void tg__log_path(char *out, size_t n)
{
    expand(tg__opt.log, out, n);
}

/* An output file of this process: the path as given for the process that
 * `tangle run` started (TANGLE_JSON_OWNER), path.PID for its children. */
void tg__output_path(const char *opt, char *out, size_t n)
{
    expand(opt, out, n);
    if (!tg__run_is_owner() && !strstr(opt, "%p")) {
        size_t k = strlen(out);
        snprintf(out + k, n - k, ".%ld", (long)getpid());
    }
}

/* Where the text report goes, for messages about the JSON one. */
static void text_destination(char *out, size_t n)
{
    if (tg__opt.quiet)
        snprintf(out, n, "nowhere (quiet=1)");
    else if (tg__opt.log[0])
        expand(tg__opt.log, out, n);
    else
        snprintf(out, n, "standard error");
}

/* Says once that the JSON report could not be written, why, and where the
 * findings can still be read. */
static void json_failed(const char *path, int err)
{
    static int said;
    if (said)
        return;
    said = 1;
    char text[1100];
    text_destination(text, sizeof text);
    dprintf(2, "tangle: error: the JSON report could not be written to %s (%s); the findings "
               "are in the text report (%s).\n", path, strerror(err), text);
}

static int write_whole(int fd, const struct tg_buf *b)
{
    return b->failed || tg__buf_write_fd(b, fd) != 0 ? -1 : 0;
}

/* The whole document, written to a temporary file and renamed over the
 * old one. Done for the first finding and at exit (final repeat counts). */
static void write_json_whole(const char *path)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct tg_buf b = {0};
    char prog[512] = "";
    ssize_t r = readlink("/proc/self/exe", prog, sizeof prog - 1);
    prog[r > 0 ? r : 0] = '\0';
    struct tg_report_meta meta = {.tool_version = TG_VERSION, .pid = (long)getpid(), .program = prog};
    tg__run_meta(&meta);
    tg__render_json(&b, found, n_found, &meta);
    errno = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = errno;
    if (fd >= 0) {
        int ok = write_whole(fd, &b) == 0 && fsync(fd) == 0;
        err = errno ? errno : EIO;
        close(fd);
        if (ok && rename(tmp, path) == 0) {
            json_in_file = n_found;
            json_dirty = 0;
        } else {
            if (ok)
                err = errno;
            unlink(tmp);
            json_failed(path, err);
            json_in_file = -1;
        }
    } else {
        json_failed(path, err);
        json_in_file = -1;
    }
    tg__buf_free(&b);
}

/* Findings after the first are appended: the document's closing "\n]}\n"
 * is overwritten by ",\n{...}\n]}\n" in one write, so the file stays valid
 * JSON and a report costs the size of one finding, not of all of them. */
static void write_json(void)
{
    if (!tg__opt.json[0])
        return;
    char path[1100];
    tg__output_path(tg__opt.json, path, sizeof path);
    if (json_in_file <= 0 || json_in_file >= n_found) {
        write_json_whole(path);
        return;
    }
    struct tg_buf b = {0};
    for (int i = json_in_file; i < n_found; i++) {
        if (found[i]->merged_into)
            continue;
        tg__buf_puts(&b, ",\n");
        tg__render_json_one(&b, found[i]);
    }
    tg__buf_puts(&b, "\n]}\n");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    char tail[4];
    if (end < 4 || pread(fd, tail, 4, end - 4) != 4 || memcmp(tail, "\n]}\n", 4) != 0 ||
        lseek(fd, end - 4, SEEK_SET) != end - 4 || write_whole(fd, &b) != 0) {
        /* Not the file we wrote (or a failed write): write it whole. */
        if (fd >= 0)
            close(fd);
        tg__buf_free(&b);
        write_json_whole(path);
        return;
    }
    close(fd);
    json_in_file = n_found;
    tg__buf_free(&b);
}

static void write_text(const struct tg_finding *f)
{
    if (tg__opt.quiet)
        return;
    int fd = 2, close_fd = 0;
    if (tg__opt.log[0]) {
        char path[1100];
        expand(tg__opt.log, path, sizeof path);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            fd = 2;
        else
            close_fd = 1;
    }
    int color = tg__options_color(tg__opt.color, fd);
    struct tg_buf b = {0};
    tg__buf_printf(&b, "==%ld== ", (long)getpid());
    tg__render_text(&b, f, color);
    tg__buf_puts(&b, "\n");
    tg__buf_write_fd(&b, fd);
    tg__buf_free(&b);
    if (close_fd)
        close(fd);
}

/* One bug, one report (report/bug.c): a potential deadlock of a bug
 * already reported is folded into that report (another place, or a
 * repeat) instead of being reported again; a deadlock of a bug that was
 * predicted takes the prediction in. Returns 1 when f was folded. */
static int same_bug(struct tg_finding *f)
{
    uint64_t key = tg__bug_key(f);
    if (!key)
        return 0;
    for (int i = 0; i < n_found; i++) {
        struct tg_finding *g = found[i];
        if (g->kind != TG_FINDING_POTENTIAL_DEADLOCK || found_bugs[i] != key)
            continue;
        if (f->kind == TG_FINDING_POTENTIAL_DEADLOCK) {
            if (tg__opt.symbolize)
                tg__symbolize_findings(&f, 1);
            tg__bug_fold(g, f);
            json_dirty = 1;
            return 1;
        }
        if (!g->merged_into) {
            f->predicted_by = g->id;
            f->prediction = g;
            json_in_file = 0; /* the prediction leaves the list: rewrite it whole */
        }
        return 0;
    }
    for (int i = 0; f->kind == TG_FINDING_POTENTIAL_DEADLOCK && i < n_found; i++)
        if (found[i]->kind == TG_FINDING_DEADLOCK && found_bugs[i] == key)
            return 1; /* predicted only after it happened: the deadlock says it all */
    return 0;
}

static struct site *site_slot(enum tg_hazard h, uintptr_t pc)
{
    size_t i = (size_t)((pc * 0x9E3779B97F4A7C15ull + (unsigned)h) >> 52) & (SITES - 1);
    for (size_t n = 0; n < 16; n++, i = (i + 1) & (SITES - 1))
        if (!sites[i].finding || (sites[i].pc == pc && sites[i].hazard == (int)h))
            return &sites[i];
    return NULL;
}

int tg__hazard_repeat(enum tg_hazard h, uintptr_t pc)
{
    if (!tg__hazard_on(h))
        return 1; /* off: as good as seen */
    int seen = 0;
    tg__own_lock(&report_lock);
    struct site *s = site_slot(h, pc);
    if (s && s->finding && s->finding <= n_found) {
        found[s->finding - 1]->repeats++;
        json_dirty = 1;
        seen = 1;
    }
    tg__own_unlock(&report_lock);
    return seen;
}

void tg__hazard_site(enum tg_hazard h, uintptr_t pc, const struct tg_finding *f)
{
    tg__own_lock(&report_lock);
    struct site *s = site_slot(h, pc);
    for (int i = n_found - 1; s && i >= 0; i--) {
        if (found[i] == f) {
            s->pc = pc;
            s->hazard = (int)h;
            s->finding = i + 1;
            break;
        }
    }
    tg__own_unlock(&report_lock);
}

void tg__report_hold(void)
{
    tg__own_lock(&report_lock);
}

void tg__report_release(void)
{
    tg__own_unlock(&report_lock);
}

int tg__report(struct tg_finding *f)
{
    tg__report_hold();
    int made = tg__report_locked(f);
    tg__report_release();
    return made;
}

int tg__report_locked(struct tg_finding *f)
{
    if (!f)
        return 0;
    tg__guard++;
    uint64_t key = finding_key(f);
    int fresh = 1;
    for (int i = 0; i < n_found; i++) {
        if (found_keys[i] == key) {
            found[i]->repeats++;
            json_dirty = 1;
            fresh = 0;
            break;
        }
    }
    if (fresh && same_bug(f))
        fresh = 0;
    if (fresh && n_found == cap_found) {
        int cap = cap_found ? cap_found * 2 : 16;
        struct tg_finding **nf = realloc(found, (size_t)cap * sizeof *nf);
        uint64_t *nk = nf ? realloc(found_keys, (size_t)cap * sizeof *nk) : NULL;
        if (nf)
            found = nf;
        if (nk)
            found_keys = nk;
        uint64_t *nb = nk ? realloc(found_bugs, (size_t)cap * sizeof *nb) : NULL;
        if (nb) {
            found_bugs = nb;
            cap_found = cap;
        } else {
            fresh = 0;
        }
    }
    if (fresh && (tg__opt.symbolize || tg__opt.suppress[0])) {
        tg__report_set_path_prefix(tg__opt.strip_path_prefix);
        tg__symbolize_use_libdw(tg__opt.symbolizer == 0);
        tg__symbolize_findings(&f, 1);
    }
    if (fresh && tg__suppressed(f)) {
        fresh = 0;
        suppressed_deadlocks += f->kind == TG_FINDING_DEADLOCK;
    }
    kept_deadlocks += fresh && f->kind == TG_FINDING_DEADLOCK;
    if (fresh) {
        f->id = (unsigned long)n_found + 1;
        if (f->prediction)
            ((struct tg_finding *)f->prediction)->merged_into = f->id;
        found[n_found] = f;
        found_bugs[n_found] = tg__bug_key(f);
        found_keys[n_found++] = key;
        reports_made++;
        write_text(f);
        write_json();
        tg__run_note(reports_made);
    } else {
        tg__finding_free(f);
    }
    tg__guard--;
    return fresh;
}

/* Called at exit by the frontend: the JSON gets final repeat counts. */
void tg__report_flush(void)
{
    tg__own_lock(&report_lock);
    if (json_dirty)
        write_json();
    tg__own_unlock(&report_lock);
}

/* The JSON at the start and at the end of the run (run.c keeps the times):
 * the process `tangle run` started writes it at once, so that a clean run
 * says it was watched; others only once they have reported. */
void tg__report_run_mark(void)
{
    tg__own_lock(&report_lock);
    if (n_found || tg__run_is_owner())
        write_json();
    tg__own_unlock(&report_lock);
}

/* ---- dumps on demand (dump_signal) ---------------------------------------- */

/* The handler only raises a flag: a dump allocates and takes locks, which a
 * signal handler must not. The watchdog writes the dump at its next tick. */
static volatile sig_atomic_t dump_asked;

static void on_dump_signal(int sig)
{
    (void)sig;
    dump_asked = 1;
}

void tg__thread_dump_install(void)
{
    if (tg__opt.dump_signal <= 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_dump_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(tg__opt.dump_signal, &sa, NULL) != 0)
        dprintf(2, "tangle: warning: dump_signal=%d cannot be handled (%s); no dumps.\n",
                tg__opt.dump_signal, strerror(errno));
}

void tg__thread_dump_poll(void)
{
    if (!dump_asked)
        return;
    dump_asked = 0;
    tg__guard++;
    struct tg_finding *f = tg__snapshot_all();
    if (f) {
        if (tg__opt.symbolize) {
            tg__report_set_path_prefix(tg__opt.strip_path_prefix);
            tg__symbolize_use_libdw(tg__opt.symbolizer == 0);
            tg__symbolize_findings(&f, 1);
        }
        int fd = 2, close_fd = 0;
        if (tg__opt.log[0]) {
            char path[1100];
            expand(tg__opt.log, path, sizeof path);
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            close_fd = fd >= 0;
            if (fd < 0)
                fd = 2;
        }
        struct tg_buf b = {0};
        tg__buf_printf(&b, "==%ld== tangle: dump on signal %d (not a finding; the program goes on)\n"
                           "==%ld== ",
                       (long)getpid(), tg__opt.dump_signal, (long)getpid());
        tg__render_text(&b, f, tg__options_color(tg__opt.color, fd));
        tg__buf_puts(&b, "\n");
        tg__buf_write_fd(&b, fd);
        tg__buf_free(&b);
        if (close_fd)
            close(fd);
        tg__finding_free(f);
    }
    tg__guard--;
}

void (*tg__before_exit_hook)(void);

void tg__deadlock_policy(void)
{
    tg__own_lock(&report_lock);
    int silenced = !kept_deadlocks && suppressed_deadlocks;
    tg__own_unlock(&report_lock);
    if (silenced)
        return; /* suppressed: the program hangs as it would without tangle */
    if (tg__opt.on_deadlock != TG_ON_DEADLOCK_HANG && tg__before_exit_hook)
        tg__before_exit_hook();
    /* Another thread may still be writing the report of this deadlock:
     * wait for it, and never let go, so the process ends after it. */
    if (tg__opt.on_deadlock != TG_ON_DEADLOCK_HANG) {
        tg__own_lock(&report_lock);
        tg__run_end();
        write_json();
    }
    switch (tg__opt.on_deadlock) {
    case TG_ON_DEADLOCK_HANG:
        dprintf(2, "tangle: on_deadlock=hang: the program is left as it is, for a debugger "
                   "(gdb -p %ld).\n", (long)getpid());
        return;
    case TG_ON_DEADLOCK_ABORT:
        dprintf(2, "tangle: on_deadlock=abort: aborting for a core dump.\n");
        signal(SIGABRT, SIG_DFL);
        abort();
    default:
        dprintf(2, "tangle: the program was stopped (exit status %d); run with "
                   "on_deadlock=hang to keep it for a debugger, or on_deadlock=abort for a "
                   "core dump.\n", tg__opt.exitcode);
        /* What the program printed but had not flushed yet: only if no
         * thread holds stdout's lock (a deadlocked one may). */
        if (ftrylockfile(stdout) == 0) {
            fflush_unlocked(stdout);
            funlockfile(stdout);
        }
        _exit(tg__opt.exitcode);
    }
}
