"""The Tiercé's rapport spécial end to end (in-process server, one store per test, both
kinds): a Tiercé unit naming a horse withdrawn after the sale is paid the race's Couplé
gagnant dividend of its two other horses when they finish first and second (règlement
art. 62 I c, 65 a), settled from the Couplé gagnant pool of the same race."""
from __future__ import annotations

import uuid as uuidlib

import pytest

from .settlement_world import World, ask


@pytest.fixture
def world(db_url):
    return World(db_url, "PRIX DU RAPPORT SPÉCIAL", 10, {"COUPLE_GAGNANT": 100, "TIERCE": 100})


def test_a_tierce_unit_with_a_non_runner_is_paid_the_couple_gagnant(world):
    # Default rates. Couplé gagnant: 2 € on 1-2, 8 € on 3-4; deduction 25 % = 2.50 €,
    # masse 7.50 €, 2 € reserved, profit 5.50 €; 9 did not run: NP layer 25 % = 1.375 €
    # over 2 € = 0.6875, the rest 4.125 € / 2 € = 2.0625: 1 + 2.0625 + 0.6875 = 3.75
    # -> 3.70.
    # Tiercé: 1 € on 1-2-3, 1 € on 3-2-1, 2 € on 2-9-1, 1 € on 1-9-3, 80 € on losing
    # units: 85 €, deduction 27 % = 22.95 €, masse 62.05 €. 2-9-1: one non-runner, 2 and
    # 1 first and second: the Couplé's 3.70, 7.40 € reserved; 1-9-3 loses (3 third).
    # Left 54.65 €: halves 27.325 / 1 € both break the 5 x ratio: 54.65 / 6 = 9.108
    # -> 9.10 désordre (>= 3.70: not capped), ordre 45.54 -> 45.50.
    # Paid 45.50 + 9.10 + 7.40 = 62.00 €, breakage 0.05 €.
    client = world.client()
    ack = ask(client, "place_bets", {"bets": [
        world.bet("COUPLE_GAGNANT", [1, 2], 200),
        world.bet("COUPLE_GAGNANT", [3, 4], 800),
        world.bet("TIERCE", [1, 2, 3], 100),
        world.bet("TIERCE", [3, 2, 1], 100),
        world.bet("TIERCE", [2, 9, 1], 200),  # the rapport spécial
        world.bet("TIERCE", [1, 9, 3], 100),  # 3 third: lost
        *(world.bet("TIERCE", horses, 2_000)
          for horses in ([4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 10])),
    ]})
    assert ack["ok"] is True, ack
    assert [r["status"] for r in ack["results"]] == ["accepted"] * 10, ack
    _, _, ordre, desordre, special, lost = ack["results"][:6]

    assert world.admin("POST", f"/api/races/{world.race}/non-runners",
                       {"non_runners": [9]})[0] == 200
    world.close_race()
    status, div = world.admin("POST", f"/api/races/{world.race}/result",
                              {"arrival": [[1], [2], [3], [4]], "official": True})
    assert status == 200, div
    pools = {p["bet_type"]: p for p in div["pools"]}
    couple = {(d["kind"], tuple(d["combination"])): d["per_euro_cents"]
              for d in pools["COUPLE_GAGNANT"]["dividends"]}
    assert couple == {("GAGNANT", (1, 2)): 370}
    tierce = pools["TIERCE"]
    assert {(d["kind"], tuple(d["combination"])): (d["per_euro_cents"],
                                                    d["winning_stake_cents"])
            for d in tierce["dividends"]} == {
        ("ORDRE", (1, 2, 3)): (4_550, 100), ("DESORDRE", (1, 2, 3)): (910, 100),
        ("NP", (1, 2)): (370, 200)}
    # the money adds up: 85 € = 62.00 paid + 22.95 deduction + 0.05 breakage
    assert (tierce["total_cents"], tierce["refunded_cents"], tierce["deduction_cents"],
            tierce["breakage_cents"]) == (8_500, 0, 2_295, 5)

    answers = [ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
               for bet in (ordre, desordre, special, lost)]
    assert [(a["status"], a["amount_cents"]) for a in answers] == [
        ("won", 4_550), ("won", 910), ("won", 740), ("lost", 0)]
    paid = ask(client, "pay_ticket", {"ticket": special["ticket"],
                                      "payment_uuid": str(uuidlib.uuid4())})
    assert paid["ok"] is True and paid["amount_cents"] == 740
