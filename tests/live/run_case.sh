#!/bin/sh
# SPDX-License-Identifier: MIT
# run_case.sh: runs one live test program under `tangle run` and checks
# what its source says it must find. Directives, as comments in the source:
#   // RUN: extra options for tangle run (@SRCDIR@: the source's folder)
#   // ARGS: arguments for the program
#   // ENV: NAME=value                              (exported before the run)
#   // EXIT: expected exit status                   (required)
#   // CHECK: jcheck assertion on the JSON report   (any number)
#   // JSON: child                                  (check FILE.PID of a child)
#   // STDERR: text that must appear on stderr      (any number)
#   // NOSTDERR: text that must not appear on stderr
#   // STDOUT: text that must appear on stdout
#   // COUNT: N text                                (text appears exactly N times)
#   // PROG: name      (*.case files) the case program to run, from CMake
# In CHECK lines, @LINE(tag) is the line number of the line marked "@tag".
# Usage: run_case.sh SOURCE PROGRAM TANGLE JCHECK WORKDIR
set -u
src=$1 prog=$2 tangle=$3 jcheck=$4 work=$5
name=$(basename "$src")
name=${name%.*}
mkdir -p "$work"
out="$work/$name.json"
err="$work/$name.stderr"
rm -f "$out" "$out".*

directive() { sed -n "s|^[[:space:]]*// $1: \{0,1\}||p" "$src"; }
expand_lines() {
    line=$1
    while :; do
        tag=$(printf '%s\n' "$line" | sed -n 's/.*@LINE(\([A-Za-z0-9_]*\)).*/\1/p')
        [ -z "$tag" ] && break
        num=$(grep -n "@$tag\b" "$src" | grep -v "@LINE" | head -n 1 | cut -d: -f1)
        [ -z "$num" ] && { echo "run_case: no line is marked @$tag" >&2; exit 2; }
        line=$(printf '%s\n' "$line" | sed "s/@LINE($tag)/$num/")
    done
    printf '%s\n' "$line"
}

run_opts=$(directive RUN | sed "s|@SRCDIR@|$(dirname "$src")|g")
args=$(directive ARGS)
expect_exit=$(directive EXIT)
[ -n "$expect_exit" ] || { echo "run_case: $src has no // EXIT: line" >&2; exit 2; }
for e in $(directive ENV); do export "$e"; done

# shellcheck disable=SC2086
timeout -k 5 120 "$tangle" run --json "$out" $run_opts -- "$prog" $args >"$work/$name.stdout" 2>"$err"
status=$?
fail=0
if [ "$status" != "$expect_exit" ]; then
    echo "FAIL $name: exit status $status, expected $expect_exit" >&2
    fail=1
fi
json=$out
if [ "$(directive JSON)" = child ]; then
    json=$(ls "$out".* 2>/dev/null | grep -v '\.tmp\.' | head -n 1)
    [ -n "$json" ] || { echo "FAIL $name: no child JSON report $out.PID" >&2; fail=1; json=$out; }
fi
checks=$(directive CHECK)
if [ -n "$checks" ]; then
    set --
    while IFS= read -r c; do
        [ -n "$c" ] && set -- "$@" "$(expand_lines "$c")"
    done <<EOF2
$checks
EOF2
    "$jcheck" "$json" "$@" || fail=1
fi
while IFS= read -r s; do
    [ -z "$s" ] && continue
    grep -qF -- "$s" "$err" || { echo "FAIL $name: stderr lacks: $s" >&2; fail=1; }
done <<EOF2
$(directive STDERR)
EOF2
while IFS= read -r s; do
    [ -z "$s" ] && continue
    grep -qF -- "$s" "$work/$name.stdout" || { echo "FAIL $name: stdout lacks: $s" >&2; fail=1; }
done <<EOF2
$(directive STDOUT)
EOF2
while IFS= read -r s; do
    [ -z "$s" ] && continue
    grep -qF -- "$s" "$err" && { echo "FAIL $name: stderr has: $s" >&2; fail=1; }
done <<EOF2
$(directive NOSTDERR)
EOF2
while IFS= read -r s; do
    [ -z "$s" ] && continue
    n=${s%% *} text=${s#* }
    got=$(grep -cF -- "$text" "$err")
    [ "$got" = "$n" ] || { echo "FAIL $name: '$text' appears $got times on stderr, expected $n" >&2; fail=1; }
done <<EOF2
$(directive COUNT)
EOF2
if [ $fail -ne 0 ]; then
    echo "---- stderr of $name ----" >&2
    head -c 6000 "$err" >&2
fi
exit $fail
