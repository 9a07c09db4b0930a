"""Formule simplifiée sold through the server (in-process, one store per test).

The server prices a simplified bet one order per set, keeps the horses in the
stated order, snapshots a champ total's partners, refuses the formula outside
Tiercé / Quarté+ / Quinté+, and settles its units as ordered unitaires.
"""
from __future__ import annotations

import time
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE, connect_signature
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import parse_programme, sample_programme
from server.web.app import create_app
from tests.server_store import committed


class Counter:
    """A server app with the sample programme, one enrolled terminal and an admin token.

    R1C1 of the sample programme has 10 runners and sells the Tiercé (base
    1 €) and the Quinté+ (base 2 €).
    """

    def __init__(self, db_url: str) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
        self.store = self.app.extensions["guichet.store"]
        now = utcnow()
        doc = sample_programme(now.date(), now + timedelta(hours=1))
        self.race = f"{doc['date']}/R1C1"
        with committed(self.store) as db:
            races.import_races(db, parse_programme(doc))
            code = fleet.create_enrolment_code(db, "Bar A", now)["code"]
            got = fleet.enrol(db, code, now)
            self.terminal_id, self.key = got["terminal_id"], bytes.fromhex(got["key"])
            self.token = fleet.create_admin_token(db, now)
        self.http = self.app.test_client()
        ts = int(time.time())
        self.client = self.app.extensions["socketio"].test_client(
            self.app, namespace=NAMESPACE,
            auth={"terminal_id": self.terminal_id, "ts": ts,
                  "sig": connect_signature(self.terminal_id, ts, self.key)})
        assert self.client.is_connected(NAMESPACE)
        self.seq = 0

    def ask(self, event: str, payload: dict) -> dict:
        return self.client.emit(event, payload, namespace=NAMESPACE, callback=True)

    def sell(self, bet_type: str, formula: str, selections: list, bases: list,
             stake: int, total: int) -> dict:
        self.seq += 1
        bet = {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
               "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
               "race": self.race, "bet_type": bet_type, "formula": formula,
               "selections": selections, "bases": bases, "unit_stake_cents": stake,
               "total_cents": total, "offline": False}
        ack = self.ask("place_bets", {"bets": [bet]})
        assert ack["ok"] is True, ack
        return ack["results"][0]

    def stored(self, ticket: str):
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.bets.by_ticket(ticket)

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.get_json()


@pytest.fixture
def counter(db_url):
    world = Counter(db_url)
    yield world
    if world.client.is_connected(NAMESPACE):
        world.client.disconnect(namespace=NAMESPACE)


def test_combine_simplifie_is_priced_one_order_per_set_and_keeps_the_stated_order(counter):
    # Tiercé combiné simplifié 7, 3, 1, 5 at 2 €: C(4, 3) = 4 units x 2 € = 8 €
    sold = counter.sell("TIERCE", "COMBINE_SIMPLIFIE", [7, 3, 1, 5], [], 200, 800)
    assert sold["status"] == "accepted" and sold["ticket"], sold
    bet = counter.stored(sold["ticket"])
    assert (bet.formula, bet.selections, bet.combinations, bet.total_cents) == \
        ("COMBINE_SIMPLIFIE", [7, 3, 1, 5], 4, 800)
    assert bet.partners is None

    status, found = counter.admin("GET", f"/api/tickets/{sold['ticket']}")
    assert status == 200 and found["bet"]["selections"] == [7, 3, 1, 5]

    # Quinté+ combiné simplifié of 7 horses at 2 €: C(7, 5) = 21 units x 2 € = 42 €
    quinte = counter.sell("QUINTE_PLUS", "COMBINE_SIMPLIFIE", [9, 4, 2, 8, 6, 1, 10], [],
                          200, 4_200)
    assert quinte["status"] == "accepted", quinte
    assert counter.stored(quinte["ticket"]).combinations == 21


def test_claiming_the_every_order_price_for_a_simplified_bet_is_refused(counter):
    # every order would be 4 x 3 x 2 = 24 units x 1 € = 24 €; the server prices 4 €
    refused = counter.sell("TIERCE", "COMBINE_SIMPLIFIE", [1, 2, 3, 4], [], 100, 2_400)
    assert refused["status"] == "rejected" and refused["reason"] == "wrong_total"
    assert refused["ticket"] is None


