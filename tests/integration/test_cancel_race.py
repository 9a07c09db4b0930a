"""A race that is not run (cancelled, or postponed to another day): every bet refunded.

Bets from a real terminal, the operator's cancel (API and command line), then
every ticket scans as a refund of its full stake; on both kinds of store.
"""
from __future__ import annotations

import json
import threading
import uuid as uuidlib

import pytest

from betting.protocol import NAMESPACE

from ..helpers import run_cli, wait_until
from .socket_client import connect, enrol_another

REASON = "course reportée au lendemain (terrain impraticable)"


@pytest.fixture(scope="module")
def day(programme):
    return json.loads(programme.read_text())["date"]


@pytest.fixture(scope="module")
def client(server, terminal):
    """Another shop's terminal, listening to what the server pushes."""
    c = connect(server.url, *enrol_another(server, "Tabac de la gare"))
    yield c
    c.disconnect()


def sell(terminal, race, bet_type, horses, stake, formula="UNITAIRE"):
    status, bet = terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": bet_type, "formula": formula, "selections": list(horses),
        "bases": [], "unit_stake_cents": stake})
    assert status == 201, bet
    return bet


def ask(client, event, payload):
    return client.call(event, payload, namespace=NAMESPACE, timeout=10)


def state_of(server, race):
    status, card = server.api("GET", f"/api/races/{race}", token=None)
    assert status == 200, card
    return card["state"]


def test_cancelled_race_refunds_every_ticket(server, terminal, client, day):
    race = f"{day}/R2C1"
    bets = [sell(terminal, race, "SIMPLE_GAGNANT", [3], 200),
            sell(terminal, race, "SIMPLE_GAGNANT", [5], 500),
            sell(terminal, race, "COUPLE_GAGNANT", [3, 5, 7], 100, formula="COMBINE"),
            sell(terminal, race, "TIERCE", [5, 3, 7], 100),
            sell(terminal, race, "MULTI", [1, 2, 3, 4], 300)]
    assert state_of(server, race) == "open"

    states, results = [], []
    closed, told = threading.Event(), threading.Event()
    client.on("pool_state", lambda d: (states.append(d), d["race"] == race and closed.set()),
              namespace=NAMESPACE)
    client.on("results", lambda d: (results.append(d), d["race"] == race and told.set()),
              namespace=NAMESPACE)

    status, done = server.api("POST", f"/api/races/{race}/cancel", {"reason": f"  {REASON} "})
    assert status == 200, done
    assert done["official"] is True and done["cancelled"] is True
    assert done["reason"] == REASON and done["arrival"] == []
    pools = {p["bet_type"]: p for p in done["pools"]}
    assert {b: p["total_cents"] for b, p in pools.items()} == {
        "SIMPLE_GAGNANT": 700, "COUPLE_GAGNANT": 300, "TIERCE": 100, "MULTI": 300}
    for pool in pools.values():
        assert pool["void"] is True and pool["dividends"] == []
        assert pool["refunded_cents"] == pool["total_cents"]
        assert pool["deduction_cents"] == pool["breakage_cents"] == 0
    assert done["refunded_bets"] == 5 and done["refunded_cents"] == 1_400

    # the closing at once, the official result through the watch loop
    assert closed.wait(5), "terminals are told the race is closed"
    assert [s["state"] for s in states if s["race"] == race] == ["closed"]
    assert told.wait(5), "terminals are told of the result"
    pushed = wait_until(lambda: [r for r in results if r["race"] == race and r["official"]],
                        timeout=5, what="the official cancelled result pushed")
    assert pushed[-1]["cancelled"] is True and pushed[-1]["reason"] == REASON

    assert state_of(server, race) == "closed"
    status, div = server.api("GET", f"/api/races/{race}/dividends", token=None)
    assert status == 200 and div["cancelled"] is True and div["reason"] == REASON
    assert div["official"] is True and div["arrival"] == []

    # every ticket, scanned at the selling terminal or elsewhere, is a refund of its stake
    for bet in bets:
        local = terminal.api("POST", f"/api/tickets/{bet['ticket']}/inquire")[1]
        assert local["status"] == "refund", local
        assert local["amount_cents"] == bet["total_cents"]
        remote = ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
        assert remote["status"] == "refund" and remote["amount_cents"] == bet["total_cents"]
    paid = ask(client, "pay_ticket", {"ticket": bets[2]["ticket"],
                                      "payment_uuid": str(uuidlib.uuid4())})
    assert paid["ok"] is True and paid["amount_cents"] == 300

    # no more bets, and the result is frozen
    status, late = terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
        "selections": [1], "bases": [], "unit_stake_cents": 100})
    assert status == 422 and late["reason"] == "pool_closed", late
    status, again = server.api("POST", f"/api/races/{race}/cancel", {"reason": "encore"})
    assert status == 409 and again["error"] == "results_official"
    status, result = server.api("POST", f"/api/races/{race}/result", {"arrival": [[3], [5]]})
    assert status == 409 and result["error"] == "results_official"
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[1] == div


