#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_example.py: runs a task example under tangle and checks its report.

  check_example.py --src FILE.c --status N [--report SPEC]... [--none]
                   [--cycle N] [--any-of N] [--waits-on KIND] [--note WORDS]
                   [--options OPTS] -- EXE [ARGS]

SPEC is KIND[/HAZARD]:TASK,TASK:TAG,TAG[:SUMMARY] (SUMMARY: words the
report's summary must contain). A report matches when its kind (and
hazard) match, every named task appears among its actors, and every tagged
source line (a line of FILE.c containing "@TAG") appears in one of its
stacks; with --cycle, its cycle_length is N; with --any-of, one of its
actors waits for any one of N alternatives (a select), each naming the
actor that holds it; with --waits-on, one of its actors waits on a resource
of that kind; with --note, one of its actors' waits carries a note (the
runtime's words on it) containing WORDS. Every SPEC must be matched by some report. --none requires that no
report is made. The exit status must be N. OPTS (e.g. stall_ms=300) are
passed in TANGLE_OPTIONS beside the JSON report's path. Exits 0 on success,
1 with an explanation otherwise.
"""
import argparse, json, os, subprocess, sys, tempfile


def tagged_lines(src):
    tags = {}
    with open(src) as f:
        for n, line in enumerate(f, 1):
            for word in line.split():
                if word.startswith("@"):
                    tags[word.rstrip(":").lstrip("@")] = n
    return tags


def frames(obj):
    """Every (file, line) pair anywhere inside a report."""
    if isinstance(obj, dict):
        if "line" in obj and "file" in obj:
            yield (os.path.basename(obj["file"] or ""), obj["line"])
        for v in obj.values():
            yield from frames(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from frames(v)


def any_of_ok(rep, n):
    for t in rep.get("threads", []):
        alts = (t.get("waits_for") or {}).get("any_of") or []
        if len(alts) == n and all(a.get("holder") for a in alts):
            return True
    return False


def waits_on(rep, kind):
    return any(((t.get("waits_for") or {}).get("lock") or {}).get("kind") == kind
               for t in rep.get("threads", []))


def noted(rep, words):
    return any(words in ((t.get("waits_for") or {}).get("note") or "")
               for t in rep.get("threads", []))


def matches(rep, kind, hazard, tasks, lines, cycle=None, any_of=None, waits_kind=None, note=None):
    if rep.get("kind") != kind or (hazard and rep.get("hazard") != hazard):
        return False
    if note is not None and not noted(rep, note):
        return False
    if waits_kind is not None and not waits_on(rep, waits_kind):
        return False
    if cycle is not None and rep.get("cycle_length") != cycle:
        return False
    if any_of is not None and not any_of_ok(rep, any_of):
        return False
    names = {t.get("name") for t in rep.get("threads", [])}
    if not set(tasks) <= names:
        return False
    return set(lines) <= set(frames(rep))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--status", type=int, required=True)
    ap.add_argument("--report", action="append", default=[])
    ap.add_argument("--none", action="store_true")
    ap.add_argument("--cycle", type=int)
    ap.add_argument("--any-of", type=int)
    ap.add_argument("--waits-on")
    ap.add_argument("--note")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--options")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    tags = tagged_lines(a.src)
    base = os.path.basename(a.src)
    with tempfile.TemporaryDirectory() as d:
        jpath = os.path.join(d, "report.json")
        env = dict(os.environ, TANGLE_OPTIONS="json=" + jpath + (":" + a.options if a.options else ""))
        p = subprocess.run(a.cmd, env=env, capture_output=True, text=True, timeout=a.timeout)
        sys.stderr.write(p.stderr[-4000:])
        reports = []
        if os.path.exists(jpath):
            with open(jpath) as f:
                reports = json.load(f).get("reports", [])
    ok = True
    if p.returncode != a.status:
        print(f"FAIL: exit status {p.returncode}, expected {a.status}")
        ok = False
    if a.none and reports:
        print(f"FAIL: expected no report, got {len(reports)}: " +
              "; ".join(r.get("summary", "") for r in reports))
        ok = False
    for spec in a.report:
        kh, tasks, tg, summary = (spec.split(":", 3) + ["", "", ""])[:4]
        kind, _, hazard = kh.partition("/")
        tasks = [t for t in tasks.split(",") if t]
        missing = [t for t in tg.split(",") if t and t not in tags]
        if missing:
            print(f"FAIL: {base} has no line tagged {missing}")
            ok = False
            continue
        lines = [(base, tags[t]) for t in tg.split(",") if t]
        if not any(matches(r, kind, hazard, tasks, lines, a.cycle, a.any_of, a.waits_on, a.note)
                   and summary in r.get("summary", "") for r in reports):
            print(f"FAIL: no report matches {spec} (lines {lines}); reports: " +
                  json.dumps([{"kind": r.get("kind"), "hazard": r.get("hazard"),
                               "tasks": [t.get("name") for t in r.get("threads", [])],
                               "cycle_length": r.get("cycle_length"),
                               "lines": sorted(set(l for l in frames(r) if l[0] == base))}
                              for r in reports]))
            ok = False
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
