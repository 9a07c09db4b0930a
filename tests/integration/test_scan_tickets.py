"""A scanned ticket through the terminal's API and the real central server:
inquire, pay once, cancel in time; misread codes and an offline link."""
from __future__ import annotations

import json

import pytest

from terminal_app.adapters.database import Database
from terminal_app.adapters.journals import TicketOps

from ..devices_support import drawer_kicks, sell, start_device_terminal, wait_until
from ..helpers import start_server


@pytest.fixture(scope="module")
def day(programme) -> str:
    return json.loads(programme.read_text())["date"]


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "tickets")
    yield t
    t.proc.stop()


def ticket_of(term, race: str, horse: int, stake: int = 200) -> str:
    status, bet = sell(term, race, horse=horse, stake=stake)
    assert status == 201 and bet["printed"], bet
    return bet["ticket"]


def ask(term, code: str, action: str):
    return term.api("POST", f"/api/tickets/{code}/{action}")


def test_a_fresh_ticket_is_pending_and_can_be_cancelled_once(term, day):
    code = ticket_of(term, f"{day}/R1C1", 3, 400)
    status, info = ask(term, code, "inquire")
    assert status == 200 and info["status"] == "pending" and info["can_cancel"] and not info["can_pay"]
    assert "En attente du résultat" in info["message"]
    kicks = drawer_kicks(term)
    status, done = ask(term, code, "cancel")
    assert status == 200 and done["refund_cents"] == 400 and "4,00 €" in done["message"]
    assert drawer_kicks(term) == kicks + 1
    assert ask(term, code, "inquire")[1]["status"] == "cancelled"
    status, again = ask(term, code, "cancel")
    assert status == 409 and again["error"] == "already_cancelled" and "déjà annulé" in again["message"]


def test_a_winning_ticket_is_paid_once_and_a_losing_one_not_at_all(term, server, day):
    race = f"{day}/R1C3"
    winner, loser = ticket_of(term, race, 3), ticket_of(term, race, 4)
    assert server.api("POST", f"/api/races/{race}/close")[0] == 200
    status, _ = server.api("POST", f"/api/races/{race}/result",
                           {"arrival": [[3], [1], [2], [4]], "official": True})
    assert status == 200

    status, info = ask(term, winner, "inquire")
    assert info["status"] == "won" and info["can_pay"] and info["amount_cents"] > 0
    kicks = drawer_kicks(term)
    status, paid = ask(term, winner, "pay")
    assert status == 200 and paid["amount_cents"] == info["amount_cents"]
    assert paid["drawer"]["opened"] is True and drawer_kicks(term) == kicks + 1
    status, twice = ask(term, winner, "pay")
    assert status == 409 and twice["error"] == "already_paid" and "déjà payé" in twice["message"]
    assert drawer_kicks(term) == kicks + 1                       # the till stays shut
    assert ask(term, winner, "inquire")[1]["status"] == "paid"

    assert ask(term, loser, "inquire")[1]["status"] == "lost"
    status, refused = ask(term, loser, "pay")
    assert status == 409 and refused["error"] == "not_payable"
    status, late = ask(term, loser, "cancel")
    assert status == 409 and late["error"] == "pool_closed" and "annulation impossible" in late["message"]

    ops = TicketOps(Database(term.data, read_only=True)).for_ticket(winner)
    assert [(o["op"], o["result"], o["error"]) for o in ops] == [
        ("pay", "ok", None), ("pay", "refused", "already_paid")]


@pytest.mark.parametrize("code, words", [
    ("123", "24 chiffres"),
    ("0" * 23 + "1", "mal lu"),
    ("abcdefabcdefabcdefabcdef", "24 chiffres"),
    ("9" * 200, "24 chiffres"),
])
def test_malformed_codes_are_refused_locally_in_french(term, code, words):
    for action in ("inquire", "pay", "cancel"):
        status, answer = ask(term, code, action)
        assert status == 422 and answer["error"] == "invalid_ticket_code" and words in answer["message"]


def test_paying_or_cancelling_offline_says_the_server_is_needed(workdir, programme):
    folder = workdir / "offline"
    folder.mkdir()
    central = start_server(folder, programme)
    term = start_device_terminal(folder, central, "alone")
    try:
        code = ticket_of(term, f"{json.loads(programme.read_text())['date']}/R1C1", 5)
        central.proc.stop()
        wait_until(lambda: not term.status()["online"], what="terminal offline")
        for action, words in (("pay", "paiement"), ("cancel", "annulation"), ("inquire", "vérifier")):
            status, answer = ask(term, code, action)
            assert status == 503 and answer["error"] == "offline", answer
            assert "Serveur central injoignable" in answer["message"] and words in answer["message"]
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)          # caught before asking anyone
        status, answer = ask(term, wrong, "pay")
        assert status == 422 and answer["error"] == "invalid_ticket_code"
    finally:
        term.proc.stop()
        central.proc.stop()
