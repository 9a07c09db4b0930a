"""`GET /api/tickets`: the tickets this terminal sold on a Paris day (terminal_app/services/
ticket_list.py), in-process on a fresh data folder.

Bets go through the real outbox with the clock of the row set by the test (`now_iso`),
get the server's answer through `record_answers`, and are cancelled or paid through the
outbox and the journal of ticket operations, as the ticket desk does.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from betting.bets import BetRequest, PricedBet
from betting.states import OpResult
from terminal_app.adapters import outbox as outbox_module
from terminal_app.adapters.database import now_iso
from terminal_app.app import create_app
from terminal_app.services.ticket_list import today as paris_today
from terminal_app.web.guard import LISTEN_KEY

PORT = 8702
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def app(tmp_path: Path):
    return create_app(str(tmp_path), {LISTEN_KEY: ("127.0.0.1", PORT)})


@pytest.fixture
def store(app):
    return app.extensions["guichet.terminal"].store


@pytest.fixture
def token(store) -> str:
    return store.create_token()


@pytest.fixture
def client(app):
    return app.test_client()


def code(n: int) -> str:
    return f"{n:024d}"


def sold(store, monkeypatch, at: str, race: str = "2021-04-01/R1C4", selections=(7,),
         bet_type: str = "SIMPLE_GAGNANT", formula: str = "UNITAIRE", bases=(),
         stake: int = 200, combinations: int = 1, answer: str | None = "accepted",
         ticket: str | None = None, offline: bool = False, reason: str | None = None) -> dict:
    """A bet written at `at` (UTC), then answered by the server."""
    priced = PricedBet(BetRequest(race, bet_type, formula, tuple(selections), tuple(bases), stake),
                       stake, combinations, stake * combinations)
    with monkeypatch.context() as clock:
        clock.setattr(outbox_module, "now_iso", lambda: at)
        bet = store.outbox.add(priced, offline=offline,
                               ticket_code=(lambda seq: ticket) if offline and ticket else None)
    if answer:
        store.outbox.record_answers([{"uuid": bet["uuid"], "status": answer, "ticket": ticket,
                                      "reason": reason, "message": None}])
    return store.outbox.bet(bet["uuid"])


def listing(client, token, query: str = "", expect: int = 200) -> dict:
    answer = client.get("/api/tickets" + query, base_url=BASE,
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == expect, answer.get_json()
    return answer.get_json()


def tickets_of(answer: dict) -> list[str]:
    return [t["ticket"] for t in answer["tickets"]]


# -- the day, in Paris -------------------------------------------------------------------
def test_a_bet_at_2330_utc_on_31_march_belongs_to_1_april_in_paris(client, token, store,
                                                                     monkeypatch):
    sold(store, monkeypatch, "2021-03-31T21:59:59Z", ticket=code(1))  # 23:59:59 Paris, 31 March
    sold(store, monkeypatch, "2021-03-31T22:00:00Z", ticket=code(2))  # 00:00 Paris (CEST), 1 April
    sold(store, monkeypatch, "2021-03-31T23:30:00Z", ticket=code(3))  # 01:30 Paris, 1 April
    sold(store, monkeypatch, "2021-04-01T21:59:59Z", ticket=code(4))  # 23:59:59 Paris, 1 April
    sold(store, monkeypatch, "2021-04-01T22:00:00Z", ticket=code(5))  # 00:00 Paris, 2 April

    first = listing(client, token, "?day=2021-04-01")
    assert first["day"] == "2021-04-01" and first["time_zone"] == "Europe/Paris"
    assert tickets_of(first) == [code(4), code(3), code(2)]          # newest first
    by_code = {t["ticket"]: t for t in first["tickets"]}
    assert by_code[code(3)]["sold_time"] == "01:30"
    assert by_code[code(3)]["sold_at"] == "01/04/2021 01:30:00"
    assert tickets_of(listing(client, token, "?day=2021-03-31")) == [code(1)]
    assert tickets_of(listing(client, token, "?day=2021-04-02")) == [code(5)]


def test_the_winter_day_starts_at_2300_utc(client, token, store, monkeypatch):
    sold(store, monkeypatch, "2021-01-14T22:59:59Z", ticket=code(1))  # 23:59:59 Paris (CET)
    sold(store, monkeypatch, "2021-01-14T23:00:00Z", ticket=code(2))  # 00:00 Paris, 15 January
    assert tickets_of(listing(client, token, "?day=2021-01-15")) == [code(2)]
    assert tickets_of(listing(client, token, "?day=2021-01-14")) == [code(1)]


def test_without_a_day_it_is_today_in_paris(client, token, store, monkeypatch):
    sold(store, monkeypatch, now_iso(), ticket=code(9))
    today = listing(client, token)
    assert tickets_of(today) == [code(9)]
    assert today["day"] == paris_today().isoformat()


# -- what each ticket says -----------------------------------------------------------------
def test_each_ticket_has_its_view_and_the_printed_labels(client, token, store, monkeypatch):
    sold(store, monkeypatch, "2021-04-01T10:00:00Z", bet_type="COUPLE_ORDRE", selections=(7, 2),
         stake=150, ticket=code(12))
    sold(store, monkeypatch, "2021-04-01T10:05:00Z", bet_type="TIERCE", formula="CHAMP_REDUIT",
         bases=(4,), selections=(9, 1, 3), stake=100, combinations=6, ticket=code(13))
    t12, = [t for t in listing(client, token, "?day=2021-04-01")["tickets"]
            if t["ticket"] == code(12)]
    assert t12["selections"] == [7, 2] and t12["horses_text"] == "7 - 2"
    assert t12["bet_type"] == "COUPLE_ORDRE" and t12["bet_type_label"] == "Couplé ordre"
    assert t12["formula_label"] == "unitaire"
    assert t12["status"] == "accepted" and t12["state"] == "accepted"
    assert t12["state_label"] == "accepté"
    assert t12["ticket_text"] == "0000 0000 0000 0000 0000 0012"
    assert t12["race_short"] == "R1C4" and t12["total_cents"] == 150
    assert "Couplé ordre unitaire" in t12["lines"] and "Chevaux : 7 - 2" in t12["lines"]

    t13 = listing(client, token, "?day=2021-04-01&q=13")["tickets"][0]
    assert t13["bet_type_label"] == "Tiercé" and t13["formula_label"] == "champ réduit"
    assert t13["bases_text"] == "4" and t13["horses_text"] == "9 - 1 - 3"
    assert t13["total_cents"] == 600 and t13["combinations"] == 6


def test_states_are_the_real_ones_in_french(client, token, store, monkeypatch):
    at = "2021-04-01T12:00:00Z"
    sold(store, monkeypatch, at, ticket=code(21))                       # accepted
    cancelled = sold(store, monkeypatch, at, ticket=code(22))
    store.outbox.mark_cancelled(cancelled["ticket"])
    paid = sold(store, monkeypatch, at, ticket=code(23))
    op = store.ticket_ops.open("pay", paid["ticket"])
    store.ticket_ops.close(op["id"], OpResult.OK, 1230)
    refused_pay = sold(store, monkeypatch, at, ticket=code(24))          # a refused payment
    op = store.ticket_ops.open("pay", refused_pay["ticket"])
    store.ticket_ops.close(op["id"], OpResult.REFUSED, None, "not_official", "…")
    sold(store, monkeypatch, at, ticket=code(25), answer="rejected", reason="pool_closed",
         offline=True)                                                  # provisional, refused late
    refunded = sold(store, monkeypatch, at, ticket=code(26), answer="rejected",
                    reason="pool_closed", offline=True)
    op = store.ticket_ops.open("pay", refunded["ticket"])
    store.ticket_ops.close(op["id"], OpResult.OK, 200)
    sold(store, monkeypatch, at, ticket=code(27), answer=None, offline=True)  # provisional
    sold(store, monkeypatch, at, answer=None)                           # waiting, no ticket
    sold(store, monkeypatch, at, answer="rejected", reason="pool_closed")

    rows = listing(client, token, "?day=2021-04-01")["tickets"]
    states = [(r["ticket"], r["state"], r["state_label"]) for r in rows]
    assert states == [
        (None, "rejected", "refusé"),
        (None, "pending", "en attente"),
        (code(27), "provisional", "provisoire"),
        (code(26), "refunded", "remboursé"),
        (code(25), "refund_due", "refusé, à rembourser"),
        (code(24), "accepted", "accepté"),
        (code(23), "paid", "payé"),
        (code(22), "cancelled", "annulé"),
        (code(21), "accepted", "accepté"),
    ]
    assert rows[6]["paid_cents"] == 1230 and rows[5]["paid_cents"] is None


# -- filters -------------------------------------------------------------------------------
def test_filter_by_code_digits_spaces_ignored(client, token, store, monkeypatch):
    sold(store, monkeypatch, "2021-04-01T09:00:00Z", ticket="123456789012345678901234")
    sold(store, monkeypatch, "2021-04-01T09:01:00Z", ticket="999988887777666655554444")
    assert tickets_of(listing(client, token, "?day=2021-04-01&q=5678+9012")) == \
        ["123456789012345678901234"]
    assert tickets_of(listing(client, token, "?day=2021-04-01&q=8887")) == \
        ["999988887777666655554444"]
    assert listing(client, token, "?day=2021-04-01&q=0000")["tickets"] == []
    full = listing(client, token, "?day=2021-04-01&q=9999%208888%207777%206666%205555%204444")
    assert tickets_of(full) == ["999988887777666655554444"]


def test_filter_by_race_id_or_its_short_form(client, token, store, monkeypatch):
    at = "2021-04-01T09:00:00Z"
    sold(store, monkeypatch, at, race="2021-04-01/R1C1", ticket=code(31))
    sold(store, monkeypatch, at, race="2021-04-01/R1C10", ticket=code(32))
    sold(store, monkeypatch, at, race="2021-04-01/R2C1", ticket=code(33))
    assert tickets_of(listing(client, token, "?day=2021-04-01&race=R1C1")) == [code(31)]
    assert tickets_of(listing(client, token, "?day=2021-04-01&race=r1c10")) == [code(32)]
    assert tickets_of(listing(client, token, "?day=2021-04-01&race=2021-04-01/R2C1")) == \
        [code(33)]
    assert listing(client, token, "?day=2021-04-01&race=R3C1")["tickets"] == []


def test_filter_by_state(client, token, store, monkeypatch):
    at = "2021-04-01T09:00:00Z"
    sold(store, monkeypatch, at, ticket=code(41))
    gone = sold(store, monkeypatch, at, ticket=code(42))
    store.outbox.mark_cancelled(gone["ticket"])
    assert tickets_of(listing(client, token, "?day=2021-04-01&status=cancelled")) == [code(42)]
    assert tickets_of(listing(client, token, "?day=2021-04-01&status=accepted")) == [code(41)]
    assert listing(client, token, "?day=2021-04-01&status=paid")["tickets"] == []


# -- bounds ------------------------------------------------------------------------------
def test_limit_keeps_the_newest_and_says_so(client, token, store, monkeypatch):
    for n in range(5):
        sold(store, monkeypatch, f"2021-04-01T09:0{n}:00Z", ticket=code(50 + n))
    two = listing(client, token, "?day=2021-04-01&limit=2")
    assert tickets_of(two) == [code(54), code(53)] and two["truncated"] is True
    assert two["count"] == 2
    five = listing(client, token, "?day=2021-04-01&limit=5")
    assert len(five["tickets"]) == 5 and five["truncated"] is False
    cancelled = listing(client, token, "?day=2021-04-01&limit=1&status=accepted")
    assert tickets_of(cancelled) == [code(54)] and cancelled["truncated"] is True


@pytest.mark.parametrize("query, field", [
    ("?day=2021-4-1", "day"), ("?day=2021-02-30", "day"), ("?day=yesterday", "day"),
    ("?day=2021-04-01T00:00", "day"), ("?day=%EF%BC%92021-04-01", "day"),
    ("?q=12a4", "q"), ("?q=" + "1" * 25, "q"), ("?q=%D9%A1%D9%A2", "q"),
    ("?race=R1C1;DROP", "race"), ("?race=" + "R" * 41, "race"), ("?race=R1%25", "race"),
    ("?status=won", "status"), ("?status=ACCEPTED", "status"),
    ("?limit=0", "limit"), ("?limit=501", "limit"), ("?limit=-1", "limit"), ("?limit=ten", "limit"),
])
def test_a_bad_filter_is_a_400_in_english(client, token, query, field):
    answer = listing(client, token, query, expect=400)
    assert answer["ok"] is False and answer["error"] == "bad_request"
    assert answer["message"].startswith(field + ":")
    assert re.fullmatch(r"[\x20-\x7e]+", answer["message"])  # English, plain ASCII


def test_limit_500_is_allowed(client, token):
    assert listing(client, token, "?limit=500")["tickets"] == []


# -- who may ask -------------------------------------------------------------------------
def test_without_token_or_session_it_is_refused(client):
    answer = client.get("/api/tickets", base_url=BASE)
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


def test_a_wrong_bearer_token_is_refused(client, token):
    answer = client.get("/api/tickets", base_url=BASE,
                        headers={"Authorization": "Bearer not-" + token})
    assert answer.status_code == 401


def test_the_ui_session_may_list(client, store, monkeypatch):
    sold(store, monkeypatch, "2021-04-01T09:00:00Z", ticket=code(61))
    client.get("/ui/status", base_url=BASE)            # any UI page opens the session
    answer = client.get("/api/tickets?day=2021-04-01", base_url=BASE)
    assert answer.status_code == 200 and tickets_of(answer.get_json()) == [code(61)]


# -- the pages: Tickets list, ticket card offline ---------------------------------------------
@pytest.fixture
def enrolled(store):
    store.settings.set(terminal_id="T000001", key="ab" * 32, server_url="http://127.0.0.1:9")
    return store


def page_token(client, path: str) -> str:
    page = client.get(path, base_url=BASE)
    assert page.status_code == 200
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def test_the_tickets_page_lists_in_words_and_searches(client, enrolled, monkeypatch):
    from betting.programme import iso_utc
    from guichet.clock import utcnow

    now = iso_utc(utcnow())
    sold(enrolled, monkeypatch, now, bet_type="COUPLE_ORDRE", selections=(7, 2), ticket=code(71))
    sold(enrolled, monkeypatch, now, race="2021-04-01/R2C3", ticket=code(72))
    page = client.get("/tickets", base_url=BASE)
    assert page.status_code == 200
    assert "Heure (heure de Paris)" in page.text and "2 tickets" in page.text
    assert "Couplé ordre" in page.text and "7 - 2" in page.text and "accepté" in page.text
    assert "COUPLE_ORDRE" not in page.text and "SIMPLE_GAGNANT" not in page.text
    assert "0000 0000 0000 0000 0000 0071" in page.text

    found = client.get("/ui/tickets/list?search=00+0071", base_url=BASE)
    assert found.status_code == 200 and found.text.count('data-role="ticket-row"') == 1
    assert f'data-ticket="{code(71)}"' in found.text
    found = client.get("/ui/tickets/list?search=r2c3", base_url=BASE)
    assert found.text.count('data-role="ticket-row"') == 1
    assert f'data-ticket="{code(72)}"' in found.text
    refused = client.get("/ui/tickets/list?search=%3Cscript%3E", base_url=BASE)
    assert refused.status_code == 422 and "<script>" not in refused.text
    assert "Recherche : tapez des chiffres du code" in refused.text


def test_offline_the_card_shows_the_bet_and_says_pay_and_cancel_need_the_server(
        client, enrolled, monkeypatch):
    from betting.tickets import make_ticket_code

    ticket = make_ticket_code("T000001", 1, enrolled.settings.key)
    sold(enrolled, monkeypatch, "2021-04-01T10:00:00Z", bet_type="TIERCE", selections=(9, 1, 3),
         stake=300, ticket=ticket)
    token = page_token(client, "/tickets")
    card = client.post("/ui/tickets/open", base_url=BASE, data={"code": ticket, "source": "manual"},
                       headers={"X-CSRFToken": token, "Origin": BASE})
    assert card.status_code == 503
    text = card.text
    assert 'data-error="offline"' in text
    assert "payer, rembourser ou annuler un ticket demande le serveur central" in text
    assert "Tiercé unitaire" in text and 'data-role="horses">9 - 1 - 3<' in text
    assert "3,00 €" in text and "accepté" in text
    assert 'data-role="pay"' not in text and 'data-role="cancel"' not in text
