#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs lockbench plain, under `tangle run`, and built with ThreadSanitizer,
# side by side, and prints each one's median ns/op and the ratios against
# the plain run. Usage: run.sh TANGLE_BIN SOURCE_DIR [ROUNDS]
set -eu
tangle=$1 src=$2 rounds=${3:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=${CC:-gcc}
$cc -O2 -g -pthread "$src/lockbench.c" -o "$work/plain"
tsan=yes
$cc -O2 -g -pthread -fsanitize=thread "$src/lockbench.c" -o "$work/tsan" 2>/dev/null || tsan=no

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
measure() { # label command...
    label=$1; shift
    for _ in $(seq "$rounds"); do "$@" 2>/dev/null | awk '{print $2}'; done | median
}

printf '%-20s %10s %10s %12s %10s %9s %9s %9s\n' workload plain tangle no-predict tsan tangle/x nopred/x tsan/x
for w in "single 20000000" "single_mt 20000000" "nested 2 2000000" "rwread 2 2000000"; do
    # shellcheck disable=SC2086
    p=$(measure plain "$work/plain" $w)
    # shellcheck disable=SC2086
    t=$(measure tangle "$tangle" run -- "$work/plain" $w)
    # shellcheck disable=SC2086
    q=$(measure nopredict "$tangle" run -O lock_order=0 -- "$work/plain" $w)
    if [ $tsan = yes ]; then
        # shellcheck disable=SC2086
        s=$(TSAN_OPTIONS=report_signal_unsafe=0 measure tsan "$work/tsan" $w)
    else
        s=nan
    fi
    awk -v w="$w" -v p="$p" -v t="$t" -v q="$q" -v s="$s" 'BEGIN {
        printf "%-20s %7.2f ns %7.2f ns %9.2f ns %7.2f ns %8.2fx %8.2fx %8.2fx\n", w, p, t, q, s,
               t / p, q / p, (s == "nan" ? 0 : s / p) }'
done
echo "(medians of $rounds runs; ns per lock+unlock; no-predict: tangle run -O lock_order=0;"
echo " targets: tangle <= 1.2x single, <= 1.5x nested)"
