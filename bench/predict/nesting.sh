#!/bin/sh
# SPDX-License-Identifier: MIT
# nesting.sh TANGLE [DEPTH...]: `tangle predict` on a trace where one
# thread nests DEPTH locks (l0, l1, ..., then releases them) and a second
# thread takes l1 then l0: exactly one deadlock to predict. Prints time and
# peak memory per depth (default 10000 and 100000). Issue 17 item 8: peak
# memory grew with the square of the depth (100,000: killed at 24 GB).
# With --check DEPTH MAX_KB it runs that depth under ulimit -v MAX_KB and
# fails unless the one deadlock is predicted (a test, not a benchmark).
set -u
tangle=$1
shift
dir=${TMPDIR:-/tmp}/tangle-bench-nesting.$$
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
gen() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++) printf "T0|acq(l%d)|%d\n", i, i + 1
        for (i = n - 1; i >= 0; i--) printf "T0|rel(l%d)|%d\n", i, 2 * n - i
        print "T1|acq(l1)|1"; print "T1|acq(l0)|2"; print "T1|rel(l0)|3"; print "T1|rel(l1)|4" }' > "$2"
}
if [ "${1:-}" = --check ]; then
    depth=$2 max_kb=$3
    gen "$depth" "$dir/t.std"
    (ulimit -v "$max_kb" && exec "$tangle" predict --no-progress --format json "$dir/t.std") \
        > "$dir/out.json" 2> "$dir/err"
    st=$?
    n=$(grep -o '"kind":"potential-deadlock"' "$dir/out.json" | wc -l)
    [ "$st" = 66 ] && [ "$n" = 1 ] && { echo "nesting $depth under ulimit -v $max_kb: ok"; exit 0; }
    echo "FAIL: nesting $depth under ulimit -v $max_kb: exit $st, $n deadlocks predicted (expected 66, 1)" >&2
    cat "$dir/err" >&2
    exit 1
fi
[ -x /usr/bin/time ] || { echo "nesting.sh: /usr/bin/time is needed for peak memory" >&2; exit 2; }
printf '%10s %10s %9s %10s  %s\n' depth "trace MB" "time s" "peak MiB" predicted
for depth in ${*:-10000 100000}; do
    gen "$depth" "$dir/t.std"
    mb=$(( $(wc -c < "$dir/t.std") / 1048576 ))
    /usr/bin/time -f '%e %M' -o "$dir/time" "$tangle" predict --no-progress --format json "$dir/t.std" \
        > "$dir/out.json" 2> /dev/null
    n=$(grep -o '"kind":"potential-deadlock"' "$dir/out.json" | wc -l)
    read -r secs kb <<EOF2
$(tail -n 1 "$dir/time")
EOF2
    printf '%10s %10s %9s %10s  %s\n' "$depth" "$mb" "$secs" "$((kb / 1024))" "$n"
done
