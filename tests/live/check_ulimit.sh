#!/bin/sh
# SPDX-License-Identifier: MIT
# check_ulimit.sh: under an address-space limit (ulimit -v), tangle takes
# its memory as it goes, so that the program's own threads are never
# refused because of it, and it still watches (issue 17 item 4). At 150,000
# and 100,000 KB, 8 threads with 8 MB stacks all start and the potential
# deadlock between two of them is reported. When the program itself fills
# the address space, tangle says once that it watches less, and the
# program runs on and ends as it would.
# Usage: check_ulimit.sh TANGLE PROGRAM WORKDIR
set -u
tangle=$1 prog=$2 work=$3/ulimit
rm -rf "$work"
mkdir -p "$work"
fail=0
for kb in 150000 100000; do
    (ulimit -v $kb && exec "$prog") > "$work/plain.$kb" 2>&1 ||
        { echo "SKIP: the program fails at ulimit -v $kb even without tangle" >&2; exit 77; }
    (ulimit -v $kb && exec "$tangle" run --json "$work/$kb.json" -- "$prog") > "$work/out.$kb" 2> "$work/err.$kb"
    st=$?
    [ "$st" = 66 ] || { echo "FAIL: ulimit -v $kb: exit status $st, expected 66 (the predicted deadlock)" >&2; fail=1; }
    grep -q "threads started: 8" "$work/out.$kb" ||
        { echo "FAIL: ulimit -v $kb: the program's threads did not all start:" >&2; cat "$work/out.$kb" >&2; fail=1; }
    grep -q "POTENTIAL DEADLOCK" "$work/err.$kb" ||
        { echo "FAIL: ulimit -v $kb: no potential deadlock reported" >&2; fail=1; }
    # libdw prints "libdw: Cannot allocate memory" and exits the process when
    # an allocation fails: under a limit tangle must not use it in-process.
    grep -q "libdw:" "$work/err.$kb" &&
        { echo "FAIL: ulimit -v $kb: libdw ran out of memory inside the program" >&2; fail=1; }
    grep -q "refused tangle memory" "$work/err.$kb" &&
        { echo "FAIL: ulimit -v $kb: tangle ran short of memory" >&2; fail=1; }
done
kb=100000
(ulimit -v $kb && exec "$tangle" run --json "$work/fill.json" -- "$prog" fill) > "$work/out.fill" 2> "$work/err.fill"
st=$?
[ "$st" = 0 ] || { echo "FAIL: fill: exit status $st, expected 0" >&2; fail=1; }
grep -q "ran on with the address space full" "$work/out.fill" || { echo "FAIL: fill: the program did not finish" >&2; fail=1; }
n=$(grep -c "tangle: warning: the system refused tangle memory" "$work/err.fill")
[ "$n" = 1 ] || { echo "FAIL: fill: the refused-memory warning appears $n times, expected once" >&2; fail=1; }
[ $fail = 0 ] || { cat "$work/err.$kb" "$work/err.fill" >&2; }
exit $fail
