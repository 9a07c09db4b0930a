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
    """`run(fn)`: fn's blocking calls off the event loop when they would block it."""
    if getattr(store, "blocks_event_loop", False) and under_gevent():
        import gevent

        def run(fn: Callable[[], None]) -> None:
            gevent.get_hub().threadpool.apply(fn)
        return run
    return lambda fn: fn()
