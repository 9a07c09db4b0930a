"""Which thread runs the SQLite store's statements under gevent (server/web/blocking.py),
in a process of its own with gevent's monkey patching, as under gunicorn's gevent worker:
a write transaction's COMMIT (its fsync), and its BEGIN when another process holds the
write lock, run in a native thread while the event loop goes on; the statements between
them run on the loop's own thread; and reads go on while a write transaction is open."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import json, sqlite3, sys, time
    from pathlib import Path
    import gevent
    sys.path.insert(0, sys.argv[1])
    from server.adapters.sqlite import SqliteStore
    from server.web.blocking import offload_blocking_calls

    native_ident = monkey.get_original("_thread", "get_ident")
    loop_thread = native_ident()
    store = SqliteStore(Path(sys.argv[2]))
    offload_blocking_calls(store)
    where = []  # (statement, ran on the loop's thread)
    store._conn.set_trace_callback(
        lambda sql: where.append((sql.split()[0] + (" " + sql.split()[1] if sql.startswith("BEGIN") else ""),
                                  native_ident() == loop_thread)))

    # 1. a write transaction with the write lock free
    with store.unit_of_work() as uow:
        uow.meta.bump_programme_version()
        uow.commit()
    free = list(where)

    # 2. another process (here: another connection) holds the write lock for 0.3 s
    del where[:]
    other = sqlite3.connect(sys.argv[2], isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = []
    def ticker():
        for _ in range(40):
            gevent.sleep(0.005)
            ticks.append(time.perf_counter())
    def release_later():
        gevent.sleep(0.5)
        other.execute("COMMIT")
    def write():
        with store.unit_of_work() as uow:
            started = time.perf_counter()
            uow.meta.bump_programme_version()
            uow.commit()
        return started
    tick, releaser, writer = gevent.spawn(ticker), gevent.spawn(release_later), gevent.spawn(write)
    gevent.joinall([tick, releaser, writer])
    started_writing = writer.get()
    locked = list(where)

    # 3. a read while a write transaction is open (its greenlet waits meanwhile)
    seen = {}
    def open_writer():
        with store.unit_of_work() as uow:
            uow.meta.bump_programme_version()
            gevent.sleep(0.3)
            uow.commit()
    def read():
        gevent.sleep(0.02)
        started = time.perf_counter()
        with store.unit_of_work(read_only=True) as uow:
            seen["version"] = uow.meta.programme_version()
        seen["waited_s"] = time.perf_counter() - started
    gevent.joinall([gevent.spawn(open_writer), gevent.spawn(read)])
    try:
        with store.unit_of_work(read_only=True) as uow:
            uow.meta.bump_programme_version()
        read_only_wrote = True
    except sqlite3.OperationalError:
        read_only_wrote = False
    print(json.dumps({"free": free, "locked": locked,
                      "ticks_while_locked": sum(t < started_writing for t in ticks),
                      "seen": seen, "read_only_wrote": read_only_wrote}))
""")


def test_commit_and_a_waiting_begin_run_off_the_loop_and_reads_do_not_wait(tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(tmp_path / "s.db")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    on_loop = {(sql, loop) for sql, loop in seen["free"]}
    # the write lock free: BEGIN IMMEDIATE and the update on the loop, COMMIT in the thread
    assert ("BEGIN IMMEDIATE", True) in on_loop and ("UPDATE", True) in on_loop
    assert ("COMMIT", False) in on_loop and ("COMMIT", True) not in on_loop
    # the write lock held elsewhere: the BEGIN that waits for it runs in the thread, and
    # the loop went on meanwhile (a 5 ms ticker, 0.5 s of waiting)
    assert ("BEGIN IMMEDIATE", False) in {tuple(x) for x in seen["locked"]}
    assert seen["ticks_while_locked"] >= 10
    # a read during an open write transaction (held 0.3 s): the last commit, at once
    assert seen["seen"]["version"] == 2 and seen["seen"]["waited_s"] < 0.15
    assert seen["read_only_wrote"] is False


def test_a_commit_whose_waiter_is_interrupted_after_it_ran_stays_committed(tmp_path):
    """The greenlet waiting for the native thread's COMMIT can be killed (a worker
    stopping) after the COMMIT ran: leaving the unit of work must not then try a
    ROLLBACK, whose error would hide why the greenlet stopped."""
    import pytest

    from server.adapters.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "s.db")

    def commit_then_interrupted(call):
        call()
        raise TimeoutError("the waiting greenlet was stopped")

    with pytest.raises(TimeoutError):
        with store.unit_of_work() as uow:
            uow.meta.bump_programme_version()
            store.run_blocking = commit_then_interrupted
            uow.commit()
    del store.run_blocking
    with store.unit_of_work(read_only=True) as uow:
        assert uow.meta.programme_version() == 1
    with store.unit_of_work() as uow:  # the connection is usable again
        uow.meta.bump_programme_version()
        uow.commit()
