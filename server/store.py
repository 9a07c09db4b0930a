"""The central store: one SQLite database (WAL, synchronous=FULL).

A unit of work is `with store.transaction() as db:`; it commits when the
block ends normally and rolls back on any exception, so a handler cannot
half-write. The ack to a terminal is sent only after that commit returns.
PostgreSQL stores are named in the contract for large deployments; this
version refuses them with a clear message rather than pretending.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from guichet.private_files import private_sqlite

from .migrations import MIGRATIONS

log = logging.getLogger("guichet.server")


class StoreError(Exception):
    """A store that cannot be opened or used; the message is for the operator."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def resolve_db_url(url: str) -> Path:
    """Accept a path, `sqlite:///path`, or refuse what this version cannot serve."""
    if url.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            "PostgreSQL stores are not supported by this version yet; use a SQLite path."
        )
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///"):]
    elif "://" in url:
        raise StoreError(f"unsupported database URL: {url.split('://')[0]}://")
    path = Path(url).expanduser()
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise StoreError(f"directory {path.parent} does not exist")
    return path


class Store:
    def __init__(self, url: str) -> None:
        self.path = resolve_db_url(url)
        try:
            # every terminal's key is in here: 0600, -wal/-shm alike (guichet/private_files.py)
            private_sqlite(self.path, log)
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA busy_timeout=10000")
        except OSError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction() as db:
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
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, utcnow().isoformat()),
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def ping(self) -> bool:
        try:
            with self.read() as db:
                db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def bump_version(db: sqlite3.Connection) -> int:
    db.execute("UPDATE meta SET value = value + 1 WHERE name = 'programme_version'")
    return db.execute("SELECT value FROM meta WHERE name = 'programme_version'").fetchone()[0]
