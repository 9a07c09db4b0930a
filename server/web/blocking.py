"""Running a store's blocking calls where they do not stop the event loop.

Under gunicorn's gevent worker every terminal is a greenlet on one thread.
psycopg yields while it waits for PostgreSQL, but SQLite's calls, a commit's
fsync above all, hold that thread: every other terminal's ack, ping and push
waits behind it. A turn of the bet writer is therefore run in gevent's pool of
native threads when the store blocks (SQLite releases the GIL while it works),
and the greenlet that leads the turn waits without holding the loop. Outside
gevent (tests, the threading server) the call simply runs where it is.
"""
from __future__ import annotations

from collections.abc import Callable


def under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def runner_for(store) -> Callable[[Callable[[], None]], None]:
    """`run(fn)`: fn's blocking calls off the event loop when they would block it.

    Every store's offloaded work goes to one native thread of its own: the
    turns are serialised by the store anyway, and two native threads waiting
    on each other through gevent's locks hand over far more slowly than one
    thread taking the next job."""
    if getattr(store, "blocks_event_loop", False) and under_gevent():
        from gevent.threadpool import ThreadPool

        pool = getattr(store, "_offload_pool", None)
        if pool is None:
            pool = store._offload_pool = ThreadPool(1)

        def run(fn: Callable[[], None]) -> None:
            pool.apply(fn)
        return run
    return lambda fn: fn()
