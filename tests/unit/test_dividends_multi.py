"""Multi and Mini Multi "en 4/5/6/7", Trio, Super 4, Pick 5 (RULES.md)."""
from betting.catalogue import get_bet_type
from betting.combinations import expand
from betting.pools import bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
ARRIVAL = make_result([[1], [2], [3], [4], [5], [6]], 16)


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def test_multi_en_5_dividend_is_a_fifth_of_the_en_4():
    # 3 € en 4 + 15 € en 5 (worth 3 € en 4) = 6 € in en-4 units; masse 300 € -> en 4 x50
    stakes = {(1, 2, 3, 4): 300, (1, 2, 3, 4, 9): 1_500, (5, 6, 7, 8): 28_200}
    pool = settle_pool("MULTI", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("MULTI_EN_4", (1, 2, 3, 4)): 5_000,
                          ("MULTI_EN_5", (1, 2, 3, 4)): 1_000}
    assert pool.payout_cents == 30_000 and pool.breakage_cents == 0


def test_multi_minimum_is_funded_by_the_breakage_of_the_other_dividend():
    # 100 € en 4 + 35 € en 7 (worth 1 € en 4): masse 3 695.59 € / 101 € = 36.59 -> 36.50
    # (breakage 9 €); en 7 36.59 / 35 = 1.045 -> 1.00, raised to 1.10: 3.50 € from breakage
    stakes = {(1, 2, 3, 4): 10_000, (1, 2, 3, 4, 7, 8, 9): 3_500, (5, 6, 7, 8): 356_059}
    pool = settle_pool("MULTI", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("MULTI_EN_4", (1, 2, 3, 4)): 3_650,
                          ("MULTI_EN_7", (1, 2, 3, 4)): 110}
    assert (pool.breakage_cents, pool.topup_cents) == (709, 0)


def test_multi_unit_with_a_non_runner_plays_on_as_a_smaller_unit():
    # règlement art. 91: the en 5 (1,2,3,4,9) with 9 withdrawn is an en 4 (1,2,3,4), its
    # 3 € counted as en 4 stakes: masse 12 € over 6 € en 4 = 2.00 each. Only when fewer
    # than four horses run is the unit refunded: (1,2,8,9) with 8 and 9 out.
    stakes = {(1, 2, 3, 4, 9): 300, (1, 2, 3, 4): 300, (5, 6, 7, 10): 600, (1, 2, 8, 9): 300}
    pool = settle_pool("MULTI", stakes,
                       make_result([[1], [2], [3], [4]], 16, non_runners=[8, 9]), NO_DEDUCTION)
    assert pool.refunded_cents == 300
    assert divs(pool) == {("MULTI_EN_4", (1, 2, 3, 4)): 200}
    assert bet_payout(pool, [(1, 2, 3, 4, 9)], 300).amount_cents == 600


def test_multi_combined_ticket_is_five_multi_en_4_units():
    bt = get_bet_type("MULTI")
    units = list(expand(bt, "COMBINE", [1, 2, 3, 4, 9], [], range(1, 17)))
    pool = settle_pool("MULTI", {u: 300 for u in units} | {(5, 6, 7, 8): 1_500},
                       ARRIVAL, NO_DEDUCTION)
    assert bet_payout(pool, units, 300).amount_cents == 3 * 1_000  # 30 € / 3 € = x10


def test_mini_multi_en_6_holds_the_first_four():
    stakes = {(1, 2, 3, 4, 7, 8): 300, (5, 6, 7, 8): 2_700}
    pool = settle_pool("MINI_MULTI", stakes, make_result([[1], [2], [3], [4]], 12),
                       NO_DEDUCTION)
    assert divs(pool) == {("MULTI_EN_6", (1, 2, 3, 4)): 1_000}


def test_trio_dead_heat_for_third_pays_both_sets_half_the_profit_each():
    # profit 80 € halved: (1,2,3) 1 + 40/10 = 5.00; (1,2,4) 1 + 40/10 = 5.00
    stakes = {(1, 2, 3): 1_000, (1, 2, 4): 1_000, (5, 6, 7): 8_000}
    pool = settle_pool("TRIO", stakes, make_result([[1], [2], [3, 4]], 10), NO_DEDUCTION)
    assert divs(pool) == {("GAGNANT", (1, 2, 3)): 500, ("GAGNANT", (1, 2, 4)): 500}


