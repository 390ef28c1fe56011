/* SPDX-License-Identifier: MIT */
/* test_formats.c: the same run in both formats gets the same answer.
 *
 * Each text trace named on the command line is converted to the binary
 * format with the trace writer (thread and lock names as name records, each
 * LOC as a site text), then analysed in both forms. The deadlocks found must
 * be the same: same count, and the same threads and locks in each cycle. */
#include "predict/spd.h"
#include "trace/trace.h"
#include "trace/writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct tg__trace_writer w;

/* Converts; returns 0 or -1. Names are declared before first use. */
static int convert(const char *in, const char *out)
{
    char err[600];
    struct tg_trace_reader *r = tg__trace_open(in, err, sizeof err);
    if (!r) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    tg__trace_set_warning_limit(r, 0);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || tg__trace_writer_open(&w, fd) < 0)
        return -1;
    uint8_t *named_t = calloc(1 << 20, 1), *named_o = calloc(1 << 20, 1);
    struct tg_trace_event ev;
    uint32_t site = 0;
    int rc;
    while ((rc = tg__trace_next(r, &ev)) == TG_TRACE_OK) {
        if (!named_t[ev.thread]++)
            tg__trace_writer_thread(&w, ev.thread, tg__trace_thread_name(r, ev.thread));
        int is_thread = ev.op == TG_EV_FORK || ev.op == TG_EV_JOIN;
        if (ev.obj != TG_NO_OBJ) {
            if (is_thread && !named_t[ev.obj]++)
                tg__trace_writer_thread(&w, ev.obj, tg__trace_thread_name(r, ev.obj));
            else if (!is_thread && !named_o[ev.obj]++)
                tg__trace_writer_object(&w, ev.obj, TG_OBJ_OTHER, tg__trace_object_name(r, ev.obj));
        }
        char loc[256];
        snprintf(loc, sizeof loc, "%.*s", (int)(ev.loc_len > 200 ? 200 : ev.loc_len), ev.loc);
        tg__trace_writer_site_text(&w, site, loc);
        tg__trace_writer_event(&w, ev.op, ev.mode, ev.flags, ev.thread, ev.obj, site++, ev.aux);
    }
    int wrc = tg__trace_writer_close(&w);
    close(fd);
    free(named_t);
    free(named_o);
    tg__trace_close(r);
    return rc == TG_TRACE_EOF && wrc == 0 ? 0 : -1;
}

/* A name without the " (T3)" or " (L3)" the binary reader appends. */
static void base_name(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s", name);
    char *p = strrchr(out, '(');
    if (p && p > out + 1 && p[-1] == ' ' && (p[1] == 'T' || p[1] == 'L'))
        p[-1] = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per deadlock: its sorted "thread waits lock" pairs; sorted. */
static char *answer(const char *path)
{
    char err[600];
    struct tg_trace_reader *r = tg__trace_open(path, err, sizeof err);
    if (!r)
        return NULL;
    tg__trace_set_warning_limit(r, 0);
    struct tg__spd *s = tg__spd_new(NULL);
    struct tg_finding **fs = NULL;
    long n = -1;
    if (tg__spd_load(s, r) == 0 && tg__spd_analyse(s) >= 0)
        n = tg__spd_findings(s, r, path, &fs);
    char **lines = calloc((size_t)(n > 0 ? n : 1), sizeof *lines);
    size_t total = 16;
    for (long i = 0; i < n; i++) {
        char buf[8192] = "", a[1100], b[1100];
        char *pairs[64];
        int k = fs[i]->n_actors < 64 ? fs[i]->n_actors : 64;
        for (int j = 0; j < k; j++) {
            base_name(a, sizeof a, fs[i]->actors[j].name);
            base_name(b, sizeof b, fs[i]->actors[j].wait.res.name);
            pairs[j] = malloc(strlen(a) + strlen(b) + 8);
            sprintf(pairs[j], "%s>%s", a, b);
        }
        qsort(pairs, (size_t)k, sizeof *pairs, cmp_str);
        for (int j = 0; j < k; j++) {
            strncat(buf, pairs[j], sizeof buf - strlen(buf) - 2);
            strcat(buf, " ");
            free(pairs[j]);
        }
        lines[i] = strdup(buf);
        total += strlen(buf) + 2;
        tg__finding_free(fs[i]);
    }
    free(fs);
    qsort(lines, (size_t)(n > 0 ? n : 0), sizeof *lines, cmp_str);
    char *out = calloc(1, total + 32);
    snprintf(out, total + 32, "%ld:", n);
    for (long i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "|");
        free(lines[i]);
    }
    free(lines);
    tg__spd_free(s);
    tg__trace_close(r);
    return out;
}

int main(int argc, char **argv)
{
    int failures = 0;
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        char bin[4096];
        snprintf(bin, sizeof bin, "%s/tg_formats_%d.tgt", tmp, (int)getpid());
        if (convert(argv[i], bin) < 0) {
            fprintf(stderr, "FAIL: cannot convert %s\n", argv[i]);
            failures++;
            continue;
        }
        char *a = answer(argv[i]), *b = answer(bin);
        if (!a || !b || strcmp(a, b) != 0) {
            fprintf(stderr, "FAIL: %s\n  text:   %s\n  binary: %s\n", argv[i], a ? a : "(error)",
                    b ? b : "(error)");
            failures++;
        } else {
            printf("ok: %s: %s\n", argv[i], a);
        }
        free(a);
        free(b);
        unlink(bin);
    }
    return failures != 0;
}
