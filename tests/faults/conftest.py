import pytest

from ..helpers import start_server, write_sample_programme
from .proxy import TcpProxy

# Offline rules for this suite: with races from 60 minutes ahead, a 90-minute
# margin refuses offline sales on the first races and allows the later ones.
POLICY_ENV = {"GUICHET_OFFLINE_MARGIN_S": "5400", "GUICHET_OFFLINE_CEILING_CENTS": "100000"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def programme(workdir):
    path = workdir / "programme.json"
    write_sample_programme(path, minutes_ahead=60)
    return path


@pytest.fixture(scope="module")
def server(workdir, programme):
    srv = start_server(workdir, programme, env=POLICY_ENV)
    yield srv
    srv.proc.stop()


@pytest.fixture
def proxy(server):
    p = TcpProxy(server.port)
    yield p
    p.close()
