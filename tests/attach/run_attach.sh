#!/bin/sh
# SPDX-License-Identifier: MIT
# run_attach.sh: starts a hung test program WITHOUT tangle, then runs
# `tangle attach` (or `tangle core` on a dump of it) and checks the result.
# Directives, as comments in the source (or in a *.case file):
#   // PROG: name        (*.case files) the program to run, from CMake
#   // ARGS: arguments for the program
#   // MODE: attach (default) | gcore (tangle core on a gcore dump) |
#            abort (tangle core on the core the kernel writes on SIGABRT)
#   // OPTS: extra options for tangle attach/core
#   // READY: what the program's output shows once it hangs (default: ready)
#   // UNDER: options of `tangle run`: the program runs under tangle (its
#             child), and attach reads that child
#   // EXIT: expected exit status                       (required)
#   // CHECK: jcheck assertion on the JSON report        (any number);
#             @LINE(tag) is the number of the source line marked "// @tag"
#   // LINES: file       (*.case files) the program's source, beside the
#             case file, where @LINE tags are looked up
#   // STDOUT: text that must appear in tangle's output  (any number;
#             @LINE(tag) as in CHECK)
# The program prints "ready" once its threads are about to block. Because
# "about to" is not "blocked", the attach is retried (a few times, a
# second apart) until the checks hold: no timing assumption is made about
# a slow machine. After every attach the program must be running again,
# untraced: that is checked too.
# Usage: run_attach.sh SOURCE PROGRAM TANGLE JCHECK WORKDIR
set -u
src=$1 prog=$2 tangle=$3 jcheck=$4 work=$5
name=$(basename "$src")
name=${name%.*}
mkdir -p "$work"
out="$work/$name"
rm -rf "$out".*
directive() { sed -n "s|^[[:space:]]*// $1: \{0,1\}||p" "$src"; }
with_lines() { # replaces each @LINE(tag) by the line that carries "// @tag"
    line=$1
    while tag=$(printf '%s\n' "$line" | sed -n 's/.*@LINE(\([A-Za-z0-9_]*\)).*/\1/p') && [ -n "$tag" ]; do
        num=$(grep -n "// @$tag\$" "$lines_src" | head -n 1 | cut -d: -f1)
        line=$(printf '%s\n' "$line" | sed "s/@LINE($tag)/${num:-0}/")
    done
    printf '%s\n' "$line"
}
lines_src=$src
[ -n "$(directive LINES)" ] && lines_src=$(dirname "$src")/$(directive LINES)
args=$(directive ARGS)
mode=$(directive MODE)
[ -n "$mode" ] || mode=attach
opts=$(directive OPTS)
expect_exit=$(directive EXIT)
[ -n "$expect_exit" ] || { echo "run_attach: $src has no // EXIT: line" >&2; exit 2; }

# Where ptrace is forbidden (a locked-down sandbox), skip rather than fail.
sleep 30 &
probe=$!
timeout -k 5 60 "$tangle" attach "$probe" >"$out.probe" 2>&1
probe_status=$?
kill "$probe" 2>/dev/null
wait "$probe" 2>/dev/null
if [ "$probe_status" = 3 ]; then
    echo "SKIP $name: ptrace is not allowed here: $(cat "$out.probe")"
    exit 77
fi

pid=
runner=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "$runner" ] && kill -9 "$runner" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$out.core"* "$out.d" # dumps are tens of megabytes (gigabytes under ASan)
}
trap cleanup EXIT

if [ "$mode" = abort ]; then
    case $(cat /proc/sys/kernel/core_pattern) in
    "|"*) echo "SKIP $name: the kernel pipes core dumps to $(cat /proc/sys/kernel/core_pattern)"; exit 77 ;;
    esac
    mkdir -p "$out.d"
    # shellcheck disable=SC2086
    (cd "$out.d" && ulimit -c unlimited && exec "$prog" $args) >"$out.stdout" 2>&1 &
    pid=$!
