/* SPDX-License-Identifier: MIT */
/* sarif.c: findings as SARIF 2.1.0, for code-scanning UIs (see report.h).
 *
 * One run, one rule per kind of finding (deadlock, potential-deadlock, each
 * hazard sub-kind), one result per finding: its location is where it
 * happened (the first wait, or the hazard's call), each other thread's wait
 * and each acquisition is a related location, and every stack is a SARIF
 * stack. Frames without a source line appear in stacks only. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *rule_of(const struct tg_finding *f)
{
    return f->kind == TG_FINDING_HAZARD ? tg__hazard_name(f->hazard) : tg__finding_kind_name(f->kind);
}

static const char *level_of(const struct tg_finding *f)
{
    return f->kind == TG_FINDING_DEADLOCK ? "error" : "warning";
}

/* A file path as a URI reference: relative paths stay relative (what a
 * repository's code scanning wants, with strip_path_prefix), absolute ones
 * become file:// URIs; bytes outside the unreserved set are escaped. */
static void uri(struct tg_buf *b, const char *path)
{
    struct tg_buf u = {0};
    if (path[0] == '/')
        tg__buf_puts(&u, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~+", *p))
            tg__buf_put(&u, (const char *)p, 1);
        else
            tg__buf_printf(&u, "%%%02X", *p);
    }
    tg__buf_put(&u, "", 1);
    tg__buf_json_str(b, u.data ? u.data : "");
    tg__buf_free(&u);
}

/* A SARIF location for a frame; 0 when the frame has no source line. */
static int location(struct tg_buf *b, const struct tg_frame *fr, int id, const char *msg)
{
    const char *file = tg__report_path(fr->file);
    if (!file || fr->line <= 0)
        return 0;
    tg__buf_puts(b, "{");
    if (id > 0)
        tg__buf_printf(b, "\"id\":%d,", id);
    tg__buf_puts(b, "\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
    uri(b, file);
    tg__buf_printf(b, "},\"region\":{\"startLine\":%d}}", fr->line);
    if (fr->function) {
        tg__buf_puts(b, ",\"logicalLocations\":[{\"fullyQualifiedName\":");
        tg__buf_json_str(b, fr->function);
        tg__buf_puts(b, ",\"kind\":\"function\"}]");
    }
    if (msg) {
        tg__buf_puts(b, ",\"message\":{\"text\":");
        tg__buf_json_str(b, msg);
        tg__buf_puts(b, "}");
    }
    tg__buf_puts(b, "}");
    return 1;
}

/* The first frame of the program's own with a file (as the text report's
 * one-line mentions: outside system headers and the C library), or NULL
 * for an empty stack. */
static const struct tg_frame *user_frame(const struct tg_stack *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->frames[i].file && strncmp(s->frames[i].file, "/usr/include/", 13) != 0 &&
            !tg__system_frame(&s->frames[i]))
            return &s->frames[i];
    for (int i = 0; i < s->n; i++)
        if (s->frames[i].file && strncmp(s->frames[i].file, "/usr/include/", 13) != 0)
            return &s->frames[i];
    return s->n ? &s->frames[0] : NULL;
}

static void sarif_stack(struct tg_buf *b, const struct tg_stack *s, const char *msg, int *first)
{
    if (s->n == 0)
        return;
    tg__buf_puts(b, *first ? "{\"message\":{\"text\":" : ",{\"message\":{\"text\":");
    *first = 0;
    tg__buf_json_str(b, msg);
    tg__buf_puts(b, "},\"frames\":[");
    for (int i = 0; i < s->n; i++) {
        const struct tg_frame *fr = &s->frames[i];
        tg__buf_puts(b, i ? ",{" : "{");
        struct tg_buf loc = {0};
        if (location(&loc, fr, 0, NULL) && loc.data) {
            tg__buf_puts(b, "\"location\":");
            tg__buf_puts(b, loc.data);
        } else {
            char text[600];
            snprintf(text, sizeof text, "%s (%s+0x%lx)", fr->function ? fr->function : "??",
                     fr->module ? fr->module : "?", (unsigned long)fr->offset);
            tg__buf_puts(b, "\"location\":{\"message\":{\"text\":");
            tg__buf_json_str(b, text);
            tg__buf_puts(b, "}}");
        }
        tg__buf_free(&loc);
        if (fr->module) {
            tg__buf_puts(b, ",\"module\":");
            tg__buf_json_str(b, fr->module);
        }
        tg__buf_puts(b, "}");
    }
    tg__buf_puts(b, "]}");
}

/* One related location, numbered from 1, when the frame has a line. */
static void related(struct tg_buf *b, const struct tg_frame *fr, int *id, const char *msg)
{
    struct tg_buf loc = {0};
    if (location(&loc, fr, *id + 1, msg) && loc.data) {
        tg__buf_puts(b, *id ? "," : "");
        tg__buf_puts(b, loc.data);
        (*id)++;
    }
    tg__buf_free(&loc);
}

static void actor_label(char *out, size_t n, const struct tg_actor_info *a)
{
    snprintf(out, n, "%s %llu%s%s%s", a->kind ? a->kind : "thread", (unsigned long long)a->id,
             a->name ? " \"" : "", a->name ? a->name : "", a->name ? "\"" : "");
}

