"""The terminal never signs two connections with the same `ts`: the server
accepts each once (a replayed signature is refused)."""
from terminal_app.adapters.store import TerminalStore
from terminal_app.adapters.sync import SyncClient


def make_client(tmp_path) -> SyncClient:
    store = TerminalStore(tmp_path)
    store.settings.set(server_url="http://127.0.0.1:9", terminal_id="T000001", key="00" * 32)
    return SyncClient(store.settings, store.outbox, store.programme)


def test_connections_in_one_second_get_growing_timestamps(tmp_path):
    client = make_client(tmp_path)
    stamps = [client._auth()["ts"] for _ in range(3)]
    assert stamps == sorted(set(stamps)) and len(set(stamps)) == 3
    # and after a restart of the terminal, still growing
    again = make_client(tmp_path)
    assert again._auth()["ts"] > stamps[-1]


def test_a_disabled_terminal_stays_disabled_across_a_restart(tmp_path):
    client = make_client(tmp_path)
    client._on_disabled({"message": "…"})
    client._keep_disabled_state()
    assert make_client(tmp_path).disabled is True
