/* SPDX-License-Identifier: MIT */
/* filter.c: which findings the user asked not to see: hazard sub-kinds
 * turned off (hazards_off=a,b) and suppressions (suppress=FILE). A
 * suppression line is "KIND:PATTERN" (what matches what: report/suppress.c
 * and docs/suppressions.md). '#' starts a comment. */
#include "core/internal.h"
#include "report/report.h"

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
        if (!tg__suppress_kind_known(s, klen)) {
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

int tg__suppressed(const struct tg_finding *f)
{
    for (int r = 0; r < n_rules; r++)
        if (tg__suppress_kind_matches(rules[r].kind, f) && tg__suppress_matches(rules[r].pattern, f))
            return 1;
    return 0;
}
