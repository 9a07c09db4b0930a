"""PostgreSQL databases for tests: each test (or module) creates its own and
drops it after, on the server at 127.0.0.1:5432 (trust auth, user postgres;
`.ci/run` starts it). Without PostgreSQL the PostgreSQL half of the store tests
is skipped, with the reason."""
from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
ADMIN_URL = os.environ.get("GUICHET_TEST_PG", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres")


def pg_up() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def pg_database(prefix: str = "guichet_test") -> Iterator[str]:
    """A new empty database; its URL. Dropped (connections and all) at the end."""
    if not pg_up():
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 (.ci/run starts it)")
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        from server.adapters.postgres import PostgresStore

        PostgresStore.close_all(database_url(name))  # apps a test left open
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_db_url(kind: str, folder) -> Iterator[str]:
    """A store URL of `kind` ("sqlite": a file in `folder`; "postgresql": a new database)."""
    if kind == "sqlite":
        yield str(folder / "server.db")
    else:
        with pg_database() as url:
            yield url
