"""Counting and expanding unit combinations (betting/combinations.py)."""
import pytest

from betting.catalogue import CHAMP_REDUIT, CHAMP_TOTAL, COMBINE, UNITAIRE, get_bet_type
from betting.combinations import count_combinations, expand
from betting.errors import (
    DuplicateRunner, FormulaNotAllowed, MissingBase, WrongSelectionCount,
)

RUNNING = list(range(1, 11))  # a 10-runner race


def count(code, formula, selections=(), bases=(), running=RUNNING):
    return count_combinations(get_bet_type(code), formula, selections, bases, running)


def test_unitaire_is_one_combination():
    assert count("TIERCE", UNITAIRE, [3, 5, 8]) == 1
    assert list(expand(get_bet_type("TIERCE"), UNITAIRE, [8, 3, 5], [], RUNNING)) == [(8, 3, 5)]


def test_multi_en_5_unitaire_is_one_five_horse_combination():
    bt = get_bet_type("MULTI")
    assert count("MULTI", UNITAIRE, [9, 1, 2, 3, 4]) == 1
    assert list(expand(bt, UNITAIRE, [9, 1, 2, 3, 4], [], RUNNING)) == [(1, 2, 3, 4, 9)]


def test_multi_en_8_does_not_exist():
    with pytest.raises(WrongSelectionCount):
        count("MULTI", UNITAIRE, [1, 2, 3, 4, 5, 6, 7, 8])
    with pytest.raises(WrongSelectionCount):
        count("MINI_MULTI", UNITAIRE, [1, 2, 3, 4, 5, 6, 7])


def test_unordered_combine_plays_every_subset():
    assert count("COUPLE_GAGNANT", COMBINE, [1, 2, 3, 4]) == 6
    assert count("MULTI", COMBINE, [1, 2, 3, 4, 5]) == 5  # five Multi en 4


def test_ordered_combine_plays_every_order():
    assert count("TIERCE", COMBINE, [1, 2, 3, 4]) == 24  # 4 x 3 x 2
    assert count("COUPLE_ORDRE", COMBINE, [1, 2, 3]) == 6


def test_tierce_champ_total_of_two_bases_is_six_times_the_partners():
    # operator's rules: 6 x (N - 2) in all orders
    assert count("TIERCE", CHAMP_TOTAL, bases=[1, 2]) == 6 * 8


def test_multi_champ_total_of_two_bases_is_pairs_of_partners():
    # operator's rules: (N - 2)(N - 3) / 2
    assert count("MULTI", CHAMP_TOTAL, bases=[1, 2]) == 8 * 7 // 2


def test_quinte_champ_reduit_two_bases_eight_partners_in_all_orders():
    assert count("QUINTE_PLUS", CHAMP_REDUIT, [3, 4, 5, 6, 7, 8, 9, 10], [1, 2]) == 56 * 120


def test_champ_total_is_completed_by_running_horses_only():
    assert count("COUPLE_GAGNANT", CHAMP_TOTAL, bases=[1], running=[1, 2, 3, 5]) == 3


def test_champ_without_base_is_refused():
    with pytest.raises(MissingBase):
        count("TRIO", CHAMP_REDUIT, [1, 2, 3])


def test_champ_with_as_many_bases_as_horses_is_refused():
    with pytest.raises(WrongSelectionCount):
        count("COUPLE_GAGNANT", CHAMP_TOTAL, bases=[1, 2])


def test_same_horse_twice_is_refused():
    with pytest.raises(DuplicateRunner):
        count("TRIO", CHAMP_REDUIT, [1, 2, 3], [1])


def test_combine_needs_more_horses_than_one_combination():
    with pytest.raises(WrongSelectionCount):
        count("TRIO", COMBINE, [1, 2, 3])


def test_simple_cannot_be_combined():
    with pytest.raises(FormulaNotAllowed):
        count("SIMPLE_PLACE", COMBINE, [1, 2])


def test_wide_champ_is_counted_without_enumerating():
    # 99 partners, 4 to find in all orders: 3 764 376 x 120 combinations, counted instantly
    running = list(range(1, 101))
    n = count("QUINTE_PLUS", CHAMP_TOTAL, bases=[1], running=running)
    assert n == 3_764_376 * 120
