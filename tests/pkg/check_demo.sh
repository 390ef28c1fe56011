#!/bin/sh
# SPDX-License-Identifier: MIT
# check_demo.sh SRC BUILD: `make demo` shows the demo, not the build: its
# output has the demo's lines and no compiler or make progress lines, and
# is short.
set -u
src=$1 build=$2
command -v make >/dev/null 2>&1 || { echo "SKIP: make is not installed"; exit 0; }
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$src" demo BUILD="$build" 2>&1 </dev/null)
st=$?
fail=0
[ "$st" = 0 ] || { echo "FAIL: make demo exited $st"; fail=1; }
printf '%s\n' "$out" | grep -q '^== demo: ' || { echo "FAIL: no '== demo:' line"; fail=1; }
if printf '%s\n' "$out" | grep -Eq 'Building C object|Linking C|Built target|%\]|Entering directory'; then
    echo "FAIL: make demo shows build output"
    fail=1
fi
# The same report as SARIF and HTML (the README links samples of both).
if printf '%s\n' "$out" | grep -q 'caught the deadlock'; then
    for f in bank.json bank.sarif bank.html; do
        [ -s "$build/demo/$f" ] || { echo "FAIL: make demo did not write $build/demo/$f"; fail=1; }
    done
    grep -q '"ruleId":"deadlock"' "$build/demo/bank.sarif" 2>/dev/null ||
        { echo "FAIL: bank.sarif has no deadlock result"; fail=1; }
    grep -q '<section class="report deadlock"' "$build/demo/bank.html" 2>/dev/null ||
        { echo "FAIL: bank.html has no deadlock report"; fail=1; }
fi
lines=$(printf '%s\n' "$out" | wc -l)
# Up to two reports (a potential deadlock, then the deadlock it predicted), with
# inlined frames: about 70 lines.
[ "$lines" -le 80 ] || { echo "FAIL: make demo printed $lines lines"; fail=1; }
[ "$fail" = 0 ] || { printf '%s\n' "$out" | head -n 80; exit 1; }
echo "ok: make demo shows the demo in $lines lines, without build output"
