"""Report+ (pari par reports, art. 30-33) on the central server, end to end in-process
(one store per test, SQLite and PostgreSQL): the sale checked against the programme,
each leg's stake in its race's Simple pool, each leg run when its race is official,
the ticket valued and paid once when the chain is finished.

Every dividend below is worked by hand. The Simple pools deduct 13.9 % (the default
rates), and a dividend per 1 € is rounded down to 0.10 €:
    gagnant: masse / stakes on the winner;
    placé (8 runners, 3 places): 1 + (masse - stakes on the 3 placed) / 3 / stakes
    on the horse.
"""
from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import ProgrammeError, parse_programme, sample_programme
from server.web.app import create_app
from tests.server_store import committed, count_rows

from .socket_client import in_process_client

SIMPLES = [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
           {"bet_type": "SIMPLE_PLACE", "base_stake_cents": 100}]
REPORT = {"bet_type": "REPORT_PLUS", "base_stake_cents": 100}


def programme(day: str, now) -> dict:
    """Meeting 1: races 1 to 4 an hour apart, all with the Simples, Report+ on 1 to 3
    only; meeting 2: one race with both. Eight runners each (three places paid)."""
    def race(number: int, hours: int, bet_types: list) -> dict:
        post = (now + timedelta(hours=hours)).replace(microsecond=0)
        return {"number": number, "name": f"PRIX {number}",
                "post_time": post.isoformat().replace("+00:00", "Z"),
                "runners": [{"number": n, "name": f"CHEVAL {n}"} for n in range(1, 9)],
                "bet_types": bet_types}
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            race(1, 1, SIMPLES + [REPORT]), race(2, 2, SIMPLES + [REPORT]),
            race(3, 3, SIMPLES + [REPORT]), race(4, 4, SIMPLES)]},
        {"number": 2, "venue": "CHANTILLY", "races": [race(1, 1, SIMPLES + [REPORT])]}]}


class World:
    def __init__(self, db_url: str) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
        self.store = self.app.extensions["guichet.store"]
        now = utcnow()
        self.day = now.date().isoformat()
        with committed(self.store) as db:
            races.import_races(db, parse_programme(programme(self.day, now)))
            code = fleet.create_enrolment_code(db, "Bar A", now)["code"]
            got = fleet.enrol(db, code, now)
            self.terminal = (got["terminal_id"], bytes.fromhex(got["key"]))
            self.token = fleet.create_admin_token(db, now)
        self.http = self.app.test_client()
        self.client = in_process_client(self.app, *self.terminal)
        self.seq = 0

    def race(self, name: str) -> str:
        return f"{self.day}/{name}"

    def _bet(self, **fields) -> dict:
        self.seq += 1
        return {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
                "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
                "formula": "UNITAIRE", "bases": [], "offline": False, **fields}

    def chain(self, stake: int, *legs: tuple, **change) -> dict:
        """A Report+: legs (race name, horse, GAGNANT|PLACE[, carry])."""
        wire = [{"race": self.race(leg[0]), "horse": leg[1], "kind": leg[2],
                 **({"carry": leg[3]} if len(leg) > 3 else {})} for leg in legs]
        bet = self._bet(race=wire[0]["race"], bet_type="REPORT_PLUS",
                        selections=[wire[0]["horse"]], unit_stake_cents=stake,
                        total_cents=stake, legs=wire)
        bet.update(change)
        return bet

    def simple(self, race: str, kind: str, horse: int, stake: int) -> dict:
        return self._bet(race=self.race(race), bet_type=f"SIMPLE_{kind}", selections=[horse],
                         unit_stake_cents=stake, total_cents=stake)

    def sell(self, *bets: dict) -> list[dict]:
        ack = self.ask("place_bets", {"bets": list(bets)})
        assert ack["ok"] is True, ack
        return ack["results"]

    def sold(self, *bets: dict) -> list[str]:
        """Tickets of bets that must all be accepted."""
        results = self.sell(*bets)
        assert [r["status"] for r in results] == ["accepted"] * len(bets), results
        return [r["ticket"] for r in results]

    def ask(self, event: str, payload: object) -> dict:
        return self.client.emit(event, payload, namespace=NAMESPACE, callback=True)

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.get_json()

    def close(self, name: str) -> None:
        with committed(self.store) as db:
            races.close_race(db, self.race(name), utcnow())

    def official(self, name: str, *arrival: int, non_runners: tuple = ()) -> dict:
        """Close the race and publish its official result."""
        self.close(name)
        status, body = self.admin("POST", f"/api/races/{self.race(name)}/result",
                                  {"arrival": [[h] for h in arrival],
                                   "non_runners": list(non_runners), "official": True})
        assert status == 200, body
        return body

    def cancel(self, name: str) -> dict:
        status, body = self.admin("POST", f"/api/races/{self.race(name)}/cancel",
                                  {"reason": "terrain impraticable"})
        assert status == 200, body
        return body

    def pools(self, name: str) -> dict[str, tuple[int, int]]:
        """The pool counters of a race: bet type -> (cents, bets)."""
        status, body = self.admin("GET", f"/api/races/{self.race(name)}")
        assert status == 200, body
        return {p["bet_type"]: (int(p["total_cents"]), int(p["bets"])) for p in body["pools"]}

    def inquire(self, ticket: str) -> dict:
        ack = self.ask("inquire_ticket", {"ticket": ticket})
        assert ack["ok"] is True, ack
        return ack

    def pay(self, ticket: str) -> dict:
        return self.ask("pay_ticket", {"ticket": ticket, "payment_uuid": str(uuidlib.uuid4())})


