"""One bet from the terminal's API to the central pool and back, with real processes."""
from __future__ import annotations

import json
import uuid as uuidlib

import pytest

from betting.protocol import NAMESPACE
from device_drivers.escpos_decode import decode, split_jobs

from ..helpers import wait_until
from .socket_client import connect, outbox_count, outbox_wire, terminal_credentials


def first_race(programme_path):
    doc = json.loads(programme_path.read_text())
    return f"{doc['date']}/R1C1", doc


def sell(terminal, race, horse=3, stake=200, bet_type="SIMPLE_GAGNANT"):
    return terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": bet_type, "formula": "UNITAIRE",
        "selections": [horse], "bases": [], "unit_stake_cents": stake,
    })


def server_bet_count(server) -> int:
    terminals = server.api("GET", "/api/terminals")[1]["terminals"]
    return sum(t["bets"] for t in terminals)


def test_sold_bet_reaches_the_server_with_the_same_ticket(server, terminal, programme):
    race, _ = first_race(programme)
    status, bet = sell(terminal, race)
    assert status == 201, bet
    assert bet["status"] == "accepted"
    assert len(bet["ticket"]) == 24 and bet["ticket"].isdigit()
    assert bet["total_cents"] == 200

    status, found = server.api("GET", f"/api/tickets/{bet['ticket']}")
    assert status == 200, found
    assert found["bet"]["uuid"] == bet["uuid"]
    assert found["bet"]["terminal_id"] == terminal.terminal_id
    assert found["bet"]["total_cents"] == 200
    assert found["bet"]["selections"] == [3]

    status, local = terminal.api("GET", f"/api/bets/{bet['uuid']}")
    assert status == 200 and local["status"] == "accepted" and local["ticket"] == bet["ticket"]


def test_accepted_bet_joins_its_pool(server, terminal, programme):
    race, _ = first_race(programme)
    before = {p["bet_type"]: p for p in server.api("GET", f"/api/races/{race}")[1]["pools"]}
    status, bet = sell(terminal, race, horse=5, stake=300, bet_type="SIMPLE_PLACE")
    assert status == 201, bet
    after = {p["bet_type"]: p for p in server.api("GET", f"/api/races/{race}")[1]["pools"]}
    old = before.get("SIMPLE_PLACE", {"total_cents": 0, "bets": 0})
    assert after["SIMPLE_PLACE"]["total_cents"] == old["total_cents"] + 300
    assert after["SIMPLE_PLACE"]["bets"] == old["bets"] + 1


def test_accepted_ticket_is_printed_with_its_code(workdir, terminal, programme):
    race, _ = first_race(programme)
    status, bet = sell(terminal, race, horse=2, stake=500)
    assert status == 201, bet
    assert bet["printed"] is True
    jobs = split_jobs((workdir / "terminal-tickets.bin").read_bytes())
    mine = [decode(job) for job in jobs
            if bet["ticket"] in [b.payload for b in decode(job).barcodes]]
    assert len(mine) == 1  # printed once, barcode carries the code
    text = mine[0].text
    assert "TOTAL 5,00 €" in text
    assert race in text
    assert "Simple gagnant unitaire" in text


def test_resend_of_an_outbox_entry_is_a_duplicate_with_the_same_ticket(server, terminal, programme):
    race, _ = first_race(programme)
    status, bet = sell(terminal, race, horse=4)
    assert status == 201, bet
    wire = outbox_wire(terminal.data, bet["uuid"])
    count = server_bet_count(server)
    # This socket replaces the terminal's own (one per terminal) for a moment.
    client = connect(server.url, *terminal_credentials(terminal.data))
    try:
        ack = client.call("place_bets", {"bets": [wire, wire]}, namespace=NAMESPACE, timeout=10)
    finally:
        client.disconnect()
    assert ack["ok"] is True
    assert [r["status"] for r in ack["results"]] == ["duplicate", "duplicate"]
    assert {r["ticket"] for r in ack["results"]} == {bet["ticket"]}
    assert server_bet_count(server) == count
    wait_until(lambda: terminal.status()["online"], what="the terminal to take its line back")


def test_bet_on_a_closed_pool_is_rejected_with_a_reason(server, terminal, programme):
    _, doc = first_race(programme)
    race = f"{doc['date']}/R2C2"
    status, closed = server.api("POST", f"/api/races/{race}/close")
    assert status == 200 and closed["state"] == "closed"

    # The server refuses it, whatever the terminal believed (another terminal's
    # socket: this one's stays up to hear of the closing).
    code = server.api("POST", "/api/enrolment-codes", {"outlet": "Bar voisin"})[1]["code"]
    other = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
    client = connect(server.url, other["terminal_id"], bytes.fromhex(other["key"]))
    try:
        bet = {"uuid": str(uuidlib.uuid4()), "seq": 900_000, "placed_at": "2026-01-01T00:00:00Z",
               "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
               "selections": [1], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
               "offline": False}
        ack = client.call("place_bets", {"bets": [bet]}, namespace=NAMESPACE, timeout=10)
    finally:
        client.disconnect()
    result = ack["results"][0]
    assert result["status"] == "rejected"
    assert result["reason"] == "pool_closed"
    assert result["ticket"] is None
    assert "fermés" in result["message"]

    # The terminal hears of the closing and refuses the sale in French.
    def refused():
        status, answer = sell(terminal, race, horse=1, stake=100)
        return answer if status == 422 else None
    answer = wait_until(refused, what="terminal to refuse the closed race")
    assert answer["reason"] == "pool_closed"
    assert "fermés" in answer["message"]


@pytest.mark.parametrize("change, reason", [
    ({"race": "2099-01-01/R9C9"}, "unknown_race"),
    ({"selections": [42]}, "runner_not_declared"),
    ({"unit_stake_cents": 50}, "stake_below_base"),
    ({"unit_stake_cents": 150}, "stake_not_multiple_of_base"),
    ({"selections": [3, 3]}, "duplicate_runner"),
    ({"unit_stake_cents": "deux euros"}, "bad_request"),
    ({"bet_type": "LOTO"}, "unknown_bet_type"),
])
def test_bad_bets_get_a_french_reason_and_change_nothing(terminal, programme, change, reason):
    race, _ = first_race(programme)
    body = {"race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [3], "bases": [], "unit_stake_cents": 100, **change}
    before = outbox_count(terminal.data)
    status, answer = terminal.api("POST", "/api/bets", body)
    assert status == 422, answer
    assert answer["status"] == "rejected" and answer["reason"] == reason
    assert answer["message"] and "Traceback" not in answer["message"]
    assert outbox_count(terminal.data) == before


def test_local_api_requires_a_token(terminal):
    status, answer = terminal.api("GET", "/api/status", token=None)
    assert status == 401 and answer["error"] == "unauthorized"
    status, answer = terminal.api("GET", "/api/status", token="not-a-token")
    assert status == 401
