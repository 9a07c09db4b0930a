"""A Socket.IO client that speaks for an enrolled terminal, with its real key."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import socketio

from betting.protocol import NAMESPACE, connect_signature


def terminal_credentials(data: Path) -> tuple[str, bytes]:
    with sqlite3.connect(data / "terminal.db") as db:
        cfg = dict(db.execute("SELECT key, value FROM config"))
    return cfg["terminal_id"], bytes.fromhex(cfg["key"])


def connect(url: str, terminal_id: str, key: bytes, ts: int | None = None,
            sig: str | None = None) -> socketio.Client:
    ts = int(time.time()) if ts is None else ts
    client = socketio.Client(reconnection=False)
    client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=5,
                   auth={"terminal_id": terminal_id, "ts": ts,
                         "sig": sig or connect_signature(terminal_id, ts, key)})
    return client


def outbox_row(data: Path, uuid: str) -> dict:
    with sqlite3.connect(data / "terminal.db") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM outbox WHERE uuid = ?", (uuid,)).fetchone())
