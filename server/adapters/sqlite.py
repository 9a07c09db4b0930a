"""The SQLite store: one database file, the embedded default (demo, small sites).

Two connections per process (WAL, synchronous=FULL): one for writing units of
work and one, query-only, for reading ones, each used by one unit of work at a
time; in WAL mode a read sees the last commit without waiting for a write. SQLite
also serialises writers across processes (`BEGIN IMMEDIATE`), which is how
SQLite works, not what correctness relies on (see server/adapters/sql.py, where
every statement lives). What is SQLite's own stays here: the connections,
PRAGMAs, transactions, savepoints, migrations.
"""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from guichet.private_files import private_sqlite

from ..migrations import MIGRATIONS
from .shared_lock import shared_lock
from .sql import SQLITE, Repositories

log = logging.getLogger("guichet.server")

# How long a statement waits for another process's lock before it fails.
BUSY_TIMEOUT_MS = 10_000


class SqliteStoreError(Exception):
    """The database cannot be opened (server/store.py turns it into StoreError)."""


class SqliteUnitOfWork(Repositories):
    """One transaction over every repository; leaving without `commit()` rolls back."""

    def __init__(self, store: "SqliteStore", read_only: bool) -> None:
        # Reads have a connection of their own: in WAL mode they see the last
        # commit and never wait for a writer's turn, nor its fsync.
        self._conn = store._reader if read_only else store._conn
        self._lock = store._read_lock if read_only else store._lock
        super().__init__(self._conn, SQLITE)
        self._store, self._read_only = store, read_only
        self._open = False

    def __enter__(self) -> "SqliteUnitOfWork":
        self._lock.acquire()
        try:
            if self._read_only:
                self._conn.execute("BEGIN")
            else:
                # IMMEDIATE: a writer takes SQLite's write lock at once rather than
                # failing on upgrade when another process wrote in between. When
                # another process holds it (`guichet admin`, a second server
                # process), the wait for it is a blocking call.
                if not self._store._begin_immediate_if_free():
                    self._store.run_blocking(self._store._begin_immediate)
        except BaseException:
            self._lock.release()
            raise
        self._open = True
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            # `in_transaction`: a COMMIT run in the native thread may have ended the
            # transaction even though its waiter was stopped before hearing so.
            if self._open and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._open = False
        finally:
            self._lock.release()

    def commit(self) -> None:
        self.pools.flush()
        self._store.run_blocking(self._store._commit)  # the fsync
        self._open = False


class SqliteStore:
    """A SQLite database file, brought up to date with the registered migrations."""

    blocks_event_loop = True  # its calls hold the thread (server/web/blocking.py)

    @staticmethod
    def run_blocking(fn):
        """Run `fn`, a call that may wait on the disk or on another process (a
        write transaction's BEGIN and COMMIT): here, where it is called, unless
        the server runs such calls elsewhere (server/web/blocking.py)."""
        return fn()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = str(path)
        try:
            # every terminal's key is in here: 0600, -wal/-shm alike (guichet/private_files.py)
            private_sqlite(self.path, log)
            self._conn = self._connect()
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._reader = self._connect()
            self._reader.execute("PRAGMA query_only=1")  # read-only units of work
        except OSError as exc:
            raise SqliteStoreError(
                f"cannot open database {self.path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise SqliteStoreError(f"cannot open database {self.path}: {exc}") from None
        # one unit of work at a time on each connection (greenlets and native threads)
        self._lock, self._read_lock = shared_lock(), shared_lock()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    def _migrate(self) -> None:
        with self.unit_of_work() as uow:
            db = self._conn
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in db.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in MIGRATIONS:
                if version in done:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (?, ?, ?)", (version, name, datetime.now(timezone.utc).isoformat()))
            uow.commit()

    def _begin_immediate(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def _begin_immediate_if_free(self) -> bool:
        """BEGIN IMMEDIATE if SQLite's write lock is free now, without waiting."""
        self._conn.execute("PRAGMA busy_timeout=0")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as exc:
            if (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return False
            raise
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def unit_of_work(self, read_only: bool = False) -> SqliteUnitOfWork:
        """`with store.unit_of_work() as uow: … uow.commit()`; `read_only` takes
        no write lock (SQLite's deferred transaction: a consistent snapshot)."""
        return SqliteUnitOfWork(self, read_only)

    def ping(self) -> bool:
        try:
            with self._lock:
                self._conn.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._conn.close()
