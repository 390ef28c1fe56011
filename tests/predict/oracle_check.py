#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""oracle_check.py PREDICT [COUNT] [SEED]

Differential test of `tangle predict` against a brute-force oracle.

Generates COUNT small random traces (2-4 threads, forks, joins, nested locks,
rwlocks taken for reading or writing, successful trylocks, reads and writes),
each a real run of a random program. The oracle explores
every sync-preserving correct reordering of the trace: each thread runs a
prefix of its events; a thread starts after its fork; a join waits for the
whole thread; a read must see the same write it saw; a lock is free to take;
and conflicting acquires of each lock (not both reads) happen in their trace
order. In every reachable state it looks for a cycle of threads each blocked
on the next (on a lock it holds in a conflicting mode, or on a join of a
thread that has not finished); a trylock never waits. The set of such
cycles, as sets of (thread, what it waits for), must equal what tangle
reports: no false report (soundness) and no missed one (completeness).
"""
import json
import random
import subprocess
import sys
import tempfile

ACQ = ("acq", "racq", "wacq", "tacq")


def acquire_op(rng, lock):
    """rwlocks (names starting with R) are taken for reading or writing;
    mutexes sometimes with a trylock."""
    if lock.startswith("R"):
        return "racq" if rng.random() < 0.6 else "wacq"
    return "tacq" if rng.random() < 0.15 else "acq"


def make_program(rng, name, locks, nvars, depth=0):
    """A random sequence of actions for one thread: nested critical sections
    (at most 2 deep, never re-entrant) with reads and writes."""
    out = []
    held = []

    def section(d):
        free = [l for l in locks if l not in held]
        if not free:
            return
        l = rng.choice(free)
        held.append(l)
        out.append((acquire_op(rng, l), l))
        for _ in range(rng.randint(0, 2)):
            r = rng.random()
            if r < 0.3 and d < 2:
                section(d + 1)
            elif r < 0.65:
                out.append(("w", "x%d" % rng.randrange(nvars)))
            else:
                out.append(("r", "x%d" % rng.randrange(nvars)))
        out.append(("rel", l))
        held.pop()

    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        if r < 0.7:
            section(1)
        elif r < 0.85:
            out.append(("w", "x%d" % rng.randrange(nvars)))
        else:
            out.append(("r", "x%d" % rng.randrange(nvars)))
    return out


def make_trace(rng):
    """Runs random programs under a random scheduler; returns the events
    (thread, op, arg) of a run that finished, or None if it deadlocked."""
    nthreads = rng.randint(2, 4)
    locks = ["L%d" % i for i in range(rng.randint(2, 3))]
    if rng.random() < 0.5:
        locks[0] = "R0"
    nvars = rng.randint(1, 2)
    workers = ["T%d" % i for i in range(1, nthreads)]
    progs = {"T0": []}
    for w in workers:
        progs[w] = make_program(rng, w, locks, nvars)
    # T0 forks every worker, does some work, joins them (maybe holding a lock).
    main = [("fork", w) for w in workers]
    main += make_program(rng, "T0", locks, nvars)
    if rng.random() < 0.4:
        l = rng.choice(locks)
        main += [(acquire_op(rng, l), l)] + [("join", w) for w in workers] + [("rel", l)]
    else:
        main += [("join", w) for w in workers]
    progs["T0"] = main
    pc = {t: 0 for t in progs}
    started = {"T0"}
    holder = {}    # lock -> set of (thread, shared?)
    trace = []

    def can_take(op, l):
        hs = holder.get(l, set())
        if op == "racq":
            return all(shared for _, shared in hs)
        return not hs
    while True:
        runnable = []
        for t, p in progs.items():
            if t not in started or pc[t] >= len(p):
                continue
            op, arg = p[pc[t]]
            if op in ACQ and not can_take(op, arg):
                continue
            if op == "join" and pc[arg] < len(progs[arg]):
                continue
            runnable.append(t)
        if not runnable:
            break
        t = rng.choice(runnable)
        op, arg = progs[t][pc[t]]
        pc[t] += 1
        if op in ACQ:
            holder.setdefault(arg, set()).add((t, op == "racq"))
        elif op == "rel":
            holder[arg] = {h for h in holder[arg] if h[0] != t}
        elif op == "fork":
            started.add(arg)
        trace.append((t, op, arg))
    if any(pc[t] < len(p) for t, p in progs.items()):
        return None
    return trace


def oracle(trace):
    """The set of deadlock cycles reachable by sync-preserving correct
    reorderings, each a frozenset of (thread, waited-for)."""
    threads = sorted({t for t, _, _ in trace})
    ev = {t: [] for t in threads}  # per thread: (op, arg, trace index)
    last_w = {}
    writer = {}                    # trace index of a read -> index of its write
    for i, (t, op, arg) in enumerate(trace):
        if op == "r":
            writer[i] = last_w.get(arg)
        elif op == "w":
            last_w[arg] = i
        ev[t].append((op, arg, i))
    forked_by = {arg: i for i, (t, op, arg) in enumerate(trace) if op == "fork"}
    tidx = {t: k for k, t in enumerate(threads)}
    found = set()
    seen = set()
    start = tuple(0 for _ in threads)
    stack = [start]
    seen.add(start)
    while stack:
        pos = stack.pop()
        done = set()
        for t in threads:
            for op, arg, i in ev[t][:pos[tidx[t]]]:
                done.add(i)
        holders = {}   # lock -> {thread: shared?}
        lw = {}
        executed = {}  # lock -> [(trace index, shared?)]
        for i in sorted(done):
            t, op, arg = trace[i]
            if op in ACQ:
                holders.setdefault(arg, {})[t] = op == "racq"
                executed.setdefault(arg, []).append((i, op == "racq"))
            elif op == "rel":
                holders.get(arg, {}).pop(t, None)
            elif op == "w":
                lw[arg] = i

        def finished(u):
            return pos[tidx[u]] == len(ev[u])

        waits = {}     # thread -> list of (blocker, what)
        for t in threads:
            k = pos[tidx[t]]
            if k == len(ev[t]):
                continue
            if t in forked_by and forked_by[t] not in done:
                continue
            op, arg, i = ev[t][k]
            enabled = True
            if op in ACQ:
                shared = op == "racq"
                blockers = [u for u, sh in holders.get(arg, {}).items()
                            if u != t and not (shared and sh)]
                if blockers:
                    enabled = False
                    if op != "tacq":
                        waits[t] = [(u, arg) for u in blockers]
                elif any(j > i and not (shared and sh) for j, sh in executed.get(arg, [])):
                    enabled = False  # would reverse two conflicting critical sections
            elif op == "join":
                if not finished(arg):
                    enabled = False
                    waits[t] = [(arg, "join:" + arg)]
            elif op == "r":
                enabled = lw.get(arg) == writer[i]
            if enabled:
                nxt = list(pos)
                nxt[tidx[t]] += 1
                nxt = tuple(nxt)
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        # every simple cycle of the wait-for graph
        def walk(path, what):
            for u, w in waits.get(path[-1], []):
                if u == path[0] and len(path) >= 2:
                    found.add(frozenset(zip(path, what + [w])))
                elif u not in path and u > path[0]:
                    walk(path + [u], what + [w])
        for t0 in waits:
            walk([t0], [])
    return found


def tangle(prog, trace):
    with tempfile.NamedTemporaryFile("w", suffix=".std", delete=False) as f:
        for t, op, arg in trace:
            f.write("%s|%s(%s)|0\n" % (t, op, arg))
        path = f.name
    p = subprocess.run([prog, "--format", "json", "--no-progress", path],
                       capture_output=True, text=True)
    if p.returncode not in (0, 66):
        raise SystemExit("tangle failed (%d) on %s: %s" % (p.returncode, path, p.stderr))
    doc = json.loads(p.stdout)
    got = set()
    for rep in doc["reports"]:
        if rep["kind"] != "potential-deadlock":
            continue  # inversions seen in one thread are hazards, not deadlocks
        cyc = set()
        for th in rep["threads"]:
            name = th["waits_for"]["lock"]["name"]
            if name.startswith("the end of thread "):
                name = "join:" + name[len("the end of thread "):]
            cyc.add((th["name"], name))
        got.add(frozenset(cyc))
        # One bug, one report: other threads showing the same cycle of
        # locks are further places of it.
        for place in rep["places"]:
            cyc = set()
            for st in place:
                name = st["lock_name"]
                if name.startswith("the end of thread "):
                    name = "join:" + name[len("the end of thread "):]
                cyc.add((st["thread_name"], name))
            got.add(frozenset(cyc))
    return got, path


def main():
    prog = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    checked = with_deadlock = 0
    while checked < count:
        trace = make_trace(rng)
        if trace is None:
            continue
        want = oracle(trace)
        got, path = tangle(prog, trace)
        checked += 1
        with_deadlock += bool(want)
        if got != want:
            print("MISMATCH on %s" % path)
            print("  oracle (sync-preserving deadlocks):", sorted(map(sorted, want)))
            print("  tangle:", sorted(map(sorted, got)))
            sys.exit(1)
        import os
        os.unlink(path)
    print("ok: %d random traces, %d with deadlocks, tangle agrees with the oracle"
          % (checked, with_deadlock))


if __name__ == "__main__":
    main()
