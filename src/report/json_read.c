/* SPDX-License-Identifier: MIT */
/* json_read.c: a saved JSON report back into findings (see report.h).
 *
 * A small parser builds a tree of the document, then each report object
 * becomes a struct tg_finding, so that every reporter (text, SARIF, DOT,
 * HTML) can render a report made earlier, by any frontend. Unknown keys are
 * ignored, missing ones read as null: newer and older files both load. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jt t;
    double num;
    char *str;         /* J_STR */
    int n;             /* J_ARR, J_OBJ */
    struct jv **items;
    char **keys;       /* J_OBJ */
};

struct parser {
    const char *p;
    int depth;
    int bad;
};

static void jv_free(struct jv *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        jv_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static void ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
        ps->p++;
}

static void put_utf8(struct tg_buf *b, unsigned c)
{
    char u[4];
    int n;
    if (c < 0x80) {
        u[0] = (char)c, n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | (c >> 12 & 0x3F));
        u[2] = (char)(0x80 | (c >> 6 & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    }
    tg__buf_put(b, u, (size_t)n);
}

static unsigned hex4(struct parser *ps)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            ps->bad = 1;
            return 0;
        }
        v = v * 16 + (unsigned)d;
        ps->p++;
    }
    return v;
}

static char *parse_str(struct parser *ps)
{
    struct tg_buf b = {0};
    ps->p++; /* the opening quote */
    while (*ps->p && *ps->p != '"') {
        char c = *ps->p++;
        if (c != '\\') {
            tg__buf_put(&b, &c, 1);
            continue;
        }
        c = *ps->p++;
        switch (c) {
        case 'n': tg__buf_puts(&b, "\n"); break;
        case 't': tg__buf_puts(&b, "\t"); break;
        case 'r': tg__buf_puts(&b, "\r"); break;
        case 'b': tg__buf_puts(&b, "\b"); break;
        case 'f': tg__buf_puts(&b, "\f"); break;
        case 'u': {
            unsigned u = hex4(ps);
            if (u >= 0xD800 && u < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                ps->p += 2;
                unsigned lo = hex4(ps);
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&b, u);
            break;
        }
        case '\0': ps->bad = 1; ps->p--; break;
        default: tg__buf_put(&b, &c, 1);
        }
    }
    if (*ps->p == '"')
        ps->p++;
    else
        ps->bad = 1;
    tg__buf_put(&b, "", 1);
    if (b.failed) {
        ps->bad = 1;
        tg__buf_free(&b);
        return NULL;
    }
    return b.data;
}

static struct jv *parse_value(struct parser *ps);

static int add_item(struct jv *v, struct jv *item, char *key)
{
    if ((v->n & (v->n - 1)) == 0) {
        size_t cap = v->n ? (size_t)v->n * 2 : 1;
        struct jv **items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return -1;
        v->items = items;
        if (v->t == J_OBJ) {
            char **keys = realloc(v->keys, cap * sizeof *keys);
            if (!keys)
                return -1;
            v->keys = keys;
        }
    }
    v->items[v->n] = item;
    if (v->t == J_OBJ)
        v->keys[v->n] = key;
    v->n++;
    return 0;
}

/* An array or object; the opening bracket is at ps->p. */
static struct jv *parse_container(struct parser *ps, struct jv *v)
{
    char close = v->t == J_ARR ? ']' : '}';
    ps->p++;
    ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return v;
    }
    while (!ps->bad) {
        char *key = NULL;
        if (v->t == J_OBJ) {
            ws(ps);
            if (*ps->p != '"') {
                ps->bad = 1;
                break;
            }
            key = parse_str(ps);
            ws(ps);
            if (*ps->p++ != ':')
                ps->bad = 1;
        }
        struct jv *item = ps->bad ? NULL : parse_value(ps);
        if (!item || add_item(v, item, key) != 0) {
            jv_free(item);
            free(key);
            ps->bad = 1;
            break;
        }
        ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close)
            ps->p++;
        else
            ps->bad = 1;
        break;
    }
    return v;
}

static struct jv *parse_value(struct parser *ps)
{
    ws(ps);
    struct jv *v = calloc(1, sizeof *v);
    if (!v || ++ps->depth > 200) {
        ps->bad = 1;
        return v;
    }
    char c = *ps->p;
    if (c == '{' || c == '[') {
        v->t = c == '{' ? J_OBJ : J_ARR;
        parse_container(ps, v);
    } else if (c == '"') {
        v->t = J_STR;
        v->str = parse_str(ps);
    } else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
        v->t = J_BOOL;
        v->num = c == 't';
        ps->p += c == 't' ? 4 : 5;
    } else if (!strncmp(ps->p, "null", 4)) {
        ps->p += 4;
    } else {
        char *end;
        v->t = J_NUM;
        v->num = strtod(ps->p, &end);
        if (end == ps->p)
            ps->bad = 1;
        ps->p = end;
    }
    ps->depth--;
    return v;
}

