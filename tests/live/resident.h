/* SPDX-License-Identifier: MIT */
/* resident.h: for the case programs that check their own memory growth
 * (a cost of tangle's that grows with the program's history shows there
 * first): the resident set now, and the check of a growth. */
#ifndef TG_TESTS_RESIDENT_H
#define TG_TESTS_RESIDENT_H

#include <stdio.h>
#include <string.h>

/* VmRSS in kB, or -1 if it cannot be read. */
__attribute__((unused)) static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            sscanf(line + 6, "%ld", &kb);
    if (f)
        fclose(f);
    return kb;
}

/* The exit status of program `prog` for a growth from `before` to `after`
 * kB over `what`: 0 if at most limit_kb, 1 if more (said on stderr), 2 if
 * either could not be read. */
__attribute__((unused)) static int resident_check(const char *prog, long before, long after, long limit_kb, const char *what)
{
    if (before < 0 || after < 0) {
        fprintf(stderr, "%s: cannot read VmRSS\n", prog);
        return 2;
    }
    if (after - before <= limit_kb)
        return 0;
    fprintf(stderr, "%s: resident memory grew from %ld kB to %ld kB over %s\n", prog, before, after, what);
    return 1;
}

#endif
