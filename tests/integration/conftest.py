import pytest

from ..conftest import STORES


@pytest.fixture(scope="module", params=STORES)
def server_store_kind(request):
    """The server's own suite runs its server process on every kind of store."""
    return request.param