def dividend(published: dict, bet_type: str, horse: int) -> int:
    (pool,) = [p for p in published["pools"] if p["bet_type"] == bet_type]
    (paid,) = [d["per_euro_cents"] for d in pool["dividends"] if d["combination"] == [horse]]
    return paid


def pool_total(published: dict, bet_type: str) -> int:
    (pool,) = [p for p in published["pools"] if p["bet_type"] == bet_type]
    return pool["total_cents"]


def legs(answer: dict) -> list[tuple]:
    """(stake, return, kept, void, in_pool) per leg of a ticket's chain."""
    return [(leg["stake_cents"], leg["return_cents"], leg["kept_cents"], leg["void"],
             leg["in_pool"]) for leg in answer["chain"]["legs"]]


@pytest.fixture
def world(db_url):
    return World(db_url)


# -- the programme ------------------------------------------------------------------

def test_the_programme_keeps_the_report_plus_offer():
    now = utcnow()
    sample = parse_programme(sample_programme(now.date(), now + timedelta(hours=1)))
    assert sample and all(r.offer("REPORT_PLUS").base_stake_cents == 100 for r in sample)
    operator = {"programme": {"date": 1_609_455_600_000, "timezoneOffset": 3_600_000,
                              "reunions": [{"numOfficiel": 1, "courses": [{
                                  "numOrdre": 1, "heureDepart": 1_609_505_880_000,
                                  "nombreDeclaresPartants": 8, "paris": [
                                      {"codePari": "E_SIMPLE_GAGNANT", "miseBase": 100},
                                      {"codePari": "E_REPORT_PLUS", "miseBase": 200,
                                       "complement": True},
                                      {"codePari": "E_TIC_TROIS", "miseBase": 100}]}]}]}}
    (race,) = parse_programme(operator)
    assert [(o.bet_type, o.base_stake_cents, o.complement) for o in race.offers] == \
        [("SIMPLE_GAGNANT", 100, False), ("REPORT_PLUS", 200, False)]
    own = programme(now.date().isoformat(), now)
    own["meetings"][0]["races"][0]["bet_types"][-1] = "REPORT_PLUS"  # a bare code: 1 €
    assert parse_programme(own)[0].offer("REPORT_PLUS").base_stake_cents == 100
    own["meetings"][0]["races"][0]["bet_types"][-1] = {"bet_type": "REPORT_PLUS",
                                                       "complement": True}
    with pytest.raises(ProgrammeError, match="REPORT_PLUS takes no complément"):
        parse_programme(own)


