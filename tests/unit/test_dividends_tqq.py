"""Tiercé, Quarté+, Quinté+ as the règlement computes them (betting/tqq.py, RULES.md).

Every example has no deduction, so the masse is the stakes; the arithmetic is
in each comment.
"""
from betting.pools import PoolResult, bet_payout, settle_pool
from betting.rates import DEFAULT_RATES, Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
ARRIVAL = make_result([[1], [2], [3], [4], [5], [6]], 16)


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


# Tiercé -------------------------------------------------------------------------------

def test_tierce_splits_the_masse_in_two_halves_without_reserving_stakes():
    # art. 63.1: masse 100 €, halves of 50 €: ordre 50 € / 0.10 € = 500.00; désordre
    # 50 € / 10 € = 5.00 (no "1 +": the stakes are not set aside first). 500 >= 5 x 5.
    stakes = {(1, 2, 3): 10, (2, 1, 3): 1_000, (4, 5, 6): 8_990}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 50_000, ("DESORDRE", (1, 2, 3)): 500}


def test_tierce_ordre_pays_at_least_five_times_the_desordre():
    # halves: ordre 50 € / 1 € = 50.00; désordre 50 € / 4 € = 12.50; 50 < 5 x 12.50.
    # art. 64 a: the whole masse over the stakes, the ordre's counted five times:
    # 100 € / (5 x 1 € + 4 €) = 11.11 -> 11.10 désordre; ordre 5 x 11.11 = 55.55 -> 55.50.
    stakes = {(1, 2, 3): 100, (2, 1, 3): 100, (3, 2, 1): 300, (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 5_550, ("DESORDRE", (1, 2, 3)): 1_110}


def test_tierce_desordre_below_the_minimum_is_paid_from_the_ordre_masse():
    # désordre 50 € / 50 € = 1.00 < 1.10 (art. 63.3): paid 1.10, 55 €, taken from the
    # masse; the ordre gets the rest, 45 € / 1 € = 45.00; no 5 x ratio then.
    stakes = {(1, 2, 3): 100, (3, 2, 1): 5_000, (4, 5, 6): 4_900}
    pool = settle_pool("TIERCE", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 4_500, ("DESORDRE", (1, 2, 3)): 110}
    assert pool.payout_cents == 4_500 + 5_500


def test_tierce_triple_dead_heat_for_first_pays_one_rapport_for_the_six_orders():
    # art. 61 a / 63.2 a: stakes reserved (4 €), profit 96 € on the one combination,
    # all six orders together: 1 + 96 / 4 = 25.00 for each order played.
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (2, 1, 3): 200, (4, 5, 6): 9_600}
    pool = settle_pool("TIERCE", stakes, make_result([[1, 2, 3], [4]], 16), NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_500, ("ORDRE", (3, 2, 1)): 2_500,
                          ("ORDRE", (2, 1, 3)): 2_500}


def test_tierce_dead_heat_for_first_of_two_shares_one_ordre_rapport_at_twice_the_desordre():
    # art. 61 b / 63.2 b: 1-2-3 and 2-1-3 are both exact. Reserved 8 €, profit 92 € halved:
    # ordre 1 + 46 / 4 = 12.50, désordre 1 + 46 / 4 = 12.50. Art. 64 c: the ordre at
    # least twice the désordre: 100 € / (2 x 4 € + 4 €) = 8.33 -> 8.30; ordre 16.66 -> 16.60.
    stakes = {(1, 2, 3): 100, (2, 1, 3): 300, (3, 1, 2): 400, (7, 8, 9): 9_200}
    pool = settle_pool("TIERCE", stakes, make_result([[1, 2], [3], [4]], 16), NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 1_660, ("ORDRE", (2, 1, 3)): 1_660,
                          ("DESORDRE", (1, 2, 3)): 830}


def test_tierce_dead_heat_for_third_pays_each_combination_its_own_rapports():
    # art. 61 d / 63.2 d: two combinations, {1,2,3} and {1,2,4}. Reserved 6 €, profit 94 €
    # in two parts of 47 €, each halved. {1,2,3}: 1 + 23.50 / 1 = 24.50 both, ratio 5
    # fails: its masse 49 € / (5 x 1 + 1) = 8.16 -> 8.10, ordre 40.83 -> 40.80.
    # {1,2,4}: 1 + 23.50 / 2 = 12.75 both: 51 € / (5 x 2 + 2) = 4.25 -> 4.20, ordre 21.25
    # -> 21.20.
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (1, 2, 4): 200, (4, 1, 2): 200,
              (7, 8, 9): 9_400}
    pool = settle_pool("TIERCE", stakes, make_result([[1], [2], [3, 4], [5]], 16),
                       NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 4_080, ("DESORDRE", (1, 2, 3)): 810,
                          ("ORDRE", (1, 2, 4)): 2_120, ("DESORDRE", (1, 2, 4)): 420}


