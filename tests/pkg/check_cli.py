#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_cli.py TANGLE MISUSE_PROG: the command's manners.

- `tangle --help` lists every TANGLE_OPTIONS key with its default
  (stall_ms's is 1000, on_deadlock's is exit, json's is none);
- NO_COLOR: on a terminal the report is coloured by default, and not when
  NO_COLOR is set (not empty); color=always still colours.
"""
import os
import pty
import re
import subprocess
import sys

tangle, prog = sys.argv[1], sys.argv[2]
fails = []

out = subprocess.run([tangle, "--help"], capture_output=True, text=True).stdout
keys = out.split("with these keys:\n", 1)[1].split("\n\n", 1)[0].splitlines()
keys = [k for k in keys if re.match(r"  [a-z_]+ ", k)]
if len(keys) < 10:
    fails.append("tangle --help lists only %d keys" % len(keys))
for line in keys:
    if not re.search(r"\(default: [^)]+\)$", line):
        fails.append("no default on: " + line.strip())
for key, dflt in (("stall_ms", "1000"), ("on_deadlock", "exit"), ("json", "none")):
    if not any(l.split()[0] == key and l.endswith("(default: %s)" % dflt) for l in keys):
        fails.append("%s's default is not shown as %s" % (key, dflt))


def on_tty(env_extra, *args):
    """Runs `tangle run ARGS -- PROG misuse` on a pseudo-terminal; returns its output."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(env_extra)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(tangle, [tangle, "run", *args, "--", prog, "misuse"], env)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    return data


plain = on_tty({})
if b"HAZARD" not in plain or b"\x1b[" not in plain:
    fails.append("on a terminal without NO_COLOR the report is not coloured: %r" % plain[:200])
if b"\x1b[" in on_tty({"NO_COLOR": "1"}):
    fails.append("NO_COLOR=1 did not turn colour off")
if b"\x1b[" not in on_tty({"NO_COLOR": ""}):
    fails.append("an empty NO_COLOR turned colour off (no-color.org: only when not empty)")
if b"\x1b[" not in on_tty({"NO_COLOR": "1"}, "--color", "always"):
    fails.append("--color always did not colour with NO_COLOR set")

for f in fails:
    print("FAIL:", f)
if fails:
    sys.exit(1)
print("ok: --help shows every key's default; NO_COLOR is honoured")
