/* SPDX-License-Identifier: MIT */
/* suppress.c: what a suppression line matches (see report.h and
 * docs/suppressions.md), in the manner of ThreadSanitizer's suppressions.
 *
 * A line is KIND:PATTERN. KIND is a finding kind or hazard sub-kind (or an
 * unambiguous start of one: "dead", "potential"), "hazard" for every
 * hazard, or "*". PATTERN is matched against each frame's function, source
 * file (full path and base name), FILE:LINE, and module (full path and
 * base name): '*' stands for any characters, a leading '^' or trailing '$'
 * anchors the pattern, otherwise it may match anywhere in the text, except
 * that a pattern ending in ":LINE" must end there. */
#include "report/report.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"deadlock", "potential-deadlock", "hazard", "*"};

/* The finding kind or hazard a KIND names; -1 unknown. Returns 0..2 for
 * the kinds above, 3 for "*", 100 + h for hazard sub-kind h. */
static int kind_code(const char *k, size_t len)
{
    if (len == 0)
        return -1;
    for (int h = 1; h < TG_HAZARD__COUNT; h++)
        if (strlen(tg__hazard_name((enum tg_hazard)h)) == len &&
            !strncmp(tg__hazard_name((enum tg_hazard)h), k, len))
            return 100 + h;
    int found = -1;
    for (int i = 0; i < 4; i++) {
        if (strlen(kinds[i]) == len && !strncmp(kinds[i], k, len))
            return i;
        if (len >= 4 && !strncmp(kinds[i], k, len))
            found = found == -1 ? i : -2; /* a start of it: unambiguous only */
    }
    return found >= 0 ? found : -1;
}

int tg__suppress_kind_known(const char *kind, size_t len)
{
    return kind_code(kind, len) >= 0;
}

int tg__suppress_kind_matches(const char *kind, const struct tg_finding *f)
{
    int c = kind_code(kind, strlen(kind));
    switch (c) {
    case 0: return f->kind == TG_FINDING_DEADLOCK;
    case 1: return f->kind == TG_FINDING_POTENTIAL_DEADLOCK;
    case 2: return f->kind == TG_FINDING_HAZARD;
    case 3: return 1;
    default: return c >= 100 && f->kind == TG_FINDING_HAZARD && (int)f->hazard == c - 100;
    }
}

/* Glob with '*' over text[0..n), pattern p anchored at both ends. */
static int glob(const char *p, size_t pn, const char *t, size_t tn)
{
    size_t pi = 0, ti = 0, star = (size_t)-1, mark = 0;
    while (ti < tn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = ti;
        } else if (pi < pn && p[pi] == t[ti]) {
            pi++, ti++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* TSan's rule: unanchored ends match anything, '^' and '$' anchor. */
static int template_match(const char *pat, const char *text)
{
    if (!text)
        return 0;
    size_t pn = strlen(pat);
    int start = pat[0] == '^', end = pn > 0 && pat[pn - 1] == '$';
    const char *colon = strrchr(pat, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789$") == strlen(colon + 1))
        end = 1; /* FILE:LINE ends at the line: bank.c:2 is not bank.c:20 */
    char buf[600];
    snprintf(buf, sizeof buf, "%s%.*s%s", start ? "" : "*",
             (int)(pn - (size_t)start - (size_t)(pat[pn - 1] == '$' && pn > 0)), pat + start,
             end ? "" : "*");
    return glob(buf, strlen(buf), text, strlen(text));
}

static const char *base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

static int frame_matches(const struct tg_frame *fr, const char *pat)
{
    if (template_match(pat, fr->function) || template_match(pat, fr->file) ||
        template_match(pat, base(fr->file)) || template_match(pat, fr->module) ||
        template_match(pat, base(fr->module)))
        return 1;
    if (fr->file && fr->line > 0) {
        char fl[1100];
        snprintf(fl, sizeof fl, "%s:%d", fr->file, fr->line);
        if (template_match(pat, fl))
            return 1;
        snprintf(fl, sizeof fl, "%s:%d", base(fr->file), fr->line);
        return template_match(pat, fl);
    }
    return 0;
}

static int stack_matches(const struct tg_stack *s, const char *pat)
{
    for (int i = 0; i < s->n; i++)
        if (frame_matches(&s->frames[i], pat))
            return 1;
    return 0;
}

int tg__suppress_matches(const char *pat, const struct tg_finding *f)
{
    if (stack_matches(&f->where, pat))
        return 1;
    for (int i = 0; i < f->n_actors; i++) {
        const struct tg_actor_info *a = &f->actors[i];
        if (stack_matches(&a->wait.stack, pat) || stack_matches(&a->created, pat))
            return 1;
        for (int j = 0; j < a->n_holds; j++)
            if (stack_matches(&a->holds[j].acquired, pat))
                return 1;
    }
    return 0;
}