def test_tierce_unbacked_ordre_gives_its_half_to_the_desordre_and_back():
    # art. 68 a: nobody on 1-2-3 exactly: the désordre gets the whole masse, 100 € / 1 €.
    pool = settle_pool("TIERCE", {(2, 1, 3): 100, (4, 5, 6): 9_900}, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("DESORDRE", (1, 2, 3)): 10_000}
    pool = settle_pool("TIERCE", {(1, 2, 3): 100, (4, 5, 6): 9_900}, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 10_000}


def test_tierce_nobody_on_the_first_three_pays_one_two_four():
    # art. 68 a: nobody backed 1-2-3 in any order, so 1-2-4 is paid as if it were the
    # arrival: halves of 100 €: ordre 50 € / 1 € = 50.00, désordre 50 € / 1 € = 50.00;
    # the 5 x ratio: 100 € / 6 € = 16.66 -> 16.60 désordre, ordre 83.33 -> 83.30.
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


def test_tierce_unit_whose_three_horses_did_not_run_is_refunded():
    # art. 62 I a; one or two non-runners earn a rapport spécial or lose
    # (tests/unit/test_tierce_np.py): 1-3-9, 3 third, loses.
    pool = settle_pool("TIERCE", {(1, 2, 3): 100, (7, 8, 9): 100, (1, 3, 9): 100,
                                  (4, 5, 6): 700},
                       make_result([[1], [2], [3]], 16, non_runners=[7, 8, 9]), NO_DEDUCTION)
    assert pool.refunded_cents == 100
    assert bet_payout(pool, [(7, 8, 9), (1, 2, 3)], 100).refund_cents == 100
    assert bet_payout(pool, [(1, 3, 9)], 100) == bet_payout(pool, [(4, 5, 6)], 100)


# Quarté+ ------------------------------------------------------------------------------

def test_quarte_ordre_pays_at_least_eight_times_the_desordre():
    # art. 86-5: ordre 25 %, désordre 35 %, bonus 40 % of the masse (100 €), no stakes
    # reserved: ordre 25 € / 0.10 € = 250, désordre 35 € / 1 € = 35, bonus 40 € / 10 € = 4.
    # art. 86-6: 250 < 8 x 35: the quarté masse (60 €) over 8 x 0.10 + 1 = 1.80 €: désordre
    # 33.33 -> 33.30, ordre 266.66 -> 266.60. The bonus, 4.00, is within a quarter of it.
    stakes = {(1, 2, 3, 4): 10, (4, 3, 2, 1): 100, (1, 2, 3, 9): 1_000, (5, 6, 7, 8): 8_890}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): 26_660, ("DESORDRE", (1, 2, 3, 4)): 3_330,
                          ("BONUS3", (1, 2, 3)): 400}


def test_quarte_bonus_is_at_most_a_quarter_of_the_desordre():
    # ordre 25 € / 0.10 € = 250; désordre 35 € / 3 € = 11.66 (250 >= 8 x 11.66); bonus
    # 40 € / 2 € = 20 > 11.66 / 4. Art. 86-7: désordre and bonus masses pooled, the
    # désordre stakes counted four times: 75 € / (4 x 3 € + 2 €) = 5.357 -> 5.30 bonus,
    # désordre 21.42 -> 21.40; the ordre keeps its own masse.
    stakes = {(1, 2, 3, 4): 10, (4, 3, 2, 1): 300, (1, 2, 3, 9): 200, (5, 6, 7, 8): 9_490}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4)): 25_000, ("DESORDRE", (1, 2, 3, 4)): 2_140,
                          ("BONUS3", (1, 2, 3)): 530}


def test_quarte_with_nobody_on_the_first_four_gives_everything_to_the_bonus():
    # art. 86-9 a: no quarté stake: the whole masse to the bonus, 100 € / 10 € = 10.00
    stakes = {(1, 2, 3, 9): 1_000, (5, 6, 7, 8): 9_000}
    pool = settle_pool("QUARTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS3", (1, 2, 3)): 1_000}


# Quinté+ ------------------------------------------------------------------------------

