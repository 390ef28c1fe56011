#!/bin/sh
# SPDX-License-Identifier: MIT
# check_refusals.sh TANGLE HANG_PROG RING_PROG WORKDIR: the cases where
# tangle attach cannot or must not read a process, each with its message
# and exit status, and that the target is left as it was:
#   already traced (strace)         -> 3, names the tracer
#   another user's process          -> 3, names both users
#   the target exits while read     -> 4
#   --kill                          -> the target is gone afterwards
#   Yama's ptrace_scope, a container -> 3, each with what to do (see below)
#   a 32-bit program                -> 4 (skipped without a 32-bit compiler)
#   the core of a 32-bit program    -> 4 (the same, and gcore)
set -u
tangle=$1 hang=$2 ring=$3 work=$4
mkdir -p "$work"
fail=0
pids=
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -f "$work"/core32*; }
trap cleanup EXIT

start() { # start PROG ARGS...: sets $pid once the program printed ready
    rm -f "$work/out"
    "$@" >"$work/out" 2>&1 &
    pid=$!
    pids="$pids $pid"
    i=0
    until grep -q ready "$work/out" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: $1 never got ready"; exit 1; }
        sleep 0.1
    done
}
tracer_of() { sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
expect() { # expect NAME STATUS TEXT: checks $status and $work/tangle.out
    if [ "$status" = "$2" ] && grep -qF -- "$3" "$work/tangle.out"; then
        echo "PASS $1"
    else
        echo "FAIL $1: exit status $status (expected $2), output:"; cat "$work/tangle.out"; fail=1
    fi
}

# 0. ptrace at all?
start "$hang"
timeout -k 5 60 "$tangle" attach "$pid" >"$work/tangle.out" 2>&1
if [ $? = 3 ]; then
    echo "SKIP: ptrace is not allowed here: $(cat "$work/tangle.out")"
    exit 77
fi

# 1. Already traced.
if command -v strace >/dev/null 2>&1; then
    strace -p "$pid" -o /dev/null 2>/dev/null &
    spid=$!
    i=0
    until [ "$(tracer_of "$pid")" = "$spid" ]; do
        i=$((i + 1)); [ $i -gt 300 ] && break
        sleep 0.1
    done
    timeout -k 5 60 "$tangle" attach "$pid" >"$work/tangle.out" 2>&1
    status=$?
    expect already_traced 3 "is already traced by process $spid (strace)"
    kill "$spid"; wait "$spid" 2>/dev/null
else
    echo "SKIP already_traced: strace is not installed"
fi

# 2. Another user's process.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$tangle" 2>/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups timeout -k 5 60 "$tangle" attach "$pid" >"$work/tangle.out" 2>&1
    status=$?
    expect other_user 3 "belongs to user root and tangle runs as"
else
    echo "SKIP other_user: needs root, setpriv, and a tangle binary user 65534 can run"
fi

# 2b. Yama and containers. The kernel here may have no Yama module, and
# this test does not change the machine's sysctl, so the refusal is real
# but made another way: a process of user 65534 that made itself not
# dumpable, which that same user may not trace. Which explanation tangle
# gives is then chosen from the ptrace_scope file it reads, here a stand-in
# (TANGLE_TEST_YAMA_FILE): 1, 2 and 3 say Yama and what to do; no such file
# (no Yama) says container or set-uid. The real Yama refusal is the same
# EPERM from PTRACE_SEIZE.
printf '#include <stdio.h>\n#include <sys/prctl.h>\n#include <unistd.h>\nint main(void){prctl(PR_SET_DUMPABLE,0);printf("ready\\n");fflush(stdout);for(;;)pause();}\n' >"$work/nodump.c"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && cc -o "$work/nodump" "$work/nodump.c" 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$tangle" 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$work/nodump" 2>/dev/null; then
    nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
    rm -f "$work/out"
    $nobody "$work/nodump" >"$work/out" 2>&1 &
    npid=$!
    pids="$pids $npid"
    i=0
    until grep -q ready "$work/out" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && break
        sleep 0.1
    done
    echo 1 >"$work/yama1"; echo 2 >"$work/yama2"; echo 3 >"$work/yama3"
    chmod 644 "$work/yama1" "$work/yama2" "$work/yama3"
    for scope in 1 2 3; do
        TANGLE_TEST_YAMA_FILE="$work/yama$scope" $nobody timeout -k 5 60 "$tangle" attach "$npid" >"$work/tangle.out" 2>&1
        status=$?
        case $scope in
        1) expect yama_1 3 "kernel.yama.ptrace_scope is 1: a process may trace only its own children). Run tangle as root" ;;
        2) expect yama_2 3 "kernel.yama.ptrace_scope is 2: only root may trace). Run tangle as root" ;;
        3) expect yama_3 3 "Use a core dump instead" ;;
        esac
    done
    TANGLE_TEST_YAMA_FILE=/nonexistent $nobody timeout -k 5 60 "$tangle" attach "$npid" >"$work/tangle.out" 2>&1
    status=$?
    expect container 3 "docker run --cap-add SYS_PTRACE"
    [ "$(tracer_of "$npid")" = 0 ] || { echo "FAIL yama: the refused process is traced"; fail=1; }
    kill -9 "$npid"
