/* SPDX-License-Identifier: MIT */
/* chan.c: channels: unbuffered, bounded and unbounded, with close.
 *
 * Values are copied straight between a sender and a parked receiver (or the
 * reverse) when one waits; otherwise through a ring buffer of `cap`
 * elements. A receive takes buffered values first, in order, and refills the
 * slot from the first waiting sender, so FIFO order holds across the buffer
 * and the send queue. After close, sends fail with TG_ECLOSED and receives
 * drain the buffer, then fail with TG_ECLOSED.
 */
#include "task/task_int.h"
#include "task/detect.h"

#include <stdlib.h>
#include <string.h>

int tg_chan_init(tg_chan *c, size_t elem_size, long capacity)
{
    if (!c || elem_size == 0 || capacity < TG_CHAN_UNBOUNDED)
        return TG_EINVAL;
    c->p.lock = 0;
    c->p.kind = TG__K_CHAN;
    c->elem_size = elem_size;
    c->capacity = capacity;
    c->cap = capacity == TG_CHAN_UNBOUNDED ? 16 : capacity;
    c->buf = NULL;
    if (c->cap > 0 && !(c->buf = malloc((size_t)c->cap * elem_size)))
        return TG_ENOMEM;
    c->head = c->count = 0;
    c->closed = 0;
    c->sendq.head = c->sendq.tail = NULL;
    c->recvq.head = c->recvq.tail = NULL;
    tg__det_res_init(&c->p, 0, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_chan_destroy(tg_chan *c)
{
    if (!c)
        return TG_EINVAL;
    if (c->sendq.head || c->recvq.head)
        return TG_EBUSY;
    tg__det_res_destroy(&c->p);
    free(c->buf);
    c->buf = NULL;
    return 0;
}

/* Copies one element: a constant-size copy (a move) for the common sizes. */
static inline void tg__elem_copy(void *to, const void *from, size_t n)
{
    if (n == sizeof(long))
        memcpy(to, from, sizeof(long));
    else if (n == sizeof(int))
        memcpy(to, from, sizeof(int));
    else
        memcpy(to, from, n);
}

static void *tg__slot(tg_chan *c, long i)
{
    return c->buf + (size_t)((c->head + i) % c->cap) * c->elem_size;
}

/* Doubles an unbounded channel's ring, keeping the order; 0 or -1. */
static int tg__chan_grow(tg_chan *c)
{
    char *nb = malloc((size_t)c->cap * 2 * c->elem_size);
    if (!nb)
        return -1;
    for (long i = 0; i < c->count; i++)
        memcpy(nb + (size_t)i * c->elem_size, tg__slot(c, i), c->elem_size);
    free(c->buf);
    c->buf = nb;
    c->head = 0;
    c->cap *= 2;
    return 0;
}

/* The two halves of a channel operation, tried under the channel's lock;
 * inline (a blocking call copies them in: a round trip makes four). */
#define TG__CHAN_HOT static inline __attribute__((always_inline))

/* Each completes the calling task's operation (me: its task) and, when a
 * peer was parked on the other side, the peer's; the engine's record of c
 * notes who sent and who received (tg__det_used: a test when detection is
 * off). */
TG__CHAN_HOT int tg__chan_try_send(tg_chan *c, struct tg__waiter *w, struct tg__wakes *k,
                                   const struct tg_task *me)
{
    if (c->closed) {
        w->result = TG_ECLOSED;
        return 1;
    }
    struct tg__waiter *r = tg__waitq_claim_first(&c->recvq, -1);
    if (r) {
        tg__elem_copy(r->data, w->data, c->elem_size);
        r->result = 0;
        tg__det_used2(&c->p, TG__BY_SEND, me, r->park->task);
        tg__wakes_add(k, r);
        return 1;
    }
    if (c->count == c->cap && (c->capacity != TG_CHAN_UNBOUNDED || tg__chan_grow(c) != 0))
        return 0; /* full (or an unbounded channel out of memory: wait for room) */
    if (__builtin_expect(!c->buf, 0)) { /* TG_CHAN_INIT: the first buffered send */
        if (!(c->buf = malloc((size_t)c->cap * c->elem_size)))
            return 0;
        /* Its engine record too, if it has none yet (as its first wait
         * would): from now on it notes who sends and receives. */
        if (tg__detect_on && !c->p.res)
            tg__det_res_lazy(&c->p, (uintptr_t)__builtin_return_address(0));
    }
    tg__elem_copy(tg__slot(c, c->count), w->data, c->elem_size);
    c->count++;
    tg__det_used(&c->p, TG__BY_SEND, me);
    return 1;
}

TG__CHAN_HOT int tg__chan_try_recv(tg_chan *c, struct tg__waiter *w, struct tg__wakes *k,
                                   const struct tg_task *me)
{
    if (c->count > 0) {
        tg__elem_copy(w->data, tg__slot(c, 0), c->elem_size);
        c->head = (c->head + 1) % c->cap;
        c->count--;
        tg__det_used(&c->p, TG__BY_RECV, me);
        struct tg__waiter *s = tg__waitq_claim_first(&c->sendq, -1);
        if (s) {
            tg__elem_copy(tg__slot(c, c->count), s->data, c->elem_size);
            c->count++;
            s->result = 0;
            tg__det_used(&c->p, TG__BY_SEND, s->park->task);
            tg__wakes_add(k, s);
        }
        return 1;
    }
    struct tg__waiter *s = tg__waitq_claim_first(&c->sendq, -1);
    if (s) {
        tg__elem_copy(w->data, s->data, c->elem_size);
        s->result = 0;
        tg__det_used2(&c->p, TG__BY_RECV, me, s->park->task);
        tg__wakes_add(k, s);
        return 1;
    }
    if (c->closed) {
        w->result = TG_ECLOSED;
        return 1;
    }
    return 0;
}

int tg__chan_try(tg_chan *c, struct tg__waiter *w, struct tg__wakes *k)
{
    return w->op == TG_SEL_SEND ? tg__chan_try_send(c, w, k, w->park->task)
                                : tg__chan_try_recv(c, w, k, w->park->task);
}

/* A blocking send or receive with no deadline: tg__task_block's one-arm
 * path without the arm dispatch (a channel round trip is four of these),
 * copied into tg_chan_send and tg_chan_recv. */
TG__CHAN_HOT int tg__chan_wait(tg_chan *c, int op, void *data, uintptr_t pc)
{
    struct tg_task *t;
    int e = tg__block_start(&t, 0);
    if (e)
        return e;
    struct tg__waiter w = { .op = op, .data = data };
    struct tg__wakes k = { 0 };
    tg__spin_lock(&c->p.lock);
    int done = op == TG_SEL_SEND ? tg__chan_try_send(c, &w, &k, t) : tg__chan_try_recv(c, &w, &k, t);
    if (!done) /* (nothing was claimed) */
        return tg__park_chan(t, c, op == TG_SEL_SEND ? &c->sendq : &c->recvq, op, data, pc);
    tg__spin_unlock(&c->p.lock);
    if (k.head)
        tg__wakes_flush(&k);
    return w.result;
}

/* A call with a deadline or a try: tg__task_block's one-arm path. */
static int tg__chan_op(tg_chan *c, int op, void *data, int64_t deadline, int flags, uintptr_t pc)
{
    struct tg_sel arm = { .op = op, .obj = c, .data = data };
    int r = tg__task_block(&arm, 1, deadline, flags, pc);
    return r < 0 ? r : arm.result;
}

#define TG__PC ((uintptr_t)__builtin_return_address(0))
int tg_chan_send(tg_chan *c, const void *e) { return tg__chan_wait(c, TG_SEL_SEND, (void *)e, TG__PC); }
int tg_chan_send_until(tg_chan *c, const void *e, int64_t d) { return tg__chan_op(c, TG_SEL_SEND, (void *)e, d, 0, TG__PC); }
int tg_chan_trysend(tg_chan *c, const void *e) { return tg__chan_op(c, TG_SEL_SEND, (void *)e, 0, TG__B_TRY, TG__PC); }
int tg_chan_recv(tg_chan *c, void *e) { return tg__chan_wait(c, TG_SEL_RECV, e, TG__PC); }
int tg_chan_recv_until(tg_chan *c, void *e, int64_t d) { return tg__chan_op(c, TG_SEL_RECV, e, d, 0, TG__PC); }
int tg_chan_tryrecv(tg_chan *c, void *e) { return tg__chan_op(c, TG_SEL_RECV, e, 0, TG__B_TRY, TG__PC); }

int tg_chan_close(tg_chan *c)
{
    struct tg__wakes k = { 0 };
    struct tg__waiter *w;
    int r = 0;
    tg__spin_lock(&c->p.lock);
    if (c->closed) {
        r = TG_ECLOSED;
    } else {
        c->closed = 1;
        /* Waiting receivers exist only when the buffer is empty. */
        while ((w = tg__waitq_claim_first(&c->recvq, -1))) {
            w->result = TG_ECLOSED;
            tg__wakes_add(&k, w);
        }
        while ((w = tg__waitq_claim_first(&c->sendq, -1))) {
            w->result = TG_ECLOSED;
            tg__wakes_add(&k, w);
        }
    }
    tg__spin_unlock(&c->p.lock);
    tg__wakes_flush(&k);
    return r;
}
