# SPDX-License-Identifier: MIT
"""A threading workload for tests/real/run.sh: CPython's locks, conditions,
queues, semaphores, barriers, events and a thread pool, all used the way
programs use them. The output does not depend on the interleaving."""
import concurrent.futures
import queue
import threading

WORKERS = 4
ITEMS = 5000

lock = threading.Lock()
rlock = threading.RLock()
total = 0


def add(n):
    global total
    with rlock:
        with rlock:          # re-entered on purpose
            with lock:
                total += n


def producer_consumer():
    q = queue.Queue(maxsize=64)
    results = []
    done = threading.Event()

    def produce():
        for i in range(ITEMS):
            q.put(i)
        for _ in range(WORKERS):
            q.put(None)

    def consume():
        got = 0
        while True:
            item = q.get()
            if item is None:
                break
            add(item)
            got += 1
        with lock:
            results.append(got)

    threads = [threading.Thread(target=consume) for _ in range(WORKERS)]
    threads.append(threading.Thread(target=produce))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    return sum(results), done.is_set()


def condition_pingpong(rounds=2000):
    cond = threading.Condition()
    state = {"turn": 0, "count": 0}

    def player(me):
        for _ in range(rounds):
            with cond:
                cond.wait_for(lambda: state["turn"] == me)
                state["count"] += 1
                state["turn"] = 1 - me
                cond.notify_all()

    ts = [threading.Thread(target=player, args=(k,)) for k in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return state["count"]


def semaphore_barrier(rounds=200):
    sem = threading.BoundedSemaphore(2)
    barrier = threading.Barrier(WORKERS)
    inside = [0, 0]       # [now, most at once], guarded by lock
    passed = []

    def work():
        for _ in range(rounds):
            with sem:
                with lock:
                    inside[0] += 1
                    inside[1] = max(inside[1], inside[0])
                with lock:
                    inside[0] -= 1
            barrier.wait()
        with lock:
            passed.append(1)

    ts = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return len(passed), inside[1] <= 2


def pool():
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as ex:
        return sum(ex.map(lambda n: n * n, range(ITEMS)))


if __name__ == "__main__":
    print("queue: consumed", *producer_consumer())
    print("total", total)
    print("condition: turns", condition_pingpong())
    print("semaphore/barrier: workers", *semaphore_barrier())
    print("pool: sum of squares", pool())
