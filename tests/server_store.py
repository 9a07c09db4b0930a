"""Working on the central store from tests: through its unit of work and
repositories, as the services do; raw SQL only to damage a store on purpose (a
row left by an older version, a fault the adapter must survive) or to count
what a refused request did not write."""
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


def _run(store, sql: str, args: tuple = (), fetch: bool = False):
    """One statement on the database behind `store`, on a connection of its own
    (SQLite `?` placeholders; turned into `%s` for PostgreSQL)."""
    if store.path is None:
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as db:
            cursor = db.execute(sql.replace("?", "%s"), args or None)
            return cursor.fetchone() if fetch else None
    with sqlite3.connect(store.path, timeout=10) as db:
        row = db.execute(sql, args).fetchone() if fetch else db.execute(sql, args)
    db.close()
    return row if fetch else None


def damage(store, sql: str, *args) -> None:
    """Write to the database behind `store` directly, bypassing every check."""
    _run(store, sql, args)


def count_rows(store, table: str) -> int:
    """Rows of one table behind `store`: proof that a refused request wrote
    nothing, whichever repository it would have reached."""
    return _run(store, f"SELECT COUNT(*) FROM {table}", fetch=True)[0]


def refuse_inserts(store, table: str, column: str, value: str) -> None:
    """Make the store refuse, as a disk fault would, every row inserted into
    `table` whose `column` is `value` (a trigger; `allow_inserts` removes it)."""
    if store.path is None:
        _run(store, f"""CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$
                        BEGIN
                          IF NEW.{column} = '{value}' THEN
                            RAISE EXCEPTION '{table} refused';
                          END IF;
                          RETURN NEW;
                        END $$ LANGUAGE plpgsql""")
        _run(store, f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()")
    else:
        _run(store, f"""CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
                        WHEN NEW.{column} = '{value}'
                        BEGIN SELECT RAISE(ABORT, '{table} refused'); END""")


def allow_inserts(store, table: str) -> None:
    if store.path is None:
        _run(store, f"DROP TRIGGER refuse_{table} ON {table}")
        _run(store, f"DROP FUNCTION refuse_{table}()")
    else:
        _run(store, f"DROP TRIGGER refuse_{table}")
