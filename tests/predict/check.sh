#!/bin/sh
# SPDX-License-Identifier: MIT
# check.sh PREDICT TRACE STATUS NREPORTS [out|err REGEX]...
#
# Runs `PREDICT --format json TRACE` and checks the exit status, the number
# of potential-deadlock reports in the JSON on stdout, and that each REGEX
# matches stdout ("out") or stderr ("err"); "blocked N" checks the number of
# blocked threads over all reports, "hazards N" the number of lock-order
# inversions seen in one thread, "none REGEX" that stdout does not match,
# "noerr REGEX" that stderr does not.
# "-" as TRACE makes a trace whose first line is a megabyte long, "cycleN:K"
# an N-lock cycle, and so on below (generated here, kept out of the
# repository).
prog=$1 trace=$2 want_status=$3 want_n=$4
# Byte-wise matching: the patterns are ASCII, and .{0,600} over a long JSON
# line costs seconds in a multibyte locale.
export LC_ALL=C
shift 4
tmp=${TMPDIR:-/tmp}/tg_check.$$
trap 'rm -f "$tmp".*' EXIT
case $trace in
-)  trace=$tmp.mb.std
    { printf 'T1|w('; head -c 1048576 /dev/zero | tr '\0' x; printf ')|1\nT1|acq(A)|2\n'; } > "$trace" ;;
cycle*:*)
    # cycleN:K makes N threads, thread i nesting lock i then lock i+1 (mod N),
    # each K times: one cycle over N locks.
    n=${trace#cycle}; k=${n#*:}; n=${n%%:*}
    trace=$tmp.cycle.std
    awk -v n="$n" -v k="$k" 'BEGIN { for (i = 0; i < n; i++) for (j = 0; j < k; j++) {
        a = "L" i; b = "L" ((i + 1) % n); t = "T" i
        print t "|acq(" a ")|c.c:" i; print t "|acq(" b ")|c.c:" i + 1
        print t "|rel(" b ")|c.c:" i + 2; print t "|rel(" a ")|c.c:" i + 3 } }' > "$trace" ;;
pairs:*)
    # pairs:N: N independent ABBA inversions, each between its own two threads.
    n=${trace#pairs:}
    trace=$tmp.pairs.std
    awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) { a = "A" i; b = "B" i; t = "T" 2 * i; u = "T" 2 * i + 1
        print t "|acq(" a ")|1"; print t "|acq(" b ")|2"; print t "|rel(" b ")|3"; print t "|rel(" a ")|4"
        print u "|acq(" b ")|5"; print u "|acq(" a ")|6"; print u "|rel(" a ")|7"; print u "|rel(" b ")|8" } }' > "$trace" ;;
deep:*)
    # deep:N: T1 nests N locks L0..L(N-1); T2 takes L(N-1) then L0. One deadlock.
    n=${trace#deep:}
    trace=$tmp.deep.std
    awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "T1|acq(L" i ")|1"
        for (i = n - 1; i >= 0; i--) print "T1|rel(L" i ")|2"
        print "T2|acq(L" n - 1 ")|3"; print "T2|acq(L0)|4"; print "T2|rel(L0)|5"
        print "T2|rel(L" n - 1 ")|6" }' > "$trace" ;;
dense:*)
    # dense:N:K: one thread takes K random pairs of N locks, nested, in both
    # orders: a tangle of one-thread inversions with exponentially many cycles.
    # The pairs come from a generator of our own (Park and Miller's minimal
    # standard, exact in awk's doubles), not awk's rand(): mawk and gawk
    # give different sequences for one seed, and installing a package that
    # pulls in gawk changed the trace and the counts the test expects.
    n=${trace#dense:}; k=${n#*:}; n=${n%%:*}
    trace=$tmp.dense.std
    awk -v n="$n" -v k="$k" 'function next_r() { r = (r * 16807) % 2147483647; return r }
      BEGIN { r = 1; for (i = 0; i < k; i++) {
        a = next_r() % n; b = (a + 1 + next_r() % (n - 1)) % n
        print "T1|acq(L" a ")|d.c:" i; print "T1|acq(L" b ")|d.c:" i
        print "T1|rel(L" b ")|d.c:" i; print "T1|rel(L" a ")|d.c:" i } }' > "$trace" ;;
allpairs:*)
    # allpairs:N: one thread nests every pair of N locks, in both orders:
    # N(N-1)/2 one-thread inversions of two locks, and many longer cycles.
    n=${trace#allpairs:}
    trace=$tmp.allpairs.std
    awk -v n="$n" 'BEGIN { for (a = 0; a < n; a++) for (b = 0; b < n; b++) if (a != b) {
        print "T1|acq(L" a ")|p.c:" a; print "T1|acq(L" b ")|p.c:" b
        print "T1|rel(L" b ")|p.c:0"; print "T1|rel(L" a ")|p.c:0" } }' > "$trace" ;;
longcs:*)
    # longcs:N: T1 holds A across N inner critical sections (so the analysis's
    # per-thread stream spills many blocks before A's release is known), then
    # nests A->B; T2 nests B->A. One deadlock; A was acquired at line 1.
    n=${trace#longcs:}
    trace=$tmp.longcs.std
    awk -v n="$n" 'BEGIN { print "T1|acq(A)|a:1"; for (i = 0; i < n; i++) {
        print "T1|acq(X" i ")|x:" i; print "T1|rel(X" i ")|x:" i }
        print "T1|acq(B)|a:2"; print "T1|rel(B)|a:3"; print "T1|rel(A)|a:4"
        print "T2|acq(B)|b:1"; print "T2|acq(A)|b:2"; print "T2|rel(A)|b:3"; print "T2|rel(B)|b:4" }' > "$trace" ;;
esac
"$prog" --format json "$trace" > "$tmp.out" 2> "$tmp.err"
status=$?
fail=0
if [ "$status" != "$want_status" ]; then
    echo "FAIL: $trace: exit status $status, expected $want_status"
    fail=1
fi
n=$(grep -o '"kind":"potential-deadlock"' "$tmp.out" | wc -l)
if [ "$n" != "$want_n" ]; then
    echo "FAIL: $trace: $n potential deadlocks reported, expected $want_n"
    fail=1
fi
while [ $# -ge 2 ]; do
    if [ "$1" = blocked ]; then
        b=$(grep -o '"state":"blocked"' "$tmp.out" | wc -l)
        if [ "$b" != "$2" ]; then
            echo "FAIL: $trace: $b blocked threads in the reports, expected $2"
            fail=1
        fi
        shift 2
        continue
    fi
    if [ "$1" = hazards ]; then
        h=$(grep -o '"hazard":"inversion-one-thread"' "$tmp.out" | wc -l)
        if [ "$h" != "$2" ]; then
            echo "FAIL: $trace: $h inversions seen in one thread reported, expected $2"
            fail=1
        fi
        shift 2
        continue
    fi
    if [ "$1" = none ] || [ "$1" = noerr ]; then
        f=$tmp.out
        [ "$1" = noerr ] && f=$tmp.err
        if grep -Eq -- "$2" "$f"; then
            echo "FAIL: $trace: $1 matches what it must not: $2"
            fail=1
        fi
        shift 2
        continue
    fi
    if ! grep -Eq -- "$2" "$tmp.$1"; then
        echo "FAIL: $trace: std$1 does not match: $2"
        fail=1
    fi
    shift 2
done
if [ $fail = 1 ]; then
    echo "--- stdout:"; head -c 3000 "$tmp.out"; echo
    echo "--- stderr:"; head -c 3000 "$tmp.err"
    exit 1
fi
echo "ok: $trace: status $status, $n reports"
