#!/bin/sh
# SPDX-License-Identifier: MIT
# expect_cli.sh STATUS TEXT -- COMMAND...: runs COMMAND and checks its exit
# status and that TEXT appears in what it printed (stdout and stderr).
set -u
want=$1 text=$2
shift 3
out=$("$@" 2>&1 </dev/null)
got=$?
fail=0
[ "$got" = "$want" ] || { echo "FAIL: exit status $got, expected $want: $*" >&2; fail=1; }
printf '%s\n' "$out" | grep -qF -- "$text" || { echo "FAIL: output lacks '$text'" >&2; fail=1; }
[ $fail -eq 0 ] || printf '%s\n' "$out" >&2
exit $fail
