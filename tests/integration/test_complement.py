"""The cheval de complément end to end (in-process server, one store per test, both kinds):
sold with a Tiercé, its horse withdrawn, the result entered, the ticket paid as if the
complément had been played; the same bet without complément keeps its non-runner and is
paid the Tiercé's rapport spécial (art. 62 I c: here the minimum, the card has no Couplé
gagnant to copy)."""
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
    """One race of ten: the Tiercé allows a complément, the Simple gagnant does not."""
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": 1, "name": "PRIX DU COMPLÉMENT", "post_time": post_time,
             "runners": [{"number": n, "name": f"CHEVAL {n}"} for n in range(1, 11)],
             "bet_types": [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
                           {"bet_type": "TIERCE", "base_stake_cents": 100,
                            "complement": True}]}]}]}


class World:
    def __init__(self, db_url: str) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
        self.store = self.app.extensions["guichet.store"]
        self.socketio = self.app.extensions["socketio"]
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

    def bet(self, selections: list[int], stake: int = 100, **change) -> dict:
        self.seq += 1
        bet = {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
               "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
               "race": self.race, "bet_type": "TIERCE", "formula": "UNITAIRE",
               "selections": selections, "bases": [], "unit_stake_cents": stake,
               "total_cents": stake, "offline": False}
        bet.update(change)
        return bet

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.get_json()


def ask(client, event: str, payload: object) -> dict:
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_a_withdrawn_horse_is_replaced_by_the_complement(world):
    client = world.client()
    ack = ask(client, "place_bets", {"bets": [
        world.bet([4, 7, 2], complement=9),  # A: completed to 4-2-9 once 7 is withdrawn
        world.bet([4, 2, 9]),  # B: plays 4-2-9 from the start
        world.bet([4, 7, 2]),  # C: no complément, 4-2 first and second: rapport spécial
        world.bet([1, 2, 3], stake=200),  # D: loses
        world.bet([4], bet_type="SIMPLE_GAGNANT", complement=9),  # not offered on Simple
        world.bet([4, 7, 2], complement=2),  # 2 is played already
        world.bet([4, 7, 2], complement=42),  # not a runner
    ]})
    assert ack["ok"] is True, ack
    a, b, c, d, simple, played, unknown = ack["results"]
    assert [r["status"] for r in (a, b, c, d)] == ["accepted"] * 4
    assert (simple["status"], simple["reason"]) == ("rejected", "complement_not_allowed")
    assert (played["reason"], unknown["reason"]) == ("complement_in_bet", "complement_not_running")
    assert "complément" in simple["message"]

    # stored with the bet, and a bet shape of its own: A and C are not one group
    status, stored = world.admin("GET", f"/api/tickets/{a['ticket']}")
    assert status == 200 and stored["bet"]["complement"] == 9
    assert world.admin("GET", f"/api/tickets/{c['ticket']}")[1]["bet"]["complement"] is None
    with world.store.unit_of_work(read_only=True) as uow:
        groups = {(tuple(g.selections), g.complement): g.stake_cents
                  for g in uow.bets.stake_groups(world.race)}
    assert groups == {((4, 7, 2), 9): 100, ((4, 2, 9), None): 100, ((4, 7, 2), None): 100,
                      ((1, 2, 3), None): 200}
    # the complément costs nothing
    (pool,) = world.admin("GET", f"/api/races/{world.race}")[1]["pools"]
    assert (pool["bet_type"], pool["total_cents"], pool["bets"]) == ("TIERCE", 500, 4)

    status, _ = world.admin("POST", f"/api/races/{world.race}/non-runners",
                            {"non_runners": [7]})
    assert status == 200
    with committed(world.store) as db:
        races.close_race(db, world.race, utcnow())
    status, div = world.admin("POST", f"/api/races/{world.race}/result",
                              {"arrival": [[4], [2], [9], [1], [3]], "official": True})
    assert status == 200, div
    (tierce,) = [p for p in div["pools"] if p["bet_type"] == "TIERCE"]
    # nothing refunded; A's completed unit won beside B's, C the rapport spécial
    assert (tierce["total_cents"], tierce["refunded_cents"]) == (500, 0)
    (special,) = [x for x in tierce["dividends"] if x["kind"] == "NP"]
    assert (special["combination"], special["per_euro_cents"]) == ([2, 4], 110)
    (ordre,) = [x for x in tierce["dividends"] if x["kind"] == "ORDRE"]
    assert ordre["combination"] == [4, 2, 9] and ordre["winning_stake_cents"] == 200

    won_a = ask(client, "inquire_ticket", {"ticket": a["ticket"]})
    won_b = ask(client, "inquire_ticket", {"ticket": b["ticket"]})
    assert won_a["status"] == won_b["status"] == "won"
    assert won_a["amount_cents"] == won_b["amount_cents"] == ordre["per_euro_cents"]
    special_c = ask(client, "inquire_ticket", {"ticket": c["ticket"]})
    assert (special_c["status"], special_c["amount_cents"]) == ("won", 110)
    assert ask(client, "inquire_ticket", {"ticket": d["ticket"]})["status"] == "lost"

    paid = ask(client, "pay_ticket", {"ticket": a["ticket"], "payment_uuid": str(uuidlib.uuid4())})
    assert paid["ok"] is True and paid["amount_cents"] == won_a["amount_cents"]


