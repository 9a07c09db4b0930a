"""Settlement end to end: bets from a real terminal, a result, tickets inquired and paid."""
from __future__ import annotations

import json
import threading
import uuid as uuidlib

import pytest

from betting.protocol import NAMESPACE

from ..helpers import run_cli, wait_until
from .socket_client import connect, enrol_another


@pytest.fixture(scope="module")
def day(programme):
    return json.loads(programme.read_text())["date"]


def sell(terminal, race, bet_type, horses, stake, formula="UNITAIRE", bases=()):
    status, bet = terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": bet_type, "formula": formula, "selections": list(horses),
        "bases": list(bases), "unit_stake_cents": stake})
    assert status == 201, bet
    return bet


@pytest.fixture(scope="module")
def client(server, terminal):
    """Another shop's terminal: any terminal inquires and pays any ticket."""
    c = connect(server.url, *enrol_another(server, "Bar des courses"))
    yield c
    c.disconnect()


def ask(client, event, payload):
    return client.call(event, payload, namespace=NAMESPACE, timeout=10)


def test_race_is_settled_and_tickets_paid_once(server, terminal, client, day):
    race = f"{day}/R1C2"
    win = sell(terminal, race, "SIMPLE_GAGNANT", [3], 200)
    other = sell(terminal, race, "SIMPLE_GAGNANT", [5], 400)
    place = sell(terminal, race, "SIMPLE_PLACE", [3], 100)
    sell(terminal, race, "SIMPLE_PLACE", [8], 300)
    combined = sell(terminal, race, "COUPLE_GAGNANT", [3, 5, 7], 100, formula="COMBINE")
    assert combined["combinations"] == 3 and combined["total_cents"] == 300

    status, answer = server.api("POST", f"/api/races/{race}/result", {"arrival": [[3], [5], [1]]})
    assert status == 409 and answer["error"] == "race_open"
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[0] == 404

    heard = []
    got = threading.Event()
    client.on("results", lambda data: (heard.append(data), got.set()), namespace=NAMESPACE)

    assert server.api("POST", f"/api/races/{race}/close")[0] == 200
    status, first = server.api("POST", f"/api/races/{race}/result",
                               {"arrival": [[5], [3], [1], [2]], "non_runners": []})
    assert status == 200, first
    assert first["official"] is False
    assert ask(client, "inquire_ticket", {"ticket": win["ticket"]})["status"] == "pending"
    refused = ask(client, "pay_ticket", {"ticket": win["ticket"], "payment_uuid": str(uuidlib.uuid4())})
    assert refused["ok"] is False and refused["error"] == "not_official"

    # corrected before it is official: 3 won, not 5
    status, published = server.api("POST", f"/api/races/{race}/result",
                                   {"arrival": [[3], [5], [1], [2]], "official": True})
    assert status == 200 and published["official"] is True
    status, again = server.api("POST", f"/api/races/{race}/result", {"arrival": [[5], [3], [1]]})
    assert status == 409 and again["error"] == "results_official"
    assert got.wait(5), "terminals are told of the results"
    # the watch loop may have pushed the provisional result before the official one
    official = wait_until(lambda: [h for h in heard if h["official"]], timeout=5,
                          what="the official results pushed")
    assert official[-1]["race"] == race and len(official) == 1

    status, div = server.api("GET", f"/api/races/{race}/dividends", token=None)
    assert status == 200 and div["arrival"] == [[3], [5], [1], [2]]
    pools = {p["bet_type"]: p for p in div["pools"]}
    sg = pools["SIMPLE_GAGNANT"]
    assert sg["total_cents"] == 600
    (gagnant,) = [d for d in sg["dividends"] if d["kind"] == "GAGNANT"]
    assert gagnant["combination"] == [3] and gagnant["winning_stake_cents"] == 200
    assert gagnant["per_euro_cents"] % 10 == 0 and gagnant["per_euro_cents"] >= 110
    # money is conserved in the published pool
    paid = sum(d["per_euro_cents"] * d["winning_stake_cents"] // 100 for d in sg["dividends"])
    assert paid + sg["refunded_cents"] + sg["deduction_cents"] + sg["breakage_cents"] \
        - sg.get("topup_cents", 0) + sg.get("carry_over_cents", 0) == sg["total_cents"]

    won = ask(client, "inquire_ticket", {"ticket": win["ticket"]})
    assert won["status"] == "won"
    assert won["amount_cents"] == gagnant["per_euro_cents"] * 200 // 100
    assert ask(client, "inquire_ticket", {"ticket": other["ticket"]})["status"] == "lost"
    placed = ask(client, "inquire_ticket", {"ticket": place["ticket"]})
    assert placed["status"] == "won" and placed["amount_cents"] >= 110
    assert ask(client, "inquire_ticket", {"ticket": combined["ticket"]})["status"] == "won"

    payment = str(uuidlib.uuid4())
    first_pay = ask(client, "pay_ticket", {"ticket": win["ticket"], "payment_uuid": payment})
    assert first_pay == {"ok": True, "amount_cents": won["amount_cents"],
                         "paid_at": first_pay["paid_at"]}
    # the same payment asked again (lost ack) gets the same answer; a second payment is refused
    assert ask(client, "pay_ticket", {"ticket": win["ticket"], "payment_uuid": payment})["ok"]
    twice = ask(client, "pay_ticket", {"ticket": win["ticket"], "payment_uuid": str(uuidlib.uuid4())})
    assert twice["ok"] is False and twice["error"] == "already_paid"
    assert ask(client, "inquire_ticket", {"ticket": win["ticket"]})["status"] == "paid"
    lost = ask(client, "pay_ticket", {"ticket": other["ticket"], "payment_uuid": str(uuidlib.uuid4())})
    assert lost["ok"] is False and lost["error"] == "not_payable"


def test_non_runner_declared_after_bets_is_refunded(server, terminal, client, day):
    race = f"{day}/R2C2"
    on_np = sell(terminal, race, "SIMPLE_GAGNANT", [4], 300)
    status, answer = server.api("POST", f"/api/races/{race}/non-runners", {"non_runners": [4]})
    assert status == 200 and answer["non_runners"] == [4]
    status, card = server.api("GET", f"/api/races/{race}", token=None)
    assert next(r for r in card["runners"] if r["number"] == 4)["non_runner"] is True
    # no new bet on the withdrawn horse
    status, refused = terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
        "selections": [4], "bases": [], "unit_stake_cents": 100})
    assert status == 422 and refused["reason"] == "runner_not_declared"

    server.api("POST", f"/api/races/{race}/close")
    status, _ = server.api("POST", f"/api/races/{race}/result",
                           {"arrival": [[1], [2], [3]], "official": True})
    assert status == 200
    refund = ask(client, "inquire_ticket", {"ticket": on_np["ticket"]})
    assert refund["status"] == "refund" and refund["amount_cents"] == 300


