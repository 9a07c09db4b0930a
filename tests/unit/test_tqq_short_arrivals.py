"""Short arrivals of the Tiercé, Quarté+ and Quinté+ (règlement art. 68 a, 86-9 e,
95-9 3) and a bonus's minimum charged to the main masse (86-5 II.3, 95-5 II.3, IV.3).

Every example has no deduction, so the masse is the stakes (100 € unless said); the
arithmetic is in each comment, and every pool is checked to add up to the cent, its
tickets paid what it pays out.
"""
import pytest

from betting.pools import Dividend, PoolResult, bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
THREE = make_result([[1], [2], [3]], 10)


def divs(pool):
    return {(d.kind, d.combination): (d.per_euro_cents, d.winning_stake_cents)
            for d in pool.dividends}


def conserved(pool, stakes):
    """stakes = payouts + refunds + deduction + breakage, to the cent; each ticket is
    paid what the pool pays out."""
    assert pool.total_cents == sum(stakes.values())
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents - pool.topup_cents
                                + pool.carry_over_cents)
    assert pool.topup_cents == 0 and pool.carry_over_cents == 0
    paid = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in paid) == pool.payout_cents
    assert sum(p.refund_cents for p in paid) == pool.refunded_cents


def value(pool, unit, stake=100):
    paid = bet_payout(pool, [unit], stake)
    return paid.amount_cents, paid.refund_cents, paid.kinds


# Quarté+ (art. 86-9 e) ----------------------------------------------------------------

def test_quarte_three_classified_pays_every_unit_holding_the_three_in_any_order():
    # Only 1, 2, 3 classified. The whole masse to the units holding the three, whatever
    # their fourth horse and their order: 1-2-3-4 (1 €) and 3-1-5-2 (3 €), 4 €:
    # 100 € / 4 € = 25.00, published as the Bonus on 1-2-3. 1-2-4-5 holds only two: lost.
    # Paid 4 € x 25 = 100 €. Before, every bet was refunded.
    stakes = {(1, 2, 3, 4): 100, (3, 1, 5, 2): 300, (1, 2, 4, 5): 600, (6, 7, 8, 9): 9_000}
    pool = settle_pool("QUARTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert not pool.void
    assert divs(pool) == {("BONUS3", (1, 2, 3)): (2_500, 400)}
    assert (pool.refunded_cents, pool.breakage_cents) == (0, 0)
    assert value(pool, (3, 1, 5, 2), 300) == (7_500, 0, ("BONUS3",))
    assert value(pool, (1, 2, 4, 5)) == (0, 0, ())
    conserved(pool, stakes)


def test_quarte_three_classified_a_unit_with_a_non_runner_holding_the_three_is_paid_alike():
    # 8 and 9 withdrawn. 1-2-8-9 has two non-runners: refunded (86-4 a), 3 €; masse 97 €.
    # 1-2-3-9 (2 €) holds the three classified, as 2-3-1-4 (2 €) does: 97 € / 4 € =
    # 24.25 -> 24.20 each, not twice the bonus (our choice: 86-9 e pays "tous les
    # parieurs ayant désigné l'une des combinaisons comportant les trois chevaux").
    # Paid 4 € x 24.20 = 96.80 €; 100 = 96.80 + 3 refunded + 0.20 breakage.
    result = make_result([[1], [2], [3]], 10, non_runners=[8, 9])
    stakes = {(1, 2, 3, 9): 200, (2, 3, 1, 4): 200, (1, 2, 8, 9): 300, (5, 6, 7, 10): 9_300}
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 3)): (2_420, 400)}
    assert (pool.refunded_cents, pool.breakage_cents) == (300, 20)
    assert value(pool, (1, 2, 3, 9), 200) == (4_840, 0, ("BONUS3",))
    assert value(pool, (1, 2, 8, 9), 300) == (0, 300, ())
    conserved(pool, stakes)


