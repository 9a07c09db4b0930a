"""A basket: several bets of one customer, one payment, all sold or none.

The terminal app runs in-process (Flask test client) against a real server
process on the sample programme; its sync client talks to that server over
its real socket. The simulated printer counts tickets and drawer kicks, so
"nothing printed" and "the drawer opened once" are observable.
"""
from __future__ import annotations

import html
import os
import re
import signal
import uuid as uuidlib

import pytest
from werkzeug.datastructures import MultiDict

from terminal_app.app import create_app
from terminal_app.web.guard import LISTEN_KEY

from ..helpers import run_cli, wait_until
from .test_sell_bet import first_race

PORT = 8701
BASE = f"http://127.0.0.1:{PORT}"


class Counter:
    """An enrolled terminal app on its own data folder, online with the programme."""

    def __init__(self, data, server) -> None:
        status, created = server.api("POST", "/api/enrolment-codes", {"outlet": "Bar panier"})
        assert status == 201, created
        run_cli("enrol", "--server", server.url, "--code", created["code"], "--data", str(data))
        self.app = create_app(str(data), {LISTEN_KEY: ("127.0.0.1", PORT)})
        self.services = self.app.extensions["guichet.terminal"]
        self.store = self.services.store
        self.store.settings.set(printer=f"sim:basket-{uuidlib.uuid4().hex}")
        self.services.devices.open_printer()
        self.http = self.app.test_client()
        self.bearer = {"Authorization": f"Bearer {self.store.create_token()}"}
        self.services.start_sync()
        wait_until(lambda: self.services.online and self.store.programme.races()
                   and self.services.link.policy, what="the counter online with its programme")

    def api(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body, headers=self.bearer,
                                base_url=BASE)
        return answer.status_code, answer.get_json()

    def printed(self) -> int:
        return self.services.devices.simulator_info()["jobs_total"]

    def kicks(self) -> int:
        return self.services.devices.simulator_info()["drawer_kicks"]

    def outbox(self) -> list[dict]:
        return self.store.outbox.recent(10_000)

    def stop(self) -> None:
        self.services.stop()


@pytest.fixture(scope="module")
def counter(workdir, server):
    made = Counter(workdir / "counter", server)
    yield made
    made.stop()


@pytest.fixture(scope="module")
def day(programme):
    return first_race(programme)[1]["date"]


def line(race: str, horses: list[int], bet_type: str = "SIMPLE_GAGNANT",
         formula: str = "UNITAIRE", stake: int = 100, bases: list[int] | None = None) -> dict:
    return {"race": race, "bet_type": bet_type, "formula": formula, "selections": horses,
            "bases": bases or [], "unit_stake_cents": stake}


# -- quote ------------------------------------------------------------------------------

def test_quote_prices_a_combine_and_writes_nothing(counter, day):
    before = len(counter.outbox())
    quote = counter.services.sales.quote(
        line(f"{day}/R1C1", [7, 2, 5], bet_type="COUPLE_ORDRE", formula="COMBINE", stake=200))
    # couplé ordre combiné of 3 horses: 3 × 2 ordered pairs = 6 combinations × 2 € = 12 €
    assert quote == {"combinations": 6, "total_cents": 1200, "unit_stake_cents": 200}
    assert len(counter.outbox()) == before


def test_quote_refuses_as_a_sale_would_in_french(counter, day):
    from betting.errors import BettingError
    with pytest.raises(BettingError) as refused:
        counter.services.sales.quote(line(f"{day}/R1C1", [42]))
    assert refused.value.code == "runner_not_declared"
    assert "ne court pas" in refused.value.message


# -- selling a basket through the JSON API ----------------------------------------------

def test_a_three_line_basket_sells_each_with_its_ticket_one_basket_consecutive_seqs(
        counter, server, day):
    printed, kicks = counter.printed(), counter.kicks()
    status, sold = counter.api("POST", "/api/baskets", {"payment": "cash", "bets": [
        line(f"{day}/R1C1", [3]),
        line(f"{day}/R1C1", [7, 2], bet_type="COUPLE_ORDRE"),
        line(f"{day}/R1C2", [1, 4, 6, 8], bet_type="TRIO", formula="COMBINE", stake=200),
    ]})
    assert status == 201, sold
    assert sold["status"] == "accepted" and sold["ok"] is True
    # 1 € + 1 € + (4 horses: 4 trios) 4 × 2 € = 10 €
    assert sold["total_cents"] == 1000 and sold["due_cents"] == 1000
    assert [b["status"] for b in sold["bets"]] == ["accepted"] * 3
    assert all(b["printed"] for b in sold["bets"])
    tickets = [b["ticket"] for b in sold["bets"]]
    assert len(set(tickets)) == 3 and all(t and len(t) == 24 for t in tickets)
    seqs = [b["seq"] for b in sold["bets"]]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    rows = {r["uuid"]: r for r in counter.outbox()}
    assert {rows[b["uuid"]]["basket"] for b in sold["bets"]} == {sold["basket"]}
    assert sold["bets"][1]["selections"] == [7, 2]   # the order as given
    assert counter.printed() == printed + 3          # each bet its own ticket
    assert counter.kicks() == kicks + 1              # one payment, the drawer opens once
    for bet in sold["bets"]:                         # the server holds each one
        code, found = server.api("GET", f"/api/tickets/{bet['ticket']}")
        assert code == 200 and found["bet"]["uuid"] == bet["uuid"]