def test_cancel_within_the_window_refunds_once(server, terminal, client, day):
    race = f"{day}/R1C4"
    bet = sell(terminal, race, "SIMPLE_GAGNANT", [2], 500)
    before = {p["bet_type"]: p for p in server.api("GET", f"/api/races/{race}")[1]["pools"]}
    elsewhere = ask(client, "cancel_ticket", {"ticket": bet["ticket"]})
    assert elsewhere["ok"] is False and elsewhere["error"] == "wrong_terminal"
    # The selling terminal cancels, through its own API and its own socket.
    status, done = terminal.api("POST", f"/api/tickets/{bet['ticket']}/cancel")
    assert status == 200 and done["ok"] is True and done["refund_cents"] == 500
    status, again = terminal.api("POST", f"/api/tickets/{bet['ticket']}/cancel")
    assert again["ok"] is False and again["error"] == "already_cancelled"
    after = {p["bet_type"]: p for p in server.api("GET", f"/api/races/{race}")[1]["pools"]}
    assert after["SIMPLE_GAGNANT"]["total_cents"] == before["SIMPLE_GAGNANT"]["total_cents"] - 500
    assert ask(client, "inquire_ticket", {"ticket": bet["ticket"]})["status"] == "cancelled"


@pytest.mark.parametrize("code, error", [
    ("123", "invalid_ticket_code"),
    ("000001000000001000000000", "invalid_ticket_code"),  # check digit wrong
])
def test_bad_ticket_codes_are_refused(client, code, error):
    answer = ask(client, "inquire_ticket", {"ticket": code})
    assert answer["ok"] is False and answer["error"] == error


def test_guessed_code_with_a_good_check_digit_is_unknown(client):
    from betting.tickets import damm_digit

    body = "000001" "000000001" "12345678"
    answer = ask(client, "inquire_ticket", {"ticket": body + damm_digit(body)})
    assert answer["ok"] is False and answer["error"] == "unknown_ticket"


@pytest.mark.parametrize("body, error", [
    ({"arrival": [[1], [99]]}, "unknown_runner"),
    ({"arrival": [[1], [1]]}, "bad_result"),
    ({"arrival": "1,2,3"}, "bad_result"),
    ({"arrival": [[1], [2]], "non_runners": [2]}, "bad_result"),
])
def test_bad_results_change_nothing(server, day, body, error):
    race = f"{day}/R2C3"
    server.api("POST", f"/api/races/{race}/close")
    status, answer = server.api("POST", f"/api/races/{race}/result", body)
    assert status == 400 and answer["error"] == error, answer
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[0] == 404


def test_admin_result_from_the_command_line(server, day):
    race = f"{day}/R2C4"
    server.api("POST", f"/api/races/{race}/close")
    proc = run_cli("admin", "result", race, "--arrival", "2,1=3,4", "--db", str(server.db))
    assert "provisional" in proc.stdout
    bad = run_cli("admin", "result", race, "--arrival", "two", "--db", str(server.db), check=False)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    run_cli("admin", "official", race, "--db", str(server.db))
    status, div = server.api("GET", f"/api/races/{race}/dividends", token=None)
    assert status == 200 and div["official"] is True and div["arrival"] == [[2], [1, 3], [4]]
