"""Couplé gagnant / placé / ordre and 2 sur 4, with worked numbers (RULES.md)."""
from fractions import Fraction

from betting.pools import bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

CODES = ("COUPLE_GAGNANT", "COUPLE_PLACE", "COUPLE_ORDRE", "DEUX_SUR_QUATRE")
TWENTY = Rates(deductions={c: Fraction(1, 5) for c in CODES})


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def test_couple_place_splits_the_profit_in_three_equal_parts():
    # masse 80 €, reserved 20 €, profit 60 € in thirds of 20 €
    pool = settle_pool("COUPLE_PLACE", {(1, 2): 1_000, (1, 3): 500, (2, 3): 500, (4, 5): 8_000},
                       make_result([[1], [2], [3], [4]], 8), TWENTY)
    assert divs(pool) == {("PLACE", (1, 2)): 300, ("PLACE", (1, 3)): 500,
                          ("PLACE", (2, 3)): 500}


def test_couple_place_dead_heat_for_third_pays_five_pairs_never_the_two_thirds():
    # profit 50 €: (1,2) a third = 16.67 € on 10 € -> 2.66; the four others a sixth
    # = 8.33 € on 5 € -> 2.66. (3,4), the two thirds together, loses.
    stakes = {(1, 2): 1_000, (1, 3): 500, (1, 4): 500, (2, 3): 500, (2, 4): 500,
              (3, 4): 1_000, (5, 6): 6_000}
    pool = settle_pool("COUPLE_PLACE", stakes, make_result([[1], [2], [3, 4]], 8), TWENTY)
    assert divs(pool) == {("PLACE", p): 260 for p in [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4)]}
    assert bet_payout(pool, [(3, 4)], 1_000).amount_cents == 0


def test_couple_gagnant_dead_heat_for_second_pays_two_pairs_half_each():
    # profit 40 € in halves: (1,2) 1 + 20/10 = 3.00; (1,3) 1 + 20/30 = 1.66 -> 1.60
    stakes = {(1, 2): 1_000, (1, 3): 3_000, (2, 3): 1_000, (4, 5): 5_000}
    pool = settle_pool("COUPLE_GAGNANT", stakes, make_result([[1], [2, 3]], 8), TWENTY)
    assert divs(pool) == {("GAGNANT", (1, 2)): 300, ("GAGNANT", (1, 3)): 160}


def test_couple_gagnant_pays_an_np_dividend_to_the_winner_with_a_non_runner():
    # 10 € on (9,10), two non-runners: refunded. net 90 €, deduction 18 €, masse 72 €,
    # reserved 20 € ((1,2) and (1,9)), profit 52 €: a quarter (13 €) over both -> +0.65,
    # the rest (39 €) over (1,2) -> +3.90. NP 1.65 -> 1.60; GAGNANT 5.55 -> 5.50.
    # (2,9): the second with a non-runner: loses (règlement art. 48; the operator
    # publishes "5-NP" for the winner only). (3,9): 3 unplaced: loses.
    stakes = {(1, 2): 1_000, (1, 9): 1_000, (2, 9): 1_000, (3, 9): 1_000, (9, 10): 1_000,
              (4, 5): 5_000}
    pool = settle_pool("COUPLE_GAGNANT", stakes,
                       make_result([[1], [2]], 10, non_runners=[9, 10]), TWENTY)
    assert divs(pool) == {("GAGNANT", (1, 2)): 550, ("NP", (1,)): 160}
    assert pool.refunded_cents == 1_000
    assert bet_payout(pool, [(1, 9)], 1_000).kinds == ("NP",)
    assert bet_payout(pool, [(2, 9)], 1_000) == bet_payout(pool, [(4, 5)], 1_000)
    assert bet_payout(pool, [(3, 9)], 1_000) == bet_payout(pool, [(4, 5)], 1_000)


