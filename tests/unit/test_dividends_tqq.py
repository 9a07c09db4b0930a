"""Tiercé, Quarté+, Quinté+: dividends per kind, with worked numbers (RULES.md)."""
from betting.pools import PoolResult, bet_payout, settle_pool
from betting.rates import DEFAULT_RATES, Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
ARRIVAL = make_result([[1], [2], [3], [4], [5], [6]], 16)


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def test_quinte_profit_is_split_28_29_17_26_between_its_four_kinds():
    # 1 000 € staked, no deduction; 17 € reserved; profit 983 €:
    # ordre 28 % = 275.24 € / 1 € -> 276.24 -> 276.20; désordre 29 % = 285.07 € / 2 €
    # -> 143.53 -> 143.50; bonus 4 17 % = 167.11 € / 4 € -> 42.77 -> 42.70;
    # bonus 3 26 % = 255.58 € / 10 € -> 26.55 -> 26.50
    stakes = {(1, 2, 3, 4, 5): 100, (2, 1, 3, 4, 5): 200, (1, 2, 3, 4, 9): 400,
              (1, 2, 3, 8, 9): 1_000, (6, 7, 8, 9, 10): 98_300}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4, 5)): 27_620,
                          ("DESORDRE", (1, 2, 3, 4, 5)): 14_350,
                          ("BONUS4", (1, 2, 3, 4)): 4_270, ("BONUS3", (1, 2, 3)): 2_650}


def test_quinte_unit_earns_only_its_best_kind():
    stakes = {(1, 2, 3, 4, 5): 100, (1, 2, 3, 8, 9): 1_000, (6, 7, 8, 9, 10): 9_000}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    payout = bet_payout(pool, [(1, 2, 3, 4, 5)], 100)
    assert payout.kinds == ("ORDRE",)
    assert payout.amount_cents == divs(pool)[("ORDRE", (1, 2, 3, 4, 5))]


def test_unwon_ordre_share_goes_to_the_desordre():
    # no ordre: désordre gets 28 + 29 = 57 % of the 98 € profit: 55.86 / 1 -> 56.86
    stakes = {(2, 1, 3, 4, 5): 100, (1, 2, 3, 8, 9): 100, (6, 7, 8, 9, 10): 9_800}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool)[("DESORDRE", (1, 2, 3, 4, 5))] == 5_680


def test_quinte_bonus_4_sur_5_pays_any_four_of_the_first_five():
    # (1,2,3,5,9) holds four of the first five (not the first four): Bonus 4 sur 5, as
    # the operator publishes it (five combinations, one dividend, 4 Nov 2025 R1C1).
    # Nobody won ordre or désordre: their shares go down to the Bonus 4 (28 + 29 + 17 =
    # 74 %). Profit 98 €: Bonus 4 72.52 € on 1 € -> 73.52; Bonus 3 25.48 € on 1 € -> 26.48.
    stakes = {(1, 2, 3, 5, 9): 100, (1, 2, 3, 8, 9): 100, (6, 7, 8, 9, 10): 9_800}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 5)): 7_350, ("BONUS3", (1, 2, 3)): 2_640}
    assert bet_payout(pool, [(1, 2, 3, 5, 9)], 100).kinds == ("BONUS4",)
    # a heavily backed Bonus 4 never pays less than the Bonus 3: profit 49 €, Bonus 4
    # (50 € + 36.26 €) / 50 € = 1.72, Bonus 3 (1 € + 12.74 €) / 1 € = 13.74: pooled,
    # 100 € / 51 € = 1.96 -> 1.90 each.
    stakes = {(1, 2, 3, 5, 9): 5_000, (1, 2, 3, 8, 9): 100, (6, 7, 8, 9, 10): 4_900}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 5)): 190, ("BONUS3", (1, 2, 3)): 190}


def test_quinte_kinds_are_pooled_where_a_better_kind_would_pay_less():
    # masse 100 €, reserved 53 €, profit 47 €: ordre 28 % -> 14.16 € masse on 1 €; désordre
    # 29 % -> 14.63 € on 1 €: ordre < désordre, pooled: 28.79 / 2 = 14.395 -> 14.30 each.
    # Bonus 4 17 % -> 57.99 € on 50 € = 1.16; bonus 3 26 % -> 13.22 € on 1 € = 13.22:
    # pooled, 71.21 / 51 = 1.396 -> 1.30 each (the Bonus 4 never pays less than the Bonus 3).
    stakes = {(1, 2, 3, 4, 9): 5_000, (1, 2, 3, 8, 9): 100, (1, 2, 3, 4, 5): 100,
              (2, 1, 3, 4, 5): 100, (6, 7, 8, 9, 10): 4_700}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4, 5)): 1_430, ("DESORDRE", (1, 2, 3, 4, 5)): 1_430,
                          ("BONUS4", (1, 2, 3, 4)): 130, ("BONUS3", (1, 2, 3)): 130}


def test_quinte_with_no_winner_carries_the_masse_over():
    pool = settle_pool("QUINTE_PLUS", {(6, 7, 8, 9, 10): 10_000}, ARRIVAL)
    assert not pool.void and pool.dividends == ()
    assert pool.deduction_cents == 2_850 and pool.carry_over_cents == 7_150
    nxt = settle_pool("QUINTE_PLUS", {(1, 2, 3, 4, 5): 200, (6, 7, 8, 9, 10): 9_800},
                      ARRIVAL, NO_DEDUCTION, carried_in_cents=pool.carry_over_cents)
    assert nxt.payout_cents + nxt.breakage_cents == 10_000 + 7_150


