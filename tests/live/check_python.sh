#!/bin/sh
# SPDX-License-Identifier: MIT
# The CPython finaliser deadlock, caught through its binary-semaphore locks.
set -u
tangle=$1 jcheck=$2 work=$3 here=$(dirname "$0")
py=$(command -v python3) || { echo "python3 not installed: skipped"; exit 77; }
mkdir -p "$work"
timeout -k 5 120 "$tangle" run --json "$work/py.json" -- "$py" "$here/py_finaliser.py" 2>"$work/py.stderr"
st=$?
[ $st = 66 ] || { echo "FAIL: exit status $st, expected 66" >&2; cat "$work/py.stderr" >&2; exit 1; }
"$jcheck" "$work/py.json" 'reports# == 1' 'reports[0].kind == "deadlock"' \
    'reports[0].threads# == 2' 'reports[0].threads[*].name == "main"' 'reports[0].threads[*].waits_for.holder == 2' 'reports[0].threads[*].id == 2' \
    'reports[0].threads[*].waits_for.lock.kind == "semaphore"' \
    'reports[0].threads[*].holds[*].lock.detail == "binary, used as a lock"' || { cat "$work/py.stderr" >&2; exit 1; }
