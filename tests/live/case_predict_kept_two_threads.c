/* SPDX-License-Identifier: MIT */
/* Two threads nest the same lock under a table while it is a leaf, so
 * their nestings are kept, not put in the graph (kept_keepers.h). A third
 * thread's nesting the other way round closes a cycle with either of
 * them: it must be reported when the third thread's nesting is handled,
 * not at a later watchdog tick or at exit (the watchdog's period is a
 * minute, and the program leaves with _exit), which makes tangle's exit
 * status 66. */
// RUN: -O watchdog_ms=60000
// EXIT: 66
// STDERR: SUMMARY: tangle: potential-deadlock
// STDERR: in closer
#define KEEPERS 2
#include "kept_keepers.h"
