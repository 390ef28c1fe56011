/* SPDX-License-Identifier: MIT */
/* filter.c: which findings the user asked not to see: hazard sub-kinds
 * turned off (hazards_off=a,b) and suppressions (suppress=FILE). A
 * suppression line is "SUBKIND:PATTERN": SUBKIND is a hazard sub-kind,
 * "deadlock", "potential-deadlock" or "*"; PATTERN matches a frame whose
 * function is PATTERN, whose file is PATTERN, or whose "file:line" is
 * PATTERN, anywhere in the finding's stacks. '#' starts a comment. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t off_mask;

struct rule {
    char kind[40];
    char pattern[200];
};
static struct rule *rules;
static int n_rules;

static int hazard_by_name(const char *name, size_t len)
{
    for (int h = 1; h < TG_HAZARD__COUNT; h++)
        if (strlen(tg__hazard_name((enum tg_hazard)h)) == len &&
            !strncmp(tg__hazard_name((enum tg_hazard)h), name, len))
            return h;
    return -1;
}

/* The whole file, NUL-terminated, from tangle's own allocator: options
 * are read inside the first hook, which may run inside the program's
 * malloc, so neither stdio nor malloc may be used here. */
static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = tg__alloc(cap);
    for (ssize_t k = 1; buf && k > 0;) {
        if (len + 1 == cap) {
            cap *= 2;
            buf = tg__realloc(buf, cap);
            if (!buf)
                break;
        }
        k = read(fd, buf + len, cap - 1 - len);
        if (k < 0 && errno == EINTR)
            k = 1;
        else if (k < 0) {
            tg__free(buf);
            buf = NULL;
        } else
            len += (size_t)k;
    }
    close(fd);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int load_rules(const char *path, char *err, size_t n)
{
    char *text = read_file(path);
    if (!text) {
        snprintf(err, n, "cannot read the suppressions file '%s'", path);
        return -1;
    }
    int lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "\r\n")] = '\0';
        while (*s && (s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == '\t'))
            s[strlen(s) - 1] = '\0';
        if (!*s)
            continue;
        char *colon = strchr(s, ':');
        if (!colon || colon == s || !colon[1] || (size_t)(colon - s) >= sizeof rules->kind ||
            strlen(colon + 1) >= sizeof rules->pattern) {
            snprintf(err, n, "%s:%d: a suppression is 'sub-kind:function' or "
                     "'sub-kind:file[:line]', not '%s'", path, lineno, s);
            tg__free(text);
            return -1;
        }
        size_t klen = (size_t)(colon - s);
        if (!(klen == 1 && *s == '*') && strncmp(s, "deadlock", klen) != 0 &&
            strncmp(s, "potential-deadlock", klen) != 0 && hazard_by_name(s, klen) < 0) {
            snprintf(err, n, "%s:%d: unknown finding kind '%.*s'", path, lineno, (int)klen, s);
            tg__free(text);
            return -1;
        }
        struct rule *nr = tg__realloc(rules, (size_t)(n_rules + 1) * sizeof *rules);
        if (!nr) {
            tg__free(text);
            snprintf(err, n, "out of memory reading '%s'", path);
            return -1;
        }
        rules = nr;
        snprintf(rules[n_rules].kind, sizeof rules->kind, "%.*s", (int)klen, s);
        snprintf(rules[n_rules].pattern, sizeof rules->pattern, "%s", colon + 1);
        n_rules++;
    }
    tg__free(text);
    return 0;
}

int tg__filter_init(char *err, size_t n)
{
    for (const char *p = tg__opt.hazards_off; *p;) {
        size_t len = strcspn(p, ",");
        if (len) {
            int h = hazard_by_name(p, len);
            if (h < 0) {
                snprintf(err, n, "hazards_off names an unknown hazard '%.*s' (the list is in "
                         "docs/report-schema.md)", (int)len, p);
                return -1;
            }
            off_mask |= 1u << h;
        }
        p += len + (p[len] == ',');
    }
    return tg__opt.suppress[0] ? load_rules(tg__opt.suppress, err, n) : 0;
}

int tg__hazard_on(enum tg_hazard h)
{
    return tg__opt.hazards && !(off_mask & (1u << h));
}

static int frame_matches(const struct tg_frame *fr, const char *pat)
{
    if (fr->function && !strcmp(fr->function, pat))
        return 1;
    if (!fr->file)
        return 0;
    size_t fl = strlen(fr->file);
    if (!strcmp(fr->file, pat))
        return 1;
    if (!strncmp(pat, fr->file, fl) && pat[fl] == ':')
        return atoi(pat + fl + 1) == fr->line;
    return 0;
}

static int stack_matches(const struct tg_stack *s, const char *pat)
{
    for (int i = 0; i < s->n; i++)
        if (frame_matches(&s->frames[i], pat))
            return 1;
    return 0;
}

int tg__suppressed(const struct tg_finding *f)
{
    const char *kind = f->kind == TG_FINDING_HAZARD ? tg__hazard_name(f->hazard)
                                                    : tg__finding_kind_name(f->kind);
    for (int r = 0; r < n_rules; r++) {
        if (strcmp(rules[r].kind, "*") && strcmp(rules[r].kind, kind))
            continue;
        const char *pat = rules[r].pattern;
        if (stack_matches(&f->where, pat))
            return 1;
        for (int i = 0; i < f->n_actors; i++) {
            const struct tg_actor_info *a = &f->actors[i];
            if (stack_matches(&a->wait.stack, pat))
                return 1;
            for (int j = 0; j < a->n_holds; j++)
                if (stack_matches(&a->holds[j].acquired, pat))
                    return 1;
        }
    }
    return 0;
}
