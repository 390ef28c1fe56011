# SPDX-License-Identifier: MIT
"""A bounded DNS load for a resolver on 127.0.0.1, for tests/real/run.sh:
THREADS client threads, each with its own UDP socket, ask QUERIES A
queries for names h0.test .. h259.test (h0 to h199 have local data, the
others do not exist). Prints each name's answer code and address (the same
whatever the interleaving); exit status 1 when a query gets no answer after
5 tries. With QUERIES 0 it only tries one query (is the server up?).

    python3 dns_load.py PORT [THREADS [QUERIES]]"""
import random
import socket
import struct
import sys
import load_clients

port = int(sys.argv[1])
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
queries = int(sys.argv[3]) if len(sys.argv) > 3 else 2500
lock = load_clients.lock
answers = {}


def ask(sock, qid, name, timeout):
    """The reply to an A query for name (a retry after each timeout)."""
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    sock.settimeout(timeout)
    for _ in range(5):
        sock.sendto(q, ("127.0.0.1", port))
        try:
            while True:
                r, _ = sock.recvfrom(512)
                if struct.unpack(">H", r[:2])[0] == qid:
                    return r
        except socket.timeout:
            continue
    raise RuntimeError("no answer for " + name)


def client(k):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rnd = random.Random(k)
    try:
        for j in range(queries):
            i = rnd.randrange(260)
            r = ask(sock, j & 0xFFFF, "h%d.test" % i, 2)
            rcode = r[3] & 15
            with lock:
                answers[i] = (rcode, r[-4:].hex() if rcode == 0 else "-")
    except Exception as e:  # any failure ends this client and is counted
        load_clients.failed(e)


if queries == 0:
    ask(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 1, "h1.test", 0.5)
    sys.exit(0)
load_clients.run(threads, client, answers, lambda i, a: ("h%d.test" % i, *a))
