"""The server never owes money it did not validate (in-process server, one store per test).

A refused offline bet is worth what the server priced, never the terminal's
claim; what does not add up waits for the operator's review; booleans are
booleans; one bad integer rejects only its bet; a payment id is the paying
terminal's own.
"""
from __future__ import annotations

import sqlite3
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE
from betting.tickets import make_ticket_code
from server.services import fleet, races
from server.web.app import create_app
from server.migrations import MIGRATIONS
from server.services.programme_import import parse_programme, sample_programme
from server.services.settlement import declare_non_runners
from guichet.clock import utcnow
from server.store import open_store
from tests.server_store import allow_inserts, committed, refuse_inserts

from .socket_client import in_process_client

CEILING = 20_000


class World:
    """A server app with a programme, two enrolled terminals and an admin token."""

    def __init__(self, db_url: str, ceiling: int = CEILING) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0,
                               "OFFLINE_CEILING_CENTS": ceiling})
        self.store = self.app.extensions["guichet.store"]
        self.socketio = self.app.extensions["socketio"]
        now = utcnow()
        doc = sample_programme(now.date(), now + timedelta(hours=1))
        self.day = doc["date"]
        self.race = f"{self.day}/R1C1"
        self.other_race = f"{self.day}/R1C2"
        with committed(self.store) as db:
            races.import_races(db, parse_programme(doc))
            self.terminals = []
            for outlet in ("Bar A", "Bar B"):
                code = fleet.create_enrolment_code(db, outlet, now)["code"]
                got = fleet.enrol(db, code, now)
                self.terminals.append((got["terminal_id"], bytes.fromhex(got["key"])))
            self.token = fleet.create_admin_token(db, now)
        self.http = self.app.test_client()
        self.seq = 0

    def client(self, which: int = 0):
        return in_process_client(self.app, *self.terminals[which])

    def bet(self, **change) -> dict:
        self.seq += 1
        bet = {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
               "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
               "race": self.race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
               "selections": [3], "bases": [], "unit_stake_cents": 300, "total_cents": 300,
               "offline": False}
        bet.update(change)
        return bet

    def close(self, race: str | None = None) -> None:
        with committed(self.store) as db:
            races.close_race(db, race or self.race, utcnow())

    def admin(self, method: str, path: str, body: object = None, token: str | None = "admin"):
        headers = {"Authorization": f"Bearer {self.token if token == 'admin' else token}"} \
            if token else {}
        answer = self.http.open(path, method=method, json=body, headers=headers)
        return answer.status_code, answer.get_json()

    def read(self, question):
        """`question(uow)` answered from the store's repositories."""
        with self.store.unit_of_work(read_only=True) as uow:
            return question(uow)


def ask(client, event: str, payload: object) -> dict:
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


def place(client, *bets: dict) -> list[dict]:
    ack = ask(client, "place_bets", {"bets": list(bets)})
    assert ack["ok"] is True, ack
    return ack["results"]


@pytest.fixture
def world(db_url):
    return World(db_url)


def pay_id() -> str:
    return str(uuidlib.uuid4())


# --- 1. refused offline bets: refund only what the server priced ---------------------------


def test_honest_late_offline_bet_is_refunded_its_price_once(world):
    client = world.client()
    world.close()
    (late,) = place(client, world.bet(offline=True))
    assert late["status"] == "rejected" and late["reason"] == "pool_closed" and late["ticket"]
    value = ask(client, "inquire_ticket", {"ticket": late["ticket"]})
    assert (value["status"], value["amount_cents"]) == ("refund", 300)
    paid = ask(client, "pay_ticket", {"ticket": late["ticket"], "payment_uuid": pay_id()})
    assert paid["ok"] is True and paid["amount_cents"] == 300
    again = ask(client, "pay_ticket", {"ticket": late["ticket"], "payment_uuid": pay_id()})
    assert again["ok"] is False and again["error"] == "already_paid"
    stored = world.read(lambda uow: uow.bets.by_ticket(late["ticket"]))
    assert (stored.refund_cents, stored.review) == (300, None)


