#!/bin/sh
# SPDX-License-Identifier: MIT
# check_core_truncated.sh TANGLE HANG_PROG WORKDIR: a core dump cut short
# (as a core size limit or a full disk leaves it) is refused with exit 4 and
# a message saying it is truncated, never read as if it were whole.
set -u
tangle=$1 prog=$2 work=$3
mkdir -p "$work"
command -v gcore >/dev/null 2>&1 || { echo "SKIP: gcore (gdb) is not installed"; exit 77; }
"$prog" >"$work/out" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -f "$work/core"*' EXIT
i=0
until grep -q ready "$work/out"; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: never ready"; exit 1; }
    sleep 0.1
done
rm -f "$work/core"*
gcore -o "$work/core" "$pid" >"$work/gcore.out" 2>&1
core=$(ls "$work/core"* 2>/dev/null | head -n 1)
[ -n "$core" ] || { echo "SKIP: gcore could not dump the process: $(cat "$work/gcore.out")"; exit 77; }
size=$(stat -c %s "$core")
truncate -s $((size / 2)) "$core"
timeout -k 5 60 "$tangle" core "$core" "$prog" >"$work/tangle.out" 2>&1
status=$?
if [ $status = 4 ] && grep -q "is truncated" "$work/tangle.out"; then
    echo "PASS: $(cat "$work/tangle.out")"
    exit 0
fi
echo "FAIL: exit status $status (expected 4), output:"
cat "$work/tangle.out"
exit 1
