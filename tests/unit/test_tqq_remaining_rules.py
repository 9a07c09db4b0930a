"""Quarté+ and Quinté+ rules of the règlement that complete the bonuses and the
unbacked arrivals: the Quarté+ sets of three then pairs when nobody won (art. 86-9 d),
the limits of the bonuses in a dead heat for the last place (86-7, 95-7 d), and the
Quinté+ bonuses made equal when the Bonus 4 is below the minimum (95-5 II.1 b, III b).

Every example has no deduction, so the masse is the stakes; the arithmetic is in each
comment, and every pool is checked to add up to the cent, its tickets paid what it
pays out, also after the round trip the server stores it through.
"""
from betting.pools import PoolResult, bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
ARRIVAL = make_result([[1], [2], [3], [4], [5], [6]], 16)


def divs(pool):
    return {(d.kind, d.combination): (d.per_euro_cents, d.winning_stake_cents)
            for d in pool.dividends}


def conserved(pool, stakes):
    """stakes = payouts + refunds + deduction + breakage, to the cent; each ticket is
    paid what the pool pays out, from the pool as settled and as stored."""
    assert pool.total_cents == sum(stakes.values())
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents)
    assert pool.topup_cents == 0 and pool.carry_over_cents == 0
    for settled in (pool, PoolResult.from_dict(pool.to_dict())):
        paid = [bet_payout(settled, [key], cents) for key, cents in stakes.items()]
        assert sum(p.amount_cents for p in paid) == pool.payout_cents
        assert sum(p.refund_cents for p in paid) == pool.refunded_cents


def value(pool, unit, stake=100):
    paid = bet_payout(pool, [unit], stake)
    return paid.amount_cents, paid.refund_cents, paid.kinds


# Quarté+, nobody on the quarté nor the trio (art. 86-9 d) -----------------------------

def test_quarte_nobody_on_the_first_three_pays_the_units_holding_one_two_four():
    # Arrival 1-2-3-4-5-6. No unit holds 1, 2 and 3: no quarté, no trio. 86-9 d: "la
    # totalité de la masse à partager" to the "trio" of the 1st, 2nd and 4th: 2-4-1-9
    # (3 €) holds them in another order, with another horse: 100 € / 3 € = 33.33 ->
    # 33.30, paid 99.90 €, breakage 0.10 €. 1-3-4-9 (1-3-4, the next set) and 1-4-8-9
    # (two of them) lose. Before, the pool was paid on the arrival 1-2-4-5 as a quarté.
    stakes = {(2, 4, 1, 9): 300, (1, 3, 4, 9): 100, (1, 4, 8, 9): 100, (5, 6, 7, 8): 9_500}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 4)): (3_330, 300)}
    assert pool.reallocated_arrival == ((1,), (2,), (4,))
    assert (pool.payout_cents, pool.breakage_cents) == (9_990, 10)
    assert value(pool, (2, 4, 1, 9), 300) == (9_990, 0, ("BONUS3",))
    assert value(pool, (1, 3, 4, 9)) == (0, 0, ())
    conserved(pool, stakes)


def test_quarte_one_two_four_five_is_no_longer_paid_as_a_quarte():
    # Nobody on 1, 2, 3. Before, "drop a place" paid 1-2-4-5 as the arrival: the ordre
    # 1-2-4-5 one masse, 2-1-4-9 the bonus of 1-2-4. Now both hold 1, 2 and 4 and share
    # the whole masse in any order (86-9 d): 100 € / 2 € = 50.00 each.
    stakes = {(1, 2, 4, 5): 100, (2, 1, 4, 9): 100, (5, 6, 7, 8): 9_800}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 4)): (5_000, 200)}
    assert value(pool, (1, 2, 4, 5)) == (5_000, 0, ("BONUS3",))
    conserved(pool, stakes)