def test_a_payment_id_holding_a_control_character_is_refused_and_pays_nothing(world):
    """On PostgreSQL a NUL used to reach the store and fail there (internal_error)."""
    client = world.client()
    world.close()
    (late,) = place(client, world.bet(offline=True))
    refused = ask(client, "pay_ticket", {"ticket": late["ticket"], "payment_uuid": "pay\x00ment-01"})
    assert refused["ok"] is False and refused["error"] == "bad_request", refused
    assert world.read(lambda uow: uow.payments.get(late["ticket"])) is None
    paid = ask(client, "pay_ticket", {"ticket": late["ticket"], "payment_uuid": pay_id()})
    assert paid["ok"] is True and paid["amount_cents"] == 300


def test_late_offline_bet_on_a_horse_withdrawn_since_is_refunded(world):
    client = world.client()
    with committed(world.store) as db:
        declare_non_runners(db, world.race, [3], utcnow())
    world.close()
    (late,) = place(client, world.bet(offline=True))
    assert late["reason"] == "pool_closed"
    value = ask(client, "inquire_ticket", {"ticket": late["ticket"]})
    assert (value["status"], value["amount_cents"]) == ("refund", 300)


@pytest.mark.parametrize("change, close, reason", [
    ({"race": "2099-01-01/R9C9", "total_cents": 10**10}, False, "unknown_race"),
    ({"total_cents": 10**10}, False, "wrong_total"),
    ({"total_cents": 10**10}, True, "pool_closed"),             # closed, claim is not the price
    ({"selections": [99]}, True, "pool_closed"),                # closed, runner not on the card
    ({"bet_type": "PICK5", "total_cents": 5000}, True, "pool_closed"),  # type not offered
    ({"unit_stake_cents": 30_000, "total_cents": 30_000}, True, "pool_closed"),  # over ceiling
])
def test_offline_bet_that_does_not_add_up_goes_to_review(world, change, close, reason):
    client = world.client()
    if close:
        world.close()
    bet = world.bet(offline=True, **change)
    (refused,) = place(client, bet)
    assert refused["status"] == "rejected" and refused["reason"] == reason
    assert refused["ticket"], "the provisional paper keeps a code the operator can look up"
    value = ask(client, "inquire_ticket", {"ticket": refused["ticket"]})
    assert value["ok"] is True
    assert (value["status"], value["amount_cents"]) == ("review", 0)
    assert "vérifier" in value["message"]
    paid = ask(client, "pay_ticket", {"ticket": refused["ticket"], "payment_uuid": pay_id()})
    assert paid["ok"] is False and paid["error"] == "under_review" and paid["message"]
    assert world.read(lambda uow: uow.payments.get(refused["ticket"])) is None
    # the operator sees it
    status, queue = world.admin("GET", "/api/review")
    assert status == 200
    (item,) = queue["tickets"]
    assert item["ticket"] == refused["ticket"] and item["reason"] == reason
    assert item["claimed_cents"] == bet["total_cents"]
    assert item["max_refund_cents"] == min(bet["total_cents"], CEILING)