static void result(struct tg_buf *b, const struct tg_finding *f, int rule_index)
{
    tg__buf_puts(b, "{\"ruleId\":");
    tg__buf_json_str(b, rule_of(f));
    tg__buf_printf(b, ",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":", rule_index,
                   level_of(f));
    tg__buf_json_str(b, f->summary ? f->summary : rule_of(f));
    tg__buf_puts(b, "},\"locations\":[");
    const struct tg_stack *main = f->where.n ? &f->where : NULL;
    for (int i = 0; !main && i < f->n_actors; i++)
        if (f->actors[i].wait.present && f->actors[i].wait.stack.n)
            main = &f->actors[i].wait.stack;
    const struct tg_frame *mf = main ? user_frame(main) : NULL;
    if (mf)
        location(b, mf, 0, NULL);
    tg__buf_puts(b, "],\"relatedLocations\":[");
    int id = 0;
    for (int i = 0; i < f->n_actors; i++) {
        const struct tg_actor_info *a = &f->actors[i];
        char who[200], msg[400];
        actor_label(who, sizeof who, a);
        const struct tg_frame *w = a->wait.present ? user_frame(&a->wait.stack) : NULL;
        snprintf(msg, sizeof msg, "%s %s here", who,
                 f->kind == TG_FINDING_POTENTIAL_DEADLOCK ? "would wait" : "waits");
        if (w)
            related(b, w, &id, msg);
        for (int j = 0; j < a->n_holds; j++) {
            const struct tg_frame *h = user_frame(&a->holds[j].acquired);
            snprintf(msg, sizeof msg, "%s acquired %s%s%s here", who,
                     a->holds[j].res.kind ? a->holds[j].res.kind : "a lock",
                     a->holds[j].res.name ? " " : "", a->holds[j].res.name ? a->holds[j].res.name : "");
            if (h)
                related(b, h, &id, msg);
        }
    }
    if (f->prediction)
        for (int i = 0; i < f->prediction->n_actors; i++) {
            const struct tg_actor_info *a = &f->prediction->actors[i];
            char who[200], msg[400];
            actor_label(who, sizeof who, a);
            snprintf(msg, sizeof msg, "predicted in report %lu: %s took a lock here, then another",
                     f->predicted_by, who);
            for (int j = 0; j < a->n_holds; j++) {
                const struct tg_frame *h = user_frame(&a->holds[j].acquired);
                if (h)
                    related(b, h, &id, msg);
            }
        }
    for (int i = 0; i < f->n_places; i++)
        for (int j = 0; j < f->places[i].n; j++) {
            const struct tg_place_step *st = &f->places[i].steps[j];
            const struct tg_frame *h = st->acquired.n ? user_frame(&st->acquired) : NULL;
            const struct tg_frame *w = st->waits.n ? user_frame(&st->waits) : NULL;
            if (h)
                related(b, h, &id, "the same bug also shows here: a lock taken first");
            if (w)
                related(b, w, &id, "the same bug also shows here: the next lock taken");
        }
    tg__buf_puts(b, "],\"stacks\":[");
    int first = 1;
    if (f->where.n)
        sarif_stack(b, &f->where, "where it was raised", &first);
    for (int i = 0; i < f->n_actors; i++) {
        char who[200], msg[400];
        actor_label(who, sizeof who, &f->actors[i]);
        snprintf(msg, sizeof msg, "%s, where it waits", who);
        sarif_stack(b, &f->actors[i].wait.stack, msg, &first);
    }
    tg__buf_printf(b, "],\"properties\":{\"tangleId\":%lu,\"repeats\":%lu", f->id, f->repeats);
    if (f->predicted_by)
        tg__buf_printf(b, ",\"predictedBy\":%lu", f->predicted_by);
    if (f->n_places)
        tg__buf_printf(b, ",\"otherPlaces\":%d", f->n_places);
    tg__buf_puts(b, "}}");
}

void tg__render_sarif(struct tg_buf *b, struct tg_finding *const *fs, int n,
                      const struct tg_report_meta *meta)
{
    const char *rules[TG_HAZARD__COUNT + 2];
    int n_rules = 0;
    int *index = calloc((size_t)n + 1, sizeof *index);
    for (int i = 0; i < n; i++) {
        const char *r = rule_of(fs[i]);
        int k = 0;
        while (k < n_rules && strcmp(rules[k], r) != 0)
            k++;
        if (k == n_rules && n_rules < (int)(sizeof rules / sizeof *rules))
            rules[n_rules++] = r;
        if (index)
            index[i] = k;
    }
    tg__buf_puts(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
                    "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"tangle\","
                    "\"version\":");
    tg__buf_json_str(b, meta && meta->tool_version ? meta->tool_version : "unknown");
    tg__buf_puts(b, ",\"rules\":[");
    for (int k = 0; k < n_rules; k++) {
        tg__buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
        tg__buf_json_str(b, rules[k]);
        tg__buf_puts(b, ",\"shortDescription\":{\"text\":");
        const char *d = !strcmp(rules[k], "deadlock") ? "Threads or tasks wait for each other forever"
                        : !strcmp(rules[k], "potential-deadlock")
                            ? "Locks taken in an order that can deadlock in another interleaving"
                            : "Lock API misuse or a deadlock hazard";
        tg__buf_json_str(b, d);
        tg__buf_puts(b, "}}");
    }
    tg__buf_puts(b, "]}},\"results\":[");
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (fs[i]->merged_into)
            continue; /* inside the result of the deadlock it became */
        if (k++)
            tg__buf_puts(b, ",\n");
        result(b, fs[i], index ? index[i] : 0);
    }
    tg__buf_puts(b, "]");
    if (meta && meta->program) {
        tg__buf_puts(b, ",\"invocations\":[{\"executionSuccessful\":true,\"commandLine\":");
        tg__buf_json_str(b, meta->program);
        tg__buf_puts(b, "}]");
    }
    tg__buf_puts(b, "}]}\n");
    free(index);
}
