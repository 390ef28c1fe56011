/* SPDX-License-Identifier: MIT */
/* html.c: one self-contained HTML page per run (see report.h).
 *
 * Nothing is fetched: the styles and the few lines of script are inline,
 * and each cycle is drawn as inline SVG laid out here (threads and locks on
 * a circle), so the page opens the same from a CI artifact, a mail or a
 * machine with no network. Stacks fold with <details> and need no script;
 * the script only adds "unfold all" and "fold all" buttons and stamps the
 * page as rendered (the tests check that stamp in a headless browser). */
#include "report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Text as HTML: the five characters that matter escaped. */
static void esc(struct tg_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': tg__buf_puts(b, "&amp;"); break;
        case '<': tg__buf_puts(b, "&lt;"); break;
        case '>': tg__buf_puts(b, "&gt;"); break;
        case '"': tg__buf_puts(b, "&quot;"); break;
        case '\'': tg__buf_puts(b, "&#39;"); break;
        default: tg__buf_put(b, s, 1);
        }
    }
}

static void escf(struct tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(struct tg_buf *b, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    esc(b, text);
}

static const char *kind_title(const struct tg_finding *f)
{
    switch (f->kind) {
    case TG_FINDING_DEADLOCK: return "Deadlock";
    case TG_FINDING_POTENTIAL_DEADLOCK: return "Potential deadlock";
    case TG_FINDING_THREADS: return "Threads";
    default: return "Hazard";
    }
}

static void frame(struct tg_buf *b, const struct tg_frame *fr)
{
    const char *file = tg__report_path(fr->file);
    tg__buf_puts(b, "<code class=\"fn\">");
    esc(b, fr->function ? fr->function : "??");
    tg__buf_puts(b, "</code>");
    if (file) {
        tg__buf_puts(b, " <span class=\"loc\">");
        esc(b, file);
        if (fr->line > 0)
            tg__buf_printf(b, ":%d", fr->line);
        tg__buf_puts(b, "</span>");
    } else if (fr->module) {
        tg__buf_puts(b, " <span class=\"loc\">(");
        esc(b, tg__report_path(fr->module));
        tg__buf_printf(b, "+0x%lx)</span>", (unsigned long)fr->offset);
    }
    if (fr->inlined)
        tg__buf_puts(b, " <span class=\"note\">(inlined)</span>");
}

/* A stack, folded behind its innermost frame; open when asked. */
static void stack(struct tg_buf *b, const struct tg_stack *s, const char *what, int open)
{
    if (s->n == 0)
        return;
    tg__buf_printf(b, "<details class=\"stack\"%s><summary>", open ? " open" : "");
    esc(b, what);
    tg__buf_puts(b, ": ");
    frame(b, &s->frames[0]);
    tg__buf_printf(b, " <span class=\"note\">(%d frame%s)</span></summary><ol start=\"0\">", s->n,
                   s->n == 1 ? "" : "s");
    for (int i = 0; i < s->n; i++) {
        tg__buf_puts(b, "<li>");
        frame(b, &s->frames[i]);
        tg__buf_puts(b, "</li>");
    }
    tg__buf_puts(b, "</ol></details>\n");
}

static void res(struct tg_buf *b, const struct tg_res_info *r)
{
    tg__buf_puts(b, "<span class=\"res\">");
    esc(b, r->kind ? r->kind : "resource");
    if (r->detail)
        escf(b, " (%s)", r->detail);
    if (r->id)
        tg__buf_printf(b, " #%llu", (unsigned long long)r->id);
    if (r->name) {
        tg__buf_puts(b, " <b>");
        esc(b, r->name);
        tg__buf_puts(b, "</b>");
    }
    if (r->addr)
        tg__buf_printf(b, " at 0x%lx", (unsigned long)r->addr);
    tg__buf_puts(b, "</span>");
}

static void actor_name(struct tg_buf *b, const struct tg_actor_info *a)
{
    escf(b, "%s %llu", a->kind ? a->kind : "thread", (unsigned long long)a->id);
    if (a->name && a->name[0]) {
        tg__buf_puts(b, " &ldquo;");
        esc(b, a->name);
        tg__buf_puts(b, "&rdquo;");
    }
}

static const struct tg_actor_info *find_actor(const struct tg_finding *f, uint64_t id)
{
    for (int i = 0; i < f->n_actors; i++)
        if (f->actors[i].id == id)
            return &f->actors[i];
    return NULL;
}

static int is_join(const struct tg_res_info *r)
{
    return r->kind && (!strcmp(r->kind, "thread") || !strcmp(r->kind, "task"));
}

static void actor(struct tg_buf *b, const struct tg_finding *f, const struct tg_actor_info *a)
{
    int predicted = f->kind == TG_FINDING_POTENTIAL_DEADLOCK;
    tg__buf_puts(b, "<div class=\"thread\"><h3>");
    actor_name(b, a);
    if (a->tid)
        tg__buf_printf(b, " <span class=\"note\">tid %ld</span>", a->tid);
    if (a->state && !strcmp(a->state, "in-syscall"))
        escf(b, " is asleep in a system call (%s)", a->syscall ? a->syscall : "unknown");
    else if (a->state && !a->wait.present && f->kind != TG_FINDING_HAZARD)
        escf(b, " is %s", a->state);
    tg__buf_puts(b, "</h3>\n");
    if (a->wait.present) {
        tg__buf_printf(b, "<p class=\"wait\">%s%s for ", predicted ? "would wait" : "waits",
                       a->wait.timed ? " (with a timeout)" : "");
        if (a->wait.n_any > 0) {
            tg__buf_printf(b, "any one of %d: ", a->wait.n_any);
            for (int k = 0; k < a->wait.n_any; k++) {
                tg__buf_puts(b, k ? ", " : "");
                res(b, &a->wait.any[k].res);
            }
        } else if (is_join(&a->wait.res)) {
            escf(b, "%s %llu", a->wait.res.kind, (unsigned long long)a->wait.res.id);
            if (a->wait.res.name) {
                tg__buf_puts(b, " &ldquo;");
                esc(b, a->wait.res.name);
                tg__buf_puts(b, "&rdquo;");
            }
            tg__buf_puts(b, " to finish");
        } else {
            if (a->wait.mode)
                escf(b, "%s access to ", a->wait.mode);
            res(b, &a->wait.res);
        }
        if (a->wait.waited_ms > 0)
            tg__buf_printf(b, ", for %ld ms so far", a->wait.waited_ms);
        const struct tg_actor_info *h = a->wait.holder ? find_actor(f, a->wait.holder) : NULL;
        if (h && !is_join(&a->wait.res) && !predicted && tg__queued_ahead(h, &a->wait.res)) {
            tg__buf_puts(b, ", behind ");
            actor_name(b, h);
            tg__buf_puts(b, ", queued ahead of it for write access (it does not hold the lock)");
        } else if (h && !is_join(&a->wait.res)) {
            tg__buf_puts(b, predicted ? ", while holding what is wanted by " : ", held by ");
            actor_name(b, h);
            if (h->state && h->state[0] == 'e')
                tg__buf_puts(b, ", which ended without releasing it");
        }
        tg__buf_puts(b, "</p>\n");
        if (a->wait.note) {
            tg__buf_puts(b, "<p class=\"note\">");
            esc(b, a->wait.note);
            tg__buf_puts(b, "</p>\n");
        }
        stack(b, &a->wait.stack, "where it waits", 1);
    }
    for (int i = 0; i < a->n_holds; i++) {
        const struct tg_hold *h = &a->holds[i];
        tg__buf_puts(b, "<p class=\"hold\">holds ");
        res(b, &h->res);
        if (h->mode)
            escf(b, " [%s]", h->mode);
        if (h->count > 1)
            tg__buf_printf(b, " &times;%d", h->count);
        tg__buf_puts(b, "</p>\n");
        stack(b, &h->acquired, "acquired", 0);
        stack(b, &h->res.created, "lock created", 0);
    }
    stack(b, &a->created, "started", 0);
    tg__buf_puts(b, "</div>\n");
}

/* ---- the graph ------------------------------------------------------------- */

#define MAX_NODES 64

struct gnode {
    int lock;          /* 0: a thread or task, 1: a lock */
    uint64_t id;
    char label[80];
    double x, y;
};

struct graph {
    int n;
    struct gnode node[MAX_NODES];
};

static int gnode(struct graph *g, int lock, uint64_t id, const char *label)
{
    for (int i = 0; i < g->n; i++)
        if (g->node[i].lock == lock && g->node[i].id == id)
            return i;
    if (g->n == MAX_NODES)
        return -1;
    struct gnode *n = &g->node[g->n];
    n->lock = lock;
    n->id = id;
    snprintf(n->label, sizeof n->label, "%s", label);
    return g->n++;
}

static void svg_text(struct tg_buf *b, double x, double y, const char *text)
{
    tg__buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", x, y);
    esc(b, text);
    tg__buf_puts(b, "</text>");
}

/* Small float helpers, so that the library needs no libm. */
static double root(double v)
{
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 40; i++)
        x = (x + v / x) / 2;
    return x;
}

