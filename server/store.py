"""The central store's seam: open a store by URL, then work in units of work.

    with store.unit_of_work() as uow:
        stored, new = uow.bets.add_or_get(bet)
        uow.commit()

Leaving the block without `commit()` rolls everything back, so a handler
cannot half-write; the ack to a terminal is sent only after the commit. The
repositories hanging off a unit of work (`uow.bets`, `uow.payments`,
`uow.races`, `uow.pools`, `uow.results`, `uow.terminals`, `uow.enrolment`,
`uow.admin_tokens`, `uow.meta`, `uow.leases`, `uow.audit`, `uow.accounts`,
`uow.secrets`, `uow.till_ledger`, `uow.reports`, `uow.chains`) speak the services' terms and
return `server.records` values. The SQL is written once
(server/adapters/sql.py); each kind of store brings its connection and
transactions: SQLite (a file, the default) or PostgreSQL (a URL, for several
server processes and failover).
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .adapters.postgres import PostgresStore, PostgresStoreError, PostgresUnitOfWork
from .adapters.sqlite import SqliteStore, SqliteStoreError, SqliteUnitOfWork

# What the services are written against: the repositories of server/adapters/sql.py
# in one transaction, with `commit()` and `savepoint()`.
UnitOfWork = SqliteUnitOfWork | PostgresUnitOfWork


class StoreError(Exception):
    """A store that cannot be opened or used; the message is for the operator."""


class Store(Protocol):
    """What the edges hold: a source of units of work."""

    path: Path | None  # the SQLite file; None for PostgreSQL
    url: str

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def resolve_db_url(url: str) -> Path:
    """The SQLite file named by a path or `sqlite:///path`; StoreError otherwise."""
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


def open_store(url: str) -> Store:
    """The store named by `url`, migrated: a SQLite path or `sqlite:///path`, or
    `postgresql://…` (several hosts allowed, libpq's syntax). StoreError if not."""
    if is_postgres(url):
        try:
            return PostgresStore(url)
        except PostgresStoreError as exc:
            raise StoreError(str(exc)) from None
    path = resolve_db_url(url)
    try:
        return SqliteStore(path)
    except SqliteStoreError as exc:
        raise StoreError(str(exc)) from None
