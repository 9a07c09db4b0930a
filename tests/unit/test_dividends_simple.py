"""Simple gagnant and Simple placé, with worked numbers (RULES.md)."""
from fractions import Fraction

from betting.pools import bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

TWENTY = Rates(deductions={"SIMPLE_GAGNANT": Fraction(1, 5), "SIMPLE_PLACE": Fraction(1, 5)})


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def test_simple_gagnant_shares_the_masse_among_the_winners_backers():
    # 100 € staked, 20 % deduction: masse 80 €; 30 € on the winner -> 2.666 -> 2.60
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 6_000, (2,): 3_000, (3,): 1_000},
                       make_result([[2], [1], [3]], 9), TWENTY)
    assert divs(pool) == {("GAGNANT", (2,)): 260}
    assert (pool.total_cents, pool.deduction_cents, pool.payout_cents) == (10_000, 2_000, 7_800)
    assert pool.breakage_cents == 200 and pool.topup_cents == 0


def test_dead_heat_for_first_splits_the_profit():
    # masse 80 €, 40 € reserved, profit 40 € in two halves of 20 €:
    # horse 1: 1 + 20/10 = 3.00; horse 2: 1 + 20/30 = 1.666 -> 1.60
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000, (2,): 3_000, (3,): 6_000},
                       make_result([[1, 2], [3]], 9), TWENTY)
    assert divs(pool) == {("GAGNANT", (1,)): 300, ("GAGNANT", (2,)): 160}
    assert pool.payout_cents == 7_800 and pool.breakage_cents == 200


def test_dead_heat_winner_with_no_stake_gives_its_part_to_the_other():
    # horse 2 unbacked: the whole profit of 70 € goes to horse 1: 1 + 70/10 = 8.00
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000, (3,): 9_000},
                       make_result([[1, 2], [3]], 9), TWENTY)
    assert divs(pool) == {("GAGNANT", (1,)): 800}


def test_no_stake_on_the_winner_refunds_the_pool():
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000, (3,): 9_000},
                       make_result([[4], [1]], 9), TWENTY)
    assert pool.void and pool.refunded_cents == 10_000 and pool.deduction_cents == 0
    assert bet_payout(pool, [(1,)], 1_000) .refund_cents == 1_000


def test_non_runner_is_refunded_before_the_deduction():
    # 20 € on non-runner 9 back; net 80 €, deduction 16 €, masse 64 € / 50 € -> 1.28 -> 1.20
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 5_000, (2,): 3_000, (9,): 2_000},
                       make_result([[1], [2]], 9, non_runners=[9]), TWENTY)
    assert pool.refunded_cents == 2_000 and pool.deduction_cents == 1_600
    assert divs(pool) == {("GAGNANT", (1,)): 120}
    assert bet_payout(pool, [(9,)], 2_000).refund_cents == 2_000


def test_minimum_dividend_is_paid_from_the_deduction():
    # règlement art. 19: the payments at 1.10 are taken from the stakes, what is left is
    # the deduction. 85 € on the winner, 15 € elsewhere, 20 % deduction: masse 80 € < 85 €,
    # 5 € of the deduction gives a 1.00 dividend, 8.50 € more the 1.10: the operator keeps
    # 20 - 5 - 8.50 = 6.50 €, the winners get 93.50 €.
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 8_500, (2,): 1_500},
                       make_result([[1], [2]], 9), TWENTY)
    assert divs(pool) == {("GAGNANT", (1,)): 110}
    assert (pool.deduction_cents, pool.breakage_cents, pool.topup_cents) == (650, 0, 0)
    assert pool.payout_cents == 9_350
    # with a floor the operator keeps (10 % of the stakes, 10 €), 13.50 € cannot be given
    # back: every bet is refunded
    floored = Rates(deductions=TWENTY.deductions, deduction_floor=Fraction(1, 10))
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 8_500, (2,): 1_500},
                       make_result([[1], [2]], 9), floored)
    assert pool.void and pool.refunded_cents == 10_000 and pool.payout_cents == 0


def test_the_pool_is_refunded_when_it_cannot_pay_every_winner_the_minimum():
    # 95 € of a 100 € pool on the winner (13.9 %): paying 95 € x 1.10 = 104.50 € would
    # cost more than the stakes: every bet is refunded (règlement art. 18-19), the
    # operator never adds money of its own.
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 9_500, (2,): 500}, make_result([[1], [2]], 9))
    assert pool.void and pool.refunded_cents == 10_000 and pool.deduction_cents == 0
    assert bet_payout(pool, [(1,)], 9_500).refund_cents == 9_500


def test_the_minimum_dividend_and_grid_are_parameters_of_the_pool():
    # 7 July 2026 R1C1: the operator paid a Simple placé at 1.05 €. Raw 1.0125 -> 1.00 on
    # the grid, raised to 1.05 (not 1.10) for that pool only.
    rates = Rates(deductions={"SIMPLE_PLACE": Fraction(1, 5)}, minimums={"SIMPLE_PLACE": 105})
    stakes = {(1,): 4_000, (2,): 4_000, (3,): 2_000}  # 6 declared: two places
    pool = settle_pool("SIMPLE_PLACE", stakes, make_result([[1], [2], [3]], 6), rates)
    assert divs(pool) == {("PLACE", (1,)): 105, ("PLACE", (2,)): 105}
    assert rates.minimum("SIMPLE_GAGNANT") == 110


