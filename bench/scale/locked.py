#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""locked.py: executed locked instructions (lock-prefixed, xchg with
memory, mfence) per operation and per function, from a callgrind profile
taken with --dump-instr=yes. Callgrind counts instructions alike, but a
locked one costs some 5 ns even uncontended on the machines we measure on
(dozens of plain ones), and neither callgrind nor a one-CPU run shows it:

    LD_PRELOAD=build/lib/libtangle.so valgrind --tool=callgrind \
        --dump-instr=yes --callgrind-out-file=cg.out scale lockchurn 100000
    python3 bench/scale/locked.py cg.out 100000

Each object's load address is found from its functions' first executed
addresses against nm; its code is read with objdump."""

import sys, re, subprocess, collections
if len(sys.argv) != 3:
    sys.exit('usage: locked.py CALLGRIND_PROFILE OPERATIONS')
prof, ops = sys.argv[1], float(sys.argv[2])
names = {'ob': {}, 'fn': {}, 'fl': {}}
def name(kind, s):
    m = re.match(r'\((\d+)\)(?: (.*))?', s)
    if not m: return s
    i, n = m.group(1), m.group(2)
    if n is not None: names[kind][i] = n
    return names[kind].get(i, '?')
cost = collections.defaultdict(int)  # (ob, addr) -> Ir
fnof = {}
ob = fn = None; last = [0, 0]; skip = False
def parse_pos(tok, i):
    if tok == '*': return last[i]
    if tok[0] in '+-': return last[i] + int(tok, 0)
    return int(tok, 0)
for line in open(prof):
    line = line.rstrip('\n')
    if not line: continue
    c = line[0]
    if c.isdigit() or c in '+-*':
        parts = line.split()
        a = parse_pos(parts[0], 0); l = parse_pos(parts[1], 1)
        last[0], last[1] = a, l
        if skip: skip = False; continue
        ir = int(parts[2]) if len(parts) > 2 else 0
        cost[(ob, a)] += ir; fnof[(ob, a)] = fn
        continue
    if line.startswith('ob='): ob = name('ob', line[3:])
    elif line.startswith('fn='): fn = name('fn', line[3:])
    elif line.startswith('cob='): name('ob', line[4:])
    elif line.startswith('cfn='): name('fn', line[4:])
    elif line.startswith('fl=') or line.startswith('fi=') or line.startswith('fe='): name('fl', line[3:])
    elif line.startswith('cfi=') or line.startswith('cfl='): name('fl', line[4:])
    elif line.startswith('calls='): skip = True
objs = set(o for o, a in cost)
total = collections.Counter(); byfn = collections.Counter()
for o in objs:
    if not o or not o.startswith('/'): continue
    try:
        syms = subprocess.run(['nm', '-D', '--defined-only', o], capture_output=True, text=True).stdout
        syms += subprocess.run(['nm', '--defined-only', o], capture_output=True, text=True).stdout
    except Exception: continue
    symaddr = {}
    for s in syms.splitlines():
        p = s.split()
        if len(p) == 3 and p[1] in 'TtWi': symaddr.setdefault(p[2].split('@')[0], int(p[0], 16))
    # base from function entry points seen: most common (min addr of fn - sym)
    mins = {}
    for (oo, a), ir in cost.items():
        if oo != o: continue
        f = fnof[(oo, a)]
        if f in symaddr:
            mins[f] = min(mins.get(f, a), a)
    bases = collections.Counter(m - symaddr[f] for f, m in mins.items())
    if not bases: continue
    base = bases.most_common(1)[0][0]
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', o], capture_output=True, text=True).stdout
    locked = {}
    for d in dis.splitlines():
        m = re.match(r'\s*([0-9a-f]+):\s+(.*)', d)
        if not m: continue
        ins = m.group(2)
        if ins.startswith('lock ') or ins.startswith('mfence') or (ins.startswith('xchg') and '(' in ins):
            locked[int(m.group(1), 16)] = ins.split()[0] + ' ' + ins.split()[1] if ins.startswith('lock') else ins.split()[0]
    for (oo, a), ir in cost.items():
        if oo == o and (a - base) in locked and ir:
            total[o.split('/')[-1]] += ir
            byfn[(o.split('/')[-1], fnof[(oo, a)], locked[a - base])] += ir
for o, n in total.items(): print(f'{o}: {n/ops:.2f} locked per op')
for (o, f, ins), n in byfn.most_common():
    if n / ops >= 0.01: print(f'  {n/ops:6.2f}  {ins:14s} {f}  ({o})')
