"""A lock taken both by the event loop's greenlets and by native threads.

The SQLite store has one connection, used by one unit of work at a time. Under
gunicorn's gevent worker its users are the greenlets of the event loop's thread,
and any native thread that opens a unit of work (the store's blocking calls run
in a native thread, server/web/blocking.py, but for a greenlet that holds this
lock). `threading.RLock` is then gevent's, made for the
greenlets of one thread: shared with a native thread it broke inside gevent's
semaphore (an AssertionError) and a worker died of SIGSEGV during a reconnect
storm.

This lock is a native one. A native thread waits on it as usual. A greenlet of
the loop's thread never blocks the loop on it: the loop's greenlets first queue
on a gevent semaphore (only they touch it), and the one at the head of the
queue tries the native lock, sleeping a fraction of a millisecond between tries,
so every other greenlet runs meanwhile. Outside gevent it is `threading.RLock`.
"""
from __future__ import annotations

import threading

POLL_MIN_S, POLL_MAX_S = 0.0002, 0.002


def shared_lock():
    """An RLock for the store: `threading.RLock`, or under gevent a `SharedLock`."""
    try:
        from gevent import monkey
    except ImportError:
        return threading.RLock()
    if not monkey.is_module_patched("threading"):
        return threading.RLock()
    return SharedLock()


class SharedLock:
    """Re-entrant; owned by a greenlet (a native thread's own counts as one)."""

    def __init__(self) -> None:
        import gevent
        from gevent import monkey
        from gevent.lock import Semaphore
        from greenlet import getcurrent

        self._sleep = gevent.sleep
        self._current = getcurrent
        self._native = monkey.get_original("_thread", "allocate_lock")()
        native_ident = monkey.get_original("_thread", "get_ident")
        self._thread_ident = native_ident
        self._loop_thread = native_ident()  # where the store is made: the event loop's
        self._queue = Semaphore(1)  # the loop's greenlets only
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = self._current()
        if self._owner is me:
            self._count += 1
            return True
        if self._thread_ident() != self._loop_thread:
            if not self._native.acquire(blocking, timeout):
                return False
        elif not self._acquire_in_loop(blocking):
            return False
        self._owner, self._count = me, 1
        return True

    def _acquire_in_loop(self, blocking: bool) -> bool:
        if not self._queue.acquire(blocking):
            return False
        try:
            wait = POLL_MIN_S
            while not self._native.acquire(False):
                if not blocking:
                    return False
                self._sleep(wait)
                wait = min(wait * 2, POLL_MAX_S)
            return True
        finally:
            self._queue.release()

    def release(self) -> None:
        if self._owner is not self._current():
            raise RuntimeError("cannot release a lock that is not held")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._native.release()

    def __enter__(self) -> "SharedLock":
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