def test_ecurie_pays_every_coupled_horse_the_same_simple_gagnant():
    # 1 and 4 coupled, 4 wins: 20 € on the écurie share masse 80 € -> 4.00 for both
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000, (4,): 1_000, (2,): 6_000, (3,): 2_000},
                       make_result([[4], [2], [1]], 9, coupled=[[1, 4]]), TWENTY)
    assert divs(pool) == {("GAGNANT", (1,)): 400, ("GAGNANT", (4,)): 400}
    assert bet_payout(pool, [(1,)], 1_000).amount_cents == 4_000


def test_ecurie_in_a_dead_heat_adds_the_parts_of_its_horses():
    # règlement art. 27 2.a: 1 and 4 (coupled) dead-heat for first with 7. Three parts
    # of the 70 € profit (masse 80 €, 10 € reserved); the écurie gets two, horse 7 one:
    # écurie 1 + 46.66 / 5 = 10.33 -> 10.30; horse 7: 1 + 23.33 / 5 = 5.66 -> 5.60.
    stakes = {(1,): 300, (4,): 200, (7,): 500, (2,): 9_000}
    pool = settle_pool("SIMPLE_GAGNANT", stakes,
                       make_result([[1, 4, 7], [2]], 9, coupled=[[1, 4]]), TWENTY)
    assert divs(pool) == {("GAGNANT", (1,)): 1_030, ("GAGNANT", (4,)): 1_030,
                          ("GAGNANT", (7,)): 560}


def test_ecurie_does_not_couple_simple_place():
    # masse 160 €, reserved 100 €, thirds of 20 €: 1: 3.00, 4: 1.66 -> 1.60, 2: 1.33 -> 1.30
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (4,): 3_000, (2,): 6_000, (5,): 10_000},
                       make_result([[4], [2], [1]], 9, coupled=[[1, 4]]), TWENTY)
    assert divs(pool) == {("PLACE", (4,)): 160, ("PLACE", (2,)): 130, ("PLACE", (1,)): 300}


def test_ecurie_member_that_did_not_run_is_refunded():
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000, (4,): 1_000, (2,): 8_000},
                       make_result([[4], [2]], 9, non_runners=[1], coupled=[[1, 4]]), TWENTY)
    assert pool.refunded_cents == 1_000
    assert [d.combination for d in pool.dividends] == [(4,)]


def test_simple_place_splits_the_profit_in_equal_parts_per_placed_horse():
    # 8 declared: 3 places. masse 80 €, reserved 20 €, profit 60 € in thirds of 20 €:
    # 1: 1 + 20/10 = 3.00; 2: 1 + 20/5 = 5.00; 3: 1 + 20/5 = 5.00
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (2,): 500, (3,): 500, (5,): 8_000},
                       make_result([[1], [2], [3], [5]], 8), TWENTY)
    assert divs(pool) == {("PLACE", (1,)): 300, ("PLACE", (2,)): 500, ("PLACE", (3,)): 500}


def test_dead_heat_for_the_last_paid_place_splits_that_places_part():
    # profit 60 €: 20 € to horse 1 (1 + 20/10 = 3.00), 20 € to horse 2 (1 + 20/5 = 5.00),
    # the third place's 20 € halved between 3 and 4: 1 + 10/2.50 = 5.00 each
    pool = settle_pool("SIMPLE_PLACE",
                       {(1,): 1_000, (2,): 500, (3,): 250, (4,): 250, (5,): 8_000},
                       make_result([[1], [2], [3, 4], [5]], 8), TWENTY)
    assert divs(pool) == {("PLACE", (1,)): 300, ("PLACE", (2,)): 500,
                          ("PLACE", (3,)): 500, ("PLACE", (4,)): 500}
    assert pool.breakage_cents == 0


def test_dead_heat_for_second_pays_three_equal_parts():
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (2,): 1_000, (3,): 1_000, (5,): 7_000},
                       make_result([[1], [2, 3], [5]], 12), TWENTY)
    # profit 50 € in thirds of 16.67 € on 10 € each: 2.666 -> 2.60
    assert set(divs(pool).values()) == {260}


def test_placed_horse_with_no_stake_gives_its_share_to_the_others():
    # horse 3 placed but unbacked: profit 60 € in halves: 1 + 30/10 = 4.00
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (2,): 1_000, (5,): 8_000},
                       make_result([[1], [2], [3]], 8), TWENTY)
    assert divs(pool) == {("PLACE", (1,)): 400, ("PLACE", (2,)): 400}


def test_simple_place_pays_two_places_up_to_seven_declared_runners():
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (2,): 1_000, (3,): 8_000},
                       make_result([[1], [2], [3]], 7), TWENTY)
    assert set(c for _, c in divs(pool)) == {(1,), (2,)}


def test_simple_place_places_depend_on_declared_not_starters():
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000, (2,): 1_000, (3,): 1_000, (4,): 7_000},
                       make_result([[1], [2], [3]], 8, non_runners=[8]), TWENTY)
    assert len(pool.dividends) == 3


def test_simple_place_with_fewer_classified_horses_pays_them_the_whole_profit():
    # 6 declared, only horse 3 classified: masse 80 € / 10 € -> 8.00
    pool = settle_pool("SIMPLE_PLACE", {(3,): 1_000, (1,): 9_000},
                       make_result([[3]], 6), TWENTY)
    assert divs(pool) == {("PLACE", (3,)): 800}


def test_simple_place_is_void_below_four_starters():
    pool = settle_pool("SIMPLE_PLACE", {(1,): 1_000}, make_result([[1], [2]], 5, [3, 4]),
                       TWENTY)
    assert pool.void and pool.refunded_cents == 1_000


def test_no_horse_classified_refunds_simple_bets():
    pool = settle_pool("SIMPLE_GAGNANT", {(1,): 1_000}, make_result([], 8), TWENTY)
    assert pool.void
