/* SPDX-License-Identifier: MIT */
/* jcheck: asserts facts about a JSON document, for the tests.
 *
 *   jcheck FILE 'reports# == 1' 'reports[0].kind == "deadlock"' \
 *               'reports[0].threads[*].waits_for.stack[*].line == 25' ...
 *
 * A path walks objects (.key) and arrays ([N], or [*] for any element);
 * a trailing # takes the length of an array. An assertion holds when SOME
 * value the path reaches compares true; a leading ! asserts that none does.
 * Operators: == != >= <= and ~ (string contains). Values: numbers, "strings",
 * true, false, null. Exit status 0 when every assertion holds, 1 otherwise
 * (each failure printed), 2 for unreadable or malformed JSON. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jv {
    enum jt t;
    double num;
    char *str;
    int n;
    struct jv **items;
    char **keys;
};

static const char *p;
static int bad;

static void ws(void) { while (isspace((unsigned char)*p)) p++; }

static struct jv *mk(enum jt t)
{
    struct jv *v = calloc(1, sizeof *v);
    if (!v) exit(2);
    v->t = t;
    return v;
}

static char *parse_str(void)
{
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    p++;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'r') c = '\r';
            else if (c == 'u') { c = '?'; p += 4; }
        }
        if (n + 2 > cap) s = realloc(s, cap *= 2);
        s[n++] = c;
    }
    if (*p != '"') bad = 1; else p++;
    s[n] = '\0';
    return s;
}

static struct jv *parse(void)
{
    ws();
    struct jv *v;
    if (*p == '{' || *p == '[') {
        int obj = *p == '{';
        v = mk(obj ? J_OBJ : J_ARR);
        p++;
        ws();
        char close = obj ? '}' : ']';
        while (*p && *p != close) {
            v->items = realloc(v->items, sizeof *v->items * (size_t)(v->n + 1));
            v->keys = realloc(v->keys, sizeof *v->keys * (size_t)(v->n + 1));
            v->keys[v->n] = NULL;
            if (obj) {
                ws();
                if (*p != '"') { bad = 1; return v; }
                v->keys[v->n] = parse_str();
                ws();
                if (*p != ':') { bad = 1; return v; }
                p++;
            }
            v->items[v->n++] = parse();
            ws();
            if (*p == ',') p++;
            else if (*p != close) { bad = 1; return v; }
            ws();
        }
        if (*p != close) bad = 1; else p++;
    } else if (*p == '"') {
        v = mk(J_STR);
        v->str = parse_str();
    } else if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
        v = mk(J_BOOL);
        v->num = *p == 't';
        p += *p == 't' ? 4 : 5;
    } else if (!strncmp(p, "null", 4)) {
        v = mk(J_NULL);
        p += 4;
    } else {
        char *end;
        v = mk(J_NUM);
        v->num = strtod(p, &end);
        if (end == p) bad = 1;
        p = end == p ? p + 1 : end;
    }
    return v;
}

struct expect { char op[3]; struct jv *val; };

static int cmp(const struct jv *a, const struct expect *e)
{
    const struct jv *b = e->val;
    if (!strcmp(e->op, "~"))
        return a->t == J_STR && b->t == J_STR && strstr(a->str, b->str) != NULL;
    int eq;
    double d = 0;
    if (a->t == J_NUM && b->t == J_NUM) { d = a->num - b->num; eq = d == 0; }
    else if (a->t == J_STR && b->t == J_STR) eq = !strcmp(a->str, b->str);
    else if (a->t == b->t && (a->t == J_NULL || a->t == J_BOOL)) eq = a->num == b->num;
    else eq = 0;
    if (!strcmp(e->op, "==")) return eq;
    if (!strcmp(e->op, "!=")) return !eq;
    if (a->t != J_NUM || b->t != J_NUM) return 0;
    if (!strcmp(e->op, ">=")) return d >= 0;
    if (!strcmp(e->op, "<=")) return d <= 0;
    return 0;
}

/* Walks path from v; 1 if some reached value satisfies e. */
static int walk(const struct jv *v, const char *path, const struct expect *e)
{
    if (!v) return 0;
    if (*path == '\0') return cmp(v, e);
    if (*path == '#' && path[1] == '\0') {
        if (v->t != J_ARR && v->t != J_OBJ) return 0;
        struct jv len = {.t = J_NUM, .num = v->n};
        return cmp(&len, e);
    }
    if (*path == '.') path++;
    if (*path == '[') {
        if (v->t != J_ARR) return 0;
        const char *close = strchr(path, ']');
        if (!close) return 0;
        if (path[1] == '*') {
            for (int i = 0; i < v->n; i++)
                if (walk(v->items[i], close + 1, e)) return 1;
            return 0;
        }
        int idx = atoi(path + 1);
        return idx >= 0 && idx < v->n && walk(v->items[idx], close + 1, e);
    }
    size_t klen = strcspn(path, ".[#");
    if (v->t != J_OBJ) return 0;
    for (int i = 0; i < v->n; i++)
        if (strlen(v->keys[i]) == klen && !strncmp(v->keys[i], path, klen))
            return walk(v->items[i], path + klen, e);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jcheck FILE 'PATH OP VALUE'...\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) { fprintf(stderr, "jcheck: cannot open %s\n", argv[1]); return 2; }
    static char text[1 << 24];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    p = text;
    struct jv *root = parse();
    ws();
    if (bad || *p) { fprintf(stderr, "jcheck: %s is not valid JSON (near byte %ld)\n", argv[1], (long)(p - text)); return 2; }
    int failed = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int negate = *a == '!';
        if (negate) a++;
        char path[512], op[3] = "", *val;
        const char *sp = strchr(a, ' ');
        if (!sp || (size_t)(sp - a) >= sizeof path) { fprintf(stderr, "jcheck: bad assertion '%s'\n", argv[i]); return 2; }
        memcpy(path, a, (size_t)(sp - a));
        path[sp - a] = '\0';
        sp++;
        size_t oplen = strcspn(sp, " ");
        if (oplen == 0 || oplen > 2) { fprintf(stderr, "jcheck: bad operator in '%s'\n", argv[i]); return 2; }
        memcpy(op, sp, oplen);
        op[oplen] = '\0';
        val = (char *)sp + oplen + 1;
        p = val;
        bad = 0;
        struct expect e = {.val = parse()};
        memcpy(e.op, op, sizeof op);
        if (bad) { fprintf(stderr, "jcheck: bad value in '%s'\n", argv[i]); return 2; }
        int ok = walk(root, path, &e);
        if (negate) ok = !ok;
        if (!ok) {
            fprintf(stderr, "jcheck: FAILED: %s\n", argv[i]);
            failed = 1;
        }
    }
    return failed;
}
