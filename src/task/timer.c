/* SPDX-License-Identifier: MIT */
/* timer.c: a scheduler's deadlines, a binary min-heap of parks. Only the
 * scheduler's own thread touches it. */
#include "task/task_int.h"

#include <stdlib.h>

static void tg__heap_set(struct tg__sched *s, int i, struct tg__park *p)
{
    s->heap[i] = p;
    p->heap_idx = i;
}

static void tg__heap_up(struct tg__sched *s, int i)
{
    struct tg__park *p = s->heap[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (s->heap[parent]->deadline <= p->deadline)
            break;
        tg__heap_set(s, i, s->heap[parent]);
        i = parent;
    }
    tg__heap_set(s, i, p);
}

static void tg__heap_down(struct tg__sched *s, int i)
{
    struct tg__park *p = s->heap[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= s->heap_n)
            break;
        if (c + 1 < s->heap_n && s->heap[c + 1]->deadline < s->heap[c]->deadline)
            c++;
        if (p->deadline <= s->heap[c]->deadline)
            break;
        tg__heap_set(s, i, s->heap[c]);
        i = c;
    }
    tg__heap_set(s, i, p);
}

int tg__timer_add(struct tg__sched *s, struct tg__park *p)
{
    if (s->heap_n == s->heap_cap) {
        int cap = s->heap_cap ? 2 * s->heap_cap : 64;
        struct tg__park **h = realloc(s->heap, (size_t)cap * sizeof *h);
        if (!h)
            return -1;
        s->heap = h;
        s->heap_cap = cap;
    }
    tg__heap_set(s, s->heap_n++, p);
    tg__heap_up(s, s->heap_n - 1);
    return 0;
}

void tg__timer_remove(struct tg__sched *s, struct tg__park *p)
{
    int i = p->heap_idx;
    p->heap_idx = -1;
    struct tg__park *last = s->heap[--s->heap_n];
    if (i == s->heap_n)
        return;
    tg__heap_set(s, i, last);
    tg__heap_up(s, i);
    tg__heap_down(s, last->heap_idx);
}

struct tg__park *tg__timer_first(struct tg__sched *s)
{
    return s->heap_n ? s->heap[0] : NULL;
}
