#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the bank example under tangle and explains the outcome.
tangle=$1 prog=$2
echo "== tangle run -- $prog   (two tellers lock two accounts in opposite orders)"
"$tangle" run -- "$prog"
st=$?
if [ "$st" = 66 ]; then
    echo "== demo: tangle caught the deadlock and stopped the program (exit status 66)."
    exit 0
fi
echo "== demo: the program ended with status $st without deadlocking this time; run 'make demo' again."
exit 0