/* cos and sin of t in [0, pi], by their series. */
static void cos_sin(double t, double *c, double *s)
{
    double term = 1, cs = 0, sn = 0;
    for (int k = 0; k < 30; k++) {
        if (k % 2 == 0)
            cs += (k % 4 == 0) ? term : -term;
        else
            sn += (k % 4 == 1) ? term : -term;
        term *= t / (k + 1);
    }
    *c = cs;
    *s = sn;
}

static void edge(struct tg_buf *b, const struct gnode *from, const struct gnode *to, const char *cls)
{
    /* Shortened at both ends so the arrow head is outside the node. */
    double dx = to->x - from->x, dy = to->y - from->y, len = root(dx * dx + dy * dy);
    if (len < 1)
        return;
    double k0 = 46 / len, k1 = (len - 50) / len;
    tg__buf_printf(b, "<line class=\"%s\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
                      "marker-end=\"url(#arrow)\"/>",
                   cls, from->x + dx * k0, from->y + dy * k0, from->x + dx * k1, from->y + dy * k1);
}

/* Who waits for which lock (red; dashed when it only would) and who holds
 * it, for findings with waits: threads are boxes, locks ellipses. */
static void graph(struct tg_buf *b, const struct tg_finding *f)
{
    struct graph g = {0};
    int any = 0;
    for (int i = 0; i < f->n_actors; i++)
        any |= f->actors[i].wait.present;
    if (!any || f->kind == TG_FINDING_THREADS)
        return;
    char label[80];
    for (int i = 0; i < f->n_actors; i++) {
        const struct tg_actor_info *a = &f->actors[i];
        snprintf(label, sizeof label, "%s %llu", a->kind ? a->kind : "thread", (unsigned long long)a->id);
        gnode(&g, 0, a->id, label);
        if (a->wait.present && !is_join(&a->wait.res)) {
            snprintf(label, sizeof label, "%s", a->wait.res.name ? a->wait.res.name : "");
            if (!label[0])
                snprintf(label, sizeof label, "%s #%llu", a->wait.res.kind ? a->wait.res.kind : "lock",
                         (unsigned long long)a->wait.res.id);
            gnode(&g, 1, a->wait.res.id, label);
        }
    }
    int w = 560, h = g.n > 4 ? 420 : 300;
    double cx = w / 2.0, cy = h / 2.0, r = (h - 90) / 2.0;
    /* On a circle (an ellipse, for the labels' width), from the top,
     * clockwise: each step turns by 2*pi/n. */
    double step_c, step_s, c = 0, s = -1;
    cos_sin(2 * 3.14159265358979 / (g.n > 1 ? g.n : 2), &step_c, &step_s);
    for (int i = 0; i < g.n; i++) {
        g.node[i].x = cx + r * 1.6 * c;
        g.node[i].y = cy + r * s;
        double nc = c * step_c - s * step_s;
        s = c * step_s + s * step_c;
        c = nc;
    }
    tg__buf_printf(b, "<svg class=\"graph\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                      "role=\"img\" aria-label=\"wait-for graph\">",
                   w, h, w, h);
    tg__buf_puts(b, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
                    "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
                    "<path d=\"M0,0L10,5L0,10z\"/></marker></defs>");
    int predicted = f->kind == TG_FINDING_POTENTIAL_DEADLOCK;
    for (int i = 0; i < f->n_actors; i++) {
        const struct tg_actor_info *a = &f->actors[i];
        int from = gnode(&g, 0, a->id, "");
        if (!a->wait.present || from < 0)
            continue;
        int to = is_join(&a->wait.res) ? gnode(&g, 0, a->wait.res.id, "")
                                       : gnode(&g, 1, a->wait.res.id, "");
        if (to >= 0 && to < g.n)
            edge(b, &g.node[from], &g.node[to], predicted ? "wait would" : "wait");
        const struct tg_actor_info *hd = a->wait.holder ? find_actor(f, a->wait.holder) : NULL;
        int holder = hd ? gnode(&g, 0, hd->id, "") : -1;
        if (!is_join(&a->wait.res) && to >= 0 && holder >= 0 && holder < g.n)
            edge(b, &g.node[to], &g.node[holder], "held");
    }
    for (int i = 0; i < g.n; i++) {
        const struct gnode *n = &g.node[i];
        if (n->lock)
            tg__buf_printf(b, "<ellipse class=\"lock\" cx=\"%.0f\" cy=\"%.0f\" rx=\"62\" ry=\"20\"/>",
                           n->x, n->y);
        else
            tg__buf_printf(b, "<rect class=\"actor\" x=\"%.0f\" y=\"%.0f\" width=\"110\" "
                              "height=\"34\" rx=\"4\"/>",
                           n->x - 55, n->y - 17);
        svg_text(b, n->x, n->y + 5, n->label[0] ? n->label : "?");
    }
    tg__buf_puts(b, "</svg>\n<p class=\"legend\">red: waits for (dashed: would wait for); "
                    "grey: held by</p>\n");
}