/* ---- the tree into findings ----------------------------------------------- */

static const struct jv *get(const struct jv *o, const char *key)
{
    for (int i = 0; o && o->t == J_OBJ && i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}

static char *str_of(const struct jv *o, const char *key)
{
    const struct jv *v = get(o, key);
    return v && v->t == J_STR ? tg__strdup(v->str) : NULL;
}

static double num_of(const struct jv *o, const char *key)
{
    const struct jv *v = get(o, key);
    return v && (v->t == J_NUM || v->t == J_BOOL) ? v->num : 0;
}

static uintptr_t hex_of(const struct jv *o, const char *key)
{
    const struct jv *v = get(o, key);
    return v && v->t == J_STR ? (uintptr_t)strtoull(v->str, NULL, 16) : 0;
}

/* The static names findings point to (kinds, modes, states). */
static const char *intern(const struct jv *o, const char *key)
{
    static const char *const known[] = {
        "mutex", "rwlock", "semaphore", "condition", "barrier", "spinlock", "channel", "event",
        "futex", "thread", "task", "scheduler", "lock", "resource", "read", "write", "exclusive",
        "blocked", "runnable", "running", "exited", "in-syscall", "parent-only",
    };
    const struct jv *v = get(o, key);
    if (!v || v->t != J_STR)
        return NULL;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(known[i], v->str))
            return known[i];
    return "resource";
}

static void read_stack(struct tg_stack *s, const struct jv *arr)
{
    for (int i = 0; arr && arr->t == J_ARR && i < arr->n; i++) {
        const struct jv *fr = arr->items[i];
        if (tg__stack_symbolic(s, NULL, NULL, 0) != 0)
            return;
        struct tg_frame *f = &s->frames[s->n - 1];
        f->function = str_of(fr, "function");
        f->file = str_of(fr, "file");
        f->line = (int)num_of(fr, "line");
        f->module = str_of(fr, "module");
        f->offset = hex_of(fr, "offset");
        f->pc = hex_of(fr, "pc");
        f->inlined = num_of(fr, "inlined") != 0;
    }
}

static void read_res(struct tg_res_info *r, const struct jv *o)
{
    r->id = (uint64_t)num_of(o, "id");
    r->addr = hex_of(o, "address");
    r->kind = intern(o, "kind");
    r->detail = str_of(o, "detail");
    r->name = str_of(o, "name");
    read_stack(&r->created, get(o, "created"));
}

static void read_wait(struct tg_wait *w, const struct jv *o)
{
    if (!o || o->t != J_OBJ)
        return;
    w->present = 1;
    read_res(&w->res, get(o, "lock"));
    w->mode = intern(o, "mode");
    w->timed = num_of(o, "timed") != 0;
    w->waited_ms = (long)num_of(o, "waited_ms");
    w->holder = (uint64_t)num_of(o, "holder");
    read_stack(&w->stack, get(o, "stack"));
    const struct jv *any = get(o, "any_of");
    if (any && any->t == J_ARR && any->n > 0 && (w->any = calloc((size_t)any->n, sizeof *w->any))) {
        for (int k = 0; k < any->n; k++) {
            read_res(&w->any[k].res, get(any->items[k], "lock"));
            w->any[k].mode = intern(any->items[k], "mode");
            w->any[k].holder = (uint64_t)num_of(any->items[k], "holder");
        }
        w->n_any = any->n;
    }
}

static void read_actor(struct tg_actor_info *a, const struct jv *o)
{
    a->id = (uint64_t)num_of(o, "id");
    a->tid = (long)num_of(o, "tid");
    const struct jv *k = get(o, "kind");
    a->kind = k && k->t == J_STR && !strcmp(k->str, "task") ? "task" : "thread";
    a->name = str_of(o, "name");
    a->state = intern(o, "state");
    a->syscall = str_of(o, "syscall");
    read_wait(&a->wait, get(o, "waits_for"));
    const struct jv *holds = get(o, "holds");
    for (int i = 0; holds && holds->t == J_ARR && i < holds->n; i++) {
        struct tg_hold *h = tg__actor_info_add_hold(a);
        if (!h)
            return;
        read_res(&h->res, get(holds->items[i], "lock"));
        h->mode = intern(holds->items[i], "mode");
        h->count = (int)num_of(holds->items[i], "count");
        read_stack(&h->acquired, get(holds->items[i], "acquired"));
    }
    read_stack(&a->created, get(o, "created"));
}

