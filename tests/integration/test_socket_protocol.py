"""The /terminal namespace: authentication and malformed messages, on a real server."""
from __future__ import annotations

import time
import uuid as uuidlib

import pytest
import socketio

from betting.protocol import NAMESPACE

from ..helpers import http_json
from .socket_client import connect


@pytest.fixture(scope="module")
def creds(server):
    """A terminal enrolled for these tests alone: its socket replaces nobody's."""
    code = server.api("POST", "/api/enrolment-codes", {"outlet": "Bar du protocole"})[1]["code"]
    enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
    return enrolled["terminal_id"], bytes.fromhex(enrolled["key"])


def test_bad_signature_is_refused(server, creds):
    terminal_id, _ = creds
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server.url, terminal_id, b"wrong key" * 4)


def test_stale_timestamp_is_refused(server, creds):
    terminal_id, key = creds
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server.url, terminal_id, key, ts=int(time.time()) - 3600)


def test_unknown_terminal_is_refused(server, creds):
    _, key = creds
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server.url, "T999999", key)


@pytest.mark.parametrize("payload", [
    None, "bets", 42, [], {"bets": "nope"}, {"bets": []}, {"bets": [{}] * 501},
])
def test_malformed_place_bets_gets_an_error_ack(server, creds, payload):
    client = connect(server.url, *creds)
    try:
        ack = client.call("place_bets", payload, namespace=NAMESPACE, timeout=10)
        assert ack["ok"] is False
        assert ack["error"] == "bad_request"
        # the connection and the server still serve
        beat = client.call("heartbeat", {"queue_depth": 0}, namespace=NAMESPACE, timeout=10)
        assert beat["ok"] is True and beat["server_time"].endswith("Z")
    finally:
        client.disconnect()
    assert http_json("GET", server.url + "/healthz")[0] == 200


def test_one_malformed_bet_rejects_only_itself(server, creds, programme):
    import json

    doc = json.loads(programme.read_text())
    good = {"uuid": str(uuidlib.uuid4()), "seq": 800_001, "placed_at": "2026-01-01T00:00:00Z",
            "race": f"{doc['date']}/R1C2", "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [1], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
            "offline": False}
    wrong_total = {**good, "uuid": str(uuidlib.uuid4()), "seq": 800_002, "total_cents": 1}
    client = connect(server.url, *creds)
    try:
        ack = client.call("place_bets", {"bets": ["garbage", {"uuid": "x"}, good, wrong_total]},
                          namespace=NAMESPACE, timeout=10)
    finally:
        client.disconnect()
    assert ack["ok"] is True
    statuses = [r["status"] for r in ack["results"]]
    assert statuses == ["rejected", "rejected", "accepted", "rejected"]
    assert ack["results"][3]["reason"] == "wrong_total"
    assert ack["results"][2]["ticket"]


def test_same_sequence_with_another_uuid_is_refused(server, creds, programme):
    import json

    doc = json.loads(programme.read_text())
    bet = {"uuid": str(uuidlib.uuid4()), "seq": 810_001, "placed_at": "2026-01-01T00:00:00Z",
           "race": f"{doc['date']}/R1C2", "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
           "selections": [2], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
           "offline": False}
    client = connect(server.url, *creds)
    try:
        first = client.call("place_bets", {"bets": [bet]}, namespace=NAMESPACE, timeout=10)
        clash = client.call("place_bets", {"bets": [{**bet, "uuid": str(uuidlib.uuid4())}]},
                            namespace=NAMESPACE, timeout=10)
    finally:
        client.disconnect()
    assert first["results"][0]["status"] == "accepted"
    assert clash["results"][0]["status"] == "rejected"
    assert clash["results"][0]["reason"] == "bad_request"


def test_get_programme_returns_changes_since_a_version(server, creds):
    client = connect(server.url, *creds)
    try:
        everything = client.call("get_programme", {"since_version": 0}, namespace=NAMESPACE)
        nothing = client.call("get_programme", {"since_version": everything["version"]},
                              namespace=NAMESPACE)
        bad = client.call("get_programme", {"since_version": "yesterday"}, namespace=NAMESPACE)
    finally:
        client.disconnect()
    assert everything["ok"] and len(everything["races"]) >= 8
    assert nothing["ok"] and nothing["races"] == []
    assert bad["ok"] is False and bad["error"] == "bad_request"
