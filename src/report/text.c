/* SPDX-License-Identifier: MIT */
/* text.c: the report a stranger reads on stderr.
 *
 * Shape: a headline naming the kind, then one block per actor: what it waits
 * for and where, who holds that, and what it holds itself with where each
 * was acquired; then advice. Frames print as "function file:line", falling
 * back to "module+0xoffset" when there is no debug information. */
#include "report/report.h"

#include <stdio.h>
#include <string.h>

static const char *c_on(int color, const char *code) { return color ? code : ""; }
#define BOLD(c) c_on(c, "\033[1m")
#define RED(c) c_on(c, "\033[1;31m")
#define OFF(c) c_on(c, "\033[0m")

static void frame(struct tg_buf *b, const struct tg_frame *fr)
{
    const char *file = tg__report_path(fr->file);
    tg__buf_puts(b, fr->function ? fr->function : "??");
    if (file && fr->line > 0)
        tg__buf_printf(b, " %s:%d", file, fr->line);
    else if (file)
        tg__buf_printf(b, " %s", file);
    else if (fr->module)
        tg__buf_printf(b, " (%s+0x%lx)", tg__report_path(fr->module), (unsigned long)fr->offset);
    else if (fr->pc)
        tg__buf_printf(b, " (0x%lx)", (unsigned long)fr->pc);
    if (fr->inlined)
        tg__buf_puts(b, " (inlined)");
}

/* Whether a frame is the C library's or tangle's own (glibc's thread
 * start and exit, the loader, libtangle), not the program's. */
int tg__system_frame(const struct tg_frame *fr)
{
    if (fr->system)
        return 1;
    const char *m = fr->module ? strrchr(fr->module, '/') : NULL;
    m = m ? m + 1 : fr->module;
    if (m && (!strncmp(m, "libc.so", 7) || !strncmp(m, "libpthread", 10) ||
              !strncmp(m, "ld-linux", 8) || !strncmp(m, "libtangle", 9)))
        return 1;
    /* A sanitizer's runtime (a program built with -fsanitize=address runs
     * pthread_create through its interceptor): never the program's code. */
    if (m && (!strncmp(m, "libasan", 7) || !strncmp(m, "libtsan", 7) || !strncmp(m, "libubsan", 8) ||
              !strncmp(m, "liblsan", 7) || !strncmp(m, "libhwasan", 9) ||
              !strncmp(m, "libclang_rt.", 12)))
        return 1;
    /* The same where the module is not known (frames read from a trace). */
    if ((fr->function && !strncmp(fr->function, "__interceptor_", 14)) ||
        (fr->file && (strstr(fr->file, "/libsanitizer/") || strstr(fr->file, "compiler-rt/lib/"))))
        return 1;
    return fr->file && (!strncmp(fr->file, "./nptl/", 7) || !strncmp(fr->file, "../sysdeps/", 11));
}

/* The frame a one-line mention ("created in ...") names: the first that is
 * the program's own, outside a system header (an inlined std::mutex::lock,
 * say) and outside the C library, when the stack has one. */
static const struct tg_frame *headline(const struct tg_stack *s)
{
    for (int i = 0; i < s->n; i++)
        if ((!s->frames[i].file || strncmp(s->frames[i].file, "/usr/include/", 13) != 0) &&
            !tg__system_frame(&s->frames[i]))
            return &s->frames[i];
    return &s->frames[0];
}

/* Whether a stack has a frame of the program's own. */
static int has_own_frame(const struct tg_stack *s)
{
    for (int i = 0; i < s->n; i++)
        if (!tg__system_frame(&s->frames[i]))
            return 1;
    return 0;
}

static void stack(struct tg_buf *b, const struct tg_stack *s, const char *indent)
{
    for (int i = 0; i < s->n; i++) {
        tg__buf_printf(b, "%s#%d ", indent, i);
        frame(b, &s->frames[i]);
        tg__buf_puts(b, "\n");
    }
}

static void res(struct tg_buf *b, const struct tg_res_info *r)
{
    /* A futex word has no creation: its frame is where it was waited on. */
    int futex = r->kind && !strcmp(r->kind, "futex");
    tg__buf_puts(b, futex ? "futex word" : r->kind ? r->kind : "resource");
    if (r->detail)
        tg__buf_printf(b, " (%s)", r->detail);
    if (r->id && !futex) /* a futex word is named by its address */
        tg__buf_printf(b, " #%llu", (unsigned long long)r->id);
    if (r->name)
        tg__buf_printf(b, " '%s'", r->name);
    if (r->addr)
        tg__buf_printf(b, " at 0x%lx", (unsigned long)r->addr);
    if (r->created.n > 0) {
        tg__buf_puts(b, futex ? ", waited on in " : ", created in ");
        frame(b, headline(&r->created));
    }
}