/* ---- reports --------------------------------------------------------------- */

static void places(struct tg_buf *b, const struct tg_finding *f)
{
    if (f->n_places == 0)
        return;
    tg__buf_printf(b, "<details class=\"places\"><summary>The same bug also showed at %d other "
                      "place%s</summary><ol>",
                   f->n_places, f->n_places == 1 ? "" : "s");
    for (int i = 0; i < f->n_places; i++) {
        tg__buf_puts(b, "<li><ul>");
        for (int j = 0; j < f->places[i].n; j++) {
            const struct tg_place_step *st = &f->places[i].steps[j];
            tg__buf_printf(b, "<li>thread %llu", (unsigned long long)st->actor);
            if (st->actor_name) {
                tg__buf_puts(b, " &ldquo;");
                esc(b, st->actor_name);
                tg__buf_puts(b, "&rdquo;");
            }
            tg__buf_puts(b, " took a lock in ");
            if (st->acquired.n)
                frame(b, &st->acquired.frames[0]);
            tg__buf_printf(b, ", then lock #%llu ", (unsigned long long)st->lock);
            if (st->lock_name)
                esc(b, st->lock_name);
            tg__buf_puts(b, " in ");
            if (st->waits.n)
                frame(b, &st->waits.frames[0]);
            if (st->waits.n > 1) {
                tg__buf_puts(b, ", called from ");
                frame(b, &st->waits.frames[1]);
            }
            tg__buf_puts(b, "</li>");
        }
        tg__buf_puts(b, "</ul></li>");
    }
    tg__buf_puts(b, "</ol></details>\n");
}