def test_quarte_then_one_three_four_then_two_three_four():
    # Nobody holds 1-2-4 either: 1-3-4 next, 3-4-1-9 (4 €): 100 € / 4 € = 25.00;
    # 2-3-4-8 (2-3-4, after it) loses.
    stakes = {(3, 4, 1, 9): 400, (2, 3, 4, 8): 100, (5, 6, 7, 8): 9_500}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.reallocated_arrival == ((1,), (3,), (4,))
    assert divs(pool) == {("BONUS3", (1, 3, 4)): (2_500, 400)}
    assert value(pool, (2, 3, 4, 8)) == (0, 0, ())
    conserved(pool, stakes)
    # nobody on 1-3-4: 2-3-4, the whole 100 € to 1 €: 100.00; 1-2-7-8 (a pair, later) lost
    stakes = {(2, 3, 4, 8): 100, (1, 2, 7, 8): 100, (5, 6, 7, 8): 9_800}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.reallocated_arrival == ((2,), (3,), (4,))
    assert divs(pool) == {("BONUS3", (2, 3, 4)): (10_000, 100)}
    conserved(pool, stakes)


def test_quarte_no_set_of_three_then_the_pairs_one_two_one_three_two_three():
    # No unit holds 1-2-4, 1-3-4 or 2-3-4 (nor 1-2-3): "la totalité de la masse ...
    # répartie entre tous les parieurs ayant désigné les combinaisons comportant les
    # chevaux classés premier et deuxième ou à défaut premier et troisième ou enfin
    # deuxième et troisième". Nobody holds 1 and 2; 1-3: 3-1-7-8 and 9-1-3-7, 2 € in
    # all: 100 € / 2 € = 50.00 ("2 chevaux"). 2-3-7-8 holds 2-3, later: lost.
    stakes = {(3, 1, 7, 8): 100, (9, 1, 3, 7): 100, (2, 3, 7, 8): 300, (5, 6, 7, 8): 9_500}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.reallocated_arrival == ((1,), (3,))
    assert divs(pool) == {("DEUX_CHEVAUX", (1, 3)): (5_000, 200)}
    assert value(pool, (9, 1, 3, 7)) == (5_000, 0, ("DEUX_CHEVAUX",))
    assert value(pool, (2, 3, 7, 8)) == (0, 0, ())
    conserved(pool, stakes)


def test_quarte_nobody_on_any_set_nor_pair_is_refunded():
    # "A défaut de mise sur ces combinaisons tous les paris quarté plus sont remboursés":
    # 1-5-6-7 holds only the winner among 1, 2, 3, 4.
    stakes = {(1, 5, 6, 7): 100, (5, 6, 7, 8): 9_900}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_quarte_four_classified_only_is_paid_on_the_sets_too():
    # Only four horses classified: before, nothing dropped (no fifth) and every bet was
    # refunded. 86-9 d needs only the first four: 1-2-4-9 holds 1-2-4: 10 € / 1 € = 10.00.
    stakes = {(1, 2, 4, 9): 100, (5, 6, 7, 8): 900}
    pool = settle_pool("QUARTE_PLUS", stakes, make_result([[1], [2], [3], [4]], 10),
                       NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 4)): (1_000, 100)}
    conserved(pool, stakes)


def test_quarte_unit_with_a_non_runner_holding_the_set_is_paid_once():
    # 9 withdrawn. 1-2-4-9 has one non-runner and its other three are not the first three:
    # in the arrival it loses (86-4), so nobody won. On 1-2-4 it holds the set with its
    # running horses and is paid like 2-1-4-8 (our choice, as for short arrivals): 100 € /
    # (1 € + 3 €) = 25.00 each, once (not twice: the 2 x of 86-4 is of the bonus).
    stakes = {(1, 2, 4, 9): 100, (2, 1, 4, 8): 300, (5, 6, 7, 8): 9_600}
    result = make_result([[1], [2], [3], [4], [5], [6]], 16, non_runners=[9])
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 4)): (2_500, 400)}
    assert value(pool, (1, 2, 4, 9)) == (2_500, 0, ("BONUS3",))
    conserved(pool, stakes)