def test_a_withdrawn_complement_replaces_nothing(world):
    client = world.client()
    ack = ask(client, "place_bets", {"bets": [world.bet([4, 7, 2], complement=9),
                                              world.bet([1, 2, 3]),
                                              world.bet([5, 6, 8], stake=1_000,
                                                        total_cents=1_000)]})
    a, _, _ = ack["results"]
    assert a["status"] == "accepted"
    world.admin("POST", f"/api/races/{world.race}/non-runners", {"non_runners": [7, 9]})
    with committed(world.store) as db:
        races.close_race(db, world.race, utcnow())
    status, _ = world.admin("POST", f"/api/races/{world.race}/result",
                            {"arrival": [[4], [2], [1], [3]], "official": True})
    assert status == 200
    # 4-7-2 keeps its non-runner 7: 4 and 2 first and second, the rapport spécial at the
    # minimum (art. 62 I c; no Couplé gagnant on the card)
    kept = ask(client, "inquire_ticket", {"ticket": a["ticket"]})
    assert (kept["status"], kept["amount_cents"]) == ("won", 110)


def test_a_champ_whose_base_did_not_run_is_refunded_whole(world):
    # Tiercé champ réduit on base 7 with 1, 2, 3 (6 x 3 = 18 units... every order: 18 € at
    # 1 €); 7 is withdrawn after the sale: the règlement (art. 62 I d) refunds the whole
    # formula instead of settling its units. The same champ with a complément that ran is
    # completed, not refunded.
    client = world.client()
    ack = ask(client, "place_bets", {"bets": [
        world.bet([1, 2, 3], formula="CHAMP_REDUIT", bases=[7], total_cents=1_800),
        world.bet([1, 2, 3], formula="CHAMP_REDUIT", bases=[7], total_cents=1_800,
                  complement=9),
        world.bet([1, 2, 3], stake=500, total_cents=500),
        world.bet([5, 6, 8], stake=500, total_cents=500),
    ]})
    champ, completed, winner, loser = ack["results"]
    assert [r["status"] for r in ack["results"]] == ["accepted"] * 4, ack
    assert world.admin("POST", f"/api/races/{world.race}/non-runners",
                       {"non_runners": [7]})[0] == 200
    with committed(world.store) as db:
        races.close_race(db, world.race, utcnow())
    status, div = world.admin("POST", f"/api/races/{world.race}/result",
                              {"arrival": [[1], [2], [3], [9], [4]], "official": True})
    assert status == 200, div
    (tierce,) = [p for p in div["pools"] if p["bet_type"] == "TIERCE"]
    assert (tierce["total_cents"], tierce["refunded_cents"]) == (4_600, 1_800)
    refund = ask(client, "inquire_ticket", {"ticket": champ["ticket"]})
    assert (refund["status"], refund["amount_cents"]) == ("refund", 1_800)
    # completed by 9 (which ran): its units are played, not refunded
    kept = ask(client, "inquire_ticket", {"ticket": completed["ticket"]})
    assert kept["status"] in ("won", "lost")
