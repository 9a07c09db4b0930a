"""Working on the central store from tests: through its unit of work and
repositories, as the services do; raw SQL only to damage a SQLite store on
purpose (a fault the adapter must survive)."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def committed(store) -> Iterator[object]:
    """A unit of work committed when the block ends normally."""
    with store.unit_of_work() as uow:
        yield uow
        uow.commit()


def damage(store, sql: str, *args) -> None:
    """Write to the SQLite file behind `store` directly, bypassing every check
    (a row left by an older version, a trigger standing for a disk fault)."""
    with sqlite3.connect(store.path, timeout=10) as db:
        db.execute(sql, args)
    db.close()


def count_rows(store, table: str) -> int:
    """Rows of one table of the SQLite file behind `store`: proof that a refused
    request wrote nothing, whichever repository it would have reached."""
    with sqlite3.connect(store.path, timeout=10) as db:
        count = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    db.close()
    return count
