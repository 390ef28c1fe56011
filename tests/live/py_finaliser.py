# SPDX-License-Identifier: MIT
# A finaliser runs while its own thread holds the lock it needs: the
# worker blocks on a threading.Lock it already holds, main blocks in join.
import threading

registry_lock = threading.Lock()


class Handle:
    def __del__(self):
        with registry_lock:  # runs inside the worker, which holds the lock
            pass


def worker():
    with registry_lock:
        h = Handle()
        del h  # the finaliser runs here


t = threading.Thread(target=worker, name="worker")
t.start()
t.join()
print("not reached")
