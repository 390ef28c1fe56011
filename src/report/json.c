/* SPDX-License-Identifier: MIT */
/* json.c: the machine-readable rendering; schema in docs/report-schema.md.
 * Every key is always present (null or [] when unknown) so consumers need
 * no existence checks. */
#include "report/report.h"

#include <stdio.h>

static void frames(struct tg_buf *b, const struct tg_stack *s)
{
    tg__buf_puts(b, "[");
    for (int i = 0; i < s->n; i++) {
        const struct tg_frame *fr = &s->frames[i];
        tg__buf_puts(b, i ? ",{\"function\":" : "{\"function\":");
        tg__buf_json_str(b, fr->function);
        tg__buf_puts(b, ",\"file\":");
        tg__buf_json_str(b, tg__report_path(fr->file));
        if (fr->line > 0)
            tg__buf_printf(b, ",\"line\":%d", fr->line);
        else
            tg__buf_puts(b, ",\"line\":null");
        tg__buf_puts(b, ",\"module\":");
        tg__buf_json_str(b, tg__report_path(fr->module));
        if (fr->pc)
            tg__buf_printf(b, ",\"offset\":\"0x%lx\",\"pc\":\"0x%lx\"", (unsigned long)fr->offset,
                           (unsigned long)fr->pc);
        else
            tg__buf_puts(b, ",\"offset\":null,\"pc\":null");
        tg__buf_puts(b, fr->inlined ? ",\"inlined\":true}" : ",\"inlined\":false}");
    }
    tg__buf_puts(b, "]");
}

static void res(struct tg_buf *b, const struct tg_res_info *r)
{
    tg__buf_printf(b, "{\"id\":%llu,\"address\":", (unsigned long long)r->id);
    if (r->addr)
        tg__buf_printf(b, "\"0x%lx\"", (unsigned long)r->addr);
    else
        tg__buf_puts(b, "null");
    tg__buf_puts(b, ",\"kind\":");
    tg__buf_json_str(b, r->kind);
    tg__buf_puts(b, ",\"detail\":");
    tg__buf_json_str(b, r->detail);
    tg__buf_puts(b, ",\"name\":");
    tg__buf_json_str(b, r->name);
    tg__buf_puts(b, ",\"created\":");
    frames(b, &r->created);
    tg__buf_puts(b, "}");
}

static void actor(struct tg_buf *b, const struct tg_actor_info *a)
{
    tg__buf_printf(b, "{\"id\":%llu,\"tid\":%ld,\"kind\":", (unsigned long long)a->id, a->tid);
    tg__buf_json_str(b, a->kind);
    tg__buf_puts(b, ",\"name\":");
    tg__buf_json_str(b, a->name);
    tg__buf_puts(b, ",\"state\":");
    tg__buf_json_str(b, a->state);
    tg__buf_puts(b, ",\"syscall\":");
    tg__buf_json_str(b, a->syscall);
    tg__buf_puts(b, ",\"waits_for\":");
    if (a->wait.present) {
        tg__buf_puts(b, "{\"lock\":");
        res(b, &a->wait.res);
        tg__buf_puts(b, ",\"mode\":");
        tg__buf_json_str(b, a->wait.mode);
        tg__buf_printf(b, ",\"timed\":%s,\"waited_ms\":", a->wait.timed ? "true" : "false");
        if (a->wait.waited_ms > 0)
            tg__buf_printf(b, "%ld", a->wait.waited_ms);
        else
            tg__buf_puts(b, "null");
        tg__buf_puts(b, ",\"holder\":");
        if (a->wait.holder)
            tg__buf_printf(b, "%llu", (unsigned long long)a->wait.holder);
        else
            tg__buf_puts(b, "null");
        tg__buf_puts(b, ",\"stack\":");
        frames(b, &a->wait.stack);
        tg__buf_puts(b, ",\"any_of\":");
        if (a->wait.n_any > 0) {
            for (int k = 0; k < a->wait.n_any; k++) {
                const struct tg_wait_alt_info *alt = &a->wait.any[k];
                tg__buf_puts(b, k ? ",{\"lock\":" : "[{\"lock\":");
                res(b, &alt->res);
                tg__buf_puts(b, ",\"mode\":");
                tg__buf_json_str(b, alt->mode);
                tg__buf_puts(b, ",\"holder\":");
                if (alt->holder)
                    tg__buf_printf(b, "%llu}", (unsigned long long)alt->holder);
                else
                    tg__buf_puts(b, "null}");
            }
            tg__buf_puts(b, "]");
        } else {
            tg__buf_puts(b, "null");
        }
        if (a->wait.note) {
            tg__buf_puts(b, ",\"note\":");
            tg__buf_json_str(b, a->wait.note);
        }
        tg__buf_puts(b, "}");
    } else {
        tg__buf_puts(b, "null");
    }
    tg__buf_puts(b, ",\"holds\":[");
    for (int i = 0; i < a->n_holds; i++) {
        const struct tg_hold *h = &a->holds[i];
        tg__buf_puts(b, i ? ",{\"lock\":" : "{\"lock\":");
        res(b, &h->res);
        tg__buf_puts(b, ",\"mode\":");
        tg__buf_json_str(b, h->mode);
        tg__buf_printf(b, ",\"count\":%d,\"acquired\":", h->count > 0 ? h->count : 1);
        frames(b, &h->acquired);
        tg__buf_puts(b, "}");
    }
    tg__buf_puts(b, "],\"created\":");
    frames(b, &a->created);
    tg__buf_puts(b, "}");
}