def test_quarte_three_classified_nobody_on_the_three_pays_the_first_two():
    # Nobody holds 1, 2 and 3: the masse goes to the units holding the 1st and 2nd, in
    # any order: 2-1-5-6 (1 €): 100.00. 1-3-5-6 (1st and 3rd) is not paid while 1-2 is.
    stakes = {(2, 1, 5, 6): 100, (1, 3, 5, 6): 400, (4, 5, 6, 7): 9_500}
    pool = settle_pool("QUARTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 2)): (10_000, 100)}
    assert pool.reallocated_arrival == ((1,), (2,))
    assert value(pool, (2, 1, 5, 6)) == (10_000, 0, ("DEUX_CHEVAUX",))
    assert value(pool, (1, 3, 5, 6), 400) == (0, 0, ())
    conserved(pool, stakes)


def test_quarte_three_classified_then_the_first_and_third_then_the_second_and_third():
    # Nobody on 1-2-3 nor on 1-2: 1st and 3rd, 1-3-5-6 (4 €): 100 € / 4 € = 25.00.
    stakes = {(1, 3, 5, 6): 400, (3, 2, 5, 6): 100, (4, 5, 6, 7): 9_500}
    pool = settle_pool("QUARTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 3)): (2_500, 400)}
    assert pool.reallocated_arrival == ((1,), (3,))
    conserved(pool, stakes)
    # nobody on 1-3 either: 2nd and 3rd, 3-2-5-6 (1 €): 100.00
    stakes = {(3, 2, 5, 6): 100, (4, 5, 6, 7): 9_900}
    pool = settle_pool("QUARTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert divs(pool) == {("DEUX_CHEVAUX", (2, 3)): (10_000, 100)}
    conserved(pool, stakes)
    # nobody on any of them: every bet refunded
    stakes = {(4, 5, 6, 7): 10_000}
    pool = settle_pool("QUARTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_quarte_three_classified_a_dead_heat_leaving_the_pair_undecided_refunds():
    # 2 and 3 dead-heat for second: the three are still 1, 2, 3 (paid as above), but the
    # "1st and 2nd" could be 1-2 or 1-3: our choice, as for other reallocations in a
    # dead heat, is the refund.
    result = make_result([[1], [2, 3]], 10)
    stakes = {(1, 2, 3, 4): 200, (5, 6, 7, 8): 9_800}
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 3)): (5_000, 200)}
    conserved(pool, stakes)
    stakes = {(1, 2, 5, 6): 200, (5, 6, 7, 8): 9_800}
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_quarte_two_classified_pays_the_two_in_any_order_and_one_classified_refunds():
    # Only 1 and 2 classified: the whole masse to the units holding both, 2-5-1-6 (5 €):
    # 100 € / 5 € = 20.00. Fewer than two classified: every bet refunded.
    stakes = {(2, 5, 1, 6): 500, (1, 5, 6, 7): 500, (3, 4, 5, 6): 9_000}
    pool = settle_pool("QUARTE_PLUS", stakes, make_result([[1], [2]], 10), NO_DEDUCTION)
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 2)): (2_000, 500)}
    conserved(pool, stakes)
    pool = settle_pool("QUARTE_PLUS", stakes, make_result([[1]], 10), NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


# Quinté+ (art. 95-9 3) ----------------------------------------------------------------

FOUR = make_result([[1], [2], [3], [4]], 12)


def test_quinte_four_classified_pays_the_four_from_three_masses_and_the_bonus_3_its_own():
    # 95-9 3 a: the Quinté+ (28 % + 29 %) and Bonus 4 (17 %) masses together, 74 €, to the
    # units holding 1, 2, 3, 4 in any order: 1-2-3-4-5 and 4-3-2-1-6, 2 €: 37.00. The Bonus
    # 3 keeps its 26 €: 1-2-3-7-8 (2 €) holds the first three: 13.00. Paid 74 + 26 = 100 €.
    stakes = {(1, 2, 3, 4, 5): 100, (4, 3, 2, 1, 6): 100, (1, 2, 3, 7, 8): 200,
              (1, 2, 5, 6, 7): 500, (6, 7, 8, 9, 10): 9_100}
    pool = settle_pool("QUINTE_PLUS", stakes, FOUR, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 4)): (3_700, 200),
                          ("BONUS3", (1, 2, 3)): (1_300, 200)}
    assert value(pool, (4, 3, 2, 1, 6)) == (3_700, 0, ("BONUS4",))
    assert value(pool, (1, 2, 5, 6, 7), 500) == (0, 0, ())
    conserved(pool, stakes)


def test_quinte_four_classified_nobody_on_the_four_makes_one_masse_for_the_three():
    # Nobody holds the four: "une masse unique" for the units holding 1, 2, 3 (95-9 3 a,
    # b): 1-2-3-7-8 (2 €) and 3-1-2-6-9 (3 €): 100 € / 5 € = 20.00.
    stakes = {(1, 2, 3, 7, 8): 200, (3, 1, 2, 6, 9): 300, (6, 7, 8, 9, 10): 9_500}
    pool = settle_pool("QUINTE_PLUS", stakes, FOUR, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 3)): (2_000, 500)}
    conserved(pool, stakes)


