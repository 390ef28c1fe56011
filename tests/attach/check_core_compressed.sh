#!/bin/sh
# SPDX-License-Identifier: MIT
# check_core_compressed.sh TANGLE RING_PROG WORKDIR: a core compressed as
# systemd-coredump stores it (zstd by default; lz4 and xz by its
# Compress= setting) is read like the plain core: the 3-thread cycle of
# attach_ring, with the executable given and found from the core's notes.
# A compressed core cut short is refused (exit 4), and so is one whose
# tool is not installed, with a message saying what to do. Each tool that
# is not installed is skipped; with none of them the test is skipped.
set -u
tangle=$1 prog=$2 work=$3
mkdir -p "$work"
command -v gcore >/dev/null 2>&1 || { echo "SKIP: gcore (gdb) is not installed"; exit 77; }
"$prog" 3 normal >"$work/out" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -f "$work/core"*' EXIT
i=0
until grep -q ready "$work/out"; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: never ready"; exit 1; }
    sleep 0.1
done
fail() { echo "FAIL: $*"; cat "$work/tangle.out"; exit 1; }
tried=
attempt=0
while :; do # "ready" is printed just before the threads block: retry the dump
    attempt=$((attempt + 1))
    sleep 0.3
    rm -f "$work/core"*
    gcore -o "$work/core" "$pid" >"$work/gcore.out" 2>&1
    core=$(ls "$work/core"* 2>/dev/null | head -n 1)
    [ -n "$core" ] || { echo "SKIP: gcore could not dump the process: $(cat "$work/gcore.out")"; exit 77; }
    timeout -k 5 60 "$tangle" core "$core" "$prog" >"$work/tangle.out" 2>&1
    [ $? = 66 ] && break
    [ $attempt -ge 8 ] && fail "the plain core gave no deadlock"
done
kill -9 $pid 2>/dev/null
for tool in zstd lz4 xz; do
    command -v $tool >/dev/null 2>&1 || { echo "skipped: $tool is not installed"; continue; }
    packed="$work/core.packed.$tool"
    $tool -q -c "$core" >"$packed" || fail "$tool could not compress the core"
    for exe in "$prog" ""; do
        # shellcheck disable=SC2086
        timeout -k 5 60 "$tangle" core "$packed" $exe >"$work/tangle.out" 2>&1
        status=$?
        [ $status = 66 ] || fail "$tool core (executable '$exe'): exit status $status, expected 66"
        grep -q "3 threads wait for each other in a cycle" "$work/tangle.out" ||
            fail "$tool core (executable '$exe'): the cycle is not reported"
        grep -q "(decompressed with $tool)" "$work/tangle.out" ||
            fail "$tool core: the report does not say it was decompressed"
    done
    tried="$tried $tool"
done
[ -n "$tried" ] || { echo "SKIP: none of zstd, lz4, xz is installed"; exit 77; }
tool=${tried# }
tool=${tool%% *}
packed="$work/core.packed.$tool"
size=$(stat -c %s "$packed")
head -c $((size / 2)) "$packed" >"$packed.cut"
timeout -k 5 60 "$tangle" core "$packed.cut" "$prog" >"$work/tangle.out" 2>&1
status=$?
[ $status = 4 ] && grep -q "could not decompress it" "$work/tangle.out" ||
    fail "a $tool core cut short: exit status $status (expected 4)"
timeout -k 5 60 env PATH=/nonexistent "$tangle" core "$packed" "$prog" >"$work/tangle.out" 2>&1
status=$?
[ $status = 4 ] && grep -q "command is not installed" "$work/tangle.out" ||
    fail "a $tool core without the $tool command: exit status $status (expected 4)"
echo "PASS: compressed cores read with:$tried"
exit 0
