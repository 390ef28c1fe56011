#!/bin/sh
# SPDX-License-Identifier: MIT
# cross_aarch64.sh CC QEMU SRCDIR OUT: builds the runtime and test_runtime.c
# for aarch64 (the hand-written context switch in ctx_aarch64.S) and runs
# every runtime test under qemu. Exits 0 when all pass.
set -e
CC=$1 QEMU=$2 SRC=$3 OUT=$4
T=$SRC/src/task
"$CC" -O2 -g -Wall -Wextra -Wshadow -Werror -std=gnu11 -DTG_TASK_NO_ENGINE \
  -I"$SRC/include" -I"$SRC/src" "$SRC/tests/task/test_runtime.c" \
  "$T"/ctx.c "$T"/ctx_aarch64.S "$T"/sched.c "$T"/timer.c "$T"/stack.c "$T"/io.c \
  "$T"/park.c "$T"/select.c "$T"/mutex.c "$T"/rwlock.c "$T"/sem.c "$T"/event.c \
  "$T"/cond.c "$T"/chan.c "$T"/detect.c "$T"/watchdog.c "$T"/dump.c "$T"/error.c \
  -lpthread -static -o "$OUT"
shift 4
for t in "$@"; do
  if ! "$QEMU" "$OUT" "$t"; then
    echo "aarch64: test $t failed"
    exit 1
  fi
done
echo "aarch64: $# tests passed"
