"""Our Simple rules against the operator's published dividends of 20 October 2017.

The fixture has no pool totals and no winning stakes. What these tests prove:
the published figures obey the invariants (0.10 € grid, 1.10 € minimum,
places paid by declared runners), and our rules pay the same horses as the
operator (écuries, the dead heat, fewer horses classified than places). What
they do NOT prove is an amount: the stakes are derived from the published
dividends, so any deduction rate or split passes. The amounts are checked
against real winning stakes in test_dividends_published.py.
"""
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest

from betting.pools import settle_pool
from betting.rates import DEFAULT_RATES
from betting.results import make_result, places_paid_simple_place

# A copy of shared/data/pmu_results_2017-10-20_fixture.json (public operator data).
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "pmu_results_2017-10-20_fixture.json"
DEAD_HEATS = {12: [[3], [1, 4]]}  # race pk 12: dead heat for second (fixture README)
FEWER_CLASSIFIED = {20}  # race pk 20: fewer horses finished than places


def _races():
    if not FIXTURE.exists():
        return []
    data = json.loads(FIXTURE.read_text())
    races = {r["pk"]: {"declared": r["fields"]["declared_player_count"], "SG": [], "SP": []}
             for r in data if r["model"] == "core.race"}
    for r in data:
        if r["model"] == "core.betresult":
            f = r["fields"]
            kind = {"E_SIMPLE_GAGNANT": "SG", "E_SIMPLE_PLACE": "SP"}[f["type"]]
            races[f["race"]][kind].append((json.loads(f["combo"])[0], f["dividend"]))
    return sorted(races.items())


RACES = _races()


def test_published_dividends_are_on_the_grid_and_at_least_one_ten():
    for _, race in RACES:
        for _, dividend in race["SG"] + race["SP"]:
            assert dividend % 10 == 0 and dividend >= 110


def test_published_places_follow_the_declared_runners_rule():
    for pk, race in RACES:
        expected = places_paid_simple_place(race["declared"])
        if pk in FEWER_CLASSIFIED:
            assert len(race["SP"]) < expected
        else:
            assert len(race["SP"]) == expected, pk


def _pool_for(dividends_by_horse, shares, rate, loser=98):
    """Stakes under which each horse's raw dividend sits mid-way in its 0.10 € step."""
    profit = 10_000_000  # 100 000 €, so rounding stakes to the cent changes nothing
    stakes = {}
    for horse, dividend in dividends_by_horse.items():
        ratio_minus_one = Fraction(dividend + 5, 100) - 1
        stakes[(horse,)] = round(profit * shares / ratio_minus_one)
    masse = profit + sum(stakes.values())
    net = math.ceil(masse / (1 - rate))
    stakes[(loser,)] = net - sum(stakes.values())
    return stakes


@pytest.mark.parametrize("pk,race", RACES, ids=[f"race{pk}" for pk, _ in RACES])
def test_our_rules_reproduce_the_published_simple_place_dividends(pk, race):
    sp = dict(race["SP"])
    arrival = DEAD_HEATS.get(pk, [[h] for h, _ in race["SP"]])
    stakes = _pool_for(sp, Fraction(1, len(sp)), DEFAULT_RATES.deduction_rate("SIMPLE_PLACE"))
    pool = settle_pool("SIMPLE_PLACE", stakes, make_result(arrival, race["declared"]))
    assert {d.combination[0]: d.per_euro_cents for d in pool.dividends} == sp


@pytest.mark.parametrize("pk,race", RACES, ids=[f"race{pk}" for pk, _ in RACES])
def test_our_rules_reproduce_the_published_simple_gagnant_dividends(pk, race):
    horses = {h: d for h, d in race["SG"] if isinstance(h, int)}
    ecuries = [int(h.split(":")[1]) for h, _ in race["SG"] if isinstance(h, str)]
    (winner, dividend), = horses.items()
    coupled = [[e, winner] for e in ecuries]
    backed = {winner: dividend} | {e: dividend for e in ecuries}
    rate = DEFAULT_RATES.deduction_rate("SIMPLE_GAGNANT")
    stakes = _pool_for({winner: dividend}, Fraction(1), rate)
    if ecuries:  # the écurie's stake is shared between its horses
        stakes[(ecuries[0],)] = stakes[(winner,)] // 2
        stakes[(winner,)] -= stakes[(ecuries[0],)]
    pool = settle_pool("SIMPLE_GAGNANT", stakes,
                       make_result([[winner]], race["declared"], coupled=coupled))
    assert {d.combination[0]: d.per_euro_cents for d in pool.dividends} == backed