def test_quinte_reserves_the_stakes_then_keeps_ordre_within_fifty_times_the_desordre():
    # Masse 1 000 €: ordre + désordre 57 % (570 €, their 3 € reserved: profit 567 €, 28:29),
    # bonus 4 17 % (170 €), bonus 3 26 % (260 €).
    # Ordre 1 + 278.53 / 1 = 279.53, désordre 1 + 288.47 / 2 = 145.24: 279.53 < 50 x 145.24,
    # art. 95-6: 570 € / (50 x 1 € + 2 €) = 10.96 désordre, ordre 548.07.
    # Bonus 4: 170 € / 4 € = 42.50 > the désordre (95-7): pooled with it,
    # (570 € - 548.07 € + 170 €) / (2 € + 4 €) = 31.98 -> 31.90 for both.
    # Bonus 3: 260 € / 10 € = 26.00, below the bonus 4: left alone.
    stakes = {(1, 2, 3, 4, 5): 100, (2, 1, 3, 4, 5): 200, (1, 2, 3, 4, 9): 400,
              (1, 2, 3, 8, 9): 1_000, (6, 7, 8, 9, 10): 98_300}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4, 5)): 54_800,
                          ("DESORDRE", (1, 2, 3, 4, 5)): 3_190,
                          ("BONUS4", (1, 2, 3, 4)): 3_190, ("BONUS3", (1, 2, 3)): 2_600}
    assert bet_payout(pool, [(1, 2, 3, 4, 5)], 100).kinds == ("ORDRE",)


def test_quinte_ordre_is_at_most_a_hundred_and_twenty_times_the_desordre():
    # Ordre 0.10 €, désordre 50 €: profit 570 € - 50.10 € = 519.90 €, ordre
    # 1 + 255.38 / 0.10 = 2 554.84, désordre 1 + 264.52 / 50 = 6.29: over 120 x (95-7-1):
    # 570 € / (120 x 0.10 € + 50 €) = 9.19 -> 9.10 désordre, ordre 1 103.22 -> 1 103.20.
    # Bonus 4 170 € / 20 € = 8.50, bonus 3 260 € / 40 € = 6.50: within their limits.
    stakes = {(1, 2, 3, 4, 5): 10, (2, 1, 3, 4, 5): 5_000, (1, 2, 3, 4, 9): 2_000,
              (1, 2, 3, 8, 9): 4_000, (6, 7, 8, 9, 10): 88_990}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3, 4, 5)): 110_320,
                          ("DESORDRE", (1, 2, 3, 4, 5)): 910,
                          ("BONUS4", (1, 2, 3, 4)): 850, ("BONUS3", (1, 2, 3)): 650}


def test_quinte_bonus_4_sur_5_pays_any_four_of_the_first_five():
    # (1,2,3,5,9) holds four of the first five (not the first four): Bonus 4 sur 5, as
    # the operator publishes it (five combinations, one dividend, 4 Nov 2025 R1C1).
    # Nobody won ordre or désordre: their 57 % go down to the Bonus 4 (74 %):
    # 74 € / 1 € = 74.00; Bonus 3 26 € / 1 € = 26.00.
    stakes = {(1, 2, 3, 5, 9): 100, (1, 2, 3, 8, 9): 100, (6, 7, 8, 9, 10): 9_800}
    pool = settle_pool("QUINTE_PLUS", stakes, ARRIVAL, NO_DEDUCTION)
    assert divs(pool) == {("BONUS4", (1, 2, 3, 5)): 7_400, ("BONUS3", (1, 2, 3)): 2_600}
    assert bet_payout(pool, [(1, 2, 3, 5, 9)], 100).kinds == ("BONUS4",)


def test_quinte_with_no_winner_is_refunded():
    # art. 95-9 2 g: nobody won anything: every Quinté+ bet is refunded (no carry-over)
    pool = settle_pool("QUINTE_PLUS", {(6, 7, 8, 9, 10): 10_000}, ARRIVAL)
    assert pool.void and pool.refunded_cents == 10_000 and pool.carry_over_cents == 0


# Non-runners: the rapports spéciaux of the Quarté+ and Quinté+ ----------------------------