def test_a_card_basket_does_not_open_the_drawer(counter, day):
    kicks = counter.kicks()
    status, sold = counter.api("POST", "/api/baskets", {"payment": "card", "bets": [
        line(f"{day}/R1C1", [4]), line(f"{day}/R1C1", [5])]})
    assert status == 201, sold
    assert {b["payment"] for b in sold["bets"]} == {"card"}
    assert counter.kicks() == kicks


@pytest.mark.parametrize("bad, reason, words", [
    (line("2099-01-01/R9C9", [1]), "unknown_race", "Course inconnue"),
    ({**line("", [3]), "selections": [42]}, "runner_not_declared", "ne court pas"),
    ({**line("", [3]), "unit_stake_cents": 150}, "stake_not_multiple_of_base", ""),
    ("pas un pari", "bad_request", ""),
])
def test_a_basket_with_one_invalid_line_writes_nothing_and_names_the_line(
        counter, day, bad, reason, words):
    if isinstance(bad, dict) and not bad["race"]:
        bad = {**bad, "race": f"{day}/R1C1"}
    before, printed = len(counter.outbox()), counter.printed()
    status, answer = counter.api("POST", "/api/baskets", {"bets": [
        line(f"{day}/R1C1", [3]), bad, line(f"{day}/R1C2", [2])]})
    assert status == 422, answer
    assert answer["ok"] is False and answer["status"] == "rejected"
    assert answer["reason"] == reason and answer["line"] == 2
    assert answer["message"].startswith("Pari 2 : ") and words in answer["message"]
    assert len(counter.outbox()) == before and counter.printed() == printed


@pytest.mark.parametrize("body, reason", [
    ({"bets": []}, "empty_basket"),
    ({"bets": "trois paris"}, "bad_request"),
    ({"bets": [{}] * 21}, "basket_too_large"),
    ({"bets": [{}], "payment": "chèque"}, "unknown_payment"),
])
def test_an_empty_oversized_or_unpaid_basket_is_refused_in_french(counter, body, reason):
    before = len(counter.outbox())
    status, answer = counter.api("POST", "/api/baskets", body)
    assert status == 422, answer
    assert answer["reason"] == reason and answer["message"]
    assert len(counter.outbox()) == before


def test_a_line_the_server_rejects_cancels_the_others_and_prints_nothing(counter, server, day):
    closing = f"{day}/R2C3"
    status, closed = server.api("POST", f"/api/races/{closing}/close")
    assert status == 200 and closed["state"] == "closed"
    programme = counter.store.programme
    wait_until(lambda: programme.race(closing)[1] == "closed", what="the closing to arrive")
    # The pool closed between the quote and the sale: the terminal has not heard yet.
    programme.set_state(closing, "open")
    printed, kicks = counter.printed(), counter.kicks()
    status, answer = counter.api("POST", "/api/baskets", {"payment": "cash", "bets": [
        line(f"{day}/R1C1", [3]), line(closing, [2]), line(f"{day}/R1C2", [5])]})
    assert status == 422, answer
    assert answer["status"] == "rejected" and answer["ok"] is False and answer["due_cents"] == 0
    states = [(b["status"], b["cancelled"]) for b in answer["bets"]]
    assert states == [("accepted", True), ("rejected", False), ("accepted", True)]
    assert answer["message"].startswith("Panier refusé : pari 2 refusé par le serveur central")
    assert "aucun ticket imprimé, rien à encaisser" in answer["message"]
    assert counter.printed() == printed and counter.kicks() == kicks
    assert not any(b["printed"] for b in answer["bets"])
    for bet in (answer["bets"][0], answer["bets"][2]):   # cancelled on the server too
        code, found = server.api("GET", f"/api/tickets/{bet['ticket']}")
        assert code == 200 and found["bet"]["status"] == "cancelled", found
    held = {h["uuid"] for h in counter.store.outbox.held()}
    assert held.isdisjoint(b["uuid"] for b in answer["bets"])   # no sale left without ticket


# -- offline -----------------------------------------------------------------------------

