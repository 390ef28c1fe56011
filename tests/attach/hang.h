/* SPDX-License-Identifier: MIT */
/* hang.h: helpers for the programs tangle attach is tested on. Each
 * program sets up a hang, prints "ready" (run_attach.sh waits for it) and
 * then blocks for good; the test kills it. */
#ifndef TG_TEST_HANG_H
#define TG_TEST_HANG_H

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static inline void ready(void)
{
    printf("ready\n");
    fflush(stdout);
}

/* Blocks the calling thread for good without any lock: pause() is a wait
 * tangle shows as a sleep, not as a lock. */
static inline void forever(void)
{
    for (;;)
        pause();
}

#endif
