#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs gmutexbench plain, under `tangle run` and built with
# ThreadSanitizer, for GLib's GMutex, a pthread mutex and an annotated
# spinlock (include/tangle/annotate.h; ThreadSanitizer's build calls its own
# __tsan_mutex_* annotations) in the same loop, at a small and a large
# number of locks, and prints the median ns per lock+unlock and the ratios
# against the plain run. With valgrind installed it also prints
# instructions per lock+unlock (callgrind; the noise-free number on a
# shared machine).
# Usage: run.sh TANGLE_BIN SOURCE_DIR [ROUNDS]
set -eu
tangle=$1 src=$2 rounds=${3:-3}
if ! pkg-config --exists glib-2.0 2>/dev/null; then
    echo "bench_glib skipped: GLib headers not found (Debian: apt-get install libglib2.0-dev)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=${CC:-gcc}
glib="-I$src/../../include $(pkg-config --cflags --libs glib-2.0)"
# shellcheck disable=SC2086
$cc -O2 -g -pthread "$src/gmutexbench.c" -o "$work/plain" $glib
tsan=yes
# shellcheck disable=SC2086
$cc -O2 -g -pthread -fsanitize=thread "$src/gmutexbench.c" -o "$work/tsan" $glib 2>/dev/null || tsan=no
lib=$(dirname "$tangle")/../lib/libtangle.so

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
measure() { # command...
    for _ in $(seq "$rounds"); do "$@" 2>/dev/null | awk '{print $2}'; done | median
}
# Instructions per step: two runs differing only in the number of steps.
instr() { # preload mode threads locks
    pre=$1; shift
    n1=100000 n2=200000
    i1=$(LD_PRELOAD=$pre valgrind --tool=callgrind --callgrind-out-file=/dev/null \
         "$work/plain" "$1" "$2" "$3" $n1 2>&1 | awk '/refs:/ {gsub(",", "", $NF); print $NF}')
    i2=$(LD_PRELOAD=$pre valgrind --tool=callgrind --callgrind-out-file=/dev/null \
         "$work/plain" "$1" "$2" "$3" $n2 2>&1 | awk '/refs:/ {gsub(",", "", $NF); print $NF}')
    echo $(( (i2 - i1) / (n2 - n1) ))
}

printf '%-22s %10s %10s %10s %9s %9s\n' workload plain tangle tsan tangle/x tsan/x
for locks in 4 100000; do
    for mode in gmutex pthread annotated; do
        w="$mode 2 $locks 3000000"
        # shellcheck disable=SC2086
        p=$(measure "$work/plain" $w)
        # shellcheck disable=SC2086
        t=$(measure "$tangle" run -- "$work/plain" $w)
        if [ $tsan = yes ]; then
            # shellcheck disable=SC2086
            s=$(TSAN_OPTIONS=report_signal_unsafe=0 measure "$work/tsan" $w)
        else
            s=nan
        fi
        awk -v w="$mode x$locks" -v p="$p" -v t="$t" -v s="$s" 'BEGIN {
            printf "%-22s %7.2f ns %7.2f ns %7.2f ns %8.2fx %8.2fx\n", w, p, t, s,
                   t / p, (s == "nan" ? 0 : s / p) }'
    done
done
echo "(medians of $rounds runs; two threads, each on its own locks; ns per lock+unlock)"
if command -v valgrind >/dev/null 2>&1 && [ -f "$lib" ]; then
    printf '\n%-22s %10s %10s %10s\n' "instructions/step" plain tangle overhead
    for locks in 4 100000; do
        for mode in gmutex pthread annotated; do
            p=$(instr "" $mode 1 $locks)
            t=$(instr "$lib" $mode 1 $locks)
            printf '%-22s %10d %10d %10d\n' "$mode x$locks" "$p" "$t" $((t - p))
        done
    done
    echo "(callgrind, one thread, LD_PRELOAD of libtangle; a GMutex step under tangle"
    echo " aims at what an interposed pthread mutex step costs over plain; an annotated"
    echo " step makes four annotation calls where a hook makes two)"
fi
if [ $tsan = yes ]; then
    echo "ThreadSanitizer does not see GMutex (GLib is not instrumented): its gmutex column"
    echo "is the cost of instrumenting the loop, with no lock watched. It does watch the"
    echo "annotated spinlock (its own annotations) and the pthread mutex."
fi