@pytest.fixture
def offline_counter(tmp_path, server):
    """A counter that had its offline rule from the server (ceiling 200 €), then lost the line."""
    made = Counter(tmp_path / "offline", server)
    made.services.link.stop()
    wait_until(lambda: not made.services.online, what="the counter to go offline")
    yield made
    made.stop()


def test_an_offline_basket_over_the_ceiling_is_refused_whole(offline_counter, day):
    c = offline_counter
    assert c.services.link.policy.ceiling_cents == 20_000
    status, answer = c.api("POST", "/api/baskets", {"bets": [
        line(f"{day}/R1C1", [3], stake=10_000), line(f"{day}/R1C2", [4], stake=10_000),
        line(f"{day}/R1C1", [5], stake=100)]})   # 201 € > 200 €: not even the first two
    assert status == 422, answer
    assert answer["reason"] == "offline_ceiling"
    assert "Panier de 201,00 € refusé en entier" in answer["message"]
    assert c.outbox() == [] and c.printed() == 0


def test_an_offline_basket_within_the_ceiling_prints_provisional_tickets(offline_counter, day):
    c = offline_counter
    status, sold = c.api("POST", "/api/baskets", {"bets": [
        line(f"{day}/R1C1", [3], stake=10_000), line(f"{day}/R1C2", [4], stake=10_000)]})
    assert status == 201, sold
    assert sold["status"] == "provisional"
    assert [b["status"] for b in sold["bets"]] == ["provisional"] * 2
    assert all(b["offline"] and b["ticket"] and b["printed"] for b in sold["bets"])
    assert [b["seq"] for b in sold["bets"]] == [1, 2]
    assert c.printed() == 2 and c.kicks() == 1
    # the ceiling is now used up: one more euro is refused, whole
    status, answer = c.api("POST", "/api/baskets", {"bets": [line(f"{day}/R1C1", [5])]})
    assert status == 422 and answer["reason"] == "offline_ceiling"


# -- the basket on the counter's screen -------------------------------------------------

def page_token(http) -> str:
    page = http.get("/diagnostics", base_url=BASE)
    assert page.status_code == 200
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def sale_form(race: str, horses: list[str], bet_type: str = "SIMPLE_GAGNANT",
              formula: str = "UNITAIRE", stake: str = "1") -> MultiDict:
    """The sale form as the counter posts it: the horses in the order clicked."""
    return MultiDict([("race", race), ("bet_type", bet_type), ("formula", formula),
                      ("stake", stake), *[("horse", h) for h in horses]])


def lines_shown(html: str) -> int:
    return len(re.findall(r'data-role="basket-line"', html))


def total_shown(html: str) -> str:
    return re.search(r'data-role="basket-total">([^<]+)<', html).group(1)


@pytest.fixture
def shop(counter):
    """The shopkeeper's browser: its own session, the page's CSRF token."""
    http = counter.app.test_client()
    token = page_token(http)

    def post(path: str, form, token: str | None = token):
        headers = {"X-CSRFToken": token} if token else {}
        return http.post(path, data=form, headers=headers, base_url=BASE)
    http.post_form = post
    return http


def test_ui_basket_needs_the_pages_csrf_token(shop, counter, day):
    answer = shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["3"]), token=None)
    assert answer.status_code == 403
    assert lines_shown(shop.get("/ui/basket", base_url=BASE).text) == 0


def test_ui_basket_adds_removes_and_sells_in_one_payment(shop, counter, day):
    empty = shop.get("/ui/basket", base_url=BASE)
    assert empty.status_code == 200 and "Panier vide" in empty.text
    assert total_shown(empty.text).startswith("0,00")

    added = shop.post_form("/ui/basket/add", sale_form(
        f"{day}/R1C1", ["7", "2", "5"], bet_type="COUPLE_ORDRE", formula="COMBINE", stake="2"))
    assert added.status_code == 200, added.text
    assert lines_shown(added.text) == 1 and "7 - 2 - 5" in added.text
    assert "6 combinaisons" in added.text and total_shown(added.text).startswith("12,00")

    refused = shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["42"]))
    assert refused.status_code == 422
    assert "Pari non ajouté" in refused.text and "ne court pas" in refused.text
    assert lines_shown(refused.text) == 1                       # basket unchanged

    shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["3"]))
    third = shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C2", ["4"]))
    assert lines_shown(third.text) == 3 and total_shown(third.text).startswith("14,00")
    page = shop.get("/", base_url=BASE)                         # a reload keeps the basket
    assert page.status_code == 200 and lines_shown(page.text) == 3

    removed = shop.post_form("/ui/basket/remove", {"index": "1"})
    assert lines_shown(removed.text) == 2 and total_shown(removed.text).startswith("13,00")

    printed, kicks, before = counter.printed(), counter.kicks(), len(counter.outbox())
    sold = shop.post_form("/ui/basket/sell", {"payment": "cash"})
    assert sold.status_code == 200, sold.text
    assert 'data-status="accepted"' in sold.text
    assert "Panier vendu : 2 tickets, 13,00" in sold.text
    assert len(re.findall(r'data-role="basket-ticket"', sold.text)) == 2
    assert sold.headers.get("HX-Trigger") == "bet-sold"
    assert counter.printed() == printed + 2 and counter.kicks() == kicks + 1
    rows = counter.outbox()[: len(counter.outbox()) - before]
    assert len(rows) == 2 and len({r["basket"] for r in rows}) == 1
    assert sorted(r["selections"] for r in rows) == [[4], [7, 2, 5]]
    assert lines_shown(sold.text) == 0                          # the basket is cleared
    assert lines_shown(shop.get("/ui/basket", base_url=BASE).text) == 0


