#!/bin/sh
# SPDX-License-Identifier: MIT
# check_handle_cost.sh PRELOAD PROGRAM WORKDIR: finding another thread,
# or creating one, must not cost more with more threads alive. Counted
# in instructions under callgrind (--toggle-collect), not timed, 2,000
# calls with 10 threads alive, then with 1,000:
# - by its handle (pthread_setname_np; pthread_join, _tryjoin_np and
#   _detach do the same): fails above 1.3 times as much (each walked
#   every thread before: 1,669 instructions a call with 10, 4,659 with
#   1,000);
# - the holder of a mutex another thread unlocks (tg__released_by_other,
#   by the owner's TID): fails above 3 times as much (the spin on the
#   engine lock, which the locker may hold, varies: 96-144 a call; it
#   walked every actor before: 305 with 10, about 22,000 with 1,000);
# - a join of a thread its creator made, while threads the creator knows
#   of (by a semaphore) wait: fails above 1.5 times as much (binary
#   searches in the joiner's clock grow with its log; it was merged with
#   the joined one's, over every thread both knew of, and a join that
#   blocked took a snapshot of every actor: 1,073 instructions a call
#   with 10, 39,555 with 1,000; now 742 and 901);
# - a create by a thread that knows of the K (by a semaphore), in the
#   same run: fails above 1.2 times as much (the child copied its
#   creator's whole clock: 2,451 instructions a call with 10, 3,430 with
#   1,000; it shares it now: 2,237 and 2,241).
# Skipped (77) without valgrind.
set -u
preload=$1 prog=$2 work=$3
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed: skipped"; exit 77; }
mkdir -p "$work"
per_call() { # threads mode function
    out="$work/handle_cost.$2.$1.cg"
    # (unlock: the misuse is reported, and the status is then 66)
    LD_PRELOAD=$preload valgrind --tool=callgrind --max-threads=1100 \
        --toggle-collect="$3" --callgrind-out-file="$out" \
        "$prog" "$1" 2000 "$2" >/dev/null 2>"$out.err"
    rc=$?
    [ $rc = 0 ] || [ $rc = 66 ] || {
        echo "FAIL: $prog $1 2000 $2 under callgrind failed:" >&2
        tail -n 20 "$out.err" >&2
        exit 1
    }
    total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out" | head -n 1)
    [ -n "$total" ] || { echo "FAIL: no total in $out" >&2; exit 1; }
    echo $((total / 2000))
}
fail=0
check() { # mode function limit_tenths what
    few=$(per_call 10 "$1" "$2") || exit 1
    many=$(per_call 1000 "$1" "$2") || exit 1
    echo "$4: $few instructions a call with 10 threads alive, $many with 1000"
    if [ $((many * 10)) -gt $((few * $3)) ]; then
        echo "FAIL: $4 costs more with more threads alive" >&2
        fail=1
    fi
}
check name pthread_setname_np 13 "a thread by its handle"
check unlock tg__released_by_other 30 "the holder of a mutex unlocked by another thread"
check join pthread_join 15 "a join of a short-lived thread"
check join create_quick 12 "a create by a thread that knows of many"
exit $fail
