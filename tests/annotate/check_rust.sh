#!/bin/sh
# SPDX-License-Identifier: MIT
# check_rust.sh: a Rust program whose std::sync::Mutex deadlock is a whole-
# process stall of futex waits made through syscall(). Builds it with rustc
# (Debian: rustc; skipped with a message without one), runs it under
# tangle run, checks the report.
# Usage: check_rust.sh SRC TANGLE JCHECK WORKDIR
set -u
src=$1 tangle=$2 jcheck=$3 work=$4
mkdir -p "$work"
rustc=$(command -v rustc) || { echo "skipped: no rustc (Debian: apt-get install rustc)"; exit 77; }
prog="$work/rust_mutex_abba"
"$rustc" -g -C opt-level=0 -o "$prog" "$src" 2>"$work/rust_build.log" ||
    { echo "skipped: rustc could not build $src:"; cat "$work/rust_build.log"; exit 77; }
line_of() { grep -n "@$1\$" "$src" | cut -d: -f1; }
timeout -k 5 120 "$tangle" run --json "$work/rust.json" -O stall_ms=300 -- "$prog" \
    >"$work/rust.stdout" 2>"$work/rust.stderr"
status=$?
fail=0
[ "$status" = 66 ] || { echo "FAIL: exit status $status, expected 66"; fail=1; }
"$jcheck" "$work/rust.json" 'reports# == 1' 'reports[0].kind == "deadlock"' \
    'reports[0].summary ~ "global stall"' 'reports[0].threads# == 2' \
    "reports[0].threads[*].waits_for.stack[*].line == $(line_of rust_wait_a)" \
    "reports[0].threads[*].waits_for.stack[*].line == $(line_of rust_wait_b)" || fail=1
[ $fail -eq 0 ] || head -c 6000 "$work/rust.stderr"
exit $fail
