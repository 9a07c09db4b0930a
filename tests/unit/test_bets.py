"""Validating and pricing a bet against a race card (betting/bets.py)."""
from datetime import datetime, timezone

import pytest

from betting.bets import make_request, price_bet, unit_combinations
from betting.errors import (
    BetTypeNotOffered, DuplicateRunner, MissingBase, NotEnoughRunners, ProtocolError,
    RunnerNotDeclared, StakeBelowBase, StakeNotMultipleOfBase, StakeTooHigh, UnknownRace,
)
from betting.programme import Offer, Race, Runner

RACE = Race(
    race_id="2021-01-01/R1C4", meeting=1, number=4, name="Prix test", venue="VINCENNES",
    post_time=datetime(2021, 1, 1, 14, 0, tzinfo=timezone.utc),
    runners=tuple(Runner(n, f"Cheval {n}", non_runner=(n == 3)) for n in range(1, 11)),
    offers=(Offer("TIERCE", 100), Offer("QUARTE_PLUS", 150), Offer("SIMPLE_GAGNANT", 200),
            Offer("MULTI", 300)),
)


def bet(**kw):
    data = {"race": RACE.race_id, "bet_type": "TIERCE", "formula": "UNITAIRE",
            "selections": [1, 2, 4], "bases": [], "unit_stake_cents": 100} | kw
    return price_bet(make_request(data), RACE)


def test_total_is_combinations_times_unit_stake():
    priced = bet(formula="COMBINE", selections=[1, 2, 4, 5], unit_stake_cents=300)
    assert (priced.combinations, priced.total_cents, priced.base_stake_cents) == (24, 7_200, 100)


def test_programme_base_stake_wins_over_the_catalogue_default():
    priced = bet(bet_type="QUARTE_PLUS", selections=[1, 2, 4, 5], unit_stake_cents=150)
    assert priced.base_stake_cents == 150


def test_stake_below_base_is_refused():
    with pytest.raises(StakeBelowBase):
        bet(bet_type="SIMPLE_GAGNANT", selections=[1], unit_stake_cents=100)


def test_stake_not_a_multiple_of_base_is_refused():
    with pytest.raises(StakeNotMultipleOfBase):
        bet(bet_type="QUARTE_PLUS", selections=[1, 2, 4, 5], unit_stake_cents=200)


def test_horse_not_in_race_is_refused():
    with pytest.raises(RunnerNotDeclared):
        bet(selections=[1, 2, 12])


def test_non_runner_is_refused():
    with pytest.raises(RunnerNotDeclared):
        bet(selections=[1, 2, 3])


def test_duplicate_horse_is_refused():
    with pytest.raises(DuplicateRunner):
        bet(formula="CHAMP_REDUIT", bases=[1], selections=[1, 2, 4])


def test_champ_without_base_is_refused():
    with pytest.raises(MissingBase):
        bet(formula="CHAMP_TOTAL", selections=[])


def test_champ_total_skips_the_non_runner():
    priced = bet(formula="CHAMP_TOTAL", bases=[1, 2], selections=[])
    assert priced.combinations == 6 * 7  # 9 running, 7 partners, all orders


def test_multi_en_6_costs_one_unit_stake():
    priced = bet(bet_type="MULTI", selections=[1, 2, 4, 5, 6, 7], unit_stake_cents=300)
    assert (priced.combinations, priced.total_cents) == (1, 300)


def test_too_expensive_ticket_is_refused():
    with pytest.raises(StakeTooHigh):
        bet(formula="COMBINE", selections=[1, 2, 4, 5, 6, 7, 8, 9, 10],
            unit_stake_cents=100_000)


def test_bet_type_not_offered_is_refused():
    with pytest.raises(BetTypeNotOffered):
        bet(bet_type="QUINTE_PLUS", selections=[1, 2, 4, 5, 6])


def test_unknown_race_is_refused():
    with pytest.raises(UnknownRace):
        bet(race="2021-01-01/R1C5")


def test_race_with_too_few_runners_is_refused():
    small = Race(RACE.race_id, 1, 4, "", "", RACE.post_time,
                 (Runner(1, "a"), Runner(2, "b")), (Offer("TIERCE", 100),))
    with pytest.raises(NotEnoughRunners):
        price_bet(make_request({"race": RACE.race_id, "bet_type": "TIERCE",
                                "formula": "CHAMP_TOTAL", "bases": [1],
                                "unit_stake_cents": 100}), small)


def test_malformed_request_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        make_request({"race": RACE.race_id, "bet_type": "TIERCE", "formula": "UNITAIRE",
                      "selections": ["1"], "unit_stake_cents": 100})


def test_unit_combinations_are_the_pool_keys_of_the_bet():
    req = make_request({"race": RACE.race_id, "bet_type": "TIERCE", "formula": "CHAMP_REDUIT",
                        "bases": [1, 2], "selections": [4, 5], "unit_stake_cents": 100})
    combos = list(unit_combinations(req, RACE))
    assert len(combos) == price_bet(req, RACE).combinations == 12


@pytest.mark.parametrize("name,value", [("race", "2026-01-01/R1C1\x00"), ("bet_type", "SIMPLE\nX"),
                                        ("formula", "U" * 41)])
def test_names_with_control_characters_or_too_long_are_refused(name, value):
    data = {"race": "2026-01-01/R1C1", "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [1], "bases": [], "unit_stake_cents": 100, name: value}
    with pytest.raises(ProtocolError) as refused:
        make_request(data)
    assert name in refused.value.message


def test_one_tierce_combination_takes_at_most_twenty_base_stakes():
    # règlement art. 60: base 1 €, so 20 € a combination; 21 € is refused, other bet
    # types are not capped (a Simple gagnant at 200 x its base is sold)
    assert bet(unit_stake_cents=2_000).total_cents == 2_000
    with pytest.raises(StakeTooHigh, match="au plus 20 fois la mise de base, soit 20,00 €"):
        bet(unit_stake_cents=2_100)
    with pytest.raises(StakeTooHigh, match="art. 60"):
        bet(formula="COMBINE", selections=[1, 2, 4, 5], unit_stake_cents=2_100)
    assert bet(bet_type="SIMPLE_GAGNANT", selections=[1],
               unit_stake_cents=40_000).total_cents == 40_000


def test_couple_trio_ordre_and_multi_caps_cite_their_articles():
    race = Race(race_id="2021-01-01/R1C5", meeting=1, number=5, name="Prix", venue="V",
                post_time=datetime(2021, 1, 1, 15, 0, tzinfo=timezone.utc),
                runners=tuple(Runner(n, f"C{n}") for n in range(1, 15)),
                offers=(Offer("COUPLE_GAGNANT", 200), Offer("TRIO_ORDRE", 100),
                        Offer("MULTI", 300)))
    cases = [("COUPLE_GAGNANT", [1, 2], 200 * 200, "art. 42"),
             ("TRIO_ORDRE", [1, 2, 3], 20 * 100, "art. 74-2"),
             ("MULTI", [1, 2, 3, 4], 200 * 300, "art. 89")]
    for code, horses, cap, article in cases:
        data = {"race": race.race_id, "bet_type": code, "formula": "UNITAIRE",
                "selections": horses, "bases": []}
        assert price_bet(make_request(data | {"unit_stake_cents": cap}), race).total_cents == cap
        base = race.offer(code).base_stake_cents
        with pytest.raises(StakeTooHigh, match=article):
            price_bet(make_request(data | {"unit_stake_cents": cap + base}), race)
