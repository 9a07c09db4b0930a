"""A short arrival end to end (in-process server, one store per test, both kinds): only
three horses finish, and the Quarté+ pays every ticket holding the three in any order
(règlement art. 86-9 e), the Tiercé, which nobody won, the tickets holding the first two
(art. 68 a), where both pools were refunded before."""
from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import parse_programme
from server.web.app import create_app
from tests.server_store import committed

from .socket_client import in_process_client


def programme(day: str, post_time: str) -> dict:
    """One race of ten runners with a Tiercé and a Quarté+, 1 € base stakes."""
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": 1, "name": "PRIX DE L'ARRIVÉE COURTE", "post_time": post_time,
             "runners": [{"number": n, "name": f"CHEVAL {n}"} for n in range(1, 11)],
             "bet_types": [{"bet_type": "TIERCE", "base_stake_cents": 100},
                           {"bet_type": "QUARTE_PLUS", "base_stake_cents": 100}]}]}]}


class World:
    def __init__(self, db_url: str) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
        self.store = self.app.extensions["guichet.store"]
        now = utcnow()
        post = (now + timedelta(hours=1)).replace(microsecond=0)
        self.race = f"{now.date().isoformat()}/R1C1"
        with committed(self.store) as db:
            races.import_races(db, parse_programme(programme(
                now.date().isoformat(), post.isoformat().replace("+00:00", "Z"))))
            code = fleet.create_enrolment_code(db, "Bar A", now)["code"]
            got = fleet.enrol(db, code, now)
            self.terminal = (got["terminal_id"], bytes.fromhex(got["key"]))
            self.token = fleet.create_admin_token(db, now)
        self.http = self.app.test_client()
        self.seq = 0

    def client(self):
        return in_process_client(self.app, *self.terminal)

    def bet(self, bet_type: str, selections: list[int], stake: int) -> dict:
        self.seq += 1
        return {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
                "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
                "race": self.race, "bet_type": bet_type, "formula": "UNITAIRE",
                "selections": selections, "bases": [], "unit_stake_cents": stake,
                "total_cents": stake, "offline": False}

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.get_json()


def ask(client, event: str, payload: object) -> dict:
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_three_horses_classified_pay_the_quarte_and_the_tierce_on_what_finished(world):
    # Default rates. Quarté+: 2 € on 1-2-3-4, 1 € on 3-2-1-5, 2 € on 1-2-5-6 (holds two of
    # the three: lost), 95 € on 5-6-7-8: 100 €, deduction 30 % = 30 €, masse 70 €, all of
    # it to the 3 € holding 1, 2, 3: 23.333 -> 23.30 (published as the Bonus on 1-2-3).
    # Paid 3 € x 23.30 = 69.90 €, breakage 0.10 €.
    # Tiercé: 4 € on 2-1-5, 96 € on losing units; nobody on 1-2-3 and no fourth for 1-2-4: the
    # masse, 100 - 27 % = 73 €, to the 4 € holding 1 and 2: 18.25 -> 18.20; paid 72.80 €,
    # breakage 0.20 €.
    client = world.client()
    ack = ask(client, "place_bets", {"bets": [
        world.bet("QUARTE_PLUS", [1, 2, 3, 4], 200),
        world.bet("QUARTE_PLUS", [3, 2, 1, 5], 100),
        world.bet("QUARTE_PLUS", [1, 2, 5, 6], 200),
        world.bet("QUARTE_PLUS", [5, 6, 7, 8], 9_500),
        world.bet("TIERCE", [2, 1, 5], 400),
        *(world.bet("TIERCE", horses, stake) for horses, stake in (
            ([6, 7, 8], 2_000), ([7, 8, 9], 2_000), ([8, 9, 10], 2_000), ([9, 10, 4], 2_000),
            ([10, 4, 6], 1_600))),
    ]})
    assert ack["ok"] is True, ack
    assert [r["status"] for r in ack["results"]] == ["accepted"] * 10, ack
    holds_three, holds_three_too, holds_two, _, pair = ack["results"][:5]

    with committed(world.store) as db:
        races.close_race(db, world.race, utcnow())
    status, div = world.admin("POST", f"/api/races/{world.race}/result",
                              {"arrival": [[1], [2], [3]], "official": True})
    assert status == 200, div
    pools = {p["bet_type"]: p for p in div["pools"]}
    quarte, tierce = pools["QUARTE_PLUS"], pools["TIERCE"]
    assert [(d["kind"], d["combination"], d["per_euro_cents"], d["winning_stake_cents"])
            for d in quarte["dividends"]] == [("BONUS3", [1, 2, 3], 2_330, 300)]
    assert (quarte["total_cents"], quarte["refunded_cents"], quarte["deduction_cents"],
            quarte["breakage_cents"]) == (10_000, 0, 3_000, 10)
    assert [(d["kind"], d["combination"], d["per_euro_cents"], d["winning_stake_cents"])
            for d in tierce["dividends"]] == [("DEUX_CHEVAUX", [1, 2], 1_820, 400)]
    assert (tierce["total_cents"], tierce["refunded_cents"], tierce["deduction_cents"],
            tierce["breakage_cents"]) == (10_000, 0, 2_700, 20)

    answers = [ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
               for bet in (holds_three, holds_three_too, holds_two, pair)]
    assert [(a["status"], a["amount_cents"]) for a in answers] == [
        ("won", 4_660), ("won", 2_330), ("lost", 0), ("won", 7_280)]
    paid = ask(client, "pay_ticket", {"ticket": holds_three["ticket"],
                                      "payment_uuid": str(uuidlib.uuid4())})
    assert paid["ok"] is True and paid["amount_cents"] == 4_660