static const char *who(const struct tg_actor_info *a)
{
    return a->kind ? a->kind : "thread";
}

int tg__queued_ahead(const struct tg_actor_info *h, const struct tg_res_info *r)
{
    if (!r->kind || strcmp(r->kind, "rwlock") != 0 || !h->wait.present ||
        h->wait.res.id != r->id || !h->wait.mode || strcmp(h->wait.mode, "write") != 0)
        return 0;
    for (int i = 0; i < h->n_holds; i++)
        if (h->holds[i].res.id == r->id)
            return 0;
    return 1;
}

static const struct tg_actor_info *find_actor(const struct tg_finding *f, uint64_t id)
{
    for (int i = 0; i < f->n_actors; i++)
        if (f->actors[i].id == id)
            return &f->actors[i];
    return NULL;
}

static void actor_name(struct tg_buf *b, const struct tg_actor_info *a)
{
    tg__buf_printf(b, "%s %llu", who(a), (unsigned long long)a->id);
    if (a->name && a->name[0])
        tg__buf_printf(b, " \"%s\"", a->name);
}

/* What a wait (or one alternative of it) is for: "task 3 \"x\" to finish"
 * for a join, else the resource and mode. Returns 1 for a join. */
static int waited(struct tg_buf *b, const struct tg_res_info *r, const char *mode)
{
    int join = r->kind && (!strcmp(r->kind, "thread") || !strcmp(r->kind, "task"));
    if (join) {
        tg__buf_printf(b, "%s %llu", r->kind, (unsigned long long)r->id);
        if (r->name)
            tg__buf_printf(b, " \"%s\"", r->name);
        tg__buf_puts(b, " to finish");
    } else {
        if (mode)
            tg__buf_printf(b, "%s access to ", mode);
        res(b, r);
    }
    return join;
}

/* A wait any one of several can end (a select): each alternative on a line
 * of its own with whom it waits for, then where. */
static void wait_any(struct tg_buf *b, const struct tg_finding *f, const struct tg_actor_info *a)
{
    tg__buf_printf(b, " waits%s for any one of %d:\n", a->wait.timed ? " (with a timeout)" : "",
                   a->wait.n_any);
    for (int k = 0; k < a->wait.n_any; k++) {
        const struct tg_wait_alt_info *alt = &a->wait.any[k];
        tg__buf_puts(b, "      - ");
        if (!waited(b, &alt->res, alt->mode)) {
            if (alt->holder) {
                const struct tg_actor_info *h = find_actor(f, alt->holder);
                tg__buf_puts(b, ", held by ");
                if (h)
                    actor_name(b, h);
                else
                    tg__buf_printf(b, "thread or task %llu", (unsigned long long)alt->holder);
            }
        }
        tg__buf_puts(b, "\n");
    }
    stack(b, &a->wait.stack, "      ");
}

