# SPDX-License-Identifier: MIT
"""A bounded HTTP load for a web server on 127.0.0.1, for tests/real/run.sh:
THREADS client threads, each with one keep-alive connection, fetch ROUNDS
files among f1.txt .. f50.txt and check each body against the file in
ROOT. Prints the MD5 of every file fetched (the same whatever the
interleaving); exit status 1 on a wrong body, an HTTP error or a timeout.
With ROUNDS 0 it only tries one request (is the server up?).

    python3 http_load.py PORT ROOT [THREADS [ROUNDS]]"""
import hashlib
import http.client
import os
import sys
import load_clients

port, root = int(sys.argv[1]), sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 8
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 200
lock = load_clients.lock
sums = {}


def fetch(conn, name):
    conn.request("GET", "/" + name)
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise RuntimeError("%s: HTTP status %d" % (name, reply.status))
    return body


def client(k):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for r in range(rounds):
            name = "f%d.txt" % ((k * 7 + r) % 50 + 1)
            body = fetch(conn, name)
            with open(os.path.join(root, name), "rb") as f:
                if f.read() != body:
                    raise RuntimeError(name + ": the body differs from the file")
            with lock:
                sums[name] = hashlib.md5(body).hexdigest()
    except Exception as e:  # any failure ends this client and is counted
        load_clients.failed(e)


if rounds == 0:
    fetch(http.client.HTTPConnection("127.0.0.1", port, timeout=2), "f1.txt")
    sys.exit(0)
load_clients.run(threads, client, sums, lambda name, md5: (name, md5))