static void body(struct tg_buf *b, const struct tg_finding *f)
{
    graph(b, f);
    for (int i = 0; i < f->n_actors; i++) {
        if (i > 0 && i == f->cycle_length)
            tg__buf_puts(b, "<p class=\"also\">Also blocked for good because of it:</p>\n");
        actor(b, f, &f->actors[i]);
    }
    stack(b, &f->where, "at", 1);
    places(b, f);
    if (f->repeats)
        tg__buf_printf(b, "<p class=\"note\">Seen %lu more time%s.</p>\n", f->repeats,
                       f->repeats == 1 ? "" : "s");
    if (f->advice) {
        tg__buf_puts(b, "<p class=\"advice\"><b>What to do:</b> ");
        esc(b, f->advice);
        tg__buf_puts(b, "</p>\n");
    }
}

static void report(struct tg_buf *b, const struct tg_finding *f)
{
    const char *kind = tg__finding_kind_name(f->kind);
    tg__buf_printf(b, "<section class=\"report %s\" id=\"report-%lu\" data-kind=\"%s\">\n<h2>",
                   kind, f->id, kind);
    tg__buf_printf(b, "<span class=\"id\">%lu</span> %s", f->id, kind_title(f));
    if (f->kind == TG_FINDING_HAZARD)
        escf(b, " (%s)", tg__hazard_name(f->hazard));
    tg__buf_puts(b, ": ");
    esc(b, f->summary);
    tg__buf_puts(b, "</h2>\n");
    if (f->prediction) {
        tg__buf_printf(b, "<details class=\"prediction\"><summary>It was predicted first, by report "
                          "%lu: the same locks in a cycle, found before it happened. One bug."
                          "</summary>\n",
                       f->predicted_by);
        body(b, f->prediction);
        tg__buf_puts(b, "</details>\n");
    } else if (f->predicted_by) {
        tg__buf_printf(b, "<p>It was predicted first, by report %lu.</p>\n", f->predicted_by);
    }
    body(b, f);
    tg__buf_puts(b, "</section>\n");
}

