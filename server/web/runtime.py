"""Keeping pauses out of the path of an ack, and measuring the ones left.

Two things stop every greenlet of a server process at once: the garbage
collector, and any call that holds the event loop (a SQLite fsync was one; the
store now runs it in a native thread, server/web/blocking.py). Both are
measured here, into /metrics:

- `guichet_gc_pause_seconds{generation}`: each collection, timed through
  `gc.callbacks`;
- `guichet_event_loop_lag_seconds`: a greenlet asks to wake every 10 ms and
  records how late it woke, which is how long something else held the loop.

And the collector is given less to do: once the app is built, everything
alive (modules, the app, its routes, the catalogue) is moved out of the
collector's sight with `gc.freeze()`, so a full collection no longer walks
those objects again, and the first generation's threshold is raised from 700
to 10,000 allocations, so young collections come less often (each one a
little longer, far fewer of them at 2,000 bets/s). Reference counting still
frees almost everything at once; the collector only finds cycles.
"""
from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("guichet.server")

GEN0_THRESHOLD = 10_000
LAG_PROBE_S = 0.01


def tune_gc() -> None:
    """Freeze what exists now and make young collections rarer (call once the
    app is built, in each worker)."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
    log.info("gc tuned: %d objects frozen, thresholds %s", gc.get_freeze_count(),
             gc.get_threshold())


def measure_gc(measured) -> None:
    """Time every collection into `measured.gc_paused(generation, seconds)`."""
    started: list[float] = []

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            measured.gc_paused(info.get("generation", -1), time.perf_counter() - started.pop())

    gc.callbacks.append(callback)


def watch_loop_lag(socketio, measured, interval: float = LAG_PROBE_S) -> None:
    """A background task recording how late each `interval` sleep wakes."""
    def probe() -> None:
        while True:
            asked = time.perf_counter()
            socketio.sleep(interval)
            measured.loop_late(max(0.0, time.perf_counter() - asked - interval))
    socketio.start_background_task(probe)