def test_quarte_set_left_undecided_by_a_dead_heat_ends_the_list():
    # 4 and 5 dead-heat for fourth: "1st, 2nd and 4th" is 1-2-4 or 1-2-5. As for the
    # other reallocations in a dead heat, the list ends there: refund (our choice), even
    # though 1-2-7-8 holds the first two.
    stakes = {(1, 2, 4, 8): 100, (1, 2, 7, 8): 100, (6, 7, 8, 9): 9_800}
    result = make_result([[1], [2], [3], [4, 5], [6]], 16)
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert pool.void and pool.refunded_cents == 10_000
    conserved(pool, stakes)


def test_super_4_keeps_dropping_a_place():
    # The Quarté+'s sets are its own: the Super 4 still drops the fourth place (1-2-3-5).
    stakes = {(1, 2, 3, 5): 100, (5, 6, 7, 8): 900}
    pool = settle_pool("SUPER_QUATRE", stakes, ARRIVAL, NO_DEDUCTION)
    assert pool.reallocated_arrival == ((1,), (2,), (3,), (5,), (6,))
    conserved(pool, stakes)


# Bonus limits in a dead heat for the last place (86-7, 95-7 d) --------------------------

def test_quarte_dead_heat_for_fourth_keeps_the_trio_within_a_quarter_of_each_desordre():
    # 4 and 5 dead-heat for fourth: two quarté combinations, 1-2-3-4 and 1-2-3-5, one
    # trio 1-2-3. Masse 100 €: quarté 60 €, trio 40 €. Nobody on either ordre: its part
    # goes to the désordre (86-9 a). Dead heat: the stakes (4 € + 2 €) reserved, profit
    # 54 € in two parts of 27 €: désordre {1,2,3,4} 1 + 27 / 4 = 7.75 (masse 31 €),
    # {1,2,3,5} 1 + 27 / 2 = 14.50 (masse 29 €). Trio 40 € / 2 € = 20.00 > 7.75 / 4.
    # 86-7: the trio and désordre masses pooled, 31 + 29 + 40 = 100 €, over the stakes
    # on the most backed désordre (4 €) x 4 x 2 combinations + the trio's 2 €, 34 €:
    # trio 2.9411 -> 2.90. 1-2-3-4 désordre 4 x 2.9411 = 11.7647 -> 11.70; 1-2-3-5 gets
    # 4 € x 4 x 2.9411 = 47.0588 € over its 2 €: 23.5294 -> 23.50. Paid 46.80 + 47.00 +
    # 5.80 = 99.60 €, breakage 0.40 €. Before: 7.70, 14.50 and 20.00.
    stakes = {(4, 3, 2, 1): 400, (5, 3, 2, 1): 200, (1, 2, 3, 9): 200, (6, 7, 8, 9): 9_200}
    result = make_result([[1], [2], [3], [4, 5], [6]], 16)
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4)): (1_170, 400),
                          ("DESORDRE", (1, 2, 3, 5)): (2_350, 200),
                          ("BONUS3", (1, 2, 3)): (290, 200)}
    assert (pool.payout_cents, pool.breakage_cents) == (9_960, 40)
    conserved(pool, stakes)


def test_quarte_dead_heat_for_third_has_no_trio_limit():
    # 3 and 4 dead-heat for third: two trio combinations, 1-2-3 and 1-2-4; 86-7 reads
    # "une seule combinaison de trois chevaux classés aux trois premières places": no
    # limit then. One quarté combination {1,2,3,4} (1-2-3-4 and 1-2-4-3 exact), nobody on
    # them: désordre 1 + (60 € - 4 €) / 4 € = 15.00. Trio (86-5 II, dead heat): 2 €
    # reserved, 38 € in two parts: 1 + 19 / 1 = 20.00 each, above 15.00 / 4, kept.
    stakes = {(4, 3, 2, 1): 400, (1, 2, 3, 9): 100, (1, 2, 4, 9): 100, (6, 7, 8, 9): 9_400}
    result = make_result([[1], [2], [3, 4], [5], [6]], 16)
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4)): (1_500, 400),
                          ("BONUS3", (1, 2, 3)): (2_000, 100),
                          ("BONUS3", (1, 2, 4)): (2_000, 100)}
    conserved(pool, stakes)


