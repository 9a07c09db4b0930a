"""Two server processes on one store, sharing Socket.IO events through Redis."""
from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest

from betting.protocol import NAMESPACE

from ..helpers import start_server
from .socket_client import connect

REDIS = ("127.0.0.1", 6379)


def redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_a_closing_on_one_process_reaches_terminals_on_another(tmp_path, programme):
    env = {"GUICHET_MESSAGE_QUEUE_CHANNEL": f"guichet-test-{uuid.uuid4()}"}
    queue = ["--message-queue", f"redis://{REDIS[0]}:{REDIS[1]}/0"]
    a = start_server(tmp_path, programme, env=env, args=queue, name="server-a")
    b = start_server(tmp_path, None, env=env, args=queue, name="server-b")
    try:
        code = a.api("POST", "/api/enrolment-codes", {"outlet": "Bar des deux"})[1]["code"]
        enrolled = b.api("POST", "/api/enrol", {"code": code}, token=None)[1]
        heard, got = [], threading.Event()
        client = connect(b.url, enrolled["terminal_id"], bytes.fromhex(enrolled["key"]))
        client.on("pool_state", lambda d: (heard.append(d), got.set()), namespace=NAMESPACE)
        try:
            race = f"{json.loads(programme.read_text())['date']}/R1C3"
            assert a.api("POST", f"/api/races/{race}/close")[0] == 200
            assert got.wait(5), "the closing on process A reached a terminal connected to B"
            assert heard[0] == {"race": race, "state": "closed", "version": heard[0]["version"],
                                "cause": "operator"}
            # and B refuses bets on it: one store, one truth
            bet = {"uuid": str(uuid.uuid4()), "seq": 1, "placed_at": "2026-01-01T00:00:00Z",
                   "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                   "selections": [1], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
                   "offline": False}
            ack = client.call("place_bets", {"bets": [bet]}, namespace=NAMESPACE, timeout=10)
            assert ack["results"][0]["reason"] == "pool_closed"
        finally:
            client.disconnect()
    finally:
        a.proc.stop()
        b.proc.stop()