def test_couple_place_with_a_non_runner_pays_an_equal_part_and_a_common_part():
    # A horse did not run, so the pool has an "NP" rank: 40 % of the profit is spread
    # over every placed pair and NP unit (here none), the rest in three equal parts.
    # masse 80 €, reserved 30 €, profit 50 €: common 20 € / 30 € = +0.666; thirds 10 €:
    # (1,2) 1 + 0.666 + 10/20 = 2.16 -> 2.10; (1,3) and (2,3) 1 + 0.666 + 10/5 = 3.66 -> 3.60
    stakes = {(1, 2): 2_000, (1, 3): 500, (2, 3): 500, (4, 5): 7_000}
    pool = settle_pool("COUPLE_PLACE", stakes,
                       make_result([[1], [2], [3], [4]], 8, non_runners=[8]), TWENTY)
    assert divs(pool) == {("PLACE", (1, 2)): 210, ("PLACE", (1, 3)): 360,
                          ("PLACE", (2, 3)): 360}
    # (3,8): a placed horse with the non-runner earns the Couplé placé NP dividend
    stakes[(3, 8)] = 1_000
    pool = settle_pool("COUPLE_PLACE", stakes,
                       make_result([[1], [2], [3], [4]], 8, non_runners=[8]), TWENTY)
    assert bet_payout(pool, [(3, 8)], 1_000).kinds == ("NP",)


def test_couple_nobody_on_the_winning_pair_pays_first_and_third_then_second_and_third():
    # règlement art. 48: nobody backed (1,2): the pool pays (1,3); nobody on it either:
    # (2,3). masse 80 € each time, 10 € on the paid pair: 8.00; the other pair loses.
    arrival = make_result([[1], [2], [3], [4]], 8)
    pool = settle_pool("COUPLE_GAGNANT", {(1, 3): 1_000, (2, 3): 1_000, (4, 5): 8_000},
                       arrival, TWENTY)
    assert divs(pool) == {("GAGNANT", (1, 3)): 800}
    assert bet_payout(pool, [(2, 3)], 1_000).amount_cents == 0
    pool = settle_pool("COUPLE_GAGNANT", {(2, 3): 1_000, (4, 5): 9_000}, arrival, TWENTY)
    assert divs(pool) == {("GAGNANT", (2, 3)): 800}
    assert pool.reallocated_arrival == ((2,), (3,), (4,))


def test_couple_ordre_dead_heat_for_first_pays_both_orders():
    pool = settle_pool("COUPLE_ORDRE", {(1, 2): 1_000, (2, 1): 1_000, (3, 1): 8_000},
                       make_result([[1, 2], [3]], 7), TWENTY)
    assert divs(pool) == {("ORDRE", (1, 2)): 400, ("ORDRE", (2, 1)): 400}


def test_deux_sur_quatre_pays_one_common_dividend_to_every_pair_of_the_first_four():
    # masse 80 € over 40 € on paying pairs -> 2.00 for each
    pool = settle_pool("DEUX_SUR_QUATRE",
                       {(1, 2): 1_000, (3, 4): 1_000, (1, 4): 2_000, (5, 6): 6_000},
                       make_result([[1], [2], [3], [4], [5]], 10), TWENTY)
    assert divs(pool) == {("DEUX_SUR_QUATRE", p): 200 for p in [(1, 2), (1, 4), (3, 4)]}


def test_deux_sur_quatre_is_refunded_below_five_starters():
    pool = settle_pool("DEUX_SUR_QUATRE", {(1, 2): 1_000},
                       make_result([[1], [2], [3], [4]], 6, non_runners=[5, 6]), TWENTY)
    assert pool.void


def test_combined_couple_place_ticket_is_paid_for_each_winning_pair():
    stakes = {(1, 2): 1_000, (1, 3): 500, (2, 3): 500, (4, 5): 8_000}
    pool = settle_pool("COUPLE_PLACE", stakes, make_result([[1], [2], [3]], 8), TWENTY)
    payout = bet_payout(pool, [(1, 2), (1, 3), (2, 3)], 500)
    assert payout.amount_cents == 5 * (300 + 500 + 500)


def test_couple_ordre_dead_heat_pays_one_dividend_to_both_orders():
    # règlement art. 44: one part per set of horses, over the stakes on all its orders.
    # Dead heat for first between 1 and 2: 1-2 and 2-1 both win; masse 80 €, reserved
    # 4 €: 1 + 76 / 4 = 20.00 for 1-2 and 2-1 alike (before: 4.20 and 2.00 style splits).
    stakes = {(1, 2): 100, (2, 1): 300, (3, 4): 9_600}
    pool = settle_pool("COUPLE_ORDRE", stakes, make_result([[1, 2], [3]], 6), TWENTY)
    assert divs(pool) == {("ORDRE", (1, 2)): 2_000, ("ORDRE", (2, 1)): 2_000}