def test_quinte_four_classified_nobody_on_the_first_three_alone_gives_all_to_the_four():
    # Every unit holding the first three holds the fourth too: the Bonus 3's share climbs
    # to the four (95-9 2 e): 100 € / 4 € = 25.00.
    stakes = {(1, 2, 3, 4, 9): 400, (6, 7, 8, 9, 10): 9_600}
    pool = settle_pool("QUINTE_PLUS", stakes, FOUR, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 4)): (2_500, 400)}
    conserved(pool, stakes)


def test_quinte_three_classified_is_one_masse_and_two_classified_refunds():
    # 95-9 3 b: every masse together for the units holding 1, 2, 3 in any order:
    # 3-2-1-6-7 (4 €) and 1-2-3-9-6 with 9 withdrawn (1 €): 100 € / 5 € = 20.00.
    # 95-9 3 c: fewer than three classified, every bet refunded.
    result = make_result([[1], [2], [3]], 12, non_runners=[9])
    stakes = {(3, 2, 1, 6, 7): 400, (1, 2, 3, 9, 6): 100, (4, 5, 6, 7, 8): 9_500}
    pool = settle_pool("QUINTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 3)): (2_000, 500)}
    assert value(pool, (1, 2, 3, 9, 6)) == (2_000, 0, ("BONUS3",))
    conserved(pool, stakes)
    pool = settle_pool("QUINTE_PLUS", stakes, make_result([[1], [2]], 12), NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_quinte_three_classified_with_nobody_on_the_three_refunds():
    stakes = {(1, 2, 4, 5, 6): 400, (7, 8, 9, 10, 11): 9_600}
    pool = settle_pool("QUINTE_PLUS", stakes, THREE, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


# Tiercé (art. 68 a, d) ----------------------------------------------------------------

def test_tierce_three_classified_nobody_on_them_pays_the_first_two_in_any_order():
    # There is no fourth for 1-2-4: "si la course ne comportait que trois chevaux
    # classés", the masse to the units holding the first two, any order: 2-1-5 (4 €):
    # 25.00; 1-3-5 is not paid. Before, every bet was refunded.
    stakes = {(2, 1, 5): 400, (1, 3, 5): 100, (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, THREE, NO_DEDUCTION)
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 2)): (2_500, 400)}
    assert value(pool, (2, 1, 5), 400) == (10_000, 0, ("DEUX_CHEVAUX",))
    conserved(pool, stakes)
    # nobody on the first two either: every bet refunded (68 a)
    stakes = {(1, 3, 5): 100, (4, 5, 6): 9_900}
    pool = settle_pool("TIERCE", stakes, THREE, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_tierce_three_classified_paid_on_the_pair_keeps_its_rapports_speciaux():
    # 9 withdrawn; 1-9-2 (2 €) is treated as a Couplé gagnant on 1-2 (62 I c): the race's
    # Couplé paid 5.00, at most the pair rapport it is reserved out of: 10 € reserved,
    # 90 € / 4 € on 2-1-5 = 22.50 >= 5.00. Paid 90 + 10 = 100 €.
    result = make_result([[1], [2], [3]], 10, non_runners=[9])
    couple = PoolResult("COUPLE_GAGNANT", result, total_cents=0, deduction_cents=0,
                        breakage_cents=0, refunded_cents=0,
                        dividends=(Dividend("GAGNANT", (1, 2), 500, 100),))
    stakes = {(2, 1, 5): 400, (1, 9, 2): 200, (4, 5, 6): 9_400}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION,
                       sources={"COUPLE_GAGNANT": couple})
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 2)): (2_250, 400), ("NP", (1, 2)): (500, 200)}
    assert value(pool, (1, 9, 2), 200) == (1_000, 0, ("NP",))
    conserved(pool, stakes)


