"""Server side of the offline rule: late provisional bets, sequence gaps, policy."""
from __future__ import annotations

import json
import time
import uuid as uuidlib

import pytest
import socketio

from betting.protocol import NAMESPACE, connect_signature
from betting.tickets import make_ticket_code

from .socket_client import connect, fresh_ts


@pytest.fixture
def fresh_terminal(server):
    """A terminal enrolled for this test only, driven directly over the socket."""
    code = server.api("POST", "/api/enrolment-codes", {"outlet": "Kiosque"})[1]["code"]
    enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
    key = bytes.fromhex(enrolled["key"])
    client = connect(server.url, enrolled["terminal_id"], key)
    yield enrolled["terminal_id"], key, client
    client.disconnect()


def bet(race, seq, offline=False, horse=1):
    return {"uuid": str(uuidlib.uuid4()), "seq": seq, "placed_at": "2026-01-01T00:00:00Z",
            "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [horse], "bases": [], "unit_stake_cents": 200, "total_cents": 200,
            "offline": offline}


def test_policy_is_pushed_on_connect_and_in_heartbeats(server, fresh_terminal):
    terminal_id, key, _ = fresh_terminal
    received = []
    c = socketio.Client(reconnection=False)
    c.on("policy", lambda data: received.append(data), namespace=NAMESPACE)
    ts = fresh_ts(terminal_id)  # this socket replaces the fixture's
    c.connect(server.url, namespaces=[NAMESPACE], transports=["websocket"],
              auth={"terminal_id": terminal_id, "ts": ts,
                    "sig": connect_signature(terminal_id, ts, key)})
    try:
        beat = c.call("heartbeat", {"queue_depth": 0}, namespace=NAMESPACE, timeout=10)
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        c.disconnect()
    assert received and received[0] == beat["policy"]
    assert beat["policy"]["offline_margin_s"] == 300
    assert beat["policy"]["offline_ceiling_cents"] == 20_000


def test_provisional_bet_arriving_after_the_close_is_refunded(server, fresh_terminal, programme):
    terminal_id, key, client = fresh_terminal
    day = json.loads(programme.read_text())["date"]
    race = f"{day}/R1C3"
    assert server.api("POST", f"/api/races/{race}/close")[0] == 200
    ack = client.call("place_bets", {"bets": [bet(race, 1, offline=True)]},
                      namespace=NAMESPACE, timeout=10)
    result = ack["results"][0]
    assert result["status"] == "rejected" and result["reason"] == "pool_closed"
    printed = make_ticket_code(terminal_id, 1, key)  # what the provisional ticket says
    assert result["ticket"] == printed
    state = client.call("inquire_ticket", {"ticket": printed}, namespace=NAMESPACE, timeout=10)
    assert state["status"] == "refund" and state["amount_cents"] == 200
    paid = client.call("pay_ticket", {"ticket": printed, "payment_uuid": str(uuidlib.uuid4())},
                       namespace=NAMESPACE, timeout=10)
    assert paid["ok"] and paid["amount_cents"] == 200
    again = client.call("pay_ticket", {"ticket": printed, "payment_uuid": str(uuidlib.uuid4())},
                        namespace=NAMESPACE, timeout=10)
    assert again["error"] == "already_paid"


def test_sequence_gaps_are_visible_to_the_operator(server, fresh_terminal, programme):
    terminal_id, _, client = fresh_terminal
    race = f"{json.loads(programme.read_text())['date']}/R2C1"
    ack = client.call("place_bets", {"bets": [bet(race, s) for s in (2, 3, 7, 8, 10)]},
                      namespace=NAMESPACE, timeout=10)
    assert all(r["status"] == "accepted" for r in ack["results"])
    status, answer = server.api("GET", f"/api/terminals/{terminal_id}/gaps")
    assert status == 200 and answer["gaps"] == [[1, 1], [4, 6], [9, 9]]
    fleet = {t["terminal_id"]: t for t in server.api("GET", "/api/terminals")[1]["terminals"]}
    assert fleet[terminal_id]["missing_seqs"] == 5 and fleet[terminal_id]["last_seq"] == 10
    assert server.api("GET", "/api/terminals/T999999/gaps")[0] == 404


def test_heartbeats_reach_the_fleet_list(server, fresh_terminal):
    from ..helpers import wait_until

    terminal_id, _, client = fresh_terminal
    beat = client.call("heartbeat", {"queue_depth": 7, "printer": {"state": "paper_low"},
                                     "version": "9.9"}, namespace=NAMESPACE, timeout=10)
    assert beat["ok"]

    def listed():
        fleet = {t["terminal_id"]: t for t in server.api("GET", "/api/terminals")[1]["terminals"]}
        return fleet[terminal_id] if fleet[terminal_id]["queue_depth"] == 7 else None

    mine = wait_until(listed, timeout=10, what="the heartbeat in the fleet list")
    assert mine["printer"] == {"state": "paper_low"} and mine["version"] == "9.9"
    assert mine["connected"] is True and mine["last_seen"]
