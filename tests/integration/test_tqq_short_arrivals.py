"""A short arrival end to end (in-process server, one store per test, both kinds): only
three horses finish, and the Quarté+ pays every ticket holding the three in any order
(règlement art. 86-9 e), the Tiercé, which nobody won, the tickets holding the first two
(art. 68 a), where both pools were refunded before."""
from __future__ import annotations

import uuid as uuidlib

import pytest

from .settlement_world import World, ask


@pytest.fixture
def world(db_url):
    return World(db_url, "PRIX DE L'ARRIVÉE COURTE", 10, {"TIERCE": 100, "QUARTE_PLUS": 100})


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

    world.close_race()
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
