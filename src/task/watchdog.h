/* SPDX-License-Identifier: MIT */
/* watchdog.h: a background thread that keeps the coarse clock and reports
 * tasks that run too long without yielding. */
#ifndef TG_TASK_WATCHDOG_H
#define TG_TASK_WATCHDOG_H

/* Starts the thread once per process (later calls do nothing), when a
 * time-based hazard is configured or `always` is set. Without it the coarse
 * clock stays at 0 and no time-based hazard is reported. */
void tg__task_watchdog_start(int always);
/* Writes the dump a signal asked for, if any (called by the watchdog). */
void tg__dump_poll(void);

#endif
