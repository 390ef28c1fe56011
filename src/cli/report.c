/* SPDX-License-Identifier: MIT */
/* report.c: `tangle report`, a saved JSON report in another format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"

static void report_usage(FILE *out)
{
    fprintf(out,
            "Usage: tangle report [options] FILE.json\n"
            "Renders a JSON report written by tangle run, tangle predict or the task runtime.\n"
            "\n"
            "  --format F              text (default), json, sarif (SARIF 2.1.0, for code\n"
            "                          scanning), dot (Graphviz: dot -Tsvg), html (one\n"
            "                          self-contained page: no network needed)\n"
            "  --suppressions          print the suppression lines that would silence each\n"
            "                          report (docs/suppressions.md)\n"
            "  --strip-path-prefix P   remove P from the front of source paths\n"
            "  -o FILE                 write to FILE instead of standard output\n"
            "\n"
            "Exit status: 0, or 2 when FILE cannot be read or is not a tangle report.\n");
}

static char *slurp(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    struct tg_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        tg__buf_put(&b, chunk, k);
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    tg__buf_put(&b, "", 1);
    if (err || b.failed) {
        tg__buf_free(&b);
        return NULL;
    }
    return b.data;
}

int tg__cli_report(int argc, char **argv)
{
    const char *format = "text", *out_path = NULL, *in = NULL, *prefix = NULL;
    int suppressions = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            report_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--suppressions")) {
            suppressions = 1;
        } else if ((!strcmp(a, "--format") || !strcmp(a, "-o") || !strcmp(a, "--strip-path-prefix")) &&
                   i + 1 < argc) {
            const char **dst = a[1] == 'o' ? &out_path : a[2] == 'f' ? &format : &prefix;
            *dst = argv[++i];
        } else if (!strncmp(a, "--format=", 9)) {
            format = a + 9;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "tangle report: unknown option '%s'. Run 'tangle report --help'.\n", a);
            return 2;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "tangle report: one report file at a time ('%s' is a second).\n", a);
            return 2;
        }
    }
    if (!in) {
        report_usage(stderr);
        return 2;
    }
    if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "sarif") &&
        strcmp(format, "dot") && strcmp(format, "html")) {
        fprintf(stderr, "tangle report: --format takes text, json, sarif, dot or html, not '%s'.\n",
                format);
        return 2;
    }
    return tg__cli_convert(in, suppressions ? "suppressions" : format, out_path, prefix,
                           "tangle report");
}

int tg__cli_convert(const char *in, const char *format, const char *out_path, const char *prefix,
                    const char *who)
{
    int suppressions = !strcmp(format, "suppressions");
    char *text = slurp(in);
    if (!text) {
        fprintf(stderr, "%s: cannot read '%s': %s.\n", who, in, strerror(errno));
        return 2;
    }
    struct tg_finding **fs = NULL;
    int n = 0;
    struct tg_report_meta meta;
    char err[200];
    int rc = tg__report_read_json(text, &fs, &n, &meta, err, sizeof err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot use '%s': %s.\n", who, in, err);
        return 2;
    }
    tg__report_set_path_prefix(prefix);
    struct tg_buf b = {0};
    if (suppressions)
        tg__render_suppressions(&b, fs, n);
    else if (!strcmp(format, "json"))
        tg__render_json(&b, fs, n, &meta);
    else if (!strcmp(format, "sarif"))
        tg__render_sarif(&b, fs, n, &meta);
    else if (!strcmp(format, "dot"))
        tg__render_dot(&b, fs, n);
    else if (!strcmp(format, "html"))
        tg__render_html(&b, fs, n, &meta);
    else
        for (int i = 0; i < n; i++) {
            tg__render_text(&b, fs[i], 0);
            tg__buf_puts(&b, "\n");
        }
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    rc = 0;
    if (!out || (b.len && fwrite(b.data, 1, b.len, out) != b.len) || b.failed ||
        (out_path ? fclose(out) : fflush(out)) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s.\n", who, out_path ? out_path : "the output",
                strerror(errno));
        rc = 2;
    }
    tg__buf_free(&b);
    for (int i = 0; i < n; i++)
        tg__finding_free(fs[i]);
    free(fs);
    free((char *)meta.program);
    free((char *)meta.tool_version);
    free((char *)meta.start);
    free((char *)meta.end);
    return rc;
}
