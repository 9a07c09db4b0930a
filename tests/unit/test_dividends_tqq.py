"""Tiercé, Quarté+, Quinté+: dividends per kind, with worked numbers (RULES.md)."""
from betting.pools import bet_payout, settle_pool
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


def test_quinte_with_no_winner_carries_the_masse_over():
    pool = settle_pool("QUINTE_PLUS", {(6, 7, 8, 9, 10): 10_000}, ARRIVAL)
    assert not pool.void and pool.dividends == ()
    assert pool.deduction_cents == 3_500 and pool.carry_over_cents == 6_500
    nxt = settle_pool("QUINTE_PLUS", {(1, 2, 3, 4, 5): 200, (6, 7, 8, 9, 10): 9_800},
                      ARRIVAL, NO_DEDUCTION, carried_in_cents=pool.carry_over_cents)
    assert nxt.payout_cents + nxt.breakage_cents == 10_000 + 6_500


def test_tierce_splits_ordre_and_desordre_half_and_half():
    # profit 95 €: ordre 47.50 € / 1 € -> 48.50; désordre 47.50 € / 4 € -> 12.875 -> 12.80
    stakes = {(1, 2, 3): 100, (2, 1, 3): 100, (3, 2, 1): 300, (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 4_850, ("DESORDRE", (1, 2, 3)): 1_280}


def test_tierce_dead_heat_for_first_pays_both_orders_half_the_ordre_share():
    # profit 92 €, ordre 46 € halved: (1,2,3) 1 + 23/1 = 24.00; (2,1,3) 1 + 23/3 -> 8.60;
    # désordre 46 € / 4 € -> 12.50
    stakes = {(1, 2, 3): 100, (2, 1, 3): 300, (3, 1, 2): 400, (7, 8, 9): 9_200}
    pool = settle_pool("TIERCE", stakes, make_result([[1, 2], [3], [4]], 16), NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_400, ("ORDRE", (2, 1, 3)): 860,
                          ("DESORDRE", (1, 2, 3)): 1_250}


def test_tierce_with_no_winner_is_refunded():
    pool = settle_pool("TIERCE", {(4, 5, 6): 1_000}, ARRIVAL, DEFAULT_RATES)
    assert pool.void and pool.refunded_cents == 1_000


def test_quarte_pays_a_bonus_3_to_units_holding_the_first_three():
    # profit 86 €: ordre 25 % 21.50 € / 1 € -> 22.50; désordre 30 % 25.80 € / 3 € -> 9.60;
    # bonus 3 45 % 38.70 € / 10 € -> 4.87 -> 4.80
    stakes = {(1, 2, 3, 4): 100, (4, 3, 2, 1): 300, (1, 2, 3, 9): 1_000, (5, 6, 7, 8): 8_600}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): 2_250, ("DESORDRE", (1, 2, 3, 4)): 960,
                          ("BONUS3", (1, 2, 3)): 480}


def test_tierce_unit_naming_a_non_runner_is_refunded():
    pool = settle_pool("TIERCE", {(1, 2, 3): 100, (1, 2, 9): 100, (4, 5, 6): 800},
                       make_result([[1], [2], [3]], 16, non_runners=[9]), NO_DEDUCTION)
    assert pool.refunded_cents == 100
    assert bet_payout(pool, [(1, 2, 9), (1, 2, 3)], 100).refund_cents == 100
