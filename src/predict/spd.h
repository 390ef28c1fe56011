/* SPDX-License-Identifier: MIT */
/* spd.h: sound offline deadlock prediction over a recorded trace.
 *
 * Implements the sync-preserving deadlock analysis (SPDOffline) of Tunç,
 * Mathur, Pavlogiannis and Viswanathan, "Sound Dynamic Deadlock Prediction
 * in Linear Time", PLDI 2023. A deadlock pattern is a cycle of acquires
 * e_0..e_{k-1} in distinct threads where e_i blocks on the lock that e_{i+1}'s
 * thread holds, and no lock is held (in conflicting modes) by two of them.
 * The pattern is a sync-preserving deadlock when some correct reordering of
 * the trace (each read sees the same write, fork and join respected, critical
 * sections of a lock kept in their observed order) runs every thread up to
 * its e_i. That holds exactly when the sync-preserving closure of the events
 * before the e_i contains none of them, which is what we compute.
 *
 * Every reported deadlock is therefore reachable; every sync-preserving one
 * is reported (one report per cycle of threads and locks).
 *
 * Cycles may also run through joins (see joins.c).
 *
 * Use: tg__spd_new, tg__spd_load (one pass over the trace), tg__spd_analyse,
 * then tg__spd_findings (which reads back only the lines the reports show).
 * Memory is bounded by threads, locks, variables and patterns: the events
 * the analysis keeps go to a temporary file (spill.h). */
#ifndef TG_PREDICT_SPD_H
#define TG_PREDICT_SPD_H

#include <stdint.h>

#include "core/finding.h"
#include "trace/trace.h"

struct tg__spd;

struct tg__spd_options {
    unsigned long max_patterns;  /* abstract patterns examined at most (0: 100000) */
    unsigned long long max_steps; /* steps of the pattern search at most (0: 10^9) */
    int progress;                /* show progress on stderr */
};

struct tg__spd *tg__spd_new(const struct tg__spd_options *opt);
void tg__spd_free(struct tg__spd *s);
/* Reads every event. Returns 0, or -1 if the reader failed (its message
 * says why) or memory ran out (tg__spd_error says so). */
int tg__spd_load(struct tg__spd *s, struct tg_trace_reader *r);
/* Finds the abstract deadlock patterns and checks each, then the lock-order
 * inversions seen within one thread that no deadlock found covers (hazards,
 * see one_thread.c). Returns the number of deadlocks found, or -1 on
 * out-of-memory. */
long tg__spd_analyse(struct tg__spd *s);
/* Builds one finding per deadlock found, then one per inversion seen in one
 * thread (caller owns them; free with tg__finding_free); `path` names the
 * trace in stack frames. Returns the count or -1. */
long tg__spd_findings(struct tg__spd *s, struct tg_trace_reader *r, const char *path,
                      struct tg_finding ***out);
const char *tg__spd_error(const struct tg__spd *s);

/* Counters for the summary line and the benchmark. */
struct tg__spd_stats {
    uint64_t events, stored, acquires, patterns, patterns_checked, deadlocks, search_steps;
    uint64_t one_thread;         /* lock-order inversions seen in one thread, reported */
    uint64_t one_thread_unreported; /* further lock sets past the report limit */
    uint32_t threads, locks;
    int pattern_limit_hit, one_thread_limit_hit;
};
void tg__spd_stats(const struct tg__spd *s, struct tg__spd_stats *st);

#endif