def test_champ_total_simplifie_snapshots_its_partners_in_race_order(counter):
    # Tiercé champ total simplifié, bases 5 then 2, 10 runners: 10 - 2 = 8 units x 1 € = 8 €
    sold = counter.sell("TIERCE", "CHAMP_TOTAL_SIMPLIFIE", [], [5, 2], 100, 800)
    assert sold["status"] == "accepted", sold
    bet = counter.stored(sold["ticket"])
    assert (bet.bases, bet.selections, bet.combinations, bet.total_cents) == ([5, 2], [], 8, 800)
    assert bet.partners == [1, 3, 4, 6, 7, 8, 9, 10]


@pytest.mark.parametrize("bet_type, stake", [("SIMPLE_GAGNANT", 100), ("COUPLE_GAGNANT", 100)])
def test_simplified_formula_is_refused_outside_tierce_quarte_quinte(counter, bet_type, stake):
    refused = counter.sell(bet_type, "COMBINE_SIMPLIFIE", [1, 2, 3], [], stake, 3 * stake)
    assert refused["status"] == "rejected" and refused["reason"] == "formula_not_allowed"
    assert "n'est pas permise" in refused["message"]


def test_simplified_units_are_settled_as_ordered_unitaires(counter):
    # 1: combiné simplifié 7, 3, 1, 5 at 2 €: (7,3,1) (7,3,5) (7,1,5) (3,1,5), 8 €
    exact = counter.sell("TIERCE", "COMBINE_SIMPLIFIE", [7, 3, 1, 5], [], 200, 800)
    # 2: champ réduit simplifié, base 3 first, partners 1, 7, 9: 3 x 2 = 6 units at 1 €, 6 €:
    #    (3,1,7) (3,1,9) (3,7,1) (3,7,9) (3,9,1) (3,9,7)
    desordre = counter.sell("TIERCE", "CHAMP_REDUIT_SIMPLIFIE", [1, 7, 9], [3], 100, 600)
    # 3: champ total simplifié, bases 5 then 2: (5,2,n), 8 units at 1 €, 8 €
    lost = counter.sell("TIERCE", "CHAMP_TOTAL_SIMPLIFIE", [], [5, 2], 100, 800)
    assert [b["status"] for b in (exact, desordre, lost)] == ["accepted"] * 3

    assert counter.admin("POST", f"/api/races/{counter.race}/close")[0] == 200
    status, published = counter.admin("POST", f"/api/races/{counter.race}/result",
                                      {"arrival": [[7], [3], [1], [2], [5]], "official": True})
    assert status == 200 and published["official"] is True, published
    answer = counter.http.get(f"/api/races/{counter.race}/dividends")
    assert answer.status_code == 200
    div = answer.get_json()
    (tierce,) = [p for p in div["pools"] if p["bet_type"] == "TIERCE"]
    assert tierce["total_cents"] == 800 + 600 + 800
    rate = {d["kind"]: d for d in tierce["dividends"]}
    # (7,3,1) is the exact arrival, staked 2 € by bet 1; (3,1,7) and (3,7,1) are
    # the same three horses in another order, staked 1 € each by bet 2
    assert rate["ORDRE"]["combination"] == [7, 3, 1]
    assert rate["ORDRE"]["winning_stake_cents"] == 200
    assert rate["DESORDRE"]["combination"] == [1, 3, 7]
    assert rate["DESORDRE"]["winning_stake_cents"] == 200

    won = counter.ask("inquire_ticket", {"ticket": exact["ticket"]})
    assert won["status"] == "won"
    assert won["amount_cents"] == rate["ORDRE"]["per_euro_cents"] * 200 // 100
    other = counter.ask("inquire_ticket", {"ticket": desordre["ticket"]})
    assert other["status"] == "won"  # two désordre units at 1 € each
    assert other["amount_cents"] == rate["DESORDRE"]["per_euro_cents"] * 2
    assert counter.ask("inquire_ticket", {"ticket": lost["ticket"]})["status"] == "lost"