void tg__render_json_one(struct tg_buf *b, const struct tg_finding *f)
{
    tg__buf_printf(b, "{\"id\":%lu,\"kind\":", f->id);
    tg__buf_json_str(b, tg__finding_kind_name(f->kind));
    tg__buf_puts(b, ",\"hazard\":");
    tg__buf_json_str(b, f->kind == TG_FINDING_HAZARD ? tg__hazard_name(f->hazard) : NULL);
    tg__buf_puts(b, ",\"summary\":");
    tg__buf_json_str(b, f->summary);
    tg__buf_puts(b, ",\"advice\":");
    tg__buf_json_str(b, f->advice);
    tg__buf_printf(b, ",\"repeats\":%lu,\"cycle_length\":%d,\"threads\":[", f->repeats,
                   f->cycle_length);
    for (int i = 0; i < f->n_actors; i++) {
        if (i)
            tg__buf_puts(b, ",");
        actor(b, &f->actors[i]);
    }
    tg__buf_puts(b, "],\"where\":");
    frames(b, &f->where);
    if (f->predicted_by)
        tg__buf_printf(b, ",\"predicted_by\":%lu", f->predicted_by);
    else
        tg__buf_puts(b, ",\"predicted_by\":null");
    tg__buf_puts(b, ",\"prediction\":");
    if (f->prediction)
        tg__render_json_one(b, f->prediction);
    else
        tg__buf_puts(b, "null");
    tg__buf_puts(b, ",\"places\":[");
    for (int i = 0; i < f->n_places; i++) {
        const struct tg_place *p = &f->places[i];
        tg__buf_puts(b, i ? ",[" : "[");
        for (int j = 0; j < p->n; j++) {
            const struct tg_place_step *st = &p->steps[j];
            tg__buf_printf(b, "%s{\"thread\":%llu,\"thread_name\":", j ? "," : "",
                           (unsigned long long)st->actor);
            tg__buf_json_str(b, st->actor_name);
            tg__buf_printf(b, ",\"lock\":%llu,\"lock_name\":", (unsigned long long)st->lock);
            tg__buf_json_str(b, st->lock_name);
            tg__buf_puts(b, ",\"acquired\":");
            frames(b, &p->steps[j].acquired);
            tg__buf_puts(b, ",\"waits\":");
            frames(b, &p->steps[j].waits);
            tg__buf_puts(b, "}");
        }
        tg__buf_puts(b, "]");
    }
    tg__buf_puts(b, "]}");
}

void tg__render_json(struct tg_buf *b, struct tg_finding *const *fs, int n,
                     const struct tg_report_meta *meta)
{
    tg__buf_puts(b, "{\"tool\":\"tangle\",\"schema\":" TG_REPORT_SCHEMA_STR ",\"version\":");
    tg__buf_json_str(b, meta ? meta->tool_version : NULL);
    tg__buf_printf(b, ",\"pid\":%ld,\"program\":", meta ? meta->pid : 0L);
    tg__buf_json_str(b, meta ? meta->program : NULL);
    tg__buf_printf(b, ",\"watched\":%s,\"start\":", meta && meta->watched ? "true" : "false");
    tg__buf_json_str(b, meta ? meta->start : NULL);
    tg__buf_puts(b, ",\"end\":");
    tg__buf_json_str(b, meta ? meta->end : NULL);
    tg__buf_puts(b, ",\"reports\":[");
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (fs[i]->merged_into)
            continue; /* inside the report of the deadlock it became */
        tg__buf_puts(b, k++ ? ",\n" : "\n");
        tg__render_json_one(b, fs[i]);
    }
    tg__buf_puts(b, "\n]}\n");
}
