"""The arithmetic rules of a pool, one worked example each (betting/dividends.py)."""
from fractions import Fraction

from betting import dividends as rule


def test_deduction_is_taken_on_the_net_stakes_and_rounded_down():
    assert rule.deduction(10_000, Fraction(14, 100)) == 1_400
    assert rule.deduction(999, Fraction(14, 100)) == 139  # 139.86 -> 139


def test_minus_pool_relief_gives_back_just_enough_deduction():
    # masse 8 000 after a 2 000 deduction, 9 000 staked on the winner
    assert rule.minus_pool_relief(8_000, 9_000, 2_000) == 1_000
    assert rule.minus_pool_relief(8_000, 7_000, 2_000) == 0
    assert rule.minus_pool_relief(8_000, 20_000, 2_000) == 2_000  # never more than taken


def test_stakes_are_reserved_before_the_profit_is_split():
    # part 2 000 of profit on 1 000 staked: stake back + 2 per euro
    assert rule.raw_dividend(Fraction(2_000), 1_000) == 3


def test_dividend_is_rounded_down_to_ten_cents_per_euro():
    assert rule.per_euro_cents(Fraction(34_567, 10_000)) == 340
    assert rule.per_euro_cents(Fraction(10_999, 10_000)) == 100
    assert rule.per_euro_cents(Fraction(3)) == 300


def test_minimum_dividend_is_one_euro_ten():
    assert rule.apply_minimum(100) == 110
    assert rule.apply_minimum(340) == 340


def test_minimum_is_funded_by_breakage_first_then_by_the_deduction_else_refunded():
    assert rule.fund_minimum(50, 80, 0) == (30, 0)
    assert rule.fund_minimum(120, 80, 100) == (0, 40)
    assert rule.fund_minimum(120, 80, 30) is None  # cannot pay: every bet refunded


def test_payout_is_per_euro_times_stake():
    assert rule.payout(340, 250) == 850


def test_unbacked_payable_share_goes_to_the_others_in_proportion():
    shares = {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}
    assert rule.renormalise(shares, {"a": 10, "b": 5}) == {"a": Fraction(1, 2), "b": Fraction(1, 2)}
    assert rule.renormalise({"a": Fraction(1, 6), "b": Fraction(1, 3)}, {"a": 1, "b": 1}) == {
        "a": Fraction(1, 3), "b": Fraction(2, 3)}


def test_unwon_kind_share_cascades_to_the_next_kind_down():
    split = {"ORDRE": Fraction(28, 100), "DESORDRE": Fraction(29, 100),
             "BONUS4": Fraction(17, 100), "BONUS3": Fraction(26, 100)}
    kinds = ("ORDRE", "DESORDRE", "BONUS4", "BONUS3")
    out = rule.cascade(split, kinds, {"DESORDRE": 1, "BONUS3": 1})
    assert out == {"ORDRE": 0, "DESORDRE": Fraction(57, 100), "BONUS4": 0,
                   "BONUS3": Fraction(43, 100)}


def test_unwon_last_kind_share_climbs_to_the_nearest_kind_above():
    split = {"ORDRE": Fraction(1, 2), "DESORDRE": Fraction(1, 2)}
    assert rule.cascade(split, ("ORDRE", "DESORDRE"), {"ORDRE": 5}) == {
        "ORDRE": 1, "DESORDRE": 0}


def test_multi_en_n_dividends_are_en_4_over_c_n_4():
    # masse 7 700; 1 000 staked en 4, 3 500 en 7 (worth 100 en 4): 7 700 / 1 100 = 7
    ratios = rule.multi_dividends(7_700, {4: 1_000, 7: 3_500})
    assert ratios == {4: 7, 7: Fraction(1, 5)}
    assert rule.multi_dividends(3_000, {5: 1_500})[5] == 2  # en 5 alone: masse / stake
