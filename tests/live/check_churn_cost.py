#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_churn_cost.py PRELOAD PROGRAM WORKDIR: what tangle's own init
and destroy of a lock made, nested into and destroyed at a reused address
cost (tg__res_init and tg__res_destroy_at with what they call), counted
under callgrind, not timed: run(2N) - run(N) over N cycles of
churn_cost. Fails above LOCKED locked instructions a cycle (lock prefix
or xchg, found with objdump in the preload library: each costs some
5 ns even uncontended, more than the plain instructions around it;
before, the destroy marked the entry with a locked or and emptied the
lock's kept records with an exchange: 5 a cycle, then 3; the destroy
gave back the lock's pin in free()'s counts with a locked add, 3, now
it keeps it for the next lock made there: 2) or above INSTRUCTIONS
instructions (219 before, 179, 159, now 142: the init finds the entry of
a lock it made lately at that address without a probe of the index).
Then churn_cost N free: a lock churned in a heap block, the block freed,
and N blocks of its size allocated and freed again; fails above
FREE_INSTRUCTIONS a free() (all of it counted: tangle's and glibc's), as
when the free() of the block did not drop the pin the lock left there
and every later free() of it sweeps its granule (202 with the drop,
761 without).
Then the first nesting into each lock churned, from the same run:
tg__lockorder_slow_at with what it calls (the nesting is kept in a record
of the lock's, with the context of the nesting before); fails above
NEST_INSTRUCTIONS a cycle (295 before the context that fitted last was
tried first in straight-line code, 272 after, 279 once kept_add
left free() its hint).
Skipped (77) without valgrind or objdump."""
import os, re, shutil, subprocess, sys
from collections import Counter

LOCKED = 2.2
INSTRUCTIONS = 150
FREE_INSTRUCTIONS = 400
NEST_INSTRUCTIONS = 290
N = 20000

def run(preload, prog, work, n, toggles=("tg__res_init", "tg__res_destroy_at"), extra=()):
    out = os.path.join(work, "%s.%s%s%d.cg" % (os.path.basename(prog), "".join(extra), toggles[0], n))
    env = dict(os.environ, LD_PRELOAD=preload)
    subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=yes"] +
                   ["--toggle-collect=" + t for t in toggles] +
                   ["--callgrind-out-file=" + out, prog, str(n)] + list(extra),
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out

def counts(path, obj):
    """Instruction address (in obj) -> Ir, and the total."""
    names, per, total = {}, Counter(), 0
    ob, last, in_call = None, [0, 0], False
    def ref(kind, text):
        m = re.match(r"\((\d+)\)(?: (.*))?", text)
        if m.group(2):
            names[(kind, m.group(1))] = m.group(2)
        return names.get((kind, m.group(1)))
    def pos(tok, prev):
        if tok == "*":
            return prev
        if tok[0] == "+":
            return prev + int(tok[1:], 0)
        if tok[0] == "-":
            return prev - int(tok[1:], 0)
        return int(tok, 0)
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("summary:") or line.startswith("totals:"):
            total = int(line.split()[1])
        if not line or line[0] == "#":
            continue
        key = line.split("=", 1)[0]
        if key in ("ob", "cob"):
            o = ref("ob", line[len(key) + 1:])
            if key == "ob":
                ob = o
            continue
        if key in ("fl", "fi", "fe", "fn", "cfi", "cfl", "cfn"):
            ref(key, line[len(key) + 1:])
            continue
        if key == "calls":
            in_call = True
            continue
        if line[0] in "0123456789+-*":
            toks = line.split()
            last = [pos(toks[0], last[0]), pos(toks[1], last[1])]
            if in_call:
                in_call = False
                continue
            if ob and ob.endswith(obj) and len(toks) > 2:
                per[last[0]] += int(toks[2])
    return per, total

def locked_addrs(lib):
    dump = subprocess.run(["objdump", "-d", "--no-show-raw-insn", lib], check=True,
                          capture_output=True, text=True).stdout
    found = set()
    for line in dump.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if m and (re.match(r"lock\b", m.group(2)) or re.match(r"xchg\s+\S+,\s*-?(0x[0-9a-f]+)?\(", m.group(2))):
            found.add(int(m.group(1), 16))
    return found

def per_op(preload, prog, work, obj, toggles, extra=(), locked=(), n=N):
    """Instructions and locked instructions (addresses in locked) in obj
    per extra operation: run(2n) - run(n), over n."""
    (p1, t1), (p2, t2) = (counts(run(preload, prog, work, k, toggles, extra), obj)
                          for k in (n, 2 * n))
    lk = sum(p2[a] - p1.get(a, 0) for a in locked if a in p2)
    return (t2 - t1) / n, lk / n

def over(value, bound, what):
    """1 (and a FAIL line) if value is above bound, else 0."""
    if value <= bound:
        return 0
    print("FAIL: more than %s %s" % (bound, what), file=sys.stderr)
    return 1

def prepare(argv):
    """(preload, program, work dir, real path of the library) from the
    command line, or None where valgrind or objdump is missing."""
    preload, prog, work = argv[1:4]
    if not shutil.which("valgrind") or not shutil.which("objdump"):
        print("valgrind or objdump is not installed: skipped")
        return None
    os.makedirs(work, exist_ok=True)
    return preload, prog, work, os.path.realpath(preload)

def main():
    args = prepare(sys.argv)
    if not args:
        return 77
    preload, prog, work, lib = args
    obj = os.path.basename(lib)
    instr, lk = per_op(preload, prog, work, obj, ("tg__res_init", "tg__res_destroy_at"),
                       locked=locked_addrs(lib))
    print("init and destroy of a churned lock: %.1f instructions, %.2f locked ones a cycle" % (instr, lk))
    fail = over(lk, LOCKED, "locked instructions a cycle")
    fail |= over(instr, INSTRUCTIONS, "instructions a cycle")
    nest, _ = per_op(preload, prog, work, obj, ("tg__lockorder_slow_at",))
    print("first nesting into a churned lock: %.1f instructions" % nest)
    fail |= over(nest, NEST_INSTRUCTIONS, "instructions a first nesting")
    per_free, _ = per_op(preload, prog, work, obj, ("free",), ("free",))
    print("free() of a block where a churned lock was: %.1f instructions" % per_free)
    fail |= over(per_free, FREE_INSTRUCTIONS, "instructions a free()")
    return fail

if __name__ == "__main__":
    sys.exit(main())
