#!/bin/sh
# SPDX-License-Identifier: MIT
# memcached (4 worker threads) on 127.0.0.1 under memcslap load: 4 client
# threads each set E keys, then each get E keys (8E operations; memcslap's
# get test first loads E keys from one thread). Run plain, under
# `tangle run` and under `tangle run -O lock_order=0`; ThreadSanitizer does
# not apply (it needs memcached rebuilt from source; Debian ships it plain).
#
#   memcached.sh E     (TANGLE_BIN names tangle; LIMIT bounds each memcslap run, in s;
#                       ROUNDS=R repeats the set + get load R times and prints
#                       the peak resident set after each round, to show whether
#                       memory levels off with traffic; MC_MB is memcached's
#                       cache size, -m, default 1024)
#
# Time is also given as memcached's own CPU time (user + system, from
# /proc/PID/stat) over the same runs: on a shared machine the wall time
# swings by 1.5x from run to run while the CPU time of the server moves
# far less, and it is the CPU time that tangle adds to.
#
# Why memcached: it is the lock-heavy threaded server the issue measured
# (per-item locks under a hash table, a global LRU and slab locks, 4
# worker threads), its memory grows with traffic only if the checker's
# does, and memcslap gives a repeatable load with no network beyond
# loopback. Time is the wall time of the two memcslap runs; memory is
# memcached's peak resident set (VmHWM) after the set phase and after the
# get phase: a flat get phase means memory levels off.
set -u
per_thread=${1:-10000}
tangle=${TANGLE_BIN:?}
limit=${LIMIT:-60}
rounds=${ROUNDS:-1}
mc_mb=${MC_MB:-1024}
for tool in memcached memcslap; do
    command -v $tool >/dev/null 2>&1 || {
        echo "memcached probe skipped: $tool not installed (Debian: memcached, libmemcached-tools)"
        exit 0
    }
done
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill -9 $server 2>/dev/null; rm -rf "$work"' EXIT
user=
[ "$(id -u)" = 0 ] && user="-u root"

now() { date +%s.%N; }
tick=$(getconf CLK_TCK 2>/dev/null || echo 100)
# memcached's CPU time so far, user + system, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

# one MODE: starts memcached, loads it, stops it; prints one table line.
one() {
    how=$1
    case $how in
    plain) wrap= ;;
    tangle) wrap="$tangle run --json $work/mc.json --" ;;
    no-order) wrap="$tangle run -O lock_order=0 --json $work/mc.json --" ;;
    esac
    rm -f "$work"/mc.json* "$work/pid"
    port=$((20000 + $$ % 20000))
    tries=0
    while :; do
        # shellcheck disable=SC2086
        $wrap memcached $user -t 4 -l 127.0.0.1 -p $port -U 0 -m $mc_mb -P "$work/pid" 2> "$work/server.err" &
        server=$!
        up=no
        for _ in $(seq 100); do
            [ -s "$work/pid" ] && memcping --servers=127.0.0.1:$port >/dev/null 2>&1 && { up=yes; break; }
            kill -0 $server 2>/dev/null || break
            sleep 0.1
        done
        [ $up = yes ] && break
        kill -9 $server 2>/dev/null; wait $server 2>/dev/null
        tries=$((tries + 1))
        [ $tries -ge 3 ] && { printf '%-10s could not start memcached: %s\n' "$how" "$(head -1 "$work/server.err")"; server=; return; }
        port=$((port + 7))
    done
    pid=$(cat "$work/pid")
    t0=$(now)
    c0=$(cpu "$pid")
    note=
    after_round=
    r=0
    while [ $r -lt "$rounds" ]; do
        r=$((r + 1))
        timeout "$limit" memcslap --servers=127.0.0.1:$port --concurrency=4 --execute-number="$per_thread" --test=set \
            > "$work/slap" 2>&1 || note="memcslap set failed or timed out after $limit s"
        [ $r = 1 ] && after_set=$(hwm "$pid")
        timeout "$limit" memcslap --servers=127.0.0.1:$port --concurrency=4 --execute-number="$per_thread" --test=get \
            >> "$work/slap" 2>&1 || note="${note:-memcslap get failed or timed out after $limit s}"
        after_round="$after_round $(($(hwm "$pid") / 1024))"
    done
    t1=$(now)
    c1=$(cpu "$pid")
    after_get=$(hwm "$pid")
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 $server 2>/dev/null || break; sleep 0.1; done
    kill -0 $server 2>/dev/null && { note="${note:+$note; }memcached did not end on SIGTERM within 10 s"; kill -9 $server; }
    wait $server
    status=$?
    server=
    [ $status = 66 ] && note="${note:+$note; }REPORT: $(grep -m1 'tangle:' "$work/server.err")"
    awk -v h="$how" -v a="$t0" -v b="$t1" -v c=$(( ${c1:-0} - ${c0:-0} )) -v hz="$tick" -v s="${after_set:-0}" -v g="${after_get:-0}" -v n="$note" \
        -v ops=$((per_thread * 8 * rounds)) -v st=$status -v rr="$after_round" -v R=$rounds 'BEGIN {
        if (R > 1) n = "MB after each round:" rr (n == "" ? "" : "; " n)
        printf "%-10s %8.2f %10.1f %8.2f %12.1f %12.1f %8d  %s\n", h, b - a, ops / (b - a), c / hz,
            s / 1024, g / 1024, st, n }' \
        | tee -a "$work/lines"
}

echo "memcached $(memcached -V 2>/dev/null | awk '{print $2}'), 4 threads, -m $mc_mb, memcslap 4 threads x $per_thread set + get on 127.0.0.1, $rounds round(s)"
printf '%-10s %8s %10s %8s %12s %12s %8s\n' mode time_s ops/s cpu_s "MB after set" "MB after get" status
for how in plain tangle no-order; do one $how; done
awk '$1 == "plain" { p = $2; u = $4; m = $6 } $1 != "plain" && p > 0 && $2 + 0 > 0 {
    printf "  %s: %.2fx plain time, %.2fx plain CPU time of memcached, %.2fx plain peak memory\n",
        $1, $2 / p, (u > 0 ? $4 / u : 0), $6 / m }' "$work/lines"
echo "(ThreadSanitizer: not applicable, memcached is Debian's binary, not rebuilt)"
