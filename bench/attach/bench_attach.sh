#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_attach.sh TANGLE IDLE_PROG [SIZES...]: time to attach, analyse and
# detach a process of N idle threads (IDLE_PROG N: N workers on one
# condition, main in read), for tangle attach, gdb's "thread apply all bt"
# and elfutils' eu-stack, and how long the target was stopped.
#
# tangle prints the time it kept the process stopped. gdb and eu-stack do
# not: gdb keeps every thread stopped for its whole run, so its stop time
# is its run time; eu-stack stops and releases threads one by one, so no
# thread is stopped for its whole run, but the process is never all running
# either: its run time is reported as the upper bound. Each figure is the
# median of 3 runs (1 for gdb at 10,000 threads), in ms. The machine is
# shared and noisy: read ranges, not digits.
set -u
tangle=$1 prog=$2
shift 2
sizes=${*:-10 1000 10000}
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null' EXIT

ms() { date +%s%N | cut -c1-13; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # timed LIMIT_S CMD...: prints the run time in ms, or ">LIMITs"
    limit=$1; shift
    t0=$(ms)
    if timeout -k 5 "$limit" "$@" >"$work/cmd.out" 2>&1; then
        echo $(( $(ms) - t0 ))
    else
        echo ">${limit}000"
    fi
}

printf '%-8s %-22s %14s %16s\n' threads tool "total ms" "target stopped ms"
for n in $sizes; do
    "$prog" "$n" >"$work/out" 2>&1 &
    pid=$!
    until grep -q ready "$work/out"; do sleep 0.1; done
    sleep 1
    : >"$work/tangle.t"; : >"$work/tangle.s"
    for i in 1 2 3; do
        timed 120 "$tangle" attach --quiet "$pid" >>"$work/tangle.t"
        sed -n 's/.*stopped for \([0-9.]*\) ms.*/\1/p' "$work/cmd.out" >>"$work/tangle.s"
    done
    printf '%-8s %-22s %14s %16s\n' "$n" "tangle attach" "$(median <"$work/tangle.t")" "$(median <"$work/tangle.s")"
    : >"$work/tangle.t"
    for i in 1 2 3; do
        timed 120 "$tangle" attach --quiet --no-debuginfo "$pid" >>"$work/tangle.t"
        sed -n 's/.*stopped for \([0-9.]*\) ms.*/\1/p' "$work/cmd.out" >>"$work/tangle.s2"
    done
    printf '%-8s %-22s %14s %16s\n' "$n" "  --no-debuginfo" "$(median <"$work/tangle.t")" "$(median <"$work/tangle.s2")"
    rm -f "$work/tangle.s2"
    if command -v gdb >/dev/null 2>&1; then
        runs=3; [ "$n" -ge 10000 ] && runs=1
        : >"$work/gdb.t"
        for i in $(seq $runs); do
            timed 300 gdb -p "$pid" -batch -nx -ex "thread apply all bt" >>"$work/gdb.t"
        done
        g=$(median <"$work/gdb.t")
        printf '%-8s %-22s %14s %16s\n' "$n" "gdb thread apply all bt" "$g" "$g (all of it)"
    else
        printf '%-8s %-22s %14s\n' "$n" "gdb" "not installed"
    fi
    if command -v eu-stack >/dev/null 2>&1; then
        : >"$work/eu.t"
        for i in 1 2 3; do
            timed 120 eu-stack -p "$pid" >>"$work/eu.t"
        done
        e=$(median <"$work/eu.t")
        printf '%-8s %-22s %14s %16s\n' "$n" "eu-stack -p" "$e" "<= $e (per thread)"
    else
        printf '%-8s %-22s %14s\n' "$n" "eu-stack" "not installed"
    fi
    kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
done
