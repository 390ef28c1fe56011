/* SPDX-License-Identifier: MIT */
/* dot.c: the wait-for and lock-order cycles as a Graphviz graph (see
 * report.h). Each finding is a cluster: threads and tasks are boxes, locks
 * ellipses; "waits for" edges go from a thread to a lock (dashed: would wait,
 * for a potential deadlock), "held by" edges from a lock to its holder. */
#include "report/report.h"

#include <stdio.h>

static void label_res(struct tg_buf *b, const struct tg_res_info *r)
{
    char text[300];
    snprintf(text, sizeof text, "%s #%llu%s%s", r->kind ? r->kind : "lock",
             (unsigned long long)r->id, r->name ? "\n" : "", r->name ? r->name : "");
    tg__buf_json_str(b, text); /* a JSON string is a valid DOT quoted string */
}

void tg__render_dot(struct tg_buf *b, struct tg_finding *const *fs, int n)
{
    tg__buf_puts(b, "digraph tangle {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
    for (int i = 0; i < n; i++) {
        const struct tg_finding *f = fs[i];
        if (f->merged_into)
            continue; /* drawn as the deadlock it became */
        int predicted = f->kind == TG_FINDING_POTENTIAL_DEADLOCK;
        tg__buf_printf(b, "  subgraph cluster_%d {\n    label=", i + 1);
        char title[600];
        snprintf(title, sizeof title, "report %lu: %s", f->id ? f->id : (unsigned long)i + 1,
                 f->summary ? f->summary : tg__finding_kind_name(f->kind));
        tg__buf_json_str(b, title);
        tg__buf_puts(b, ";\n");
        for (int k = 0; k < f->n_actors; k++) {
            const struct tg_actor_info *a = &f->actors[k];
            char name[200];
            snprintf(name, sizeof name, "%s %llu%s%s", a->kind ? a->kind : "thread",
                     (unsigned long long)a->id, a->name ? "\n" : "", a->name ? a->name : "");
            tg__buf_printf(b, "    r%d_a%llu [shape=box,label=", i, (unsigned long long)a->id);
            tg__buf_json_str(b, name);
            tg__buf_puts(b, "];\n");
            if (a->wait.present && a->wait.res.kind) {
                tg__buf_printf(b, "    r%d_l%llu [label=", i, (unsigned long long)a->wait.res.id);
                label_res(b, &a->wait.res);
                tg__buf_printf(b, "];\n    r%d_a%llu -> r%d_l%llu [label=\"%s\",color=red%s];\n", i,
                               (unsigned long long)a->id, i, (unsigned long long)a->wait.res.id,
                               predicted ? "would wait for" : "waits for",
                               predicted ? ",style=dashed" : "");
            }
            for (int j = 0; j < a->n_holds; j++) {
                const struct tg_res_info *r = &a->holds[j].res;
                tg__buf_printf(b, "    r%d_l%llu [label=", i, (unsigned long long)r->id);
                label_res(b, r);
                tg__buf_printf(b, "];\n    r%d_l%llu -> r%d_a%llu [label=\"held by\"];\n", i,
                               (unsigned long long)r->id, i, (unsigned long long)a->id);
            }
        }
        tg__buf_puts(b, "  }\n");
    }
    tg__buf_puts(b, "}\n");
}