# -- a chain won, leg by leg ---------------------------------------------------------

def test_a_three_leg_chain_is_won_and_paid_once(world):
    (ticket,) = world.sold(world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "PLACE"),
                                       ("R1C3", 6, "GAGNANT")))
    # The first stake joined R1C1's Simple gagnant pool, beside 800 on 3 and 9,000 on 5.
    world.sold(world.simple("R1C1", "GAGNANT", 3, 800), world.simple("R1C1", "GAGNANT", 5, 9000),
               world.simple("R1C2", "PLACE", 4, 300), world.simple("R1C2", "PLACE", 1, 1000),
               world.simple("R1C2", "PLACE", 2, 1000), world.simple("R1C2", "PLACE", 7, 6000),
               world.simple("R1C3", "GAGNANT", 6, 100), world.simple("R1C3", "GAGNANT", 8, 7000))
    assert world.pools("R1C1") == {"SIMPLE_GAGNANT": (10_000, 3)}
    assert "REPORT_PLUS" not in world.pools("R1C2")
    alive = world.inquire(ticket)
    assert (alive["status"], alive["amount_cents"], alive["bet_type"]) == \
        ("pending", 0, "REPORT_PLUS")
    assert alive["chain"]["state"] == "en_cours" and alive["chain"]["value_cents"] == 0
    assert legs(alive) == [(200, None, None, False, True), (None, None, None, False, None),
                           (None, None, None, False, None)]
    assert world.pay(ticket)["error"] == "not_official"

    # R1C1: 10,000 staked, deduction 1,390, masse 8,610; 1,000 on the winner 3:
    # 8.61 -> 8.60 €. The leg's 200 return 200 x 8.60 = 1,720, all carried into R1C2.
    first = world.official("R1C1", 3, 5, 1, 2)
    assert pool_total(first, "SIMPLE_GAGNANT") == 10_000
    assert dividend(first, "SIMPLE_GAGNANT", 3) == 860
    answer = world.inquire(ticket)
    assert legs(answer)[:2] == [(200, 1720, 0, False, True), (1720, None, None, False, True)]
    assert (answer["status"], answer["chain"]["state"]) == ("pending", "en_cours")
    # the carried 1,720 is a stake of R1C2's Simple placé pool: 300+1,000+1,000+6,000+1,720
    assert world.pools("R1C2") == {"SIMPLE_PLACE": (10_020, 5)}
    assert world.pay(ticket)["error"] == "not_official"

    # R1C2 placé: 10,020, deduction 1,392 (1,392.78 rounded down), masse 8,628; on the
    # placed 4, 1 and 2: 2,020 + 1,000 + 1,000 = 4,020; profit 4,608, a third each: 1,536.
    # Horse 4: 1 + 1,536 / 2,020 = 1.760 -> 1.70 €; the leg returns 1,720 x 1.70 = 2,924,
    # carried into R1C3.
    second = world.official("R1C2", 4, 1, 2, 7)
    assert pool_total(second, "SIMPLE_PLACE") == 10_020
    assert dividend(second, "SIMPLE_PLACE", 4) == 170
    assert legs(world.inquire(ticket))[1:] == [(1720, 2924, 0, False, True),
                                               (2924, None, None, False, True)]
    assert world.pools("R1C3") == {"SIMPLE_GAGNANT": (10_024, 3)}  # 100 + 7,000 + 2,924

    # R1C3: 10,024, deduction 1,393, masse 8,631, 2,924 + 100 = 3,024 on the winner 6:
    # 2.854 -> 2.80 €.
    # The last leg returns 2,924 x 2.80 = 8,187.2 -> 8,187, all of it kept.
    third = world.official("R1C3", 6, 8, 1, 2)
    assert dividend(third, "SIMPLE_GAGNANT", 6) == 280
    won = world.inquire(ticket)
    assert (won["status"], won["amount_cents"]) == ("won", 8187)
    assert won["chain"]["state"] == "gagne" and won["chain"]["value_cents"] == 8187
    assert legs(won)[2] == (2924, 8187, 8187, False, True)

    paid = world.pay(ticket)
    assert paid["ok"] is True and paid["amount_cents"] == 8187, paid
    assert world.pay(ticket)["error"] == "already_paid"
    assert world.inquire(ticket)["status"] == "paid"
    # the HTTP look-up carries the chain too
    status, body = world.admin("GET", f"/api/tickets/{ticket}")
    assert status == 200 and body["value"]["chain"]["value_cents"] == 8187
    assert body["bet"]["bet_type"] == "REPORT_PLUS" and body["bet"]["race"] == \
        world.race("R1C1")


