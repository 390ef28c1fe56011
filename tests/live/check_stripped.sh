#!/bin/sh
# SPDX-License-Identifier: MIT
# check_stripped.sh: a stripped program's frames show module+offset, never
# the name of the nearest exported symbol (a name that looks right and is
# wrong), and tangle says once that the program has no debug information.
# Usage: check_stripped.sh TANGLE JCHECK PROGRAM WORKDIR
set -u
tangle=$1 jcheck=$2 prog=$3 work=$4/stripped
rm -rf "$work"
mkdir -p "$work"
command -v strip >/dev/null 2>&1 || { echo "check_stripped: skipped: no strip (binutils)"; exit 77; }
strip -o "$work/case_abba_stripped" "$prog" || exit 1
"$tangle" run --json "$work/r.json" -- "$work/case_abba_stripped" >/dev/null 2>"$work/err"
st=$?
fail=0
[ "$st" = 66 ] || { echo "FAIL: exit status $st, expected 66" >&2; fail=1; }
"$jcheck" "$work/r.json" 'reports[0].kind == "deadlock"' \
    'reports[0].threads[*].waits_for.stack[0].function == null' \
    'reports[0].threads[*].waits_for.stack[0].module ~ "case_abba_stripped"' \
    'reports[0].threads[*].waits_for.stack[0].line == null' || fail=1
n=$(grep -c "case_abba_stripped has no debug information" "$work/err")
[ "$n" = 1 ] || { echo "FAIL: the no-debug-information note appears $n times, expected once" >&2; fail=1; }
grep -q "?? (.*case_abba_stripped+0x" "$work/err" || { echo "FAIL: no module+offset frame in the text" >&2; fail=1; }
[ $fail = 0 ] || head -20 "$work/err" >&2
exit $fail
