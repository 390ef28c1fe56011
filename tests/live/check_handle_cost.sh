#!/bin/sh
# SPDX-License-Identifier: MIT
# check_handle_cost.sh PRELOAD PROGRAM WORKDIR: the cost of finding a
# thread by its handle (pthread_setname_np here; pthread_join, _tryjoin_np
# and _detach do the same) must not grow with the threads alive. Counted
# in instructions under callgrind, not timed: 2,000 calls with 10 threads
# alive, then with 1,000; fails if a call costs more than 1.3 times as
# much with 1,000 (each walked every thread before: 1,669 instructions a
# call with 10, about 4,700 with 1,000, 7,650 with 2,000). Skipped (77)
# without valgrind.
set -u
preload=$1 prog=$2 work=$3
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed: skipped"; exit 77; }
mkdir -p "$work"
per_call() {
    out="$work/handle_cost.$1.cg"
    LD_PRELOAD=$preload valgrind --tool=callgrind --max-threads=1100 \
        --toggle-collect=pthread_setname_np --callgrind-out-file="$out" \
        "$prog" "$1" 2000 >/dev/null 2>"$work/handle_cost.$1.err" || {
        echo "FAIL: $prog $1 2000 under callgrind failed:" >&2
        tail -n 20 "$work/handle_cost.$1.err" >&2
        exit 1
    }
    total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out" | head -n 1)
    [ -n "$total" ] || { echo "FAIL: no total in $out" >&2; exit 1; }
    echo $((total / 2000))
}
few=$(per_call 10)
many=$(per_call 1000)
echo "instructions a call: $few with 10 threads alive, $many with 1000"
if [ $((many * 10)) -gt $((few * 13)) ]; then
    echo "FAIL: finding a thread by its handle grows with the threads alive" >&2
    exit 1
fi
