#!/bin/sh
# SPDX-License-Identifier: MIT
# check_schema.sh: every JSON output of tangle validates against
# docs/report-schema.json: a run with nothing found, a deadlock, a potential
# deadlock and the deadlock it predicted, a hazard, threads named with bytes
# that are not UTF-8, a task finding, and tangle predict on a text trace
# and on a binary one. Skipped (77) without Python's jsonschema.
# Usage: check_schema.sh TANGLE SRCDIR LIVEDIR TASKDIR WORKDIR
set -u
tangle=$1 src=$2 live=$3 task=$4 work=$5/schema
schema=$src/docs/report-schema.json
check="python3 $src/tests/tools/check_schema.py"
rm -rf "$work"
mkdir -p "$work"
python3 -c 'import jsonschema' 2>/dev/null || {
    echo "check_schema: skipped: Python's jsonschema is not installed (Debian: python3-jsonschema)"
    exit 77
}
fail=0
run() { # NAME EXPECTED-STATUS COMMAND...
    name=$1 want=$2
    shift 2
    "$@" >"$work/$name.out" 2>"$work/$name.err"
    st=$?
    [ "$st" = "$want" ] || { echo "FAIL: $name exited $st, expected $want" >&2; fail=1; }
}
run nothing 0 "$tangle" run --json "$work/nothing.json" -- /bin/true
for c in case_abba case_predict_abba case_misuse_unlock case_thread_name_bytes \
         case_predicted_then_deadlock; do
    run "$c" 66 "$tangle" run --json "$work/$c.json" -- "$live/$c"
done
run task 66 env TANGLE_OPTIONS="json=$work/task.json" "$task/task_relock" direct
run predict_text 66 "$tangle" predict --json "$work/predict_text.json" "$src/tests/predict/data/abba.std"
run record 66 "$tangle" record -o "$work/abba.tgt" -- "$live/case_predict_abba"
run predict_binary 66 "$tangle" predict --json "$work/predict_binary.json" "$work/abba.tgt"
$check "$schema" "$work"/*.json || fail=1
for f in case_abba case_predict_abba case_misuse_unlock task predict_text predict_binary; do
    grep -q '"reports":\[$' "$work/$f.json" && ! grep -q '"kind"' "$work/$f.json" &&
        { echo "FAIL: $f.json has no report" >&2; fail=1; }
done
exit $fail