elif [ -n "$(directive UNDER)" ]; then
    # shellcheck disable=SC2086
    "$tangle" run $(directive UNDER) -- "$prog" $args >"$out.stdout" 2>&1 &
    pid=$!
else
    # shellcheck disable=SC2086
    "$prog" $args >"$out.stdout" 2>&1 &
    pid=$!
fi
i=0
ready_text=$(directive READY)
until grep -qF -- "${ready_text:-ready}" "$out.stdout" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 600 ] && { echo "FAIL $name: the program never printed ready" >&2; exit 1; }
    sleep 0.1
done
if [ -n "$(directive UNDER)" ]; then # the program is tangle run's child
    runner=$pid
    pid=$(cat "/proc/$runner/task/$runner/children" 2>/dev/null | cut -d' ' -f1)
    [ -n "$pid" ] || { echo "FAIL $name: tangle run has no child process" >&2; kill -9 "$runner"; exit 1; }
fi

check() { # check STATUS OUTPUT JSON: 0 when everything expected holds
    ok=0
    json=$3
    [ "$1" = "$expect_exit" ] || { echo "exit status $1, expected $expect_exit"; ok=1; }
    checks=$(directive CHECK)
    if [ -n "$checks" ]; then
        set --
        while IFS= read -r c; do
            [ -n "$c" ] && set -- "$@" "$(with_lines "$c")"
        done <<EOF2
$checks
EOF2
        "$jcheck" "$json" "$@" || ok=1
    fi
    while IFS= read -r s; do
        [ -z "$s" ] && continue
        s=$(with_lines "$s")
        grep -qF -- "$s" "$out.out" || { echo "output lacks: $s"; ok=1; }
    done <<EOF2
$(directive STDOUT)
EOF2
    return $ok
}

still_free() { # the target runs again and nobody traces it
    state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status")
    tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$pid/status")
    case $state in t|T) echo "FAIL $name: the program was left stopped (state $state)" >&2; return 1 ;; esac
    [ "$tracer" = 0 ] || { echo "FAIL $name: the program is still traced by $tracer" >&2; return 1; }
    return 0
}

attempt=0
while :; do
    attempt=$((attempt + 1))
    sleep 0.3
    rm -f "$out.json"
    case $mode in
    attach)
        # shellcheck disable=SC2086
        timeout -k 5 120 "$tangle" attach --json "$out.json" $opts "$pid" >"$out.out" 2>&1
        status=$?
        still_free || exit 1
        ;;
    gcore)
        command -v gcore >/dev/null 2>&1 || { echo "SKIP $name: gcore (gdb) is not installed"; exit 77; }
        rm -f "$out.core"*
        gcore -o "$out.core" "$pid" >"$out.gcore" 2>&1
        core=$(ls "$out.core"* 2>/dev/null | head -n 1)
        [ -n "$core" ] || { echo "FAIL $name: gcore wrote no core:" >&2; cat "$out.gcore" >&2; exit 1; }
        # shellcheck disable=SC2086
        timeout -k 5 120 "$tangle" core --json "$out.json" $opts "$core" "$prog" >"$out.out" 2>&1
        status=$?
        ;;
    abort)
        kill -ABRT "$pid"
        wait "$pid" 2>/dev/null
        pid=
        core=$(ls "$out.d"/core* 2>/dev/null | head -n 1)
        [ -n "$core" ] || { echo "SKIP $name: no core file was written (core_pattern: $(cat /proc/sys/kernel/core_pattern))"; exit 77; }
        # shellcheck disable=SC2086
        timeout -k 5 120 "$tangle" core --json "$out.json" $opts "$core" "$prog" >"$out.out" 2>&1
        status=$?
        ;;
    esac
    why=$(check "$status" "$out.out" "$out.json" 2>&1) && break
    if [ $attempt -ge 8 ] || [ "$mode" = abort ]; then
        echo "FAIL $name (after $attempt attempts): $why" >&2
        echo "---- output of tangle ----" >&2
        head -c 8000 "$out.out" >&2
        exit 1
    fi
done
exit 0
