#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_freed_cost.py PRELOAD PROGRAM WORKDIR: what free() of an object
whose mutex was nested into once under a table lock and never destroyed
costs (all of free(): tangle's and glibc's), counted under callgrind, not
timed: run(2N) - run(N) over N objects of freed_cost. Fails above
INSTRUCTIONS a free() or LOCKED locked instructions a free() (found as in
check_churn_cost.py). free() found the object's lock by a walk of the
entry table's index and emptied its kept records with an exchange: 410
instructions and 3 locked ones a free(); now the thread's hint names the
entry kept_add made a leaf alone (lockorder.c's tg_defer.hint) and its own
lone record goes with a plain store: 351 and 2.
Skipped (77) without valgrind or objdump."""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_churn_cost import locked_addrs, over, per_op, prepare  # noqa: E402

LOCKED = 2.2
INSTRUCTIONS = 365
N = 20000

def main():
    args = prepare(sys.argv)
    if not args:
        return 77
    preload, prog, work, lib = args
    instr, lk = per_op(preload, prog, work, os.path.basename(lib), ("free",),
                       locked=locked_addrs(lib), n=N)
    print("free() of an object whose lock was nested into: %.1f instructions, "
          "%.2f locked ones" % (instr, lk))
    return over(lk, LOCKED, "locked instructions a free()") | \
        over(instr, INSTRUCTIONS, "instructions a free()")

if __name__ == "__main__":
    sys.exit(main())