def test_quinte_dead_heat_for_fifth_keeps_the_bonus_4_within_each_desordre():
    # 5 and 6 dead-heat for fifth: Quinté+ combinations {1,2,3,4,5} and {1,2,3,4,6}, one
    # set of four at the first four places. Masse 1 000 €: ordre + désordre 570 €, Bonus
    # 4 170 €, Bonus 3 260 €. Nobody on the ordres: 6 € reserved, 564 € in two parts of
    # 282 €: désordre {..5} 1 + 282 / 4 = 71.50 (masse 286 €), {..6} 1 + 282 / 2 = 142.00
    # (masse 284 €). Bonus 4 170 € / 2 € = 85.00 > 71.50. 95-7 d: the désordre and Bonus
    # 4 masses pooled, 286 + 284 + 170 = 740 €, over 4 € x 2 combinations + 2 € = 10 €:
    # Bonus 4 74.00; 1-2-3-4-5 désordre 74.00; 1-2-3-4-6 gets 4 € x 74 = 296 € over
    # 2 €: 148.00. Bonus 3 260 € / 10 € = 26.00. Paid 296 + 296 + 148 + 260 = 1 000 €.
    # Before: 71.50, 142.00 and a Bonus 4 of 85.00.
    stakes = {(5, 4, 3, 2, 1): 400, (6, 4, 3, 2, 1): 200, (1, 2, 3, 4, 9): 200,
              (1, 2, 3, 8, 9): 1_000, (7, 8, 9, 10, 11): 98_200}
    result = make_result([[1], [2], [3], [4], [5, 6], [7]], 16)
    pool = settle_pool("QUINTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (7_400, 400),
                          ("DESORDRE", (1, 2, 3, 4, 6)): (14_800, 200),
                          ("BONUS4", (1, 2, 3, 4)): (7_400, 200),
                          ("BONUS3", (1, 2, 3)): (2_600, 1_000)}
    assert pool.breakage_cents == 0
    conserved(pool, stakes)


def test_quinte_dead_heat_for_fourth_has_no_bonus_4_limit():
    # 4 and 5 dead-heat for fourth: two sets of four at the first four places; 95-7 reads
    # "une seule combinaison de quatre chevaux classés aux quatre premières places": no
    # limit. One Quinté+ combination {1,...,5}: désordre 1 + (570 € - 4 €) / 4 € = 142.50;
    # Bonus 4 170 € / 1 € = 170.00 stays above it (before, they were pooled).
    stakes = {(5, 4, 3, 2, 1): 400, (1, 2, 3, 4, 9): 100, (1, 2, 3, 8, 9): 1_000,
              (7, 8, 9, 10, 11): 98_500}
    result = make_result([[1], [2], [3], [4, 5], [6]], 16)
    pool = settle_pool("QUINTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (14_250, 400),
                          ("BONUS4", (1, 2, 3, 4)): (17_000, 100),
                          ("BONUS3", (1, 2, 3)): (2_600, 1_000)}
    conserved(pool, stakes)


# Quinté+: equal bonuses when the Bonus 4 is below the minimum (95-5 II.1 b, III b) -----

def test_quinte_bonus_4_below_the_minimum_makes_the_bonuses_equal_without_quinte_winners():
    # Masse 100 €, nobody on the Quinté+: its 57 % go down to the Bonus 4, 74 €; Bonus 3
    # 26 €. Bonus 4 74 € / 80 € = 0.925 -> 0.90, below 1.10 and below the Bonus 3
    # (26 € / 2 € = 13.00): "les rapports nets ... soient égaux": (74 + 26) € / (80 + 2) €
    # = 1.2195 -> 1.20 each, paid 98.40 €, breakage 1.60 €. Before, the Bonus 4 was raised
    # to 1.10 by the general rule: 88 € + 26 € > 100 €, every bet refunded.
    stakes = {(1, 2, 3, 4, 9): 8_000, (1, 2, 3, 8, 9): 200, (6, 7, 8, 9, 10): 1_800}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 4)): (120, 8_000),
                          ("BONUS3", (1, 2, 3)): (120, 200)}
    assert (pool.payout_cents, pool.breakage_cents) == (9_840, 160)
    conserved(pool, stakes)


