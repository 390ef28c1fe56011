#!/bin/sh
# SPDX-License-Identifier: MIT
# check_subproject.sh SRC CC subdirectory|fetchcontent: builds
# tests/pkg/consumer with tangle embedded in it (add_subdirectory of the
# source tree, or FetchContent of a tarball of it) and runs it: "sum 55"
# with status 0, and a task deadlock reported with status 66.
set -u
src=$1 cc=$2 how=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- -DTANGLE_VIA="$how" -DTANGLE_SOURCE="$src"
if [ "$how" = fetchcontent ]; then
    tar -C "$src" --exclude='./build*' --exclude=./.git --exclude=./out -czf "$tmp/tangle.tar.gz" . ||
        { echo "FAIL: cannot make a tarball of $src"; exit 1; }
    set -- "$@" -DTANGLE_URL="file://$tmp/tangle.tar.gz"
fi
if ! { cmake -S "$src/tests/pkg/consumer" -B "$tmp/b" -DCMAKE_C_COMPILER="$cc" "$@" &&
       cmake --build "$tmp/b" -j2 --target consumer_tasks consumer_full; } >"$tmp/log" 2>&1; then
    tail -n 40 "$tmp/log"
    echo "FAIL: configuring or building a project that embeds tangle ($how)"
    exit 1
fi
out=$("$tmp/b/consumer_tasks" sum </dev/null)
st=$?
[ "$st" = 0 ] && [ "$out" = "sum 55" ] || { echo "FAIL: consumer_tasks sum: status $st, output '$out'"; exit 1; }
"$tmp/b/consumer_full" relock </dev/null >/dev/null 2>"$tmp/err"
st=$?
[ "$st" = 66 ] && grep -q DEADLOCK "$tmp/err" || { echo "FAIL: consumer_full relock: status $st"; cat "$tmp/err"; exit 1; }
echo "ok: a project embedding tangle by $how builds and runs"
