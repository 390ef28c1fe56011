# SPDX-License-Identifier: MIT
"""The client threads of the load scripts in tests/real (http_load.py,
dns_load.py): run() starts them, waits for them, prints what they found and
ends the process, with status 1 if any of them failed."""
import sys
import threading

lock = threading.Lock()
errors = []


def failed(e):
    """Counts a client's failure (any exception ends that client)."""
    with lock:
        errors.append(repr(e))


def run(threads, client, results, show):
    """Runs client(k) in threads k = 0 .. threads-1, then prints show(key,
    value) for each item of results, sorted, and exits."""
    ts = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for key in sorted(results):
        print(*show(key, results[key]))
    for e in errors[:3]:
        print("error:", e, file=sys.stderr)
    sys.exit(1 if errors else 0)
