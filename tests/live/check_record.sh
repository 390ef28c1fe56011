#!/bin/sh
# SPDX-License-Identifier: MIT
# tangle record, then tangle predict on the trace: the ABBA that the run
# did not hit is predicted from the trace with its source lines; a long
# run's trace grows while the program's memory does not; bad usage fails
# before the program starts.
set -u
tangle=$1 jcheck=$2 abba=$3 long=$4 work=$5 src=$6 silent=$7
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tangle" record -o "$work/abba.tgt" -- "$abba" >/dev/null 2>"$work/record.stderr"
[ $? = 66 ] || fail "record of the ABBA program: expected exit 66 (the live prediction)"
"$tangle" predict --json "$work/abba.json" "$work/abba.tgt" >/dev/null 2>&1
[ $? = 66 ] || fail "predict on the recorded trace: expected exit 66"
t1=$(grep -n "@t1_b" "$src/case_predict_abba.c" | cut -d: -f1)
t2=$(grep -n "@t2_a" "$src/case_predict_abba.c" | cut -d: -f1)
"$jcheck" "$work/abba.json" 'reports# == 1' 'reports[0].kind == "potential-deadlock"' \
    "reports[0].threads[*].waits_for.stack[0].file ~ \"case_predict_abba.c\"" \
    "reports[0].threads[*].waits_for.stack[0].line == $t1" \
    "reports[0].threads[*].waits_for.stack[0].line == $t2" \
    || fail "the predicted deadlock does not cite the recorded lines"

# A program that ends with _exit(): its trace is complete all the same.
rm -f "$work/abba_exit.tgt"
"$tangle" record -o "$work/abba_exit.tgt" -- "$abba" _exit >/dev/null 2>"$work/record_exit.stderr"
[ $? = 66 ] || fail "record of the ABBA program ending with _exit: expected exit 66 (the live prediction)"
"$tangle" predict --json "$work/abba_exit.json" "$work/abba_exit.tgt" >/dev/null 2>"$work/predict_exit.stderr"
[ $? = 66 ] || fail "predict on the trace of a program that ended with _exit: expected exit 66 ($(cat "$work/predict_exit.stderr"))"
"$jcheck" "$work/abba_exit.json" 'reports# == 1' || fail "the _exit trace predicts no deadlock"

# Semaphores are in the trace: inversions ordered by a post and a wait
# (and by create/join) are not predicted offline either (issue 17 item 9).
"$tangle" record -o "$work/silent.tgt" -- "$silent" >/dev/null 2>"$work/record_silent.stderr" \
    || fail "record of case_predict_churn_silent (expected exit 0, no report)"
"$tangle" predict --json "$work/silent.json" "$work/silent.tgt" >/dev/null 2>"$work/predict_silent.stderr"
[ $? = 0 ] || fail "predict on the semaphore-ordered trace: expected exit 0 ($(head -c 600 "$work/predict_silent.stderr"))"

# A run that took no lock says at record time that its trace is empty.
"$tangle" record -o "$work/empty.tgt" -- /bin/true >/dev/null 2>"$work/record_empty.stderr" \
    || fail "record of /bin/true"
grep -q "holds no lock event" "$work/record_empty.stderr" || fail "an empty trace is not said to be empty"

"$tangle" record -o "$work/long.tgt" -- "$long" >"$work/long.out" 2>&1 || fail "record of the long run"
size=$(wc -c < "$work/long.tgt")
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "$work/long.out")
[ "$size" -gt 20000000 ] || fail "the long trace has only $size bytes"
[ -n "$hwm" ] && [ "$hwm" -lt 65536 ] || fail "peak memory ${hwm} kB for a $size-byte trace"
"$tangle" predict "$work/long.tgt" >/dev/null 2>&1
[ $? = 0 ] || fail "predict on the long trace (no inversion) should find nothing"

out=$("$tangle" record -- /bin/true 2>&1); st=$?
[ $st = 2 ] && echo "$out" | grep -q "give the trace file with -o" || fail "record without -o"
out=$("$tangle" record -o /nonexistent-dir/x.tgt -- /bin/true 2>&1); st=$?
[ $st = 2 ] && echo "$out" | grep -q "cannot write" || fail "record to an unwritable path"
echo "record: ok (long trace $size bytes, peak memory $hwm kB)"
