#!/bin/sh
# SPDX-License-Identifier: MIT
# check_free_cost.sh PRELOAD PROGRAM WORKDIR: free() of a block that
# holds no lock stays cheap once the program has nested two locks (every
# real program's free, after its first nesting). Counted in instructions
# of tangle's free() under callgrind (--toggle-collect; glibc's free,
# reached by a tail call, is not counted), 20,000 frees: fails if the
# nesting adds more than 90 a free. free_checked kept five values across
# malloc_usable_size in a frame of six registers and tg__lockorder_freed
# set up its whole sweep before looking at the block's region: 19
# instructions a free without the nesting, 140 with it; now 17 and 72.
# Skipped (77) without valgrind.
set -u
preload=$1 prog=$2 work=$3
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed: skipped"; exit 77; }
mkdir -p "$work"
per_free() { # mode
    out="$work/free_cost.$1.cg"
    LD_PRELOAD=$preload valgrind --tool=callgrind --toggle-collect=free \
        --callgrind-out-file="$out" "$prog" 20000 "$1" >/dev/null 2>"$out.err" || {
        echo "FAIL: $prog 20000 $1 under callgrind failed:" >&2
        tail -n 20 "$out.err" >&2
        exit 1
    }
    total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out" | head -n 1)
    [ -n "$total" ] || { echo "FAIL: no total in $out" >&2; exit 1; }
    echo $((total / 20000))
}
none=$(per_free none) || exit 1
nest=$(per_free nest) || exit 1
echo "free() of a block near no lock: $none instructions without a nesting, $nest after one"
if [ $((nest - none)) -gt 90 ]; then
    echo "FAIL: a nesting makes every free() dearer by $((nest - none)) instructions" >&2
    exit 1
fi