static void actor(struct tg_buf *b, const struct tg_finding *f, const struct tg_actor_info *a, int color)
{
    tg__buf_printf(b, "  %s", BOLD(color));
    actor_name(b, a);
    tg__buf_printf(b, "%s", OFF(color));
    if (a->tid)
        tg__buf_printf(b, " (tid %ld)", a->tid);
    if (a->state && !strcmp(a->state, "in-syscall"))
        tg__buf_printf(b, " is asleep in a system call (%s)", a->syscall ? a->syscall : "unknown");
    else if (a->state && a->wait.present == 0 && f->kind != TG_FINDING_HAZARD)
        tg__buf_printf(b, " is %s", a->state);
    int predicted = f->kind == TG_FINDING_POTENTIAL_DEADLOCK ||
                    (f->kind == TG_FINDING_HAZARD && f->hazard == TG_HAZARD_INVERSION_ONE_THREAD);
    if (a->wait.present && a->wait.n_any > 0) {
        wait_any(b, f, a);
    } else if (a->wait.present && a->wait.res.kind && !strcmp(a->wait.res.kind, "scheduler")) {
        /* An idle task scheduler progresses only when one of its tasks is woken. */
        tg__buf_puts(b, " runs a task scheduler with nothing to run: it waits for another "
                        "thread to wake one of its tasks\n");
        stack(b, &a->wait.stack, "      ");
    } else if (a->wait.present) {
        tg__buf_printf(b, " %s%s for ", predicted ? "would wait" : "waits",
                       a->wait.timed ? " (with a timeout)" : "");
        int join = waited(b, &a->wait.res, a->wait.mode);
        if (a->wait.waited_ms > 0)
            tg__buf_printf(b, ", for %ld ms so far", a->wait.waited_ms);
        tg__buf_puts(b, "\n");
        stack(b, &a->wait.stack, "      ");
        if (a->wait.note)
            tg__buf_printf(b, "    %s\n", a->wait.note);
        const struct tg_actor_info *q = a->wait.holder ? find_actor(f, a->wait.holder) : NULL;
        if (q && !join && !predicted && tg__queued_ahead(q, &a->wait.res)) {
            tg__buf_puts(b, "    behind ");
            actor_name(b, q);
            tg__buf_puts(b, ", queued ahead of it for write access (it does not hold the lock; "
                            "a writer-preferring rwlock lets no new reader in while a writer "
                            "waits)\n");
        } else if (a->wait.holder && !join) {
            const struct tg_actor_info *h = find_actor(f, a->wait.holder);
            tg__buf_puts(b, predicted ? "    while holding what is wanted by " : "    which is held by ");
            if (h) {
                actor_name(b, h);
                if (h->state && h->state[0] == 'e')
                    tg__buf_puts(b, h->kind && strcmp(h->kind, "task") == 0
                                        ? ", which ended without releasing it"
                                        : ", which has exited without releasing it");
                else if (h->state && !strcmp(h->state, "parent-only"))
                    tg__buf_puts(b, ", a thread of the parent process: fork() copied its "
                                    "locks into this child, not the thread");
            } else {
                tg__buf_printf(b, "thread or task %llu", (unsigned long long)a->wait.holder);
            }
            tg__buf_puts(b, "\n");
        }
    } else {
        tg__buf_puts(b, "\n");
    }
    if (a->created.n > 0) {
        /* Named again: after "held by thread N" an unnamed line would read
         * as if it were about thread N. */
        tg__buf_printf(b, "    %s %llu was started in ", who(a), (unsigned long long)a->id);
        frame(b, headline(&a->created));
        tg__buf_puts(b, "\n");
    }
    if (a->n_holds == 0)
        return;
    tg__buf_puts(b, "    holding:\n");
    for (int i = 0; i < a->n_holds; i++) {
        const struct tg_hold *h = &a->holds[i];
        tg__buf_puts(b, "      ");
        res(b, &h->res);
        if (h->mode)
            tg__buf_printf(b, " [%s", h->mode);
        if (h->count > 1)
            tg__buf_printf(b, " x%d", h->count);
        tg__buf_puts(b, h->mode ? "]" : "");
        if (h->acquired.n == 1) {
            tg__buf_puts(b, ", acquired in ");
            frame(b, &h->acquired.frames[0]);
            tg__buf_puts(b, "\n");
        } else if (h->acquired.n > 1) {
            tg__buf_puts(b, ", acquired at:\n");
            stack(b, &h->acquired, "          ");
        } else {
            tg__buf_puts(b, "\n");
        }
    }
}

/* A site in a place: its innermost two frames, which see past a lock
 * wrapper ("possess yarn.c:115, called from get_space pigz.c:1400"). */
static void site(struct tg_buf *b, const struct tg_stack *s)
{
    if (s->n == 0) {
        tg__buf_puts(b, "(unknown)");
        return;
    }
    frame(b, &s->frames[0]);
    for (int i = 1; i < s->n && i < 2; i++) {
        tg__buf_puts(b, s->frames[i - 1].inlined ? ", inlined in " : ", called from ");
        frame(b, &s->frames[i]);
    }
}

/* The other places the same bug showed (bug.c). */
static void places(struct tg_buf *b, const struct tg_finding *f)
{
    if (f->n_places == 0)
        return;
    tg__buf_printf(b, "  The same bug (the same kinds of locks in a cycle) also showed at %d other "
                      "place%s:\n", f->n_places, f->n_places > 1 ? "s" : "");
    for (int i = 0; i < f->n_places; i++) {
        const struct tg_place *p = &f->places[i];
        for (int j = 0; j < p->n; j++) {
            const struct tg_place_step *st = &p->steps[j];
            tg__buf_printf(b, "    %s thread %llu", j ? " " : "-", (unsigned long long)st->actor);
            if (st->actor_name && st->actor_name[0])
                tg__buf_printf(b, " \"%s\"", st->actor_name);
            tg__buf_puts(b, " took a lock in ");
            site(b, &st->acquired);
            tg__buf_printf(b, ",\n        then lock #%llu", (unsigned long long)st->lock);
            if (st->lock_name)
                tg__buf_printf(b, " '%s'", st->lock_name);
            tg__buf_puts(b, " in ");
            site(b, &st->waits);
            tg__buf_puts(b, "\n");
        }
    }
}

/* The stack that says where a finding is: a hazard's call, else the first
 * wait, else the first acquisition. */
