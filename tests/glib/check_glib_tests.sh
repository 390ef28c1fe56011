#!/bin/sh
# SPDX-License-Identifier: MIT
# check_glib_tests.sh: GLib's own thread tests (Debian: libglib2.0-tests)
# run under tangle run. GMutex, GCond, GRecMutex and GRWLock are watched
# there; each test must pass with its own exit status and tangle must
# report nothing. Skipped with a message when the tests are not installed.
# Usage: check_glib_tests.sh TANGLE WORKDIR
set -u
tangle=$1 work=$2
dir=/usr/libexec/installed-tests/glib
[ -x "$dir/mutex" ] || { echo "skipped: GLib's tests are not installed (Debian: apt-get install libglib2.0-tests)"; exit 77; }
mkdir -p "$work"
fail=0
for t in mutex cond rec-mutex rwlock thread asyncqueue once private thread-pool; do
    [ -x "$dir/$t" ] || continue
    rm -f "$work/$t.json"
    timeout -k 5 300 "$tangle" run --json "$work/$t.json" -- "$dir/$t" >"$work/$t.out" 2>"$work/$t.err"
    status=$?
    if [ "$status" != 0 ] || grep -q "tangle:" "$work/$t.err"; then
        echo "FAIL: GLib's $t test: exit status $status"
        head -c 3000 "$work/$t.err"
        fail=1
    else
        echo "ok: GLib's $t test, nothing reported"
    fi
done
exit $fail
