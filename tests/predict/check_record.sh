#!/bin/sh
# SPDX-License-Identifier: MIT
# check_record.sh TANGLE JCHECK PROG PROG_SOURCE WORKDIR
#
# Records record_inversions.c in each of its modes with `tangle record`,
# predicts on the trace, and checks the reports: an inversion seen in one
# thread is the hazard inversion-one-thread, citing both places (mode
# alone); with a second thread showing it, the potential deadlock alone
# (promoted); nothing under a gate lock (gated). Every lock taken through
# one wrapper (wrapper): the prediction names the wrapper's callers, each
# acquire with its own call site, as a live report does (issue 15 item 11).
set -u
tangle=$1 jcheck=$2 prog=$3 src=$4 work=$5
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
line() { grep -n "// @$1\$" "$src" | cut -d: -f1; }

# predict MODE WANT_STATUS: records, predicts, leaves $work/MODE.json
predict() {
    rm -f "$work/$1.tgt" "$work/$1.json"
    "$tangle" record -o "$work/$1.tgt" -- "$prog" "$1" >/dev/null 2>"$work/$1.record.err"
    st=$?
    [ $st = 0 ] || [ $st = 66 ] || fail "record of mode $1 exited $st: $(head -c 600 "$work/$1.record.err")"
    "$tangle" predict --json "$work/$1.json" "$work/$1.tgt" >"$work/$1.out" 2>"$work/$1.err"
    st=$?
    [ $st = "$2" ] || fail "predict on mode $1 exited $st, expected $2: $(head -c 600 "$work/$1.err")"
}

predict alone 66
"$jcheck" "$work/alone.json" 'reports# == 1' 'reports[0].kind == "hazard"' \
    'reports[0].hazard == "inversion-one-thread"' 'reports[0].cycle_length == 2' \
    'reports[0].summary ~ "lock-order inversion seen in one thread"' 'reports[0].threads# == 2' \
    'reports[*].threads[*].waits_for.lock.name ~ "stats_lock"' \
    'reports[*].threads[*].waits_for.lock.name ~ "config_lock"' \
    'reports[*].threads[*].holds[0].lock.name ~ "config_lock"' \
    'reports[*].threads[*].holds[0].lock.name ~ "stats_lock"' \
    "reports[*].threads[*].waits_for.stack[0].file ~ \"record_inversions.c\"" \
    "reports[*].threads[*].waits_for.stack[0].line == $(line reload_stats)" \
    "reports[*].threads[*].waits_for.stack[0].line == $(line report_config)" \
    "reports[*].threads[*].holds[0].acquired[0].line == $(line reload_config)" \
    "reports[*].threads[*].holds[0].acquired[0].line == $(line report_stats)" \
    || fail "mode alone: the inversion seen in one thread is not reported as live reports it"
grep -q "1 lock-order inversion seen in one thread only" "$work/alone.out" \
    || fail "mode alone: the summary line does not count the inversion"

predict promoted 66
"$jcheck" "$work/promoted.json" 'reports# == 1' 'reports[0].kind == "potential-deadlock"' \
    'reports[0].cycle_length == 2' \
    "reports[0].threads[*].waits_for.stack[0].line == $(line report_config)" \
    || fail "mode promoted: expected the potential deadlock alone"

predict gated 0
"$jcheck" "$work/gated.json" 'reports# == 0' || fail "mode gated: expected no report"
predict wrapper 66
"$jcheck" "$work/wrapper.json" 'reports# == 1' 'reports[0].kind == "potential-deadlock"' \
    'reports[0].threads[*].waits_for.stack[0].function == "lock_it"' \
    "reports[0].threads[*].waits_for.stack[0].line == $(line wrapper)" \
    'reports[0].threads[*].waits_for.stack[1].function == "save_config"' \
    "reports[0].threads[*].waits_for.stack[1].line == $(line save_stats)" \
    'reports[0].threads[*].waits_for.stack[1].function == "print_stats"' \
    "reports[0].threads[*].waits_for.stack[1].line == $(line print_config)" \
    "reports[0].threads[*].holds[0].acquired[1].line == $(line save_config)" \
    "reports[0].threads[*].holds[0].acquired[1].line == $(line print_stats)" \
    'reports[0].threads[*].waits_for.stack[2].function == "main"' \
    || fail "mode wrapper: the prediction does not name the wrapper's callers"
echo "recorded inversions: ok (trace with stacks: $(wc -c < "$work/wrapper.tgt") bytes)"
