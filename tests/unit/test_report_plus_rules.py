"""Report+ (pari par reports, art. 30 to 33, art. 30 in its 2016 wording): what a sale
must be, and how one leg's return is split between the next leg and the bettor.
Amounts worked by hand."""
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
    QUARTER,
    THREE_QUARTERS,
    ChainState,
    Leg,
    chain_state,
    chain_value,
    parse_legs,
    price_chain,
    run_leg,
    split,
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
    [leg(1, carry=500), leg(2)],  # the 1985 "au plus N €" is gone from the 2016 text
    [leg(1), {"race": "x" * 41, "horse": 1, "kind": "PLACE"}],
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


def test_a_share_is_carried_rounded_down_and_the_rest_kept_rounded_to_the_nearest_cent():
    # 8,61 € back. Half: 4,305 carried → 4,30 €; 4,305 kept → 4,31 € (nearest, half up).
    assert split(861, HALF, 100) == (430, 431)
    # Three quarters: 6,4575 → 6,45 € carried; 2,1525 → 2,15 € kept; 0,01 € to the
    # operator (the "millièmes" of art. 30).
    out = run_leg(200, Leg("r", 7, "GAGNANT", THREE_QUARTERS), 861, False, 100, last=False)
    assert (out.carried_cents, out.kept_cents, out.breakage_cents) == (645, 215, 1)
    # A quarter: 2,1525 → 2,15 € carried; 6,4575 → 6,46 € kept
    assert split(861, QUARTER, 100) == (215, 646)


def test_a_share_below_the_minimum_stake_is_kept_not_carried():
    # 3,00 € back, a quarter is 0,75 €: below the 1 € minimum stake, all 3,00 € kept
    assert split(300, QUARTER, 100) == (0, 300)
    legs = (Leg("a", 7, "GAGNANT", QUARTER), Leg("b", 2, "PLACE"))
    out = run_leg(200, legs[0], 300, False, 100, last=False)
    assert chain_state(legs, [out]) == ChainState.WON and chain_value([out]) == 300


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
    # 2 € at 4,30 → 8,60 €: half on (4,30 €), half kept (4,30 €); 4,30 € placé at
    # 2,10 → 9,03 €, all on; 9,03 € at 3,10 → 27,993 → 27,99 € (the pool rounds it down).
    # Owed: 4,30 + 27,99 = 32,29 €.
    first = run_leg(200, LEGS[0], 860, False, 100, last=False)
    second = run_leg(first.carried_cents, LEGS[1], 903, False, 100, last=False)
    third = run_leg(second.carried_cents, LEGS[2], 2799, False, 100, last=True)
    assert chain_state(LEGS, [first]) == ChainState.ALIVE
    assert chain_state(LEGS, [first, second, third]) == ChainState.WON
    assert (first.carried_cents, first.kept_cents) == (430, 430)
    assert (second.carried_cents, third.kept_cents) == (903, 2799)
    assert chain_value([first, second, third]) == 3229


def test_a_chain_lost_later_still_owes_what_was_kept():
    first = run_leg(200, LEGS[0], 860, False, 100, last=False)  # 4,30 € kept
    second = run_leg(430, LEGS[1], 0, False, 100, last=False)   # the placé lost
    assert chain_state(LEGS, [first, second]) == ChainState.LOST
    assert chain_value([first, second]) == 430


def test_a_non_runner_leg_goes_on_at_the_same_stake_and_all_void_is_a_refund():
    # art. 31: a non-runner "paid" the unit stake: 2 € back on a 2 € leg
    outcomes, stake = [], 200
    for i, item in enumerate(LEGS):
        outcomes.append(run_leg(stake, item, stake, True, 100, last=i == 2))
        stake = outcomes[-1].carried_cents
    # half of 2 € is 1 €: 1 € kept at the first leg, 1 € goes on and comes back
    assert [o.carried_cents for o in outcomes] == [100, 100, 0]
    assert chain_value(outcomes) == 200
    assert chain_state(LEGS, outcomes) == ChainState.REFUNDED
