#!/bin/sh
# SPDX-License-Identifier: MIT
# check_json_unwritable.sh: when the JSON report cannot be written (here its
# path is a directory; a full disk fails the same way), tangle says so once
# on stderr, with the reason and where the text report went, and the exit
# status still says that something was found.
# Usage: check_json_unwritable.sh TANGLE PROGRAM WORKDIR
set -u
tangle=$1 prog=$2 work=$3/json_unwritable
rm -rf "$work"
mkdir -p "$work/report.json"
fail=0
"$tangle" run -O json="$work/report.json" -- "$prog" >/dev/null 2>"$work/stderr"
st=$?
[ "$st" = 66 ] || { echo "FAIL: exit status $st, expected 66" >&2; fail=1; }
want="tangle: error: the JSON report could not be written to $work/report.json (Is a directory); the findings are in the text report (standard error)."
n=$(grep -cF -- "$want" "$work/stderr")
[ "$n" = 1 ] || { echo "FAIL: expected once on stderr: $want (seen $n times)" >&2; fail=1; }
grep -q "tangle: HAZARD" "$work/stderr" || { echo "FAIL: no text report on stderr" >&2; fail=1; }
# With log=FILE the message names the log file.
"$tangle" run -O json="$work/report.json" -O log="$work/text.log" -- "$prog" >/dev/null 2>"$work/stderr2"
grep -qF "the findings are in the text report ($work/text.log)" "$work/stderr2" ||
    { echo "FAIL: the message does not name the log file" >&2; fail=1; }
grep -q "tangle: HAZARD" "$work/text.log" || { echo "FAIL: no text report in the log" >&2; fail=1; }
[ $fail = 0 ] || cat "$work/stderr" >&2
exit $fail
