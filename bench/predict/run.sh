#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [--large] [--keep] [--predict PROG] [--gen GEN] [--dir DIR]
#
# Benchmarks `tangle predict` on generated text traces of 10^5, 10^6 and
# 10^7 events (and 10^8 with --large; that trace is about 1.5 GB): checks
# that exactly the two planted deadlocks are reported (the ABBA between P1
# and P2, the 3-cycle P3 -> P4 -> P5) and none of the traps, and prints
# events per second (parse plus analysis plus report) and peak memory
# measured by /usr/bin/time -v. PROG defaults to the tangle binary (run as
# `tangle predict`) or the tests' stand-alone tg_predict.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sizes="100000 1000000 10000000"
dir=${TMPDIR:-/tmp}/tangle-bench-predict
keep=0
prog=
gen=
while [ $# -gt 0 ]; do
    case $1 in
    --large) sizes="$sizes 100000000" ;;
    --keep) keep=1 ;;
    --predict) prog=$2; shift ;;
    --gen) gen=$2; shift ;;
    --dir) dir=$2; shift ;;
    *) echo "usage: $0 [--large] [--keep] [--predict PROG] [--gen GEN] [--dir DIR]" >&2; exit 2 ;;
    esac
    shift
done
for b in "$root"/build*; do
    [ -z "$gen" ] && [ -x "$b/bench/predict/gen_trace" ] && gen=$b/bench/predict/gen_trace
    if [ -z "$prog" ]; then
        if [ -x "$b/bin/tangle" ]; then prog="$b/bin/tangle predict"
        elif [ -x "$b/tests/predict/tg_predict" ]; then prog=$b/tests/predict/tg_predict
        fi
    fi
done
if [ -z "$gen" ]; then
    mkdir -p "$dir" && cc -O2 -o "$dir/gen_trace" "$here/gen_trace.c" && gen=$dir/gen_trace
fi
if [ -z "$prog" ] || [ -z "$gen" ]; then
    echo "run.sh: build tangle first (cmake --build BUILD), or pass --predict and --gen" >&2
    exit 2
fi
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is needed for peak memory" >&2; exit 2; }
mkdir -p "$dir"
echo "tangle predict benchmark: $prog"
echo "machine: $(nproc) cores, $(uname -m); generator: $gen"
printf '%12s %10s %9s %14s %12s  %s\n' events "file MB" "time s" "events/s" "peak MiB" answer
fail=0
for n in $sizes; do
    t=$dir/trace-$n.std
    [ -s "$t" ] || "$gen" "$n" > "$t" 2> /dev/null
    events=$(wc -l < "$t")
    mb=$(( $(wc -c < "$t") / 1048576 ))
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$dir/time.txt" $prog --no-progress --format json "$t" > "$dir/out.json" 2> "$dir/err.txt"
    status=$?
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/time.txt")
    reports=$(grep -o '"kind":"potential-deadlock"' "$dir/out.json" | wc -l)
    abba=$(grep -c '"summary":"Threads P1 and P2 can deadlock' "$dir/out.json")
    cyc=$(grep -c '"summary":"3 threads can deadlock[^"]*starting with P3' "$dir/out.json")
    if [ "$status" = 66 ] && [ "$reports" = 2 ] && [ "$abba" = 1 ] && [ "$cyc" = 1 ]; then
        answer="ok: the 2 planted deadlocks, no trap reported"
    else
        answer="WRONG: status $status, $reports reports (abba $abba, cycle $cyc)"
        fail=1
        head -5 "$dir/err.txt"
    fi
    rate=$(awk -v e="$events" -v s="$secs" 'BEGIN { if (s > 0) printf "%.1f M", e / s / 1e6; else print "-" }')
    printf '%12s %10s %9s %14s %12s  %s\n' "$events" "$mb" "$secs" "$rate" "$((kb / 1024))" "$answer"
    [ $keep = 1 ] || rm -f "$t"
done
echo
echo "Peer tools: none was runnable when this was written. Java is installed, but RAPID (the"
echo "SPDOffline authors' tool) is not available offline, and DeadDetector's published sources lack"
echo "RAPID's event classes they build on. Issue 3 quotes about 1 million events/s for a Java"
echo "implementation on this machine class. Compare by hand if you have one."
exit $fail