def test_a_lost_leg_ends_the_chain_and_what_was_kept_stays_owed(world):
    lost, kept = world.sold(
        world.chain(100, ("R1C1", 5, "GAGNANT"), ("R1C2", 4, "GAGNANT")),
        # HALF: of a return of 1,720 (200 x 8.60), 860 carried, 860 kept.
        world.chain(200, ("R1C1", 3, "GAGNANT", "HALF"), ("R1C2", 4, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 3, 800), world.simple("R1C1", "GAGNANT", 5, 8900),
               world.simple("R1C2", "GAGNANT", 1, 1000))
    # R1C1: 100 + 200 + 800 + 8,900 = 10,000; 1,000 on 3: 8.60 € as above.
    world.official("R1C1", 3, 5, 1, 2)
    answer = world.inquire(lost)
    assert (answer["status"], answer["amount_cents"]) == ("lost", 0)
    assert answer["chain"]["state"] == "perdu"
    assert legs(answer) == [(100, 0, 0, False, True), (None, None, None, False, None)]
    assert world.pay(lost)["error"] == "not_payable"

    assert legs(world.inquire(kept))[:2] == [(200, 1720, 860, False, True),
                                             (860, None, None, False, True)]
    assert world.inquire(kept)["status"] == "pending"  # one payment, at the end
    # R1C2: horse 1 wins, the chain's 4 is beaten: lost, but the 860 kept are owed.
    world.official("R1C2", 1, 2, 3, 4)
    answer = world.inquire(kept)
    assert answer["chain"]["state"] == "perdu" and answer["chain"]["value_cents"] == 860
    assert (answer["status"], answer["amount_cents"]) == ("won", 860)
    assert world.pay(kept)["amount_cents"] == 860


def test_a_non_runner_leg_carries_its_stake(world):
    (ticket,) = world.sold(world.chain(300, ("R1C1", 3, "GAGNANT"), ("R1C2", 2, "PLACE"),
                                       ("R1C3", 6, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 5, 700), world.simple("R1C2", "PLACE", 1, 500),
               world.simple("R1C3", "GAGNANT", 7, 1000))
    # R1C1: 1,000 staked, masse 861, 300 on the winner: 2.87 -> 2.80 €: 300 x 2.80 = 840.
    world.official("R1C1", 3, 5, 1)
    assert legs(world.inquire(ticket))[1] == (840, None, None, False, True)
    # horse 2 of R1C2 is withdrawn: art. 31, the leg returns its stake, 840, void.
    status, _ = world.admin("POST", f"/api/races/{world.race('R1C2')}/non-runners",
                            {"non_runners": [2]})
    assert status == 200
    world.official("R1C2", 1, 3, 4, non_runners=(2,))
    assert legs(world.inquire(ticket))[1:] == [(840, 840, 0, True, True),
                                               (840, None, None, False, True)]
    # R1C3: 1,000 + 840 = 1,840, masse 1,840 - 255 (13.9 % rounded down) = 1,585,
    # 840 on the winner 6: 1.886 -> 1.80 €: 840 x 1.80 = 1,512.
    world.official("R1C3", 6, 7, 1)
    answer = world.inquire(ticket)
    assert (answer["status"], answer["amount_cents"]) == ("won", 1512)
    assert legs(answer)[2] == (840, 1512, 1512, False, True)


def test_a_cancelled_race_returns_the_stake(world):
    on, refunded = world.sold(
        world.chain(500, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),
        world.chain(400, ("R1C2", 1, "GAGNANT", "HALF"), ("R1C3", 2, "PLACE")))
    world.sold(world.simple("R1C1", "GAGNANT", 5, 500))
    # R1C1: 1,000, masse 861, 500 on 3: 1.722 -> 1.70 €: 500 x 1.70 = 850, carried.
    world.official("R1C1", 3, 5, 1)
    assert legs(world.inquire(on))[1] == (850, None, None, False, True)
    # R1C2 is not run (art. 33): both legs on it return their stakes, void.
    cancelled = world.cancel("R1C2")
    assert cancelled["cancelled"] is True
    answer = world.inquire(on)
    assert legs(answer)[1] == (850, 850, 850, True, True)
    assert (answer["status"], answer["amount_cents"]) == ("won", 850)
    # the other chain carries half: 200 on, 200 kept
    assert legs(world.inquire(refunded))[0] == (400, 400, 200, True, True)
    world.cancel("R1C3")  # its last leg too: every leg void, refunded 200 + 200
    answer = world.inquire(refunded)
    assert answer["chain"]["state"] == "rembourse"
    assert (answer["status"], answer["amount_cents"]) == ("refund", 400)
    assert world.pay(refunded)["amount_cents"] == 400


def test_the_carry_is_capped_at_a_thousand_minimum_stakes(world):
    (ticket,) = world.sold(world.chain(20_000, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")))
    world.sold(*[world.simple("R1C1", "GAGNANT", 5, 90_000) for _ in range(2)])
    # R1C1: 200,000, deduction 27,800, masse 172,200, 20,000 on 3: 8.61 -> 8.60 €:
    # 20,000 x 8.60 = 172,000; at most 1,000 x 1 € = 100,000 carried, 72,000 kept.
    world.official("R1C1", 3, 5, 1)
    assert legs(world.inquire(ticket)) == [(20_000, 172_000, 72_000, False, True),
                                           (100_000, None, None, False, True)]
    world.sold(world.simple("R1C2", "GAGNANT", 5, 100_000))
    assert world.pools("R1C2") == {"SIMPLE_GAGNANT": (200_000, 2)}
    # R1C2: 200,000, masse 172,200, the chain's 100,000 on the winner 4: 1.722 -> 1.70 €:
    # 170,000, plus the 72,000 kept = 242,000.
    world.official("R1C2", 4, 5, 1)
    answer = world.inquire(ticket)
    assert (answer["status"], answer["amount_cents"]) == ("won", 242_000)


def test_a_share_carried_keeps_the_rest_and_one_below_the_minimum_ends_the_chain(world):
    three, quarter, small = world.sold(
        world.chain(200, ("R1C1", 3, "GAGNANT", "THREE_QUARTERS"), ("R1C2", 4, "GAGNANT")),
        world.chain(200, ("R1C1", 3, "GAGNANT", "QUARTER"), ("R1C2", 4, "GAGNANT")),
        world.chain(100, ("R1C1", 5, "PLACE", "QUARTER"), ("R1C2", 4, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 3, 600), world.simple("R1C1", "GAGNANT", 5, 9000),
               world.simple("R1C1", "PLACE", 1, 900), world.simple("R1C1", "PLACE", 5, 500),
               world.simple("R1C1", "PLACE", 7, 400))
    # R1C1 gagnant: 200 + 200 + 600 + 9,000 = 10,000, masse 8,610, 1,000 on 3: 8.60 €;
    # each chain on 3 returns 200 x 8.60 = 1,720.
    # Three quarters: 1,290 carried, 430 kept. A quarter: 430 carried, 1,290 kept.
    world.official("R1C1", 3, 1, 5, 2)
    assert legs(world.inquire(three)) == [(200, 1720, 430, False, True),
                                          (1290, None, None, False, True)]
    assert legs(world.inquire(quarter)) == [(200, 1720, 1290, False, True),
                                            (430, None, None, False, True)]
    # R1C1 placé: 100 + 900 + 500 + 400 = 1,900, deduction 264 (264.1), masse 1,636;
    # on the placed 3, 1 and 5: 0 + 900 + 600 = 1,500 (3's third goes to the other two),
    # profit 136, half each: 68. Horse 5: 1 + 68 / 600 = 1.113 -> 1.10 €: 100 x 1.10 =
    # 110. A quarter, 27 (27.5 rounded down), is below the minimum stake of 1 €: nothing
    # carried, the 110 kept, the chain ends won.
    answer = world.inquire(small)
    assert legs(answer) == [(100, 110, 110, False, True), (None, None, None, False, None)]
    assert answer["chain"]["state"] == "gagne"
    assert (answer["status"], answer["amount_cents"]) == ("won", 110)
    assert world.pay(small)["amount_cents"] == 110
    # the carried stakes joined R1C2's pool, not the one that carried nothing
    assert world.pools("R1C2") == {"SIMPLE_GAGNANT": (1290 + 430, 2)}


# -- a leg funded after its race closed -----------------------------------------------

def test_a_leg_funded_after_its_race_closed_is_run_on_the_published_rapport(world):
    late, at_once = world.sold(
        world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),
        world.chain(300, ("R1C1", 3, "GAGNANT"), ("R1C3", 6, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 5, 500),
               world.simple("R1C2", "GAGNANT", 4, 500), world.simple("R1C2", "GAGNANT", 1, 500),
               world.simple("R1C3", "GAGNANT", 6, 200), world.simple("R1C3", "GAGNANT", 2, 800))
    # R1C2 closes before R1C1 is official; R1C3 is even run and official first.
    world.close("R1C2")
    third = world.official("R1C3", 6, 2, 1)
    # R1C3 without the chain: 1,000, masse 861, 200 on 6: 4.305 -> 4.30 €
    assert pool_total(third, "SIMPLE_GAGNANT") == 1000 and \
        dividend(third, "SIMPLE_GAGNANT", 6) == 430
    # R1C1: 200 + 300 + 500 = 1,000, masse 861, 500 on 3: 1.722 -> 1.70 €.
    # Chain 1: 200 x 1.70 = 340 into R1C2, closed: outside its pool.
    # Chain 2: 300 x 1.70 = 510 into R1C3, official: run at once, 510 x 4.30 = 2,193.
    world.official("R1C1", 3, 5, 1)
    answer = world.inquire(late)
    assert legs(answer)[1] == (340, None, None, False, False)
    assert world.pools("R1C2") == {"SIMPLE_GAGNANT": (1000, 2)}  # not counted
    done = world.inquire(at_once)
    assert legs(done)[1] == (510, 2193, 2193, False, False)
    assert (done["status"], done["amount_cents"]) == ("won", 2193)
    # R1C2 settled without the late 340: 1,000, masse 861, 500 on 4: 1.70 €: 340 x 1.70 = 578
    second = world.official("R1C2", 4, 1, 2)
    assert pool_total(second, "SIMPLE_GAGNANT") == 1000
    answer = world.inquire(late)
    assert (answer["status"], answer["amount_cents"]) == ("won", 578)


# -- the sale ------------------------------------------------------------------------

def test_refused_sales_store_nothing(world):
    chain = world.chain
    results = world.sell(
        chain(100, ("R1C1", 3, "GAGNANT"), ("R2C1", 4, "GAGNANT")),  # another meeting
        chain(100, ("R1C2", 3, "GAGNANT"), ("R1C1", 4, "GAGNANT")),  # programme order
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C4", 4, "GAGNANT")),  # no Report+ on R1C4
        chain(150, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),  # not a whole euro
        chain(100_100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),  # > 1,000 x 1 €
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 42, "GAGNANT")),  # no horse 42
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT"), total_cents=200),
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT"), selections=[5]),
        chain(100, ("R1C1", 3, "GAGNANT")),  # one leg
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT", 500)),  # no amount any more
        chain(100, ("R1C1", 3, "GAGNANT"), ("R1C9", 4, "GAGNANT")),  # no such race
        world.simple("R1C1", "GAGNANT", 3, 100) | {"legs": [{"race": world.race("R1C1"),
                                                               "horse": 3,
                                                               "kind": "GAGNANT"}]},
    )
    assert [r["status"] for r in results] == ["rejected"] * len(results), results
    assert [r["reason"] for r in results] == [
        "bad_chain", "bad_chain", "bet_type_not_offered", "stake_not_multiple_of_base",
        "stake_too_high", "runner_not_declared", "wrong_total", "bad_request",
        "bad_request", "bad_request", "unknown_race", "bad_request"]
    assert all(r["ticket"] is None and r["message"] for r in results)
    assert count_rows(world.store, "chain_legs") == 0
    assert world.pools("R1C1") == {}


def test_a_closed_leg_race_refuses_the_sale(world):
    world.close("R1C2")
    (refused,) = world.sell(world.chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")))
    assert (refused["status"], refused["reason"]) == ("rejected", "pool_closed")
    world.close("R1C1")
    (refused,) = world.sell(world.chain(100, ("R1C1", 3, "GAGNANT"), ("R1C3", 4, "GAGNANT")))
    assert refused["reason"] == "pool_closed"


def test_an_offline_report_plus_is_refused_for_review(world):
    (refused,) = world.sell(world.chain(100, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT"),
                                        offline=True))
    assert (refused["status"], refused["reason"]) == ("rejected", "bad_chain")
    assert "en ligne" in refused["message"]
    # its provisional ticket is kept, worth nothing until the operator decides
    assert refused["ticket"] is not None
    assert world.inquire(refused["ticket"])["status"] == "review"
    assert count_rows(world.store, "chain_legs") == 0
    assert world.pools("R1C1") == {}


def test_a_replay_does_not_duplicate_the_legs(world):
    bet = world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "PLACE", "HALF"),
                      ("R1C3", 6, "GAGNANT"))
    (first,) = world.sell(bet)
    (again,) = world.sell(bet)
    assert first["status"] == "accepted"
    assert (again["status"], again["ticket"]) == ("duplicate", first["ticket"])
    assert count_rows(world.store, "chain_legs") == 3
    assert world.pools("R1C1") == {"SIMPLE_GAGNANT": (200, 1)}
    chain = world.inquire(first["ticket"])["chain"]
    assert [(leg["race"], leg["horse"], leg["kind"], leg["carry"]) for leg in chain["legs"]] \
        == [(world.race("R1C1"), 3, "GAGNANT", "ALL"), (world.race("R1C2"), 4, "PLACE", "HALF"),
            (world.race("R1C3"), 6, "GAGNANT", "ALL")]


def test_a_race_of_a_later_leg_cannot_be_removed(world):
    world.sold(world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C3", 6, "GAGNANT")))
    status, body = world.admin("DELETE", f"/api/races/{world.race('R1C3')}")
    assert body["ok"] is False and body["error"] == "race_has_bets", (status, body)
    status, body = world.admin("DELETE", f"/api/races/{world.race('R1C2')}")
    assert status == 200 and body["removed"] is True  # nobody bet on R1C2


# -- cancelling the ticket -----------------------------------------------------------

def test_a_cancelled_chain_leaves_the_pool(world):
    gone, kept = world.sold(world.chain(300, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),
                            world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 1, 500), world.simple("R1C1", "GAGNANT", 5, 300))
    assert world.pools("R1C1") == {"SIMPLE_GAGNANT": (1300, 4)}
    ack = world.ask("cancel_ticket", {"ticket": gone})
    assert ack["ok"] is True and ack["refund_cents"] == 300, ack
    assert world.pools("R1C1") == {"SIMPLE_GAGNANT": (1000, 3)}
    assert world.inquire(gone)["status"] == "cancelled"
    # settled without it: 200 + 500 + 300 = 1,000, masse 861, 200 on the winner 3:
    # 4.305 -> 4.30 €; the kept chain's 200 return 860, into R1C2; the cancelled one
    # is run no further.
    published = world.official("R1C1", 3, 1, 5)
    assert pool_total(published, "SIMPLE_GAGNANT") == 1000
    assert legs(world.inquire(kept))[:2] == [(200, 860, 0, False, True),
                                             (860, None, None, False, True)]
    assert legs(world.inquire(gone)) == [(300, None, None, False, True),
                                         (None, None, None, False, None)]
    assert world.pay(gone)["error"] == "not_payable"
    assert world.ask("cancel_ticket", {"ticket": kept})["error"] == "pool_closed"


# -- two races made official at once -------------------------------------------------

def test_two_races_made_official_at_once_still_run_every_leg(world):
    """A makes R1C1 official and funds the chain's leg on R1C2, which B is making
    official at the same moment: whichever commits first, the leg is run once."""
    import threading

    from server.services import settlement

    (ticket,) = world.sold(world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")))
    world.sold(world.simple("R1C1", "GAGNANT", 5, 800), world.simple("R1C2", "GAGNANT", 4, 500),
               world.simple("R1C2", "GAGNANT", 1, 500))
    for name, arrival in (("R1C1", [[3], [5], [1]]), ("R1C2", [[4], [1], [2]])):
        world.close(name)
        with committed(world.store) as db:
            settlement.enter_result(db, world.race(name), {"arrival": arrival}, utcnow())
    a_advanced, b_started, failures = threading.Event(), threading.Event(), []

    def first() -> None:
        try:
            with world.store.unit_of_work() as uow:
                settlement.declare_official(uow, world.race("R1C1"), utcnow())
                a_advanced.set()
                b_started.wait(10)
                threading.Event().wait(0.3)  # B is now waiting for its turn
                uow.commit()
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
            a_advanced.set()

    def second() -> None:
        a_advanced.wait(10)
        b_started.set()
        try:
            with committed(world.store) as uow:
                settlement.declare_official(uow, world.race("R1C2"), utcnow())
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures
    # R1C1: 1,000, masse 861, 200 on 3: 4.305 -> 4.30 €: 860, carried into R1C2 (closed:
    # outside the pool). R1C2: 1,000, masse 861, 500 on 4: 1.722 -> 1.70 €: 860 x 1.70 =
    # 1,462.
    answer = world.inquire(ticket)
    assert legs(answer) == [(200, 860, 0, False, True), (860, 1462, 1462, False, False)]
    assert (answer["status"], answer["amount_cents"]) == ("won", 1462)


def test_chain_stakes_count_in_the_probable_odds(world):
    from betting.rates import DEFAULT_RATES
    from server.services import odds

    world.sold(world.chain(200, ("R1C1", 3, "GAGNANT"), ("R1C2", 4, "GAGNANT")),
               world.chain(300, ("R1C1", 3, "PLACE"), ("R1C2", 4, "GAGNANT")),
               world.simple("R1C1", "GAGNANT", 5, 800))
    with world.store.unit_of_work(read_only=True) as uow:
        board = odds.open_pools(uow, utcnow())[world.race("R1C1")]
    assert board["pools"] == {"SIMPLE_GAGNANT": 1000, "SIMPLE_PLACE": 300}
    expected = odds.probable_odds(1000, {3: 200, 5: 800},
                                  DEFAULT_RATES.deduction_rate("SIMPLE_GAGNANT"),
                                  DEFAULT_RATES.on(utcnow().date()).minimum("SIMPLE_GAGNANT"))
    assert board["odds"] == {str(h): o for h, o in sorted(expected.items())}
    assert set(board["odds"]) == {"3", "5"}
