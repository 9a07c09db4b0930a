import pytest

from .helpers import start_server, start_terminal, write_sample_programme
from .pg import fresh_db_url

# The kinds of central store every store test runs on.
STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, server_store_kind):
    """The module's folder: one per kind of store, when the module runs on both."""
    return tmp_path_factory.mktemp(f"guichet-{server_store_kind}")


@pytest.fixture(scope="module")
def programme(workdir):
    path = workdir / "programme.json"
    write_sample_programme(path)
    return path


@pytest.fixture(scope="module")
def server_store_kind():
    """The store of the module's server process: SQLite, except in the server's
    own suite (tests/integration/conftest.py runs it on both)."""
    return "sqlite"


@pytest.fixture(scope="module")
def server_db(server_store_kind, workdir):
    with fresh_db_url(server_store_kind, workdir) as url:
        yield url


@pytest.fixture(scope="module")
def server(workdir, programme, server_db):
    srv = start_server(workdir, programme, db=server_db)
    yield srv
    srv.proc.stop()


@pytest.fixture(scope="module")
def terminal(workdir, server):
    term = start_terminal(workdir, server)
    yield term
    term.proc.stop()


@pytest.fixture(params=STORES)
def db_url(request, tmp_path):
    """The URL of a new, empty central store for one test, once per kind of store."""
    with fresh_db_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url):
    """A fresh, migrated central store for one test (sqlite-utils' `fresh_db`),
    on SQLite and on PostgreSQL."""
    from server.store import open_store

    fresh = open_store(db_url)
    yield fresh
    fresh.close()