def test_quinte_bonus_4_below_the_minimum_is_made_equal_to_every_bonus_3_in_a_dead_heat():
    # 3 and 4 dead-heat for third: Bonus 3 on 1-2-3 and on 1-2-4. Masse 1 000 €: 570 € to
    # the Quinté+, 170 € Bonus 4, 260 € Bonus 3. Bonus 4 170 € / 200 € = 0.85 -> 0.80.
    # Bonus 3 (95-5 IV.2): 60 € reserved, 200 € in two parts: 1-2-3 1 + 100 / 20 = 6.00,
    # 1-2-4 1 + 100 / 40 = 3.50. 0.80 < 1.10 and <= one of them (III b: "l'un des
    # rapports Bonus 3 s'il y en a plusieurs"): all equal, (170 + 260) € / (200 + 20 + 40)
    # € = 1.6538 -> 1.60, above the minimum, so nothing is charged to the Quinté+: its
    # désordre (no ordre) 1 + (570 € - 10 €) / 10 € = 57.00. Paid 570 + 416 = 986 €,
    # breakage 14 €. Before: the Bonus 4 paid 1.10 out of the Quinté+ masse (50 €):
    # désordre 52.00, Bonus 3 6.00 and 3.50.
    stakes = {(5, 4, 3, 2, 1): 1_000, (1, 2, 3, 4, 9): 20_000, (1, 2, 3, 8, 9): 2_000,
              (1, 2, 4, 8, 9): 4_000, (6, 7, 8, 9, 10): 73_000}
    result = make_result([[1], [2], [3, 4], [5], [6], [7]], 16)
    pool = settle_pool("QUINTE_PLUS", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (5_700, 1_000),
                          ("BONUS4", (1, 2, 3, 4)): (160, 20_000),
                          ("BONUS3", (1, 2, 3)): (160, 2_000),
                          ("BONUS3", (1, 2, 4)): (160, 4_000)}
    assert (pool.payout_cents, pool.breakage_cents) == (98_600, 1_400)
    conserved(pool, stakes)


def test_quinte_equal_bonuses_below_the_minimum_are_charged_to_the_quinte_masse():
    # Masse 1 000 €. Bonus 4 170 € / 200 € = 0.85 -> 0.80; Bonus 3 260 € / 300 € = 0.8666
    # -> 0.80: equal nets already, pooled anyway: 430 € / 500 € = 0.86, below 1.10. 95-5
    # II.3 a, b: the Quinté+ masse is the Quinté+ and bonus masses less the payments at
    # 1.10 of every bonus stake: 570 + 430 - 550 = 450 €; désordre 1 + (450 - 10) / 10 =
    # 45.00. Paid 450 + 550 = 1 000 €.
    stakes = {(5, 4, 3, 2, 1): 1_000, (1, 2, 3, 4, 9): 20_000, (1, 2, 3, 8, 9): 30_000,
              (6, 7, 8, 9, 10): 49_000}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (4_500, 1_000),
                          ("BONUS4", (1, 2, 3, 4)): (110, 20_000),
                          ("BONUS3", (1, 2, 3)): (110, 30_000)}
    conserved(pool, stakes)


def test_quinte_bonus_4_above_the_bonus_3_is_not_made_equal():
    # Bonus 4 170 € / 200 € = 0.85 -> 0.80, but the Bonus 3 is lower: 260 € / 400 € =
    # 0.65 -> 0.60; II.1 b needs the Bonus 4 "inférieur ou égal" to it. Each is charged
    # its own minimum: 570 + 430 - 1.10 x 600 € = 340 €; désordre 1 + 330 / 10 = 34.00.
    stakes = {(5, 4, 3, 2, 1): 1_000, (1, 2, 3, 4, 9): 20_000, (1, 2, 3, 8, 9): 40_000,
              (6, 7, 8, 9, 10): 39_000}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3, 4, 5)): (3_400, 1_000),
                          ("BONUS4", (1, 2, 3, 4)): (110, 20_000),
                          ("BONUS3", (1, 2, 3)): (110, 40_000)}
    conserved(pool, stakes)