else
    echo "SKIP yama/container: needs root, setpriv, a C compiler, and files user 65534 can run"
fi

# 3. The target exits while tangle holds it stopped.
TANGLE_TEST_ATTACH_PAUSE_MS=3000 timeout -k 5 60 "$tangle" attach "$pid" >"$work/tangle.out" 2>&1 &
tpid=$!
i=0
until [ "$(tracer_of "$pid")" != 0 ] && [ -n "$(tracer_of "$pid")" ]; do
    i=$((i + 1)); [ $i -gt 300 ] && break
    sleep 0.05
done
sleep 0.5 # (if it is still stopping threads, the test holds all the same)
kill -9 "$pid"
wait "$tpid"
status=$?
expect exits_while_read 4 "exited while tangle was reading it"

# 4. --kill.
start "$ring" 2 normal
timeout -k 5 60 "$tangle" attach --kill "$pid" >"$work/tangle.out" 2>&1
status=$?
wait "$pid" 2>/dev/null
if [ $status = 66 ] && ! kill -0 "$pid" 2>/dev/null; then
    echo "PASS kill"
else
    echo "FAIL kill: exit status $status, process alive: $(kill -0 "$pid" 2>/dev/null && echo yes)"; fail=1
fi

# 5. A 32-bit program.
printf 'int main(int argc,char**argv){(void)argv;while(argc<2)__asm__ volatile("pause");return 0;}\n' >"$work/p32.c"
if ! cc -m32 -o "$work/p32" "$work/p32.c" 2>/dev/null; then
    echo "SKIP 32bit: no 32-bit C compiler here (cc -m32 fails: gcc-multilib is not installed)"
elif ! "$work/p32" once 2>/dev/null; then
    echo "SKIP 32bit: this kernel does not run 32-bit programs (a -m32 build fails to execute)"
else
    "$work/p32" & p32=$!
    pids="$pids $p32"
    sleep 0.2
    timeout -k 5 60 "$tangle" attach "$p32" >"$work/tangle.out" 2>&1
    status=$?
    expect 32bit 4 "32-bit"
    [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$p32/status")" != T ] || { echo "FAIL 32bit: left stopped"; fail=1; }
    rm -f "$work"/core32*
    if command -v gcore >/dev/null 2>&1 && gcore -o "$work/core32" "$p32" >/dev/null 2>&1; then
        timeout -k 5 60 "$tangle" core "$(ls "$work"/core32* | head -n 1)" "$work/p32" >"$work/tangle.out" 2>&1
        status=$?
        expect core_32bit 4 "is the core of a program of another architecture (or 32-bit)"
    else
        echo "SKIP core_32bit: gcore is not installed or could not dump the 32-bit program"
    fi
fi
exit $fail
