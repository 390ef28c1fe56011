#!/bin/sh
# SPDX-License-Identifier: MIT
# check_signals.sh TANGLE SIGNAL_COUNTER WORKDIR: sends 300 queued real-time
# signals to a process while tangle attaches to it again and again; the
# process must receive every one (a signal caught while stopping a thread
# is handed back on detach) and must never be left stopped.
set -u
tangle=$1 prog=$2 work=$3
mkdir -p "$work"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 sends the signals"; exit 77; }
"$prog" >"$work/out" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
i=0
until grep -q ready "$work/out"; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "FAIL: never ready"; exit 1; }
    sleep 0.1
done
timeout -k 5 60 "$tangle" attach "$pid" >"$work/probe" 2>&1
[ $? = 3 ] && { echo "SKIP: ptrace is not allowed here"; exit 77; }
python3 -c "
import os, signal, time, sys
pid = int(sys.argv[1])
for i in range(300):
    os.kill(pid, signal.SIGRTMIN + 1)
    time.sleep(0.002)
" "$pid" &
sender=$!
n=0
while kill -0 "$sender" 2>/dev/null; do
    timeout -k 5 60 "$tangle" attach --quiet "$pid" >"$work/attach.out" 2>&1
    s=$?
    [ $s = 0 ] || { echo "FAIL: tangle attach exited $s:"; cat "$work/attach.out"; exit 1; }
    n=$((n + 1))
done
wait "$sender"
state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status")
case $state in t|T) echo "FAIL: the process was left stopped"; exit 1 ;; esac
sleep 0.5
kill -TERM "$pid"
wait "$pid"
got=$(sed -n 's/^count //p' "$work/out")
echo "attached $n times while 300 signals were sent; the process counted $got"
[ "$got" = 300 ] || { echo "FAIL: signals were lost"; exit 1; }
echo "PASS"