def test_offline_bet_stamped_inside_the_margin_or_ahead_of_the_clock_goes_to_review(world):
    """An honest terminal sells offline only up to the margin before the off: a
    provisional ticket stamped later than that (or in the future) is not refunded
    at the counter."""
    client = world.client()
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=2), meetings=1,
                           races_per_meeting=1)
    assert world.admin("POST", "/api/programme", doc)[0] == 200
    world.close()
    stamp = (now + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    inside, ahead = place(client, world.bet(offline=True), world.bet(offline=True, placed_at=stamp))
    for refused in (inside, ahead):
        assert refused["reason"] == "pool_closed" and refused["ticket"]
        value = ask(client, "inquire_ticket", {"ticket": refused["ticket"]})
        assert (value["status"], value["amount_cents"]) == ("review", 0)


def test_refunds_granted_on_a_terminals_word_stay_within_one_ceiling_a_day(world):
    """Each late bet is honest-looking on its own; together they pass the offline
    ceiling, so the one that would pass it waits for the operator."""
    client = world.client()
    world.close()
    first, second = place(client, world.bet(offline=True, unit_stake_cents=15_000,
                                            total_cents=15_000),
                          world.bet(offline=True, unit_stake_cents=15_000, total_cents=15_000))
    values = [ask(client, "inquire_ticket", {"ticket": r["ticket"]}) for r in (first, second)]
    assert [(v["status"], v["amount_cents"]) for v in values] == [("refund", 15_000),
                                                                  ("review", 0)]


def test_online_refused_bet_has_no_ticket_worth_anything(world):
    """A code computed (with the terminal's key) for a bet refused online is not a ticket."""
    client = world.client()
    (refused,) = place(client, world.bet(total_cents=10**10))
    assert refused["status"] == "rejected" and refused["ticket"] is None
    terminal_id, key = world.terminals[0]
    forged = make_ticket_code(terminal_id, refused["seq"], key)
    value = ask(client, "inquire_ticket", {"ticket": forged})
    assert value["ok"] is False and value["error"] == "unknown_ticket"
    paid = ask(client, "pay_ticket", {"ticket": forged, "payment_uuid": pay_id()})
    assert paid["ok"] is False and paid["error"] == "unknown_ticket"
    assert world.read(lambda uow: uow.payments.get(forged)) is None


@pytest.mark.parametrize("change", [
    {"offline": "false"}, {"offline": "true"}, {"offline": 1}, {"offline": None},
])
def test_non_boolean_flags_are_a_bad_request_without_ticket(world, change):
    client = world.client()
    world.close()
    bet = world.bet(total_cents=10**10, **change)
    (refused,) = place(client, bet)
    assert refused["status"] == "rejected" and refused["reason"] == "bad_request"
    assert refused["ticket"] is None
    assert world.read(lambda uow: uow.bets.seq_summary()) == {}
    terminal_id, key = world.terminals[0]
    value = ask(client, "inquire_ticket",
                {"ticket": make_ticket_code(terminal_id, bet["seq"], key)})
    assert value["ok"] is False and value["error"] == "unknown_ticket"


# --- the operator's review --------------------------------------------------------------------


def _under_review(world, client, total: int = 10**10) -> str:
    (refused,) = place(client, world.bet(offline=True, race="2099-01-01/R9C9",
                                         total_cents=total))
    return refused["ticket"]


def test_review_queue_and_decisions_need_the_admin_token(world):
    client = world.client()
    ticket = _under_review(world, client)
    assert world.admin("GET", "/api/review", token=None)[0] == 401
    assert world.admin("GET", "/api/review", token="nope")[0] == 401
    status, answer = world.admin("POST", f"/api/tickets/{ticket}/review",
                                 {"decision": "refund", "amount_cents": 100}, token=None)
    assert status == 401 and answer["error"] == "unauthorized"
    assert ask(client, "inquire_ticket", {"ticket": ticket})["status"] == "review"


def test_refund_decision_is_bounded_recorded_and_paid_once(world):
    client = world.client()
    ticket = _under_review(world, client)
    for body, code in [
        ({"decision": "refund", "amount_cents": CEILING + 1}, "bad_amount"),  # over the ceiling
        ({"decision": "refund", "amount_cents": 0}, "bad_amount"),
        ({"decision": "refund", "amount_cents": "300"}, "bad_amount"),
        ({"decision": "refund"}, "bad_amount"),
        ({"decision": "pay", "amount_cents": 300}, "bad_decision"),
        ({"decision": "void", "amount_cents": 300}, "bad_amount"),
    ]:
        status, answer = world.admin("POST", f"/api/tickets/{ticket}/review", body)
        assert status == 400 and answer["error"] == code, (body, answer)
        assert ask(client, "inquire_ticket", {"ticket": ticket})["status"] == "review"

    status, decided = world.admin("POST", f"/api/tickets/{ticket}/review",
                                  {"decision": "refund", "amount_cents": 1500,
                                   "note": "stake seen on the shop's CCTV"})
    assert status == 200, decided
    assert decided["review"] == "refund" and decided["refund_cents"] == 1500
    assert decided["reviewed_at"].endswith("Z")
    assert world.admin("GET", "/api/review")[1]["tickets"] == []
    assert [t["ticket"] for t in world.admin("GET", "/api/review?all=1")[1]["tickets"]] == [ticket]

    status, again = world.admin("POST", f"/api/tickets/{ticket}/review", {"decision": "void"})
    assert status == 409 and again["error"] == "already_decided"

    value = ask(client, "inquire_ticket", {"ticket": ticket})
    assert (value["status"], value["amount_cents"]) == ("refund", 1500)
    paid = ask(client, "pay_ticket", {"ticket": ticket, "payment_uuid": pay_id()})
    assert paid["ok"] is True and paid["amount_cents"] == 1500


def test_refund_decision_is_bounded_by_the_claim(world):
    client = world.client()
    ticket = _under_review(world, client, total=700)
    status, answer = world.admin("POST", f"/api/tickets/{ticket}/review",
                                 {"decision": "refund", "amount_cents": 701})
    assert status == 400 and answer["error"] == "bad_amount"
    assert world.admin("POST", f"/api/tickets/{ticket}/review",
                       {"decision": "refund", "amount_cents": 700})[0] == 200


def test_void_decision_leaves_nothing_to_pay(world):
    client = world.client()
    ticket = _under_review(world, client)
    status, decided = world.admin("POST", f"/api/tickets/{ticket}/review", {"decision": "void"})
    assert status == 200 and decided["review"] == "void" and decided["refund_cents"] == 0
    value = ask(client, "inquire_ticket", {"ticket": ticket})
    assert (value["status"], value["amount_cents"]) == ("void", 0)
    paid = ask(client, "pay_ticket", {"ticket": ticket, "payment_uuid": pay_id()})
    assert paid["ok"] is False and paid["error"] == "not_payable"


def test_review_of_a_ticket_not_under_review_is_refused(world):
    client = world.client()
    (accepted,) = place(client, world.bet())
    status, answer = world.admin("POST", f"/api/tickets/{accepted['ticket']}/review",
                                 {"decision": "refund", "amount_cents": 300})
    assert status == 409 and answer["error"] == "not_under_review"
    status, answer = world.admin("POST", "/api/tickets/123/review", {"decision": "void"})
    assert status == 400 and answer["error"] == "invalid_ticket_code"


def test_admin_review_command_lists_and_decides(world):
    from click.testing import CliRunner

    from guichet.cli import main

    client = world.client()
    ticket = _under_review(world, client, total=900)
    db = world.store.url
    runner = CliRunner()
    listed = runner.invoke(main, ["admin", "review", "--db", db])
    assert listed.exit_code == 0 and ticket in listed.output and "claimed 900" in listed.output
    over = runner.invoke(main, ["admin", "review", ticket, "--refund", "901", "--db", db])
    assert over.exit_code != 0 and "amount_cents must be" in over.output
    assert "Traceback" not in over.output
    both = runner.invoke(main, ["admin", "review", ticket, "--refund", "5", "--void", "--db", db])
    assert both.exit_code != 0 and "exactly one" in both.output
    assert ask(client, "inquire_ticket", {"ticket": ticket})["status"] == "review"
    done = runner.invoke(main, ["admin", "review", ticket, "--refund", "900", "--db", db])
    assert done.exit_code == 0 and "refund 900" in done.output
    assert "no ticket waiting" in runner.invoke(main, ["admin", "review", "--db", db]).output
    value = ask(client, "inquire_ticket", {"ticket": ticket})
    assert (value["status"], value["amount_cents"]) == ("refund", 900)


# --- 6. one out-of-range integer rejects only its bet -----------------------------------------


@pytest.mark.parametrize("change", [
    {"unit_stake_cents": 2**63}, {"total_cents": 2**64}, {"selections": [2**70]},
    {"bases": [2**63]}, {"complement": 2**63}, {"unit_stake_cents": -(2**63) - 1},
])
def test_a_huge_integer_rejects_only_its_bet(world, change):
    client = world.client()
    good, bad, other = world.bet(), world.bet(offline=True, **change), world.bet(selections=[5])
    results = place(client, good, bad, other)
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"] == "bad_request" and results[1]["ticket"] is None
    (pool,) = world.read(lambda uow: uow.pools.totals(world.race))
    assert (pool["total_cents"], pool["bets"]) == (600, 2)


def test_an_unexpected_failure_rejects_only_that_bet(world):
    """A store fault on one bet (here a trigger refusing its row) undoes that bet's
    writes alone; the rest of the batch is committed. (A fault at the commit itself
    fails the whole turn: tests/integration/test_bet_writer.py.)"""
    refuse_inserts(world.store, "bets", "race_id", world.other_race)
    client = world.client()
    good, failing, other = world.bet(), world.bet(race=world.other_race), world.bet(selections=[5])
    results = place(client, good, failing, other)
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"] == "internal_error" and results[1]["message"]
    assert results[1]["uuid"] == failing["uuid"]
    stored = world.read(lambda uow: [uow.bets.by_uuid(b["uuid"]) for b in (good, failing, other)])
    assert [b is not None for b in stored] == [True, False, True]
    # the failed bet was not recorded: sent again once the fault is gone, it is accepted
    allow_inserts(world.store, "bets")
    assert place(client, failing)[0]["status"] == "accepted"


# --- 9. a payment id is the paying terminal's own ---------------------------------------------


def _refund_tickets(world, client, n: int) -> list[str]:
    world.close()
    results = place(client, *(world.bet(offline=True, selections=[i + 1]) for i in range(n)))
    assert all(r["reason"] == "pool_closed" for r in results)
    return [r["ticket"] for r in results]


def test_another_terminal_cannot_replay_a_payment_answer(world):
    a, b = world.client(0), world.client(1)
    (ticket,) = _refund_tickets(world, a, 1)
    payment = pay_id()
    first = ask(a, "pay_ticket", {"ticket": ticket, "payment_uuid": payment})
    assert first["ok"] is True and first["amount_cents"] == 300
    # the same terminal asking again (a lost ack) gets the same answer
    assert ask(a, "pay_ticket", {"ticket": ticket, "payment_uuid": payment}) == first
    stolen = ask(b, "pay_ticket", {"ticket": ticket, "payment_uuid": payment})
    assert stolen["ok"] is False and stolen["error"] == "already_paid"
    assert world.read(lambda uow: uow.payments.get(ticket)).terminal_id == world.terminals[0][0]


def test_a_payment_id_reused_on_another_ticket_is_refused(world):
    client = world.client()
    first, second = _refund_tickets(world, client, 2)
    payment = pay_id()
    assert ask(client, "pay_ticket", {"ticket": first, "payment_uuid": payment})["ok"] is True
    reused = ask(client, "pay_ticket", {"ticket": second, "payment_uuid": payment})
    assert reused["ok"] is False and reused["error"] == "payment_uuid_reused"
    assert "paiement" in reused["message"]
    assert world.read(lambda uow: uow.payments.get(second)) is None
    value = ask(client, "inquire_ticket", {"ticket": second})
    assert (value["status"], value["amount_cents"]) == ("refund", 300)
    # from another terminal too
    other = world.client(1)
    reused = ask(other, "pay_ticket", {"ticket": second, "payment_uuid": payment})
    assert reused["ok"] is False and reused["error"] == "payment_uuid_reused"


# --- migration 4: refused offline tickets from before it are not payable unseen -------------


def test_migration_sends_earlier_refused_offline_tickets_to_review(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied_at TEXT NOT NULL)")
    for version, name, sql in MIGRATIONS[:3]:
        for statement in filter(str.strip, sql.split(";")):
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00Z')",
                   (version, name))
    columns = ("uuid, terminal_id, seq, race_id, bet_type, formula, selections, bases, "
               "unit_stake_cents, total_cents, combinations, placed_at, received_at, offline, "
               "status, reason, ticket")
    db.execute(f"INSERT INTO bets ({columns}) VALUES ('u1', 'T000001', 1, 'x', 'SIMPLE_GAGNANT', "
               "'UNITAIRE', '[3]', '[]', 100, 1000000000, 0, 't', 't', 1, 'rejected', "
               "'unknown_race', '000001000000001123456789')")
    db.execute(f"INSERT INTO bets ({columns}) VALUES ('u2', 'T000001', 2, 'x', 'SIMPLE_GAGNANT', "
               "'UNITAIRE', '[3]', '[]', 100, 100, 0, 't', 't', 0, 'rejected', "
               "'wrong_total', NULL)")
    db.commit()
    db.close()
    store = open_store(str(path))
    with store.unit_of_work(read_only=True) as uow:
        u1, u2 = uow.bets.by_uuid("u1"), uow.bets.by_uuid("u2")
    store.close()
    assert (u1.review, u1.refund_cents, u1.review_max_cents) == ("open", 0, 20_000)
    assert u2.review is None
