/* SPDX-License-Identifier: MIT */
/* Twelve threads nest the same lock under a table while it is a leaf and
 * stay alive, holding nothing (kept_keepers.h). A leaf keeps at most
 * eight such nestings (their count rides in its list's head); the ninth
 * finds the list full and is queued instead, which settles the leaf: the
 * kept nestings go to the graph with the queued one. The closer's nesting
 * the other way round then closes a cycle with every keeper: one true
 * potential deadlock, reported once, at once, naming the closer and a
 * keeper. */
// RUN: -O watchdog_ms=60000
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// STDERR: SUMMARY: tangle: potential-deadlock
// STDERR: in closer
// STDERR: in keeper
// COUNT: 1 SUMMARY: tangle:
#define KEEPERS 12
#include "kept_keepers.h"
