"""A Socket.IO client that speaks for an enrolled terminal, with its real key."""
from __future__ import annotations

import time
from pathlib import Path

import socketio

from betting.protocol import NAMESPACE, connect_signature
from terminal_app.adapters.database import Database
from terminal_app.adapters.outbox import Outbox, wire_bet
from terminal_app.adapters.settings import Settings


def terminal_credentials(data: Path) -> tuple[str, bytes]:
    """A running terminal's id and key, read from its data folder (read-only)."""
    settings = Settings(Database(data, read_only=True))
    return settings.get("terminal_id"), settings.key


_last_ts: dict[str, int] = {}


def fresh_ts(terminal_id: str) -> int:
    """A connect `ts` never used before by this process: the server accepts each once."""
    ts = max(int(time.time()), _last_ts.get(terminal_id, 0) + 1)
    _last_ts[terminal_id] = ts
    return ts


def enrol_another(server, outlet: str) -> tuple[str, bytes]:
    """Credentials of a terminal enrolled for a test's own socket: a terminal
    holds one live socket, so a test must not borrow a running terminal's."""
    code = server.api("POST", "/api/enrolment-codes", {"outlet": outlet})[1]["code"]
    enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
    return enrolled["terminal_id"], bytes.fromhex(enrolled["key"])


def connect(url: str, terminal_id: str, key: bytes, ts: int | None = None,
            sig: str | None = None) -> socketio.Client:
    """Connect as the terminal. A terminal holds one socket: this one replaces
    the terminal process's own, which comes back a few seconds later.

    Without an explicit `ts`, a signature the server refuses as already used
    (the terminal process signed with the same second, or a later one) is made
    again with the next second, a few times."""
    attempts = 1 if ts is not None or sig is not None else 4
    for attempt in range(attempts):
        stamp = fresh_ts(terminal_id) if ts is None else ts
        client = socketio.Client(reconnection=False)
        try:
            client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=5,
                           auth={"terminal_id": terminal_id, "ts": stamp,
                                 "sig": sig or connect_signature(terminal_id, stamp, key)})
            return client
        except socketio.exceptions.ConnectionError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def outbox_wire(data: Path, uuid: str) -> dict:
    """A running terminal's outbox entry as its `place_bets` message carries it."""
    return wire_bet(Outbox(Database(data, read_only=True)).bet(uuid))


def outbox_count(data: Path) -> int:
    return len(Outbox(Database(data, read_only=True)).recent(10_000))


def in_process_client(app, terminal_id: str, key: bytes):
    """Flask-SocketIO's test client for an in-process server, signed in as the terminal."""
    ts = int(time.time())
    client = app.extensions["socketio"].test_client(
        app, namespace=NAMESPACE,
        auth={"terminal_id": terminal_id, "ts": ts,
              "sig": connect_signature(terminal_id, ts, key)})
    assert client.is_connected(NAMESPACE)
    return client