def test_couple_ordre_nobody_on_the_exact_order_pays_the_reverse_first():
    # art. 40 b: 1-2 unbacked: 2-1 (the same horses reversed), then 1-3, 3-1, 2-3, 3-2.
    arrival = make_result([[1], [2], [3], [4]], 6)
    pool = settle_pool("COUPLE_ORDRE", {(2, 1): 1_000, (1, 3): 1_000, (4, 5): 8_000},
                       arrival, TWENTY)
    assert divs(pool) == {("ORDRE", (2, 1)): 800}
    pool = settle_pool("COUPLE_ORDRE", {(3, 1): 1_000, (4, 5): 9_000}, arrival, TWENTY)
    assert divs(pool) == {("ORDRE", (3, 1)): 800}


def test_couple_gagnant_dead_heat_with_nobody_on_the_winners_is_refunded_not_reallocated():
    # art. 48 2 B c pays the pairs 1st-3rd; a reallocation by dropping places paid 3-4,
    # which no text allows. Only the refund of that case is modelled.
    pool = settle_pool("COUPLE_GAGNANT", {(1, 3): 1_000, (3, 4): 1_000, (5, 6): 8_000},
                       make_result([[1, 2], [3], [4]], 8), TWENTY)
    assert pool.void and pool.refunded_cents == 10_000


def test_trio_ordre_nobody_on_the_exact_order_tries_the_other_orders():
    # art. 74-8: 1-2-3 unbacked: 1-3-2, then 3-2-1, then 2-1-3. (These rates deduct
    # nothing from a Trio ordre: 100 € over the 10 € on 3-2-1 = 10.00.)
    arrival = make_result([[1], [2], [3], [4]], 7)
    pool = settle_pool("TRIO_ORDRE", {(3, 2, 1): 1_000, (2, 1, 3): 1_000, (4, 5, 6): 8_000},
                       arrival, TWENTY)
    assert divs(pool) == {("ORDRE", (3, 2, 1)): 1_000}


def test_a_champ_on_a_withdrawn_base_is_refunded_whole():
    # Couplé art. 43 I d: a champ whose bases all did not run is refunded, not settled as
    # units each with one non-runner (which would earn NP dividends).
    from betting.catalogue import get_bet_type
    from betting.payable import refunded_whole
    cg = get_bet_type("COUPLE_GAGNANT")
    assert refunded_whole(cg, "CHAMP_TOTAL", [9], None, {9})
    assert refunded_whole(cg, "CHAMP_REDUIT", [9, 8], None, {8, 9})
    assert not refunded_whole(cg, "CHAMP_REDUIT", [9, 8], None, {9})  # a base ran
    assert not refunded_whole(cg, "COMBINE", [], None, {9})
    assert not refunded_whole(cg, "CHAMP_TOTAL", [9], 4, {9})  # the complément ran
    assert refunded_whole(cg, "CHAMP_TOTAL", [9], 4, {9, 4})
    assert not refunded_whole(get_bet_type("MULTI"), "CHAMP_TOTAL", [9], None, {9})
    # kept out of the pool's stakes, counted in its total and refunds
    pool = settle_pool("COUPLE_GAGNANT", {(1, 2): 1_000, (4, 5): 8_000},
                       make_result([[1], [2]], 10, non_runners=[9]), TWENTY,
                       refunded_whole_cents=1_000)
    assert (pool.total_cents, pool.refunded_cents) == (10_000, 1_000)
    assert divs(pool) == {("GAGNANT", (1, 2)): 720}  # masse 90 € less 20 % = 72 € / 10 €


def test_couple_place_np_reads_two_places_below_eight_declared_runners():
    # art. 43 I c: a Couplé placé unit with one non-runner earns the NP dividend when
    # its other horse is among the first three, or the first two with fewer than 8
    # declared runners: the third (3) qualifies in a field of 8, not of 7.
    from betting.catalogue import get_bet_type
    from betting.payable import payables
    cp = get_bet_type("COUPLE_PLACE")
    eight = payables(cp, make_result([[1], [2], [3], [4]], 8, non_runners=[8]))
    seven = payables(cp, make_result([[1], [2], [3], [4]], 7, non_runners=[7]))
    assert eight.classify((3, 8)) == ("NP", (3,))
    assert seven.classify((3, 7)) is None and seven.classify((2, 7)) == ("NP", (2,))
