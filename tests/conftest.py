import pytest

from .helpers import start_server, start_terminal, write_sample_programme


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("guichet")


@pytest.fixture(scope="module")
def programme(workdir):
    path = workdir / "programme.json"
    write_sample_programme(path)
    return path


@pytest.fixture(scope="module")
def server(workdir, programme):
    srv = start_server(workdir, programme)
    yield srv
    srv.proc.stop()


@pytest.fixture(scope="module")
def terminal(workdir, server):
    term = start_terminal(workdir, server)
    yield term
    term.proc.stop()


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated central store for one test (sqlite-utils' `fresh_db`)."""
    from server.store import open_store

    fresh = open_store(str(tmp_path / "server.db"))
    yield fresh
    fresh.close()
