"""The SQLite store's lock under gevent (server/adapters/shared_lock.py), in a process of
its own with gevent's monkey patching, as under gunicorn's gevent worker: greenlets of the
event loop and the native thread that runs commits take it in turn, one at a time, and a
greenlet waiting for it never stops the loop."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import json, sys, time
    import gevent
    from gevent.threadpool import ThreadPool
    sys.path.insert(0, sys.argv[1])
    from server.adapters.shared_lock import SharedLock, shared_lock

    lock = shared_lock()
    state = {"n": 0, "inside": 0, "most_inside": 0}

    def critical(native):
        with lock:
            with lock:  # re-entrant, as threading.RLock
                state["inside"] += 1
                state["most_inside"] = max(state["most_inside"], state["inside"])
                n = state["n"]
                if native:
                    time.sleep(0.002)  # a commit's fsync, holding the lock natively
                else:
                    gevent.sleep(0)  # another greenlet runs meanwhile
                state["n"] = n + 1
                state["inside"] -= 1

    gaps = []
    def ticker():
        last = time.perf_counter()
        for _ in range(100):
            gevent.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    pool = ThreadPool(1)
    native = pool.spawn(lambda: [critical(True) for _ in range(300)])
    greenlets = [gevent.spawn(lambda: [critical(False) for _ in range(20)]) for _ in range(100)]
    tick = gevent.spawn(ticker)
    gevent.joinall(greenlets + [tick])
    native.get()
    try:
        lock.release()
        released_unheld = True
    except RuntimeError:
        released_unheld = False
    print(json.dumps({"kind": type(lock).__name__, "n": state["n"],
                      "most_inside": state["most_inside"], "longest_gap_s": max(gaps),
                      "released_unheld": released_unheld}))
""")


def test_greenlets_and_a_native_thread_share_the_lock_without_stopping_the_loop():
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["kind"] == "SharedLock"
    assert seen["n"] == 300 + 100 * 20  # no lost update: one holder at a time
    assert seen["most_inside"] == 1
    # the native thread holds it 2 ms at a time, 300 times: a loop blocked on the lock
    # would show gaps of that whole run (0.6 s); polling keeps them near the 5 ms tick
    assert seen["longest_gap_s"] < 0.3
    assert seen["released_unheld"] is False


def test_outside_gevent_it_is_threading_rlock():
    import threading

    from server.adapters.shared_lock import shared_lock

    assert type(shared_lock()) is type(threading.RLock())
