/* SPDX-License-Identifier: MIT */
/* ops.h: the event operations and flags of recorded traces, alone, so that
 * the recorder in the preload library can use them next to the engine
 * (whose lock modes share the values of enum tg_lock_mode: exclusive 0,
 * read 1, write 2). */
#ifndef TG_TRACE_OPS_H
#define TG_TRACE_OPS_H

enum tg_trace_op {
    TG_EV_ACQUIRE = 1,   /* obj = lock; mode and try set */
    TG_EV_RELEASE,       /* obj = lock */
    TG_EV_READ,          /* obj = memory location */
    TG_EV_WRITE,         /* obj = memory location */
    TG_EV_FORK,          /* obj = thread id of the child */
    TG_EV_JOIN,          /* obj = thread id of the joined thread */
    TG_EV_REQUEST,       /* obj = lock: about to acquire it (no effect) */
    TG_EV_BEGIN,         /* transaction markers of the benchmark format */
    TG_EV_END,
    TG_EV_WAIT,          /* obj = condition (or monitor); aux = its mutex if known */
    TG_EV_NOTIFY,        /* obj = condition; TG_EVF_BROADCAST for notifyAll */
    TG_EV__COUNT
};

#define TG_EVF_TRY 1u       /* a trylock that succeeded (cannot have blocked) */
#define TG_EVF_BROADCAST 2u
#define TG_NO_OBJ 0xffffffffu

#endif