static const struct tg_stack *main_stack(const struct tg_finding *f)
{
    /* A thread that returned holding a lock ends in glibc's code: the place
     * to name is where it took the lock. */
    if (f->where.n > 0 && (has_own_frame(&f->where) || f->hazard != TG_HAZARD_EXIT_HOLDING_LOCK))
        return &f->where;
    for (int i = 0; i < f->n_actors; i++)
        if (f->actors[i].wait.present && f->actors[i].wait.stack.n > 0)
            return &f->actors[i].wait.stack;
    for (int i = 0; i < f->n_actors; i++)
        if (f->actors[i].n_holds > 0 && f->actors[i].holds[0].acquired.n > 0)
            return &f->actors[i].holds[0].acquired;
    return NULL;
}

/* The sanitizers' closing line: "SUMMARY: tangle: KIND FILE:LINE in FUNCTION",
 * one line that CI logs and editors can match. */
static void summary_line(struct tg_buf *b, const struct tg_finding *f)
{
    if ((f->kind == TG_FINDING_HAZARD && f->hazard == TG_HAZARD_NONE) || f->kind == TG_FINDING_THREADS)
        return; /* a dump, not a finding */
    tg__buf_printf(b, "SUMMARY: tangle: %s", f->kind == TG_FINDING_HAZARD
                                                 ? tg__hazard_name(f->hazard)
                                                 : tg__finding_kind_name(f->kind));
    const struct tg_stack *s = main_stack(f);
    const struct tg_frame *fr = s ? headline(s) : NULL;
    const char *file = fr ? tg__report_path(fr->file) : NULL;
    if (file && fr->line > 0)
        tg__buf_printf(b, " %s:%d", file, fr->line);
    else if (fr && fr->module)
        tg__buf_printf(b, " (%s+0x%lx)", tg__report_path(fr->module), (unsigned long)fr->offset);
    if (fr && fr->function)
        tg__buf_printf(b, " in %s", fr->function);
    if (f->predicted_by)
        tg__buf_printf(b, " (predicted by report %lu)", f->predicted_by);
    tg__buf_puts(b, "\n");
}

void tg__render_text(struct tg_buf *b, const struct tg_finding *f, int color)
{
    const char *kind = f->kind == TG_FINDING_DEADLOCK ? "DEADLOCK"
                       : f->kind == TG_FINDING_POTENTIAL_DEADLOCK ? "POTENTIAL DEADLOCK"
                       : f->kind == TG_FINDING_THREADS            ? "THREADS"
                                                                 : "HAZARD";
    tg__buf_printf(b, "%stangle: %s%s", RED(color), kind, OFF(color));
    if (f->kind == TG_FINDING_HAZARD)
        tg__buf_printf(b, " (%s)", tg__hazard_name(f->hazard));
    tg__buf_printf(b, ": %s\n", f->summary ? f->summary : "");
    if (f->predicted_by)
        tg__buf_printf(b, "  It was predicted: report %lu above is this same bug (the same "
                          "locks in a cycle), found before it happened; it is one bug, and the "
                          "JSON, SARIF and HTML reports carry it once.\n", f->predicted_by);
    for (int i = 0; i < f->n_actors; i++) {
        if (i > 0 && i == f->cycle_length)
            tg__buf_puts(b, "  Also blocked for good because of it:\n");
        actor(b, f, &f->actors[i], color);
    }
    if (f->where.n > 0) {
        tg__buf_puts(b, "  at:\n");
        stack(b, &f->where, "      ");
    }
    places(b, f);
    if (f->repeats == 1)
        tg__buf_puts(b, "  (seen once more)\n");
    else if (f->repeats)
        tg__buf_printf(b, "  (seen %lu more times)\n", f->repeats);
    if (f->advice)
        tg__buf_printf(b, "  What to do: %s\n", f->advice);
    summary_line(b, f);
}

void tg__render_suppressions(struct tg_buf *b, struct tg_finding *const *fs, int n)
{
    for (int i = 0; i < n; i++) {
        const struct tg_finding *f = fs[i];
        const struct tg_stack *s = main_stack(f);
        const struct tg_frame *fr = s ? headline(s) : NULL;
        const char *kind = f->kind == TG_FINDING_HAZARD ? tg__hazard_name(f->hazard)
                                                        : tg__finding_kind_name(f->kind);
        tg__buf_printf(b, "# report %lu: %s\n", f->id ? f->id : (unsigned long)i + 1,
                       f->summary ? f->summary : kind);
        if (fr && fr->function)
            tg__buf_printf(b, "%s:%s\n", kind, fr->function);
        else if (fr && fr->file && fr->line > 0)
            tg__buf_printf(b, "%s:%s:%d\n", kind, tg__report_path(fr->file), fr->line);
        else if (fr && fr->module)
            tg__buf_printf(b, "%s:%s\n", kind, fr->module);
        else
            tg__buf_printf(b, "# (no frame to name: report %lu cannot be suppressed by place)\n",
                           f->id ? f->id : (unsigned long)i + 1);
    }
}
