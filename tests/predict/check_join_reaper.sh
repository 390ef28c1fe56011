#!/bin/sh
# SPDX-License-Identifier: MIT
# check_join_reaper.sh TANGLE JCHECK PROG PROG_SOURCE WORKDIR
#
# Records record_join_reaper.c in its two modes with `tangle record` and
# predicts on each trace (issue 15: no false deadlock on pigz's join_all).
# reaper: workers announce themselves done under the pool lock with a
# broadcast and leave; main joins them holding that lock: no report, live
# or predicted. needs_lock: the same, but each worker takes the lock once
# more after its announcement: main joining it under the lock is a real
# potential deadlock, predicted for each worker, at that last lock call,
# each worker's report saying where it was started.
set -u
tangle=$1 jcheck=$2 prog=$3 src=$4 work=$5
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
line() { grep -n "// @$1\$" "$src" | cut -d: -f1; }

# predict MODE WANT_STATUS: records (the run itself must report nothing),
# predicts, leaves $work/MODE.json
predict() {
    rm -f "$work/$1.tgt" "$work/$1.json"
    "$tangle" record -o "$work/$1.tgt" -- "$prog" "$1" >/dev/null 2>"$work/$1.record.err" \
        || fail "record of mode $1 exited $?: $(head -c 600 "$work/$1.record.err")"
    "$tangle" predict --json "$work/$1.json" "$work/$1.tgt" >"$work/$1.out" 2>"$work/$1.err"
    st=$?
    [ $st = "$2" ] || fail "predict on mode $1 exited $st, expected $2: $(head -c 900 "$work/$1.out")"
}

predict reaper 0
"$jcheck" "$work/reaper.json" 'reports# == 0' || fail "mode reaper: expected no report"

predict needs_lock 66
# Where each thread was started goes with that thread (issue 15 item 17):
# each worker's is main's pthread_create, and main has none.
"$jcheck" "$work/needs_lock.json" 'reports# == 3' '!reports[*].kind != "potential-deadlock"' \
    'reports[*].cycle_length == 2' \
    'reports[*].threads[*].waits_for.lock.name ~ "the end of thread T"' \
    "reports[*].threads[*].waits_for.stack[0].line == $(line join)" \
    "reports[*].threads[*].waits_for.stack[0].line == $(line count_out)" \
    "reports[*].threads[*].holds[0].acquired[0].line == $(line reap_lock)" \
    '!reports[*].threads[0].created# != 0' '!reports[*].threads[1].created# == 0' \
    "reports[*].threads[1].created[*].line == $(line create)" \
    || fail "mode needs_lock: expected main joining each worker while it needs the lock"
# The text names each worker's start at main's pthread_create (in a
# program built with ASan the stack begins in its interceptor, passed over).
started=$(grep -c "was started in main .*record_join_reaper.c:$(line create)\$" "$work/needs_lock.out")
[ "$started" = 3 ] || fail "mode needs_lock: expected 3 workers started at line $(line create), got $started: $(grep 'started' "$work/needs_lock.out" | head -3)"
echo "join under a lock: ok"