def test_tierce_two_classified_is_refunded():
    # 68 d: "moins de trois chevaux à l'arrivée", every bet refunded.
    stakes = {(1, 2, 3): 500, (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, make_result([[1], [2]], 10), NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


# A bonus below the minimum, charged to the main masse (86-5 II.3, 95-5 II.3, IV.3) ------

ARRIVAL = make_result([[1], [2], [3], [4], [5], [6]], 16)


def test_quarte_bonus_below_the_minimum_is_paid_it_out_of_the_quarte_masse():
    # Bonus masse 40 € over 40 € on 1-2-3-5: 1.00 < 1.10. Paid 1.10, 44 €, "en défalquant
    # de la masse à partager totale" : quarté masse 100 - 44 = 56 €. Ordre 25/60 x 56 /
    # 1 € = 23.33 < 8 x désordre 35/60 x 56 / 1 € = 32.67 (86-6): 56 € / (8 + 1) = 6.22
    # -> 6.20 désordre, ordre 49.77 -> 49.70. 86-7 not applied. Paid 49.70 + 6.20 + 44 =
    # 99.90 €, breakage 0.10 €. Before, the 4 € the bonus lacked came from the breakage
    # and the deduction, and with none the whole pool was refunded.
    stakes = {(1, 2, 3, 4): 100, (4, 3, 2, 1): 100, (1, 2, 3, 5): 4_000, (7, 8, 9, 10): 5_800}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): (4_970, 100),
                          ("DESORDRE", (1, 2, 3, 4)): (620, 100),
                          ("BONUS3", (1, 2, 3)): (110, 4_000)}
    assert (pool.refunded_cents, pool.deduction_cents, pool.breakage_cents) == (0, 0, 10)
    conserved(pool, stakes)


def test_quarte_bonus_minimum_counts_the_units_paid_twice_the_bonus():
    # 9 withdrawn: 1-2-3-9 (10 €) earns twice the bonus (86-4 b), its stake counted twice:
    # bonus stakes 30 + 2 x 10 = 50 €, masse 40 €: 0.80 < 1.10. Paid 1.10 x 50 = 55 €:
    # quarté masse 100 - 55 = 45 €, 45 / (8 + 1) = 5.00 désordre, ordre 40.00.
    # Paid 40 + 5 + 33 (bonus) + 22 (2.20 x 10 €) = 100 €.
    result = make_result([[1], [2], [3], [4], [5]], 16, non_runners=[9])
    stakes = {(1, 2, 3, 4): 100, (4, 3, 2, 1): 100, (1, 2, 3, 5): 3_000, (1, 2, 3, 9): 1_000,
              (7, 8, 10, 11): 5_800}
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): (4_000, 100),
                          ("DESORDRE", (1, 2, 3, 4)): (500, 100),
                          ("BONUS3", (1, 2, 3)): (110, 3_000),
                          ("NP", (1, 2, 3)): (220, 1_000)}
    assert pool.breakage_cents == 0
    conserved(pool, stakes)


def test_quinte_bonus_3_below_the_minimum_is_paid_it_out_of_the_quinte_masse():
    # Bonus 3 masse 26 € over 30 € on 1-2-3-8-9: 0.8667 -> 0.80 < 1.10. Paid 1.10, 33 €:
    # the Quinté+ masse (57 €) and the Bonus 3's together less 33 € = 50 € (95-5 IV.3).
    # Nobody on the ordre: désordre 2 € reserved (95-5 I.2), 1 + 48 / 2 = 25.00. The
    # Bonus 4 sur 5 keeps its 17 €: 2 € on 1-2-3-4-9, 8.50. Paid 50 + 17 + 33 = 100 €.
    # Before, the pool was refunded: 9 € to raise the Bonus 3 from 0.80, 2 € of breakage,
    # no deduction to give back.
    stakes = {(5, 4, 3, 2, 1): 200, (1, 2, 3, 4, 9): 200, (1, 2, 3, 8, 9): 3_000,
              (10, 11, 12, 13, 14): 6_600}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (2_500, 200),
                          ("BONUS4", (1, 2, 3, 4)): (850, 200),
                          ("BONUS3", (1, 2, 3)): (110, 3_000)}
    assert (pool.refunded_cents, pool.breakage_cents) == (0, 0)
    conserved(pool, stakes)


def test_a_bonus_whose_charge_leaves_the_main_rapports_below_the_minimum_falls_to_art_19():
    # Bonus 40 € over 90 € on 1-2-3-5: paid 1.10, 99 €: quarté masse 100 - 99 = 1 €, too
    # little to pay the ordre and désordre 1.10 (art. 19): with no deduction to give
    # back, every bet is refunded.
    stakes = {(1, 2, 3, 4): 100, (4, 3, 2, 1): 100, (1, 2, 3, 5): 9_000, (7, 8, 9, 10): 800}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


@pytest.mark.parametrize("code", ["QUARTE_PLUS", "QUINTE_PLUS"])
def test_a_cancelled_race_still_refunds_every_bet(code):
    stakes = {(1, 2, 3, 4, 5)[:4 if code == "QUARTE_PLUS" else 5]: 1_000}
    pool = settle_pool(code, stakes, make_result([], 10, cancelled=True), NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 1_000