def test_quarte_unit_with_one_non_runner_and_the_first_three_is_paid_twice_the_bonus():
    # art. 86-4: refunded only from two non-runners; one non-runner and the other three
    # the first three: 2 x the bonus; one non-runner otherwise: lost.
    # Refunded: (1,2,9,10), 1 €. Masse 100 €, nobody on the first four: all to the bonus
    # (86-9 a). Bonus stakes 3 € + 2 x 1 € (the NP unit counts twice) = 5 €: 20.00;
    # the NP unit 2 x 20.00 = 40.00. 3 € x 20 + 1 € x 40 = 100 €.
    stakes = {(1, 2, 3, 8): 300, (1, 2, 3, 9): 100, (2, 5, 7, 9): 100, (1, 2, 9, 10): 100,
              (5, 6, 7, 8): 9_500}
    result = make_result([[1], [2], [3], [4], [5], [6]], 16, non_runners=[9, 10])
    pool = settle_pool("QUARTE_PLUS", stakes, result, NO_DEDUCTION)
    assert pool.refunded_cents == 100
    assert divs(pool) == {("BONUS3", (1, 2, 3)): 2_000, ("NP", (1, 2, 3)): 4_000}
    assert bet_payout(pool, [(1, 2, 3, 9)], 100).amount_cents == 4_000
    lost = bet_payout(pool, [(2, 5, 7, 9)], 100)
    assert (lost.amount_cents, lost.refund_cents) == (0, 0)


def test_quinte_units_with_non_runners_are_paid_multiples_of_the_bonuses():
    # art. 95-4: refunded from three non-runners; one non-runner, the four others among
    # the first five: 4 x Bonus 4; two non-runners, the three others the first three:
    # 4 x Bonus 3; one non-runner, the first three and a horse beyond the fifth: 2 x
    # Bonus 3. Masse 100 € (the 1 € with three non-runners refunded), nobody on ordre or
    # désordre: Bonus 4 74 €, Bonus 3 26 €. Bonus 4 stakes 2 € + 4 x 1 € = 6 €: 12.33
    # -> 12.30; Bonus 3 stakes 4 € + 4 x 1 € + 2 x 1 € = 10 €: 2.60. Special dividends:
    # 4 x 12.30 = 49.20, 4 x 2.60 = 10.40, 2 x 2.60 = 5.20.
    stakes = {(1, 2, 3, 4, 9): 100, (1, 2, 3, 9, 10): 100, (1, 2, 3, 7, 9): 100,
              (1, 2, 9, 10, 11): 100, (1, 2, 7, 8, 9): 100,
              (1, 2, 3, 4, 8): 200, (1, 2, 3, 7, 8): 400, (6, 7, 8, 12, 13): 9_000}
    result = make_result([[1], [2], [3], [4], [5], [6]], 16, non_runners=[9, 10, 11])
    pool = settle_pool("QUINTE_PLUS", stakes, result, NO_DEDUCTION)
    assert pool.refunded_cents == 100
    assert divs(pool) == {("BONUS4", (1, 2, 3, 4)): 1_230, ("BONUS3", (1, 2, 3)): 260,
                          ("NP", (1, 2, 3, 4)): 4_920, ("NP", (1, 2, 3)): 1_040,
                          ("NP", (1, 2, 3, 7)): 520}
    assert bet_payout(pool, [(1, 2, 7, 8, 9)], 100).amount_cents == 0  # lost, not refunded
    assert pool.payout_cents + pool.breakage_cents == 10_000


def test_a_ratio_that_would_take_the_desordre_below_the_minimum_pays_it_the_minimum():
    # Quarté+, masse 1,10 €, no deduction: ordre 25 %, désordre 35 %, trio 40 %, one
    # 0,10 € stake on each winner (1-3-5-2 arrival). Trio 0,44 € / 0,10 € = 4,40.
    # Ordre 0,66 € x 25/60 / 0,10 € = 2,75 and désordre 3,85: below 8 x (86-6), so
    # 0,66 € / (8 x 0,10 € + 0,10 €) = 0,73 désordre, below 1,10: paid 1,10 out of the
    # ordre's masse (63.3 as in 86-5 I.3), ordre (0,66 € - 0,11 €) / 0,10 € = 5,50.
    # Then the trio, 4,40 > désordre / 4 (86-7): its masse pooled with the désordre's,
    # (0,11 € + 0,44 €) / (4 x 0,10 € + 0,10 €) = 1,10 trio and 4 x 1,10 = 4,40 désordre.
    # Paid 0,55 + 0,44 + 0,11 = 1,10 €: the whole masse. (It once paid the désordre
    # 0,73 before the trio's pooling: 4,10, the ordre 5,80.)
    stakes = {(1, 2, 3, 4): 80, (1, 3, 4, 5): 10, (1, 3, 5, 2): 10, (1, 3, 2, 5): 10}
    pool = settle_pool("QUARTE_PLUS", stakes, make_result([[1], [3], [5], [2]], 9),
                       NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 3, 5, 2)): 550, ("DESORDRE", (1, 2, 3, 5)): 440,
                          ("BONUS3", (1, 3, 5)): 110}
    assert pool.payout_cents == 110
