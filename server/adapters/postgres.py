"""The PostgreSQL store: several server processes, one database, hot failover.

psycopg 3 with a connection pool per process (psycopg_pool). A unit of work
borrows one connection for one transaction at READ COMMITTED and gives it
back; the repositories are the same as SQLite's (server/adapters/sql.py),
whose statements are right without serialised writers. Under gunicorn's
gevent worker psycopg waits cooperatively (gevent support is automatic from
psycopg 3.1.14), so a greenlet waiting for the database lets the others run.

Failover: a URL may name several hosts, `postgresql://h1,h2/db?
target_session_attrs=read-write`; libpq then connects to whichever is the
primary. When the primary dies, the connections in the pool break; a broken
connection fails its unit of work (the caller answers an error, the terminal
keeps the bet in its outbox and sends it again) and the pool replaces it with
a new one, which libpq opens on the promoted standby.
"""
from __future__ import annotations

import logging
import re
import weakref
from datetime import datetime, timezone
from typing import Any, Sequence

from ..migrations import POSTGRES_MIGRATIONS
from .sql import POSTGRESQL, Repositories

log = logging.getLogger("guichet.server")

# Connections each server process keeps: its writer, the watch loop, API calls
# and socket handlers borrow them for one transaction each.
POOL_MIN = 2
POOL_MAX = 8
CONNECT_TIMEOUT_S = 10
# Serialises migrations when several processes start on one new database.
MIGRATION_LOCK = 0x6775_6963_6865_74  # "guichet"


class PostgresStoreError(Exception):
    """The database cannot be reached or used (server/store.py turns it into StoreError)."""


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return re.sub(r"(://[^:/@,]*):[^@/]*@", r"\1:***@", url)


class Row(tuple):
    """A row readable by position and by column name, like `sqlite3.Row`."""

    __slots__ = ()
    names: Sequence[str] = ()

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor):
    names = [column.name for column in cursor.description or ()]
    cls = type("Row", (Row,), {"__slots__": (), "names": names})
    return lambda values: cls(values)


class _Connection:
    """What the repositories call on: `execute` and `executemany` with `?`
    placeholders (SQLite's), turned into psycopg's `%s` once per statement."""

    _translated: dict[str, str] = {}

    def __init__(self, conn) -> None:
        self.conn = conn

    @classmethod
    def _sql(cls, sql: str) -> str:
        text = cls._translated.get(sql)
        if text is None:
            # no statement of ours has a literal `%` or `?` inside quotes
            text = cls._translated[sql] = sql.replace("%", "%%").replace("?", "%s")
        return text

    def execute(self, sql: str, args: Sequence[Any] = ()):
        return self.conn.execute(self._sql(sql), tuple(args))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(self._sql(sql), rows)


class PostgresUnitOfWork(Repositories):
    """One transaction on one pooled connection; leaving without `commit()` rolls back."""

    def __init__(self, store: "PostgresStore", read_only: bool) -> None:
        self._store, self._read_only = store, read_only
        self._conn = None
        self._open = False

    def __enter__(self) -> "PostgresUnitOfWork":
        import psycopg_pool

        try:
            self._conn = self._store._pool.getconn()
        except psycopg_pool.PoolTimeout:
            raise PostgresStoreError(
                f"no connection to PostgreSQL within {CONNECT_TIMEOUT_S} s "
                f"({redact(self._store.url)})") from None
        super().__init__(_Connection(self._conn), POSTGRESQL)
        self._open = True
        return self

    def __exit__(self, *exc_info) -> None:
        conn, self._conn = self._conn, None
        try:
            if self._open:
                self._open = False
                conn.rollback()
        except Exception:  # a broken connection: the pool discards it below
            log.warning("rollback failed on a PostgreSQL connection", exc_info=True)
        finally:
            self._store._pool.putconn(conn)
        if conn.broken:
            # The server went away (restart, failover): the idle connections are
            # likely dead too. Test them now, so the next units of work get live
            # ones instead of failing one by one.
            try:
                self._store._pool.check()
            except Exception:
                log.warning("PostgreSQL pool check failed", exc_info=True)

    def commit(self) -> None:
        self.pools.flush()
        self._conn.commit()
        self._open = False


class PostgresStore:
    """A PostgreSQL database, brought up to date with its registered migrations."""

    # Every store this process opened and has not closed, by URL: `close_all` ends
    # their pools (whose threads would otherwise retry a database gone away).
    opened: "weakref.WeakSet[PostgresStore]" = weakref.WeakSet()
    blocks_event_loop = False  # psycopg waits cooperatively under gevent

    def __init__(self, url: str, min_size: int = POOL_MIN, max_size: int = POOL_MAX) -> None:
        try:
            import psycopg
            import psycopg_pool
        except ImportError:  # a dependency of the package: only a broken install lacks it
            raise PostgresStoreError(
                "PostgreSQL support (psycopg, psycopg_pool) is not installed") from None
        self.url = url
        self.path = None  # no file behind this store
        self._pool = psycopg_pool.ConnectionPool(
            url, min_size=min_size, max_size=max_size, open=False, timeout=CONNECT_TIMEOUT_S,
            kwargs={"row_factory": _row_factory, "connect_timeout": CONNECT_TIMEOUT_S,
                    "application_name": "guichet-server"},
            reconnect_timeout=300, name="guichet")
        try:
            # one connection first: a wrong URL is one clear line now, not a pool
            # retrying in the background; it also brings the schema up to date
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S,
                                 application_name="guichet-server") as conn:
                self._migrate(conn)
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            PostgresStore.opened.add(self)
        except psycopg_pool.PoolTimeout:
            self._pool.close()
            raise PostgresStoreError(
                f"cannot connect to PostgreSQL at {redact(url)} within "
                f"{CONNECT_TIMEOUT_S} s") from None
        except psycopg.Error as exc:
            self._pool.close()
            reason = " ".join(str(exc).split())[:300]
            raise PostgresStoreError(f"PostgreSQL at {redact(url)}: {reason}") from None

    @staticmethod
    def _migrate(conn) -> None:
        """Apply the migrations not yet recorded, one process at a time."""
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in POSTGRES_MIGRATIONS:
                if version in done:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (%s, %s, %s)",
                    (version, name, datetime.now(timezone.utc).isoformat()))


    def unit_of_work(self, read_only: bool = False) -> PostgresUnitOfWork:
        """`with store.unit_of_work() as uow: … uow.commit()`; `read_only` is the
        same transaction, never committed."""
        return PostgresUnitOfWork(self, read_only)

    def ping(self) -> bool:
        try:
            with self._pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1").fetchone()
            return True
        except Exception:
            return False

    def close(self) -> None:
        PostgresStore.opened.discard(self)
        self._pool.close()

    @classmethod
    def close_all(cls, url: str | None = None) -> None:
        """Close the stores open on `url` (all of them without one)."""
        for store in list(cls.opened):
            if url is None or store.url == url:
                store.close()
