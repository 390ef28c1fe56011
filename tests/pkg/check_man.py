#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_man.py TANGLE SRC: the man pages are well formed and complete.

- docs/man/tangle.1 and tangle-tasks.3 pass `mandoc -T lint -W warning`
  (or `man --warnings`; skipped with a message when neither is installed);
- tangle(1) documents every command `tangle --help` lists, every option each
  command's --help lists, and every TANGLE_OPTIONS key with the default
  `tangle --help` shows ("Default: X." in the key's entry);
- tangle-tasks(3) documents every function and static initializer of
  include/tangle/task.h.
A failure names what is missing and where to add it.
"""
import os
import re
import shutil
import subprocess
import sys

tangle, src = sys.argv[1], sys.argv[2]
man1 = os.path.join(src, "docs/man/tangle.1")
man3 = os.path.join(src, "docs/man/tangle-tasks.3")
fails = []


def run(*args):
    p = subprocess.run(args, capture_output=True, text=True)
    return p.stdout + p.stderr


# 1. Lint.
if shutil.which("mandoc"):
    for page in (man1, man3):
        p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                           capture_output=True, text=True)
        if p.returncode != 0:
            fails.append("mandoc -T lint: " + (p.stdout + p.stderr).strip())
elif shutil.which("man"):
    for page in (man1, man3):
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                           capture_output=True, text=True, env=dict(os.environ, MANPAGER="cat"))
        if p.stderr.strip():
            fails.append("man --warnings %s: %s" % (page, p.stderr.strip()))
else:
    print("SKIP (lint part): neither mandoc nor man is installed (Debian: apt-get install mandoc)")

# 2. tangle(1) against the command's own help.
text1 = open(man1).read().replace("\\-", "-")
top = run(tangle, "--help")
commands = re.findall(r"^  tangle ([a-z]+)\b", top, re.M)
if "run" not in commands:
    fails.append("tangle --help lists no commands:\n" + top)
for cmd in commands:
    if not re.search(r"^\.(It|Cm) Cm %s\b|^\.Cm %s\b" % (cmd, cmd), text1, re.M):
        fails.append("tangle(1) does not document the command '%s' (add '.It Cm %s ...' "
                     "under COMMANDS in docs/man/tangle.1)" % (cmd, cmd))
        continue
    for opt in sorted(set(re.findall(r"^  +(?:-[A-Za-z], )?(--?[A-Za-z][-a-z]*)", run(tangle, cmd, "--help"), re.M))):
        flag = opt[1:]  # mdoc's Fl adds the first dash
        if not re.search(r"Fl %s(\s|$|,)" % re.escape(flag), text1):
            fails.append("tangle(1) does not document '%s %s' (add '.It Fl %s ...' under "
                         "its command in docs/man/tangle.1)" % (cmd, opt, flag.replace("-", "\\-")))

keys = top.split("with these keys:\n", 1)[-1].split("\n\n", 1)[0]
options = text1.split("\n.Sh OPTIONS\n", 1)[-1].split("\n.Sh ", 1)[0]
for key, dflt in re.findall(r"^  ([a-z_]+) .*\(default: ([^)]*)\)$", keys, re.M):
    m = re.search(r"^\.It Cm %s\b(.*?)(?=^\.It |^\.El)" % key, options, re.M | re.S)
    if not m:
        fails.append("tangle(1) does not document the TANGLE_OPTIONS key '%s' (add '.It Cm %s "
                     "Ns = Ns Ar value' and 'Default: %s.' under OPTIONS)" % (key, key, dflt))
    elif "Default: %s." % dflt not in m.group(1).replace("\n", " "):
        fails.append("tangle(1) does not give '%s' its default '%s' (add 'Default: %s.')"
                     % (key, dflt, dflt))

# 3. tangle-tasks(3) against task.h.
text3 = open(man3).read()
header = open(os.path.join(src, "include/tangle/task.h")).read()
for fn in sorted(set(re.findall(r"\b(tg_[a-z_]+)\(", header))):
    if not re.search(r"\bFn %s\b" % fn, text3):
        fails.append("tangle-tasks(3) does not document %s() (add '.Fn %s' in docs/man/tangle-tasks.3)"
                     % (fn, fn))
for macro in sorted(set(re.findall(r"#define (TG_[A-Z]+_INIT)\b", header))):
    if macro not in text3:
        fails.append("tangle-tasks(3) does not document %s" % macro)

for f in fails:
    print("FAIL:", f)
if fails:
    sys.exit(1)
print("ok: man pages lint clean and document every command, option, key and function")
