"""Rapports spéciaux of the Trio and the 2 sur 4 end to end (in-process server, one store
per test, both kinds). A Trio unit naming a horse withdrawn after the sale is paid the
race's Couplé gagnant dividend of its two other horses when they finish first and second
(règlement art. 70, 62 I c, 65 a); a 2 sur 4 unit naming one is paid the "rapport
spécial placé" of the masse of such units when its other horse is among the first four
(art. 53 2)."""
from __future__ import annotations

import uuid as uuidlib

import pytest

from .settlement_world import World, ask


@pytest.fixture
def world(db_url):
    return World(db_url, "PRIX DU RAPPORT SPÉCIAL", 12,
                 {"COUPLE_GAGNANT": 100, "TRIO": 100, "DEUX_SUR_QUATRE": 300})


def settle(world, client, bets: list[dict]) -> tuple[list[dict], dict]:
    """Sell `bets`, withdraw 9, close the race and enter 1-2-3-4-5 as official."""
    ack = ask(client, "place_bets", {"bets": bets})
    assert ack["ok"] is True, ack
    assert [r["status"] for r in ack["results"]] == ["accepted"] * len(bets), ack
    assert world.admin("POST", f"/api/races/{world.race}/non-runners",
                       {"non_runners": [9]})[0] == 200
    world.close_race()
    status, div = world.admin("POST", f"/api/races/{world.race}/result",
                              {"arrival": [[1], [2], [3], [4], [5]], "official": True})
    assert status == 200, div
    return ack["results"], {p["bet_type"]: p for p in div["pools"]}


def paid(pool: dict) -> dict:
    return {(d["kind"], tuple(d["combination"])): (d["per_euro_cents"],
                                                    d["winning_stake_cents"])
            for d in pool["dividends"]}


def test_a_trio_unit_with_a_non_runner_is_paid_the_couple_gagnant(world):
    # Default rates. Couplé gagnant: 2 € on 1-2, 8 € on 3-4; deduction 25 % = 2.50 €,
    # masse 7.50 €, 2 € reserved, profit 5.50 €; 9 did not run: NP layer 25 % = 1.375 €
    # over 2 € = 0.6875, the rest 4.125 € / 2 € = 2.0625: 1 + 2.0625 + 0.6875 = 3.75
    # -> 3.70.
    # Trio: 1 € on 1-2-3 twice (1-2-3 and 3-2-1), 2 € on 2-9-1, 1 € on 1-9-3, 80 € on
    # losing units: 85 €, deduction 25 % = 21.25 €, masse 63.75 €. 2-9-1: one
    # non-runner, 2 and 1 first and second: the Couplé's 3.70, 7.40 € reserved; 1-9-3
    # loses (3 third). Left 56.35 €, 2 € on 1-2-3: 1 + 54.35 / 2 = 28.175 -> 28.10
    # (>= 3.70: not capped). Paid 2 x 28.10 + 7.40 = 63.60 €, breakage 0.15 €.
    client = world.client()
    results, pools = settle(world, client, [
        world.bet("COUPLE_GAGNANT", [1, 2], 200),
        world.bet("COUPLE_GAGNANT", [3, 4], 800),
        world.bet("TRIO", [1, 2, 3], 100),
        world.bet("TRIO", [3, 2, 1], 100),
        world.bet("TRIO", [2, 9, 1], 200),  # the rapport spécial
        world.bet("TRIO", [1, 9, 3], 100),  # 3 third: lost
        *(world.bet("TRIO", horses, 2_000)
          for horses in ([4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 10])),
    ])
    _, _, trio, _, special, lost = results[:6]
    assert paid(pools["COUPLE_GAGNANT"]) == {("GAGNANT", (1, 2)): (370, 200)}
    assert paid(pools["TRIO"]) == {("GAGNANT", (1, 2, 3)): (2_810, 200),
                                   ("NP", (1, 2)): (370, 200)}
    # the money adds up: 85 € = 63.60 paid + 21.25 deduction + 0.15 breakage
    assert (pools["TRIO"]["total_cents"], pools["TRIO"]["refunded_cents"],
            pools["TRIO"]["deduction_cents"], pools["TRIO"]["breakage_cents"]) == (
        8_500, 0, 2_125, 15)

    answers = [ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
               for bet in (trio, special, lost)]
    assert [(a["status"], a["amount_cents"]) for a in answers] == [
        ("won", 2_810), ("won", 740), ("lost", 0)]
    cashed = ask(client, "pay_ticket", {"ticket": special["ticket"],
                                        "payment_uuid": str(uuidlib.uuid4())})
    assert cashed["ok"] is True and cashed["amount_cents"] == 740


def test_a_deux_sur_quatre_unit_with_a_non_runner_is_paid_the_special_place(world):
    # Default rates, deduction 25 % on each masse. 2 sur 4 units without a non-runner:
    # 3 € on 1-2, 3 € on 3-4, 24 € on 5-6 (5 fifth): 30 € less 7.50 € = 22.50 € over the
    # 6 € on pairs of the first four: 3.75 -> 3.70 per 1 €. Units with 9: 1-9 (3 €, 1
    # placed) and 7-9 (3 €, 7 unplaced): 6 € less 1.50 € = 4.50 € over 3 €: 1.50 per 1 €.
    client = world.client()
    results, pools = settle(world, client, [
        world.bet("DEUX_SUR_QUATRE", [1, 2], 300),
        world.bet("DEUX_SUR_QUATRE", [3, 4], 300),
        world.bet("DEUX_SUR_QUATRE", [5, 6], 2_400),
        world.bet("DEUX_SUR_QUATRE", [1, 9], 300),  # the rapport spécial placé
        world.bet("DEUX_SUR_QUATRE", [7, 9], 300),  # 7 unplaced: lost
    ])
    pair, _, _, special, lost = results
    pool = pools["DEUX_SUR_QUATRE"]
    assert paid(pool) == {("DEUX_SUR_QUATRE", (1, 2)): (370, 300),
                          ("DEUX_SUR_QUATRE", (3, 4)): (370, 300),
                          ("NP", (1,)): (150, 300)}
    # 36 € = 2 x 11.10 + 4.50 paid + 9 € deduction + 0.30 € breakage (3.75 -> 3.70)
    assert (pool["total_cents"], pool["refunded_cents"], pool["deduction_cents"],
            pool["breakage_cents"]) == (3_600, 0, 900, 30)
    answers = [ask(client, "inquire_ticket", {"ticket": bet["ticket"]})
               for bet in (pair, special, lost)]
    assert [(a["status"], a["amount_cents"]) for a in answers] == [
        ("won", 1_110), ("won", 450), ("lost", 0)]
