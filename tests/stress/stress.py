#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stress.py: runs chosen tests of a build many times under heavy CPU
contention and scheduling noise, and keeps everything about every run that
fails or hangs.

  stress.py [--build DIR] [--runs N | --minutes M] [--jobs J] [--busy K]
            [--timeout S] [--out DIR] [--modes LIST] [--seed N] REGEX...

Each REGEX picks ctest tests by name (anchored at both ends); their commands
come from `ctest --show-only=json-v1`, so a run is exactly what `make check`
runs. J runs go at once, beside K busy loops; every process is niced to 19,
so that the machine's other users are served first. Each run takes one of
the modes (--modes, a comma list; chosen in turn):

  spread   the run and the busy loops share every CPU;
  one-cpu  the run and the busy loops are all pinned to one CPU;
  starve   as one-cpu, and while it runs a random thread of the run is put
           in SCHED_IDLE for 20-400 ms at a time (the other threads go on):
           one thread descheduled for long, the interleaving a loaded
           machine makes now and then;
  stop     the run's whole process group is stopped (SIGSTOP) for 20-300 ms
           at random moments: the program sees wall time pass while none of
           its threads ran.

Each run has a folder of its own: the output folders its command names
(BUILD/tests/*/out*, where make check's tests write under fixed names) are
moved into it, and TMPDIR points into it, so that copies of a test that go
at once do not overwrite each other's files.

A run fails when the test's command exits non-zero or outlives --timeout
(smaller than the tests' own timeouts, so that a hung program is still
there to look at; a test whose own TIMEOUT is longer gets 90% of it). For each failing run, --out/FAIL-NNNN-NAME/ gets the
command's output, the run's folder (the test's working files), and for a hang
each process's threads (state, kernel wait channel) and gdb backtraces,
taken before the group is killed. A summary line per test, with `uptime`
before and after, goes to stdout and to --out/summary.txt. Exit status: 0
when every run passed, 1 otherwise.
"""
import argparse, itertools, json, os, random, re, shutil, signal, subprocess, sys, tempfile
import threading, time


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def ctest_tests(build, regexes):
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                         capture_output=True, text=True, check=True).stdout
    pats = [re.compile("^(?:" + r + ")$") for r in regexes]
    tests = []
    for t in json.loads(out)["tests"]:
        if not any(p.match(t["name"]) for p in pats) or "command" not in t:
            continue
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if props.get("DISABLED"):
            continue
        env = props.get("ENVIRONMENT", [])  # as make check sets it
        tests.append({"name": t["name"], "cmd": t["command"],
                      "cwd": props.get("WORKING_DIRECTORY", build),
                      "env": [env] if isinstance(env, str) else env,
                      "timeout": float(props.get("TIMEOUT", 0))})
    return tests


def group_pids(pgid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            fields = s[s.rindex(")") + 2:].split()
            if int(fields[2]) == pgid:
                pids.append(int(d))
        except (OSError, ValueError):
            pass
    return pids


def tids_of(pid):
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().strip()
    except OSError:
        return "?"


def describe_hang(pgid, dest):
    """Threads and backtraces of every process of the group, into dest."""
    with open(os.path.join(dest, "hang.txt"), "w") as out:
        for pid in group_pids(pgid):
            out.write(f"== pid {pid}: {read(f'/proc/{pid}/cmdline').replace(chr(0), ' ')}\n")
            for tid in tids_of(pid):
                st = read(f"/proc/{pid}/task/{tid}/stat")
                name = st[st.find("(") + 1:st.rfind(")")] if "(" in st else "?"
                state = st[st.rfind(")") + 2:].split()[0] if ")" in st else "?"
                out.write(f"  tid {tid} {name!r} state {state} "
                          f"wchan {read(f'/proc/{pid}/task/{tid}/wchan')} "
                          f"schedstat {read(f'/proc/{pid}/task/{tid}/schedstat')}\n")
            out.flush()
            try:
                g = subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex", "thread apply all bt"],
                                   capture_output=True, text=True, timeout=60)
                out.write(g.stdout[-60000:] + "\n")
            except (OSError, subprocess.TimeoutExpired) as e:
                out.write(f"  (gdb: {e})\n")


class Noise(threading.Thread):
    """Scheduling noise on one run's process group while it lives."""

    def __init__(self, pgid, mode, rng):
        super().__init__(daemon=True)
        self.pgid, self.mode, self.rng = pgid, mode, rng
        self.done = threading.Event()
        self.events = 0

    def run(self):
        while not self.done.wait(self.rng.uniform(0.01, 0.15)):
            try:
                if self.mode == "stop":
                    os.killpg(self.pgid, signal.SIGSTOP)
                    time.sleep(self.rng.uniform(0.02, 0.3))
                    os.killpg(self.pgid, signal.SIGCONT)
                    self.events += 1
                elif self.mode == "starve":
                    tids = [t for p in group_pids(self.pgid) for t in tids_of(p)]
                    if not tids:
                        continue
                    tid = self.rng.choice(tids)
                    os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
                    self.done.wait(self.rng.uniform(0.02, 0.4))
                    os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
                    self.events += 1
            except (ProcessLookupError, PermissionError, OSError):
                pass
        if self.mode == "stop":
            try:
                os.killpg(self.pgid, signal.SIGCONT)
            except OSError:
                pass


# A test's output folder in the build (tests/live/out, tests/predict/out_x,
# and paths under them): every copy of a test, and every test of a folder,
# writes there under fixed names, so runs that go at once would overwrite
# each other's files.
OUT_ARG = re.compile(r"^.*?/tests/[^/]+/(out[^/]*)(/.*)?$")


def private_cmd(test, tmp):
    """The command, with every output folder it names moved into tmp, the
    run's own folder (kept for a failing run)."""
    cmd = []
    for c in test["cmd"]:
        m = OUT_ARG.match(c)
        if m:
            c = os.path.join(tmp, m.group(1)) + (m.group(2) or "")
            os.makedirs(os.path.join(tmp, m.group(1)), exist_ok=True)
        cmd.append(c)
    return cmd


def one_run(test, mode, timeout, rng, out_dir, seq):
    cpu = 0  # where one-cpu and starve runs go, beside half of the busy loops
    tmp = tempfile.mkdtemp(prefix="tg-stress-")
    pre = ["nice", "-n", "19"]
    if mode in ("one-cpu", "starve"):
        pre += ["taskset", "-c", str(cpu)]
    cmd = private_cmd(test, tmp)
    # Files a test makes with mktemp or under $TMPDIR go there too.
    os.makedirs(os.path.join(tmp, "tmp"))
    t0 = time.monotonic()
    with open(os.path.join(tmp, "run.stdout"), "w") as so, \
         open(os.path.join(tmp, "run.stderr"), "w") as se:
        env = dict(os.environ, **dict(e.split("=", 1) for e in test["env"] if "=" in e))
        env["TMPDIR"] = os.path.join(tmp, "tmp")
        p = subprocess.Popen(pre + cmd, cwd=test["cwd"], stdout=so, stderr=se,
                             env=env, start_new_session=True)
        noise = Noise(p.pid, mode, random.Random(rng.random()))
        noise.start()
        # A test given a longer time of its own (chromium's, say) keeps
        # most of it, still less than ctest would give it.
        if test["timeout"] * 0.9 > timeout:
            timeout = test["timeout"] * 0.9
        try:
            rc = p.wait(timeout=timeout)
            hung = False
        except subprocess.TimeoutExpired:
            hung = True
            rc = None
        noise.done.set()
        noise.join()
        dest = None
        if hung or rc != 0:
            dest = os.path.join(out_dir, f"FAIL-{seq:04d}-{test['name']}")
            os.makedirs(dest, exist_ok=True)
            if hung:
                os.killpg(p.pid, signal.SIGCONT)
                describe_hang(p.pid, dest)
        if hung:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    took = time.monotonic() - t0
    if dest:
        with open(os.path.join(dest, "run.txt"), "w") as f:
            f.write(f"test {test['name']}\nmode {mode} cpu {cpu}\nnoise events {noise.events}\n"
                    f"exit {'TIMEOUT' if hung else rc}\nseconds {took:.1f}\n"
                    f"uptime {uptime()}\ncommand {' '.join(pre + cmd)}\n")
        try:
            shutil.copytree(tmp, dest, symlinks=True, dirs_exist_ok=True)
        except (shutil.Error, OSError) as e:  # sockets and the like: the rest is copied
            with open(os.path.join(dest, "run.txt"), "a") as f:
                f.write(f"not copied: {e}\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return ("timeout" if hung else "pass" if rc == 0 else "fail"), took, dest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=0, help="runs per test (0: use --minutes)")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--busy", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=50)
    ap.add_argument("--out", default="stress-out")
    ap.add_argument("--modes", default="spread,one-cpu,starve,stop")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("regex", nargs="+")
    a = ap.parse_args()
    os.nice(19 - os.nice(0))
    tests = ctest_tests(a.build, a.regex)
    if not tests:
        print("stress: no test matches", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    modes = a.modes.split(",")
    busy = []
    for i in range(a.busy):
        # Half of them on CPU 0, where one-cpu and starve runs are pinned.
        pre = ["nice", "-n", "19"] + (["taskset", "-c", "0"] if i % 2 == 0 else [])
        busy.append(subprocess.Popen(pre + ["sh", "-c", "while :; do :; done"],
                                     start_new_session=True))
    start_up = uptime()
    deadline = time.monotonic() + a.minutes * 60
    stats = {t["name"]: {"pass": 0, "fail": 0, "timeout": 0, "secs": 0.0, "dirs": []} for t in tests}
    lock = threading.Lock()
    order = itertools.count()
    if a.runs:
        plan = iter([(t, modes[i % len(modes)]) for i in range(a.runs) for t in tests])
    else:
        plan = itertools.cycle([(t, m) for m in modes for t in tests])

    def worker():
        while True:
            with lock:
                if not a.runs and time.monotonic() > deadline:
                    return
                item = next(plan, None)
                seq = next(order)
                r = random.Random(rng.random())
            if item is None:
                return
            test, mode = item
            what, took, dest = one_run(test, mode, a.timeout, r, a.out, seq)
            with lock:
                s = stats[test["name"]]
                s[what] += 1
                s["secs"] += took
                if dest:
                    s["dirs"].append(dest)
                    print(f"stress: {what}: {test['name']} ({mode}) -> {dest}", flush=True)

    try:
        ws = [threading.Thread(target=worker) for _ in range(a.jobs)]
        for w in ws:
            w.start()
        for w in ws:
            w.join()
    finally:
        for b in busy:
            os.killpg(b.pid, signal.SIGKILL)
            b.wait()
    lines = [f"seed {seed}; jobs {a.jobs}; busy loops {a.busy}; modes {a.modes}; timeout {a.timeout} s",
             f"before: {start_up}", f"after:  {uptime()}"]
    bad = 0
    for name, s in stats.items():
        n = s["pass"] + s["fail"] + s["timeout"]
        bad += s["fail"] + s["timeout"]
        lines.append(f"{name}: {n} runs, {s['fail']} failed, {s['timeout']} timed out, "
                     f"mean {s['secs'] / max(n, 1):.1f} s")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(a.out, "summary.txt"), "a") as f:
        f.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