def test_ui_large_basket_asks_for_confirmation_of_the_total_first(shop, counter, day):
    shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["3"], stake="80"))
    shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C2", ["4"], stake="30"))
    before = len(counter.outbox())
    asked = shop.post_form("/ui/basket/sell", {"payment": "card"})
    assert asked.status_code == 200
    assert "Confirmer l'encaissement de 110,00" in html.unescape(asked.text)
    assert len(counter.outbox()) == before                      # nothing sold yet
    stale = shop.post_form("/ui/basket/sell", {"payment": "card", "confirm_cents": "9000"})
    assert "Confirmer" in stale.text and len(counter.outbox()) == before
    sold = shop.post_form("/ui/basket/sell", {"payment": "card", "confirm_cents": "11000"})
    assert sold.status_code == 200 and 'data-status="accepted"' in sold.text
    assert len(counter.outbox()) == before + 2


def test_ui_refused_basket_keeps_its_lines_and_says_why(shop, counter, server, day):
    closing = f"{day}/R2C4"
    shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["6"]))
    shop.post_form("/ui/basket/add", sale_form(closing, ["1"]))
    status, closed = server.api("POST", f"/api/races/{closing}/close")
    assert status == 200
    programme = counter.store.programme
    wait_until(lambda: programme.race(closing)[1] == "closed", what="the closing to arrive")
    shown = shop.get("/ui/basket", base_url=BASE).text
    assert "fermés" in shown and "disabled" in shown           # the line says so at once
    before = len(counter.outbox())
    refused = shop.post_form("/ui/basket/sell", {"payment": "cash"})
    assert refused.status_code == 422
    assert "Panier non vendu, rien n'est enregistré : Pari 2 :" in html.unescape(refused.text)
    assert lines_shown(refused.text) == 2 and len(counter.outbox()) == before
    cleared = shop.post_form("/ui/basket/clear", {})
    assert lines_shown(cleared.text) == 0


def test_ui_basket_is_bounded_to_twenty_lines(shop, counter, day):
    for _ in range(20):
        shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["3"]))
    full = shop.post_form("/ui/basket/add", sale_form(f"{day}/R1C1", ["3"]))
    assert full.status_code == 422 and "Panier complet (20 paris)" in full.text
    assert lines_shown(full.text) == 20
    shop.post_form("/ui/basket/clear", {})


# -- no answer in time ---------------------------------------------------------------------

def test_a_basket_left_unanswered_becomes_provisional_within_the_offline_rule(
        counter, server, day):
    """The server process stops answering (SIGSTOP) while the link still looks up: after
    the answer wait the lines become provisional tickets, as one bet would."""
    printed, kicks = counter.printed(), counter.kicks()
    os.killpg(server.proc.popen.pid, signal.SIGSTOP)  # its whole process group
    try:
        status, sold = counter.api("POST", "/api/baskets", {"bets": [
            line(f"{day}/R1C1", [2]), line(f"{day}/R1C3", [4], stake=200)]})
    finally:
        os.killpg(server.proc.popen.pid, signal.SIGCONT)
    assert status == 201, sold
    assert sold["status"] == "provisional" and sold["due_cents"] == 300
    assert [b["status"] for b in sold["bets"]] == ["provisional"] * 2
    assert all(b["offline"] and b["printed"] for b in sold["bets"])
    assert counter.printed() == printed + 2 and counter.kicks() == kicks + 1
    # the server answers once it runs again: the same tickets, accepted
    for bet in sold["bets"]:
        final = wait_until(lambda: (lambda b: b if b["status"] == "accepted" else None)(
            counter.api("GET", f"/api/bets/{bet['uuid']}")[1]), what="the late acceptance")
        assert final["ticket"] == bet["ticket"]
