/* SPDX-License-Identifier: MIT */
/* io.h: a scheduler's epoll instance: descriptor readiness and wake-ups
 * from other threads (an eventfd). */
#ifndef TG_TASK_IO_H
#define TG_TASK_IO_H

#include "task/task_int.h"

/* Creates the epoll instance and eventfd; 0 or -1. Kept for the scheduler's
 * whole life (schedulers are reused, never freed). */
int tg__io_init(struct tg__sched *s);
/* Wakes the scheduler if it sleeps in tg__io_wait; callable from any thread. */
void tg__io_poke(struct tg__sched *s);
/* Sleeps up to timeout_ms (-1: no limit) for descriptors or a poke, making
 * ready tasks runnable; returns how many events arrived. */
int tg__io_wait(struct tg__sched *s, int timeout_ms);
/* Like tg__io_wait without sleeping. */
void tg__io_poll(struct tg__sched *s);

#endif
