/* SPDX-License-Identifier: MIT */
/* spd.c: lifetime, pass one and the pattern search of the analysis. */
#include "predict/spd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct tg__spd *tg__spd_new(const struct tg__spd_options *opt)
{
    struct tg__spd *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (opt)
        s->opt = *opt;
    s->progress_last = now();
    s->sp.fd = -1;
    if (!s->opt.max_patterns)
        s->opt.max_patterns = 100000;
    if (!s->opt.max_steps)
        s->opt.max_steps = 1000000000ull;
    return s;
}

void tg__spd_free(struct tg__spd *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_th; i++) {
        tg__stream_free(&s->th[i].ev);
        free(s->th[i].held);
    }
    for (uint32_t i = 0; i < s->n_cond; i++)
        free(s->cond[i].waiting);
    for (uint32_t i = 0; i < s->n_found; i++) {
        free(s->found[i].comps);
        free(s->found[i].heads);
        free(s->found[i].cut);
    }
    for (uint32_t i = 0; i < s->n_one; i++) {
        free(s->one[i].comps);
        free(s->one[i].heads);
        free(s->one[i].more);
    }
    free(s->one);
    free(s->th);
    free(s->lk);
    free(s->var);
    free(s->cond);
    free(s->hsets);
    free(s->hlocks);
    free(s->hset_slots);
    free(s->comps);
    free(s->joins);
    free(s->ann);
    free(s->comp_slots);
    free(s->found);
    tg__spd_closure_free(s->cl);
    tg__spill_close(&s->sp);
    free(s);
}

const char *tg__spd_error(const struct tg__spd *s)
{
    return s->err;
}


int tg__spd_load(struct tg__spd *s, struct tg_trace_reader *r)
{
    struct tg_trace_event ev;
    double last = s->opt.progress ? now() : 0;
    int rc, shown = 0;
    if (s->sp.fd < 0 && tg__spill_open(&s->sp) < 0) {
        snprintf(s->err, sizeof s->err, "%s", s->sp.err);
        return -1;
    }
    s->rd = r;
    while ((rc = tg__trace_next(r, &ev)) == TG_TRACE_OK) {
        if (tg__spd_event(s, &ev) < 0) {
            s->rd = NULL;
            return -1;
        }
        if (s->opt.progress && (s->st.events & 0xfffff) == 0 && now() - last > 0.5) {
            last = now();
            shown = 1;
            fprintf(stderr, "\rtangle: read %llu million events...",
                    (unsigned long long)(s->st.events / 1000000));
        }
    }
    if (shown)
        fprintf(stderr, "\r%60s\r", "");
    s->rd = NULL;
    if (rc == TG_TRACE_ERR) {
        snprintf(s->err, sizeof s->err, "%s", tg__trace_error(r));
        return -1;
    }
    return 0;
}

static int check_with_progress(struct tg__spd *s, const uint32_t *comps, uint32_t k)
{
    if (s->opt.progress && (s->st.patterns & 0xff) == 0) {
        double t = now();
        if (t - s->progress_last > 0.5) {
            s->progress_last = t;
            s->progress_shown = 1;
            fprintf(stderr, "\rtangle: checked %llu deadlock patterns...",
                    (unsigned long long)s->st.patterns);
        }
    }
    return tg__spd_check_pattern(s, comps, k);
}

long tg__spd_analyse(struct tg__spd *s)
{
    if (tg__spd_join_components(s) < 0) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "out of memory adding join patterns");
        return -1;
    }
    if (tg__spd_patterns(s, s->opt.progress ? check_with_progress : tg__spd_check_pattern) < 0) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "out of memory searching deadlock patterns");
        return -1;
    }
    if (!s->err[0] && tg__spd_one_thread(s) < 0 && !s->err[0])
        snprintf(s->err, sizeof s->err, "out of memory searching lock-order inversions");
    if (s->progress_shown)
        fprintf(stderr, "\r%60s\r", "");
    if (s->err[0])
        return -1;
    return (long)s->n_found;
}

void tg__spd_stats(const struct tg__spd *s, struct tg__spd_stats *st)
{
    *st = s->st;
    st->threads = s->n_th;
    st->locks = 0;
    for (uint32_t i = 0; i < s->n_lk; i++)
        st->locks += s->lk[i].seq > 0;
}
