"""Running a store's blocking calls where they do not stop the event loop.

Under gunicorn's gevent worker every terminal is a greenlet on one thread.
psycopg yields while it waits for PostgreSQL, but SQLite's calls hold that
thread: a commit's fsync above all, and a write transaction's BEGIN while
another process holds SQLite's write lock. Every other terminal's ack, ping and
push would wait behind them. So the SQLite store runs those two calls in a
native thread of gevent's pool (SQLite releases the GIL while it waits), and the
greenlet that made the call waits without holding the loop.

Only those calls go to the thread. A turn of the bet writer places its bets on
the event loop's thread and hands only its COMMIT over: when the whole turn ran
in the native thread, that thread and the loop took the GIL from each other at
every statement, and the turn's Python work cost twice its CPU (bench/RESULTS.md,
"One thread for the Python work"). Placing a hundred bets holds the loop about
5 ms, as long as any other CPU work would; the fsync no longer holds it at all.

Outside gevent (tests, the threading server) the call simply runs where it is.
"""
from __future__ import annotations


def under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def offload_blocking_calls(store) -> None:
    """Have `store` run its blocking calls off the event loop when it has any and
    the server runs under gevent.

    They all go to one native thread of the store's own: they are serialised by
    the store anyway, and two native threads waiting on each other through
    gevent's locks hand over far more slowly than one thread taking the next job."""
    if not (getattr(store, "blocks_event_loop", False) and under_gevent()):
        return
    if getattr(store, "_offload_pool", None) is not None:
        return
    from gevent.threadpool import ThreadPool

    pool = store._offload_pool = ThreadPool(1)
    store.run_blocking = pool.apply
