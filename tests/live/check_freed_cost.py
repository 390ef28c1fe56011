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
import os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_churn_cost import counts, locked_addrs, run  # noqa: E402

LOCKED = 2.2
INSTRUCTIONS = 365
N = 20000

def main():
    preload, prog, work = sys.argv[1:4]
    if not shutil.which("valgrind") or not shutil.which("objdump"):
        print("valgrind or objdump is not installed: skipped")
        return 77
    os.makedirs(work, exist_ok=True)
    lib = os.path.realpath(preload)
    locked = locked_addrs(lib)
    obj = os.path.basename(lib)
    (p1, t1), (p2, t2) = (counts(run(preload, prog, work, k, ("free",)), obj) for k in (N, 2 * N))
    instr = (t2 - t1) / N
    lk = sum(p2[a] - p1.get(a, 0) for a in locked if a in p2) / N
    print("free() of an object whose lock was nested into: %.1f instructions, "
          "%.2f locked ones" % (instr, lk))
    fail = 0
    if lk > LOCKED:
        print("FAIL: more than %.1f locked instructions a free()" % LOCKED, file=sys.stderr)
        fail = 1
    if instr > INSTRUCTIONS:
        print("FAIL: more than %d instructions a free()" % INSTRUCTIONS, file=sys.stderr)
        fail = 1
    return fail

if __name__ == "__main__":
    sys.exit(main())
