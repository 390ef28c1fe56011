/* SPDX-License-Identifier: MIT */
/* joins.c: cycles that run through a join.
 *
 * A thread that joins u while holding locks waits for u to finish, and u
 * holds nothing the joiner could give up: the join behaves like acquiring a
 * lock "u runs" that u holds from its first event to its last. So each
 * thread u joined under locks gets a pseudo-lock J(u) = jbase + u, every
 * blocking acquire of u becomes (also) a component holding J(u), and each
 * such join a component waiting for J(u). The closure needs no change: the
 * join event itself is the head, so it is never inside the ideal, and a join
 * that is inside demands all of u, which rules out u's heads as it should.
 * This finds, for example, T13 joining T16 while holding the lock T14 waits
 * for, while T16 waits for the lock T14 holds. */
#include "predict/spd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The held set H + {J(u)} for a stream tag (TG__HS_TOP: H is empty). */
static int64_t with_join_lock(struct tg__spd *s, uint32_t tag, uint32_t jlock)
{
    uint32_t n = 0;
    const struct tg__hlock *h = NULL;
    if (tag != TG__HS_TOP) {
        h = &s->hlocks[s->hsets[tag - 1].off];
        n = s->hsets[tag - 1].n;
    }
    struct tg__hlock *tmp = malloc((n + 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        tmp[i] = h[i];
    tmp[n] = (struct tg__hlock){jlock, TG_MODE_WRITE};
    int64_t id = tg__spd_intern_hset(s, tmp, n + 1);
    free(tmp);
    return id;
}

/* Adds u's components that hold J(u): one per lock, mode and held set of
 * its blocking acquires, found by one scan of u's stream. */
static int joined_thread(struct tg__spd *s, uint32_t u)
{
    struct tg__cursor cur = {0};
    uint32_t jlock = s->jbase + u;
    int rc = 0;
    for (uint32_t k = 0; k < s->th[u].n && rc == 0; k++) {
        const struct tg__sev *e = tg__spd_ev(s, &cur, u, k);
        if (!e) {
            rc = -1;
            break;
        }
        uint32_t kind = SEV_KIND(*e);
        if ((kind != SEV_ACQ_X && kind != SEV_ACQ_R) || e->hs == 0)
            continue;
        struct tg__sev ev = *e; /* the cursor's buffer may move under the calls below */
        int64_t hs = with_join_lock(s, ev.hs, jlock);
        uint8_t mode = kind == SEV_ACQ_R ? TG_MODE_READ : TG_MODE_WRITE;
        struct tg__comp *c = hs < 0 ? NULL
                           : tg__spd_comp(s, u, SEV_OBJ(ev), (uint32_t)hs, mode, ev.ko, ev.hs);
        if (!c) {
            snprintf(s->err, sizeof s->err, "out of memory adding join patterns");
            rc = -1;
        } else {
            c->n++;
        }
    }
    tg__cursor_free(&cur);
    return rc;
}

int tg__spd_join_components(struct tg__spd *s)
{
    s->jbase = s->n_lk;
    if (s->n_joins == 0)
        return 0;
    uint8_t *done = calloc(s->n_th + 1, 1);
    if (!done)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < s->n_joins && rc == 0; i++) {
        struct tg__held_join *j = &s->joins[i];
        struct tg__comp *c = tg__spd_comp(s, j->thread, s->jbase + j->joined, j->hset,
                                          TG_MODE_WRITE, SEV_MAKE(SEV_JOIN, j->joined),
                                          j->hset + 1);
        if (!c) {
            rc = -1;
            break;
        }
        c->n++;
        if (!done[j->joined]) {
            done[j->joined] = 1;
            rc = joined_thread(s, j->joined);
        }
    }
    free(done);
    return rc;
}
