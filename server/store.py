"""The central store's seam: open a store by URL, then work in units of work.

    with store.unit_of_work() as uow:
        stored, new = uow.bets.add_or_get(bet)
        uow.commit()

Leaving the block without `commit()` rolls everything back, so a handler
cannot half-write; the ack to a terminal is sent only after the commit. The
repositories hanging off a unit of work (`uow.bets`, `uow.payments`,
`uow.races`, `uow.pools`, `uow.results`, `uow.terminals`, `uow.enrolment`,
`uow.admin_tokens`, `uow.meta`, `uow.leases`) speak the services' terms and
return `server.records` values. All SQL lives in one adapter per kind of
store (server/adapters/); SQLite is the one this version ships.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .adapters.sqlite import SqliteStore, SqliteStoreError, SqliteUnitOfWork

# The unit of work the services are written against (the SQLite adapter's
# shape: a second adapter provides the same repositories and methods).
UnitOfWork = SqliteUnitOfWork


class StoreError(Exception):
    """A store that cannot be opened or used; the message is for the operator."""


class Store(Protocol):
    """What the edges hold: a source of units of work."""

    path: Path

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


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


def open_store(url: str) -> Store:
    """The store named by `url` (a SQLite path or `sqlite:///path`), migrated; StoreError if not."""
    path = resolve_db_url(url)
    try:
        return SqliteStore(path)
    except SqliteStoreError as exc:
        raise StoreError(str(exc)) from None