def test_tierce_ordre_pays_at_least_five_times_the_desordre():
    # profit 95 € halved: ordre 48.50 € on 1 € -> 48.50; désordre 51.50 € on 4 € -> 12.875.
    # 48.50 < 5 x 12.875: masses pooled, ordre stakes counted five times:
    # 100 € / (5 x 1 € + 4 €) = 11.11 -> 11.10 désordre; ordre 55.55 -> 55.50.
    stakes = {(1, 2, 3): 100, (2, 1, 3): 100, (3, 2, 1): 300, (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 5_550, ("DESORDRE", (1, 2, 3)): 1_110}


def test_tierce_ordre_above_five_times_is_left_alone():
    # ordre on 0.10 €, désordre on 10 €, profit 89.90 € halved: ordre 1 + 44.95 / 0.10
    # = 450.50; désordre 1 + 44.95 / 10 = 5.495 -> 5.40. 450.50 >= 5 x 5.495: not pooled.
    stakes = {(1, 2, 3): 10, (2, 1, 3): 1_000, (4, 5, 6): 8_990}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 45_050, ("DESORDRE", (1, 2, 3)): 540}


def test_tierce_triple_dead_heat_for_first_pays_one_rapport_for_every_order():
    # règlement art. 61 a: three horses first together, each order of them is exact:
    # one ordre rapport, 100 € / 4 € = 25.00 for (1,2,3), (3,2,1) and (2,1,3) alike.
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (2, 1, 3): 200, (4, 5, 6): 9_600}
    pool = settle_pool("TIERCE", stakes, make_result([[1, 2, 3], [4]], 16), NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_500, ("ORDRE", (3, 2, 1)): 2_500,
                          ("ORDRE", (2, 1, 3)): 2_500}


def test_tierce_dead_heat_for_first_shares_one_ordre_rapport_between_both_orders():
    # (1,2,3) and (2,1,3) are both exact: one ordre kind on 4 €. Profit 92 € halved:
    # ordre 50 € on 4 € = 12.50, désordre 50 € on 4 € = 12.50: pooled to 5 x:
    # 100 € / (5 x 4 € + 4 €) = 4.166 -> 4.10; ordre 20.83 -> 20.80.
    stakes = {(1, 2, 3): 100, (2, 1, 3): 300, (3, 1, 2): 400, (7, 8, 9): 9_200}
    pool = settle_pool("TIERCE", stakes, make_result([[1, 2], [3], [4]], 16), NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_080, ("ORDRE", (2, 1, 3)): 2_080,
                          ("DESORDRE", (1, 2, 3)): 410}


def test_tierce_nobody_on_the_first_three_pays_one_two_four():
    # règlement art. 68: nobody backed 1-2-3 in any order, so 1-2-4 is paid as if it
    # were the arrival. Profit 98 € halved, pooled to 5 x: 100 € / 6 € = 16.66 -> 16.60
    # désordre (4,2,1); ordre (1,2,4) 83.33 -> 83.30.
    stakes = {(1, 2, 4): 100, (4, 2, 1): 100, (5, 6, 7): 9_800}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 4)): 8_330, ("DESORDRE", (1, 2, 4)): 1_660}
    assert pool.reallocated_arrival == ((1,), (2,), (4,), (5,), (6,))
    assert bet_payout(pool, [(1, 2, 4)], 100).amount_cents == 8_330
    again = PoolResult.from_dict(pool.to_dict())  # as the server stores it
    assert bet_payout(again, [(4, 2, 1)], 100).amount_cents == 1_660
    # nobody on 1-2-4 either: 1-3-4 next, then 2-3-4
    pool = settle_pool("TIERCE", {(2, 3, 4): 100, (5, 6, 7): 900}, ARRIVAL, NO_DEDUCTION)
    assert pool.reallocated_arrival == ((2,), (3,), (4,), (5,), (6,))
    assert divs(pool) == {("ORDRE", (2, 3, 4)): 1_000}


def test_tierce_with_no_winner_is_refunded():
    pool = settle_pool("TIERCE", {(4, 5, 6): 1_000}, ARRIVAL, DEFAULT_RATES)
    assert pool.void and pool.refunded_cents == 1_000


def test_quarte_bonus_is_at_most_a_quarter_of_the_desordre():
    # profit 86 €: ordre 25 % -> 22.50 € on 1 € = 22.50; désordre 30 % -> 28.80 € on 3 €
    # = 9.60; bonus 3 45 % -> 48.70 € on 10 € = 4.87 > 9.60 / 4. Règlement art. 86.7:
    # désordre and bonus pooled, désordre stakes counted four times:
    # (28.80 + 48.70) / (4 x 3 + 10) = 3.52 -> 3.50 bonus, désordre 14.09 -> 14.00.
    stakes = {(1, 2, 3, 4): 100, (4, 3, 2, 1): 300, (1, 2, 3, 9): 1_000, (5, 6, 7, 8): 8_600}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): 2_250, ("DESORDRE", (1, 2, 3, 4)): 1_400,
                          ("BONUS3", (1, 2, 3)): 350}


def test_tierce_unit_naming_a_non_runner_is_refunded():
    pool = settle_pool("TIERCE", {(1, 2, 3): 100, (1, 2, 9): 100, (4, 5, 6): 800},
                       make_result([[1], [2], [3]], 16, non_runners=[9]), NO_DEDUCTION)
    assert pool.refunded_cents == 100
    assert bet_payout(pool, [(1, 2, 9), (1, 2, 3)], 100).refund_cents == 100