@pytest.mark.parametrize("body", [
    {},
    {"reason": ""},
    {"reason": "   "},
    {"reason": 5},
    {"reason": "x" * 201},
    {"reason": "reportée\ncourue demain"},
    {"reason": "reportée\tle 3"},
    {"reason": "reportée\x1b[2J"},
])
def test_bad_reasons_change_nothing(server, terminal, day, body):
    race = f"{day}/R1C4"
    sell(terminal, race, "SIMPLE_PLACE", [2], 100)
    status, answer = server.api("POST", f"/api/races/{race}/cancel", body)
    assert status == 400 and answer["error"] == "bad_reason", answer
    assert state_of(server, race) == "open"
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[0] == 404


def test_other_refusals_change_nothing(server, day):
    race = f"{day}/R1C4"
    status, answer = server.api("POST", f"/api/races/{race}/cancel", [REASON])
    assert status == 400 and answer["error"] == "bad_request"
    status, answer = server.api("POST", f"/api/races/{race}/cancel", {"reason": REASON},
                                token=None)
    assert status == 401 and answer["error"] == "unauthorized"
    status, answer = server.api("POST", f"/api/races/{day}/R9C9/cancel", {"reason": REASON})
    assert status == 404 and answer["error"] == "unknown_race"
    status, answer = server.api("POST", "/api/races/R1C4/cancel", {"reason": REASON})
    assert status == 400 and answer["error"] == "bad_race_id"
    assert state_of(server, race) == "open"
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[0] == 404


def test_an_official_result_cannot_be_cancelled(server, terminal, client, day):
    race = f"{day}/R2C2"
    bet = sell(terminal, race, "SIMPLE_GAGNANT", [1], 100)
    sell(terminal, race, "SIMPLE_GAGNANT", [2], 1_000)
    server.api("POST", f"/api/races/{race}/close")
    status, _ = server.api("POST", f"/api/races/{race}/result",
                           {"arrival": [[1], [2], [3]], "official": True})
    assert status == 200
    before = server.api("GET", f"/api/races/{race}/dividends", token=None)[1]
    assert before["cancelled"] is False and "reason" not in before
    status, answer = server.api("POST", f"/api/races/{race}/cancel", {"reason": REASON})
    assert status == 409 and answer["error"] == "results_official"
    assert server.api("GET", f"/api/races/{race}/dividends", token=None)[1] == before
    assert ask(client, "inquire_ticket", {"ticket": bet["ticket"]})["status"] == "won"


def test_a_provisional_result_gives_way_to_the_cancellation(server, terminal, client, day):
    race = f"{day}/R2C3"
    bet = sell(terminal, race, "COUPLE_ORDRE", [4, 2], 100)
    server.api("POST", f"/api/races/{race}/close")
    status, provisional = server.api("POST", f"/api/races/{race}/result",
                                     {"arrival": [[4], [2], [1]]})
    assert status == 200 and provisional["official"] is False
    status, done = server.api("POST", f"/api/races/{race}/cancel", {"reason": "annulée"})
    assert status == 200 and done["cancelled"] is True and done["arrival"] == []
    answer = ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
    assert answer["status"] == "refund" and answer["amount_cents"] == 100


