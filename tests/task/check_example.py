#!/usr/bin/env python3
"""check_example.py: runs a task example under tangle and checks its report.

  check_example.py --src FILE.c --status N [--report SPEC]... [--none] -- EXE [ARGS]

SPEC is KIND[/HAZARD]:TASK,TASK:TAG,TAG. A report matches when its kind (and
hazard) match, every named task appears among its actors, and every tagged
source line (a line of FILE.c containing "@TAG") appears in one of its
stacks. Every SPEC must be matched by some report. --none requires that no
report is made. The exit status must be N. Exits 0 on success, 1 with an
explanation otherwise.
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


def matches(rep, kind, hazard, tasks, lines):
    if rep.get("kind") != kind or (hazard and rep.get("hazard") != hazard):
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
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    tags = tagged_lines(a.src)
    base = os.path.basename(a.src)
    with tempfile.TemporaryDirectory() as d:
        jpath = os.path.join(d, "report.json")
        env = dict(os.environ, TANGLE_OPTIONS="json=" + jpath)
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
        kh, tasks, tg = (spec.split(":") + ["", ""])[:3]
        kind, _, hazard = kh.partition("/")
        tasks = [t for t in tasks.split(",") if t]
        missing = [t for t in tg.split(",") if t and t not in tags]
        if missing:
            print(f"FAIL: {base} has no line tagged {missing}")
            ok = False
            continue
        lines = [(base, tags[t]) for t in tg.split(",") if t]
        if not any(matches(r, kind, hazard, tasks, lines) for r in reports):
            print(f"FAIL: no report matches {spec} (lines {lines}); reports: " +
                  json.dumps([{"kind": r.get("kind"), "hazard": r.get("hazard"),
                               "tasks": [t.get("name") for t in r.get("threads", [])],
                               "lines": sorted(set(l for l in frames(r) if l[0] == base))}
                              for r in reports]))
            ok = False
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
