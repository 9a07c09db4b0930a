"""Report+ (pari par reports, art. 30 to 33): what a sale must be, and how one leg's
return is split between the next leg and the bettor. Amounts worked by hand."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from betting.bets import make_request
from betting.errors import (
    BadChain,
    BetTypeNotOffered,
    ProtocolError,
    RunnerNotDeclared,
    StakeBelowBase,
    StakeNotMultipleOfBase,
    StakeTooHigh,
    UnknownRace,
)
from betting.programme import Offer, Race, Runner
from betting.reports import (
    ALL,
    HALF,
    ChainState,
    Leg,
    carried,
    chain_state,
    chain_value,
    parse_legs,
    price_chain,
    run_leg,
)

POST = datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)
OFFERS = (Offer("SIMPLE_GAGNANT", 100), Offer("SIMPLE_PLACE", 100), Offer("REPORT_PLUS", 100))


def race(meeting: int, number: int, offers=OFFERS, withdrawn=()) -> Race:
    return Race(f"2026-11-30/R{meeting}C{number}", meeting, number, f"Prix {number}", "Vincennes",
                POST, tuple(Runner(n, f"Cheval {n}", non_runner=n in withdrawn)
                            for n in range(1, 11)), offers)


RACES = {r.race_id: r for r in (race(1, 1), race(1, 2), race(1, 3), race(2, 4),
                                race(1, 4, offers=OFFERS[:2]), race(1, 5, withdrawn=(6,)))}


def sale(legs: list[dict], stake: int = 200, **over):
    data = {"race": legs[0]["race"], "bet_type": "REPORT_PLUS", "formula": "UNITAIRE",
            "selections": [legs[0]["horse"]], "unit_stake_cents": stake, "legs": legs}
    data.update(over)
    req = make_request(data)
    return price_chain(req, req.legs, RACES)


def leg(number: int, horse: int = 7, kind: str = "GAGNANT", meeting: int = 1, **kw) -> dict:
    return {"race": f"2026-11-30/R{meeting}C{number}", "horse": horse, "kind": kind, **kw}


def test_a_chain_costs_its_first_stake_once():
    priced = sale([leg(1), leg(3, 2, "PLACE")], stake=500)
    assert (priced.combinations, priced.total_cents, priced.base_stake_cents) == (1, 500, 100)


@pytest.mark.parametrize(("legs", "error", "words"), [
    ([leg(1), leg(2, meeting=2)], UnknownRace, "inconnue"),          # R2C2 is not programmed
    ([leg(1), leg(4, meeting=2)], BadChain, "une seule réunion"),   # R2C4: another meeting
    ([leg(2), leg(1)], BadChain, "ordre du programme"),
    ([leg(1), leg(1)], BadChain, "une seule fois"),
    ([leg(1), leg(4)], BetTypeNotOffered, r"Report\+ n'est pas proposé"),
    ([leg(1), leg(5, horse=6)], RunnerNotDeclared, "non-partant"),
    ([leg(1), leg(2, horse=11)], RunnerNotDeclared, "ne court pas"),
    ([leg(1, carry=50), leg(2)], BadChain, "au moins 1,00 €"),
])
def test_what_is_not_a_chain_is_said_in_french(legs, error, words):
    with pytest.raises(error, match=words):
        sale(legs)


@pytest.mark.parametrize(("stake", "error"), [
    (50, StakeBelowBase), (150, StakeNotMultipleOfBase),
    (100_100, StakeTooHigh),  # art. 30: at most 1,000 × 1 €
])
def test_the_first_stake_is_bounded_by_article_30(stake, error):
    with pytest.raises(error):
        sale([leg(1), leg(2)], stake=stake)
    assert sale([leg(1), leg(2)], stake=100_000).total_cents == 100_000  # 1,000 € exactly


@pytest.mark.parametrize("legs", [
    None, [], [leg(1)], [leg(n) for n in range(1, 8)],                 # 2 to 6 legs
    [leg(1), {"race": "2026-11-30/R1C2", "horse": True, "kind": "GAGNANT"}],
    [leg(1), leg(2, kind="COUPLE")], [leg(1, carry="TIERS"), leg(2)],
    [leg(1, carry=0), leg(2)], [leg(1), {"race": "x" * 41, "horse": 1, "kind": "PLACE"}],
])
def test_malformed_legs_are_refused_before_any_price(legs):
    with pytest.raises(ProtocolError):
        parse_legs(legs)


def test_the_first_leg_must_be_the_bet_itself():
    with pytest.raises(ProtocolError):
        sale([leg(1), leg(2)], selections=[8])
    with pytest.raises(ProtocolError):
        make_request({"race": "2026-11-30/R1C1", "bet_type": "SIMPLE_GAGNANT",
                      "formula": "UNITAIRE", "selections": [7], "unit_stake_cents": 100,
                      "legs": [leg(1), leg(2)]})


def test_the_last_leg_carries_nothing_whatever_it_says():
    legs = parse_legs([leg(1, carry=HALF), leg(2, carry=HALF)])
    assert [x.carry for x in legs] == [HALF, ALL]


# -- one leg ------------------------------------------------------------------

def test_all_is_carried_by_default():
    # 2 € on a winner paying 4,30 € for 1 €: 8,60 € back, all of it on the next leg
    out = run_leg(200, Leg("r", 7, "GAGNANT"), 860, False, 100, last=False)
    assert (out.carried_cents, out.kept_cents) == (860, 0)


def test_half_is_rounded_up_to_the_minimum_stake():
    # 8,60 € back: half is 4,30 €, rounded up to 5,00 €, the bettor keeps 3,60 €
    out = run_leg(200, Leg("r", 7, "GAGNANT", HALF), 860, False, 100, last=False)
    assert (out.carried_cents, out.kept_cents) == (500, 360)
    # 1,50 € back (a placé at 1,50 for 1 €): half 0,75 → 1,00 € carried, 0,50 € kept
    assert carried(150, HALF, 100) == 100
    # 1,05 € back: half 0,53 → 1,00 €, never more than what came back
    assert carried(105, HALF, 100) == 100
    assert carried(80, HALF, 100) == 80


def test_a_stated_maximum_is_carried_at_most():
    # 25,00 € back, at most 10,00 € carried: 15,00 € kept
    out = run_leg(500, Leg("r", 7, "GAGNANT", 1000), 2500, False, 100, last=False)
    assert (out.carried_cents, out.kept_cents) == (1000, 1500)
    # less back than the maximum: all of it goes on
    assert carried(700, 1000, 100) == 700


def test_no_carry_above_a_thousand_minimum_stakes():
    # 900 € at 2,50 for 1 €: 2 250 € back; 1 000 € carried at most (art. 30), 1 250 € kept
    out = run_leg(90_000, Leg("r", 7, "GAGNANT"), 225_000, False, 100, last=False)
    assert (out.carried_cents, out.kept_cents) == (100_000, 125_000)


def test_the_last_leg_keeps_everything():
    out = run_leg(860, Leg("r", 2, "PLACE"), 1290, False, 100, last=True)
    assert (out.carried_cents, out.kept_cents) == (0, 1290)


# -- a whole chain ------------------------------------------------------------

LEGS = (Leg("a", 7, "GAGNANT", HALF), Leg("b", 2, "PLACE"), Leg("c", 4, "GAGNANT"))


def test_a_chain_won_pays_what_was_kept_and_the_last_return():
    # 2 € → 8,60 € (4,30): 5,00 € on, 3,60 € kept; 5,00 € placé at 1,80 → 9,00 € all on;
    # 9,00 € at 3,10 → 27,90 €. Owed: 3,60 + 27,90 = 31,50 €.
    first = run_leg(200, LEGS[0], 860, False, 100, last=False)
    second = run_leg(first.carried_cents, LEGS[1], 900, False, 100, last=False)
    third = run_leg(second.carried_cents, LEGS[2], 2790, False, 100, last=True)
    assert chain_state(LEGS, [first]) == ChainState.ALIVE
    assert chain_state(LEGS, [first, second, third]) == ChainState.WON
    assert chain_value([first, second, third]) == 3150


def test_a_chain_lost_later_still_owes_what_was_kept():
    first = run_leg(200, LEGS[0], 860, False, 100, last=False)  # 3,60 € kept
    second = run_leg(500, LEGS[1], 0, False, 100, last=False)   # the placé lost
    assert chain_state(LEGS, [first, second]) == ChainState.LOST
    assert chain_value([first, second]) == 360


def test_a_non_runner_leg_goes_on_at_the_same_stake_and_all_void_is_a_refund():
    # art. 31: a non-runner "paid" the unit stake: 2 € back on a 2 € leg
    outcomes, stake = [], 200
    for i, item in enumerate(LEGS):
        outcomes.append(run_leg(stake, item, stake, True, 100, last=i == 2))
        stake = outcomes[-1].carried_cents
    # HALF of 2 € is 1 €: 1 € kept at the first leg, 1 € goes on and comes back
    assert [o.carried_cents for o in outcomes] == [100, 100, 0]
    assert chain_value(outcomes) == 200
    assert chain_state(LEGS, outcomes) == ChainState.REFUNDED