def test_admin_cancel_from_the_command_line(server, terminal, client, day):
    race = f"{day}/R2C4"
    bet = sell(terminal, race, "TRIO", [1, 2, 3], 200)
    proc = run_cli("admin", "cancel", race, "--reason", REASON, "--db", str(server.db))
    assert proc.stdout.strip() == f"{race} cancelled: {REASON}; 1 bet refunded (2.00 EUR)"
    answer = ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
    assert answer["status"] == "refund" and answer["amount_cents"] == 200
    assert state_of(server, race) == "closed"

    again = run_cli("admin", "cancel", race, "--reason", REASON, "--db", str(server.db),
                    check=False)
    assert again.returncode != 0 and "official" in again.stderr
    assert "Traceback" not in again.stderr
    typo = run_cli("admin", "cancel", f"{day}/R2C44", "--reason", REASON,
                   "--db", str(server.db), check=False)
    assert typo.returncode != 0 and "Traceback" not in typo.stderr
    assert typo.stderr.strip() == f"Error: no race {day}/R2C44 in the programme"
    empty = run_cli("admin", "cancel", f"{day}/R1C4", "--reason", " ",
                    "--db", str(server.db), check=False)
    assert empty.returncode != 0 and "reason" in empty.stderr
    missing = run_cli("admin", "cancel", f"{day}/R1C4", "--db", str(server.db), check=False)
    assert missing.returncode != 0 and "--reason" in missing.stderr
    assert state_of(server, f"{day}/R1C4") == "open"


def test_a_cancelled_result_has_no_arrival_and_voids_every_bet_type():
    from betting.catalogue import BET_TYPES
    from betting.errors import InvalidResult
    from betting.pools import PoolResult, settle_pool
    from betting.results import OfficialResult, make_result

    cancelled = make_result([], 12, cancelled=True)
    assert cancelled.to_dict()["cancelled"] is True
    assert OfficialResult.from_dict(cancelled.to_dict()) == cancelled
    run = make_result([[1], [2]], 12)
    assert "cancelled" not in run.to_dict()  # results of races run keep their shape
    assert OfficialResult.from_dict(run.to_dict()).cancelled is False
    with pytest.raises(InvalidResult):
        make_result([[1], [2]], 12, cancelled=True)
    with pytest.raises(InvalidResult):
        make_result([], 12, cancelled="yes")
    for code, bt in BET_TYPES.items():
        stakes = {tuple(range(1, bt.horses + 1)): 1_000}
        pool = settle_pool(code, stakes, cancelled)
        assert pool.void and pool.refunded_cents == 1_000 and not pool.dividends, code
        assert PoolResult.from_dict(pool.to_dict()) == pool


def test_a_bet_that_joined_no_pool_of_a_cancelled_race_is_refunded_too(store):
    # On PostgreSQL a bet whose turn read the race open can commit just after the
    # cancellation was settled: it is in no pool. Every bet of a cancelled race is owed
    # back all the same, not "lost" for want of a pool.
    from datetime import timedelta

    from guichet.clock import utcnow
    from server.records import NewBet
    from server.services import payouts, races
    from server.services.programme_import import parse_programme, sample_programme
    from server.services.settlement import cancel_race
    from tests.server_store import committed

    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(hours=1), meetings=1,
                           races_per_meeting=1)
    race = parse_programme(doc)[0].race_id
    with committed(store) as uow:
        races.import_races(uow, parse_programme(doc))
        cancel_race(uow, race, "reportée", now)
    late = NewBet(uuid=str(uuidlib.uuid4()), terminal_id="T000001", seq=1, race_id=race,
                  bet_type="TRIO", formula="UNITAIRE", selections=[1, 2, 3], bases=[],
                  partners=None, unit_stake_cents=300, total_cents=300, combinations=1,
                  placed_at="t", received_at="t", offline=False, status="accepted",
                  reason=None, message=None, ticket="late-ticket", refund_cents=None,
                  review=None, review_max_cents=None)
    with committed(store) as uow:
        stored, _ = uow.bets.add_or_get(late)
        assert uow.results.pool(race, "TRIO") is None  # it joined no pool
        assert payouts.value(uow, stored, "late-ticket") == ("refund", 300)
