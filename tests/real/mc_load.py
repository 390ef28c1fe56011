# SPDX-License-Identifier: MIT
"""A bounded load loop for a memcached server on 127.0.0.1, for
tests/real/run.sh: THREADS client threads, each with its own connection,
set then get OPS keys of their own and check every value (memcached text
protocol). Prints the totals, which do not depend on the interleaving;
exit status 1 on any wrong answer, a socket error or timeout.

    python3 mc_load.py PORT [THREADS [OPS]]"""
import socket
import sys
import threading

port = int(sys.argv[1])
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
ops = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
lock = threading.Lock()
totals = {"set": 0, "hit": 0, "bad": 0}


def read_line(f):
    line = f.readline()
    if not line:
        raise ConnectionError("server closed the connection")
    return line.rstrip(b"\r\n")


def client(me):
    sets = hits = bad = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        f = s.makefile("rb")
        for i in range(ops):
            value = b"v%d-%d-" % (me, i) + b"x" * (i % 200)
            s.sendall(b"set k%d_%d 0 0 %d\r\n%s\r\n" % (me, i, len(value), value))
            if read_line(f) == b"STORED":
                sets += 1
        for i in range(ops):
            s.sendall(b"get k%d_%d\r\n" % (me, i))
            header = read_line(f)
            if header == b"END":
                bad += 1
                continue
            size = int(header.split()[3])
            data = f.read(size + 2)[:-2]
            if read_line(f) != b"END":
                bad += 1
            expect = b"v%d-%d-" % (me, i) + b"x" * (i % 200)
            if data == expect:
                hits += 1
            else:
                bad += 1
    with lock:
        totals["set"] += sets
        totals["hit"] += hits
        totals["bad"] += bad


errors = []


def run(me):
    try:
        client(me)
    except Exception as e:  # reported below, as a failure of the run
        with lock:
            errors.append("client %d: %s" % (me, e))


ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("stored %d, found %d, wrong %d" % (totals["set"], totals["hit"], totals["bad"]))
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors or totals["bad"] else 0)