static struct tg_finding *read_finding(const struct jv *o)
{
    const struct jv *k = get(o, "kind");
    const char *kind = k && k->t == J_STR ? k->str : "";
    enum tg_finding_kind fk = !strcmp(kind, "deadlock") ? TG_FINDING_DEADLOCK
                              : !strcmp(kind, "potential-deadlock") ? TG_FINDING_POTENTIAL_DEADLOCK
                              : !strcmp(kind, "threads")            ? TG_FINDING_THREADS
                                                                     : TG_FINDING_HAZARD;
    enum tg_hazard hz = TG_HAZARD_NONE;
    const struct jv *h = get(o, "hazard");
    for (int i = 1; h && h->t == J_STR && i < TG_HAZARD__COUNT; i++)
        if (!strcmp(tg__hazard_name((enum tg_hazard)i), h->str))
            hz = (enum tg_hazard)i;
    struct tg_finding *f = tg__finding_new(fk, hz);
    if (!f)
        return NULL;
    f->id = (unsigned long)num_of(o, "id");
    f->summary = str_of(o, "summary");
    f->advice = str_of(o, "advice");
    f->repeats = (unsigned long)num_of(o, "repeats");
    f->cycle_length = (int)num_of(o, "cycle_length");
    f->predicted_by = (unsigned long)num_of(o, "predicted_by");
    const struct jv *threads = get(o, "threads");
    for (int i = 0; threads && threads->t == J_ARR && i < threads->n; i++) {
        struct tg_actor_info *a = tg__finding_add_actor(f);
        if (!a)
            break;
        read_actor(a, threads->items[i]);
    }
    read_stack(&f->where, get(o, "where"));
    const struct jv *places = get(o, "places");
    for (int i = 0; places && places->t == J_ARR && i < places->n; i++) {
        const struct jv *steps = places->items[i];
        int n = steps && steps->t == J_ARR ? steps->n : 0;
        struct tg_place *p = tg__finding_add_place(f, n);
        for (int j = 0; p && j < n; j++) {
            p->steps[j].actor = (uint64_t)num_of(steps->items[j], "thread");
            p->steps[j].actor_name = str_of(steps->items[j], "thread_name");
            p->steps[j].lock = (uint64_t)num_of(steps->items[j], "lock");
            p->steps[j].lock_name = str_of(steps->items[j], "lock_name");
            read_stack(&p->steps[j].acquired, get(steps->items[j], "acquired"));
            read_stack(&p->steps[j].waits, get(steps->items[j], "waits"));
        }
    }
    return f;
}

int tg__report_read_json(const char *text, struct tg_finding ***out, int *n,
                         struct tg_report_meta *meta, char *err, size_t errlen)
{
    struct parser ps = {.p = text};
    struct jv *doc = parse_value(&ps);
    ws(&ps);
    *out = NULL;
    *n = 0;
    const struct jv *reports = get(doc, "reports");
    const struct jv *tool = get(doc, "tool");
    if (ps.bad || *ps.p || !reports || reports->t != J_ARR || !tool || tool->t != J_STR ||
        strcmp(tool->str, "tangle") != 0) {
        snprintf(err, errlen, ps.bad || *ps.p ? "it is not valid JSON (near byte %ld)"
                                              : "it is not a tangle JSON report",
                 (long)(ps.p - text));
        jv_free(doc);
        return -1;
    }
    /* Room for each report and the prediction it may hold (schema 3). */
    struct tg_finding **fs = calloc(2 * (size_t)reports->n + 1, sizeof *fs);
    int k = 0;
    for (int i = 0; fs && i < reports->n; i++) {
        const struct jv *pred = get(reports->items[i], "prediction");
        struct tg_finding *p = pred && pred->t == J_OBJ ? read_finding(pred) : NULL;
        if (p)
            fs[k++] = p;
        if ((fs[k] = read_finding(reports->items[i]))) {
            if (p) {
                p->merged_into = fs[k]->id ? fs[k]->id : (unsigned long)-1;
                fs[k]->prediction = p;
            }
            k++;
        } else if (p) {
            p->merged_into = 0;
        }
    }
    if (meta) {
        memset(meta, 0, sizeof *meta);
        meta->pid = (long)num_of(doc, "pid");
        meta->program = str_of(doc, "program");
        meta->tool_version = str_of(doc, "version");
        meta->watched = num_of(doc, "watched") != 0;
        meta->start = str_of(doc, "start");
        meta->end = str_of(doc, "end");
    }
    jv_free(doc);
    if (!fs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = fs;
    *n = k;
    return 0;
}