static const char style[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:64em;padding:0 1em;"
    "color:#1d1d1f;background:#fff}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:.2em 0 .6em}"
    "h3{font-size:1em;margin:.6em 0 .2em}"
    ".meta,.note,.legend{color:#666}.legend{font-size:.85em}"
    ".report{border:1px solid #ccc;border-left:6px solid #888;border-radius:4px;padding:.6em 1em;"
    "margin:1em 0}"
    ".report.deadlock{border-left-color:#c0392b}.report.potential-deadlock{border-left-color:#e67e22}"
    ".report.hazard{border-left-color:#d4ac0d}"
    ".id{display:inline-block;min-width:1.6em;text-align:center;background:#eee;border-radius:3px}"
    ".thread{margin:.4em 0 .8em 1em}.wait,.hold{margin:.2em 0}"
    "details.stack{margin:.1em 0 .3em 1.2em}details.stack ol{margin:.2em 0;font-size:.92em}"
    "summary{cursor:pointer}code.fn{font-weight:600}.loc{font-family:monospace}"
    ".advice{background:#f4f8ff;padding:.4em .6em;border-radius:3px}"
    ".prediction,.places{background:#fafafa;padding:.3em .6em;margin:.4em 0;border-radius:3px}"
    "svg.graph{max-width:100%;height:auto;display:block;margin:.3em 0}"
    "svg text{font:12px monospace}svg .actor{fill:#eef3fb;stroke:#4a6fa5}"
    "svg .lock{fill:#fff7e6;stroke:#b9770e}svg line{stroke-width:2}"
    "svg line.wait{stroke:#c0392b}svg line.would{stroke-dasharray:6 4}svg line.held{stroke:#999}"
    "button{margin-right:.5em}"
    "@media print{button{display:none}}";

/* No network, no eval: only buttons that open or close every stack, and
 * the stamp that says the page was laid out. */
static const char script[] =
    "(function(){"
    "function all(o){document.querySelectorAll('details').forEach(function(d){d.open=o;});}"
    "document.getElementById('unfold').onclick=function(){all(true);};"
    "document.getElementById('fold').onclick=function(){all(false);};"
    "document.body.setAttribute('data-rendered',"
    "String(document.querySelectorAll('main>section.report').length));"
    "})();";

void tg__render_html(struct tg_buf *b, struct tg_finding *const *fs, int n,
                     const struct tg_report_meta *meta)
{
    int shown = 0;
    for (int i = 0; i < n; i++)
        shown += !fs[i]->merged_into;
    tg__buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>tangle: ");
    tg__buf_printf(b, "%d report%s", shown, shown == 1 ? "" : "s");
    if (meta && meta->program) {
        tg__buf_puts(b, " for ");
        esc(b, meta->program);
    }
    tg__buf_printf(b, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>tangle: %d report%s"
                      "</h1>\n<p class=\"meta\">",
                   style, shown, shown == 1 ? "" : "s");
    if (meta && meta->program) {
        esc(b, meta->program);
        if (meta->pid)
            tg__buf_printf(b, " (pid %ld)", meta->pid);
    }
    if (meta && meta->start) {
        tg__buf_puts(b, "; watched from ");
        esc(b, meta->start);
        if (meta->end) {
            tg__buf_puts(b, " to ");
            esc(b, meta->end);
        }
    }
    if (meta && meta->tool_version) {
        tg__buf_puts(b, "; tangle ");
        esc(b, meta->tool_version);
    }
    tg__buf_puts(b, "</p>\n<p><button id=\"unfold\" type=\"button\">Unfold all stacks</button>"
                    "<button id=\"fold\" type=\"button\">Fold all stacks</button></p></header>\n"
                    "<main>\n");
    if (shown == 0)
        tg__buf_puts(b, "<p class=\"clean\">Nothing was found.</p>\n");
    for (int i = 0; i < n; i++)
        if (!fs[i]->merged_into)
            report(b, fs[i]);
    tg__buf_printf(b, "</main>\n<script>%s</script>\n</body></html>\n", script);
}
