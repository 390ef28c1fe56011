#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the bank example under tangle and explains the outcome. The report is
# also written as JSON, SARIF and one self-contained HTML page, next to the
# example in the build folder (DIR/demo/), with paths relative to the source.
tangle=$1 prog=$2
out=$(dirname "$prog")/../demo
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "== tangle run --json/--sarif/--html ... -- $prog   (two tellers lock two accounts in opposite orders)"
"$tangle" run -O strip_path_prefix="$PWD/" --json "$out/bank.json" --sarif "$out/bank.sarif" \
    --html "$out/bank.html" -- "$prog"
st=$?
if [ "$st" = 66 ]; then
    echo "== demo: tangle caught the deadlock and stopped the program (exit status 66)."
    echo "== demo: the same report as JSON, SARIF and HTML: $out/bank.json, bank.sarif, bank.html"
    exit 0
fi
echo "== demo: the program ended with status $st without deadlocking this time; run 'make demo' again."
exit 0