def test_super_quatre_pays_the_exact_order_only():
    stakes = {(1, 2, 3, 4): 100, (2, 1, 3, 4): 100, (5, 6, 7, 8): 800}
    pool = settle_pool("SUPER_QUATRE", stakes, make_result([[1], [2], [3], [4]], 8),
                       NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): 1_000}


def test_pick5_pays_np_to_a_unit_with_one_non_runner_and_four_of_the_first_five():
    # profit 80 €: a quarter (20 €) over 20 € of winners + NP -> +1.00; the rest (60 €)
    # over the 10 € winners -> +6.00. GAGNANT 8.00; NP 2.00
    stakes = {(1, 2, 3, 4, 5): 1_000, (1, 2, 3, 4, 9): 1_000, (6, 7, 8, 10, 11): 8_000}
    pool = settle_pool("PICK5", stakes,
                       make_result([[1], [2], [3], [4], [5]], 12, non_runners=[9]),
                       NO_DEDUCTION)
    assert divs(pool) == {("GAGNANT", (1, 2, 3, 4, 5)): 800, ("NP", (1, 2, 3, 4)): 200}


def test_multi_nobody_on_the_first_four_pays_one_two_three_five():
    # règlement art. 94: 1-2-3-5, then 1-2-4-5, 1-3-4-5, 2-3-4-5, then refund.
    arrival = make_result([[1], [2], [3], [4], [5], [6]], 16)
    pool = settle_pool("MULTI", {(1, 2, 4, 5): 300, (6, 7, 8, 9): 2_700}, arrival, NO_DEDUCTION)
    assert divs(pool) == {("MULTI_EN_4", (1, 2, 4, 5)): 1_000}
    assert pool.reallocated_arrival == ((1,), (2,), (4,), (5,), (6,))


def test_multi_combine_en_5_is_every_set_of_five_each_an_en_5_unit():
    # 6 horses "en 5": C(6, 5) = 6 units en 5 at 3 € = 18 €; two of them hold the first
    # four (1,2,3,4 with 8, and with 9). Other stakes: 42 € en 4 on (5,6,7,8).
    # Pool 60 €, no deduction. In en-4 units the winners weigh 2 × 3 € / 5 = 1,20 €:
    # en 4 = 60 / 1,20 = 50,00 for 1 €, en 5 = 50 / 5 = 10,00 for 1 €.
    # Each winning unit: 3 € × 10 = 30 €, the ticket 60 €: the whole pool.
    bt = get_bet_type("MULTI")
    units = list(expand(bt, "COMBINE_EN_5", [1, 2, 3, 4, 8, 9], [], range(1, 17)))
    assert len(units) == 6 and all(len(u) == 5 for u in units)
    pool = settle_pool("MULTI", {u: 300 for u in units} | {(5, 6, 7, 8): 4_200},
                       ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("MULTI_EN_5", (1, 2, 3, 4)): 1_000}
    assert bet_payout(pool, units, 300).amount_cents == 6_000


def test_combine_en_n_is_sold_only_where_the_unit_size_exists():
    from betting.combinations import count_combinations
    from betting.errors import FormulaNotAllowed, WrongSelectionCount
    import pytest

    multi, mini = get_bet_type("MULTI"), get_bet_type("MINI_MULTI")
    # 8 horses en 7: C(8, 7) = 8 units; en 6: C(8, 6) = 28
    assert count_combinations(multi, "COMBINE_EN_7", list(range(1, 9)), [], []) == 8
    assert count_combinations(mini, "COMBINE_EN_6", list(range(1, 9)), [], []) == 28
    with pytest.raises(WrongSelectionCount, match="combiné en 6 demande plus de 6"):
        count_combinations(multi, "COMBINE_EN_6", list(range(1, 7)), [], [])
    with pytest.raises(FormulaNotAllowed):
        count_combinations(mini, "COMBINE_EN_7", list(range(1, 9)), [], [])
    with pytest.raises(FormulaNotAllowed):
        count_combinations(get_bet_type("TRIO"), "COMBINE_EN_5", list(range(1, 7)), [], [])
