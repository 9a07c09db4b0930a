"""The Tiercé's rapports spéciaux for units with non-runners (règlement art. 62 I, 65).

Every example has no deduction, so the masse is the stakes (100 € unless said); the
arithmetic is in each comment. The Simple gagnant and Couplé gagnant dividends copied
are given as the race's settled pools (`sources`), as the server hands them over.
"""
from betting.catalogue import CHAMP_REDUIT, CHAMP_TOTAL, get_bet_type
from betting.combinations import expand
from betting.complement import with_complement
from betting.payable import refunded_whole
from betting.pools import Dividend, PoolResult, bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
TIERCE = get_bet_type("TIERCE")


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def source(code, result, *paid, void=False):
    """A settled pool of the race that published `paid`: (combination, per 1 €) pairs."""
    return PoolResult(code, result, total_cents=0, deduction_cents=0, breakage_cents=0,
                      refunded_cents=0, void=void,
                      dividends=tuple(Dividend("GAGNANT", c, r, 100) for c, r in paid))


def conserved(pool, stakes, whole=0):
    """stakes = payouts + refunds + deduction + breakage + carry-over, to the cent."""
    assert pool.total_cents == sum(stakes.values()) + whole
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents - pool.topup_cents
                                + pool.carry_over_cents)
    assert pool.topup_cents == 0
    paid = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in paid) == pool.payout_cents
    assert sum(p.refund_cents for p in paid) == pool.refunded_cents - whole


def value(pool, unit, stake=100):
    paid = bet_payout(pool, [unit], stake)
    return paid.amount_cents, paid.refund_cents, paid.kinds


def test_one_non_runner_with_the_first_two_is_paid_their_couple_gagnant():
    # art. 62 I c, 65 a. 9 withdrawn, arrival 1-2-3; the race's Couplé gagnant 1-2 paid
    # 12.30. Unit 2-9-1 (2 €): 2 and 1 first and second in some order: 12.30, 24.60 €
    # reserved out of the masse. Unit 1-9-3 (1 €): 3 was third: lost, not refunded.
    # Tiercé masse 100 - 24.60 = 75.40 €, halves 37.70: ordre 37.70 / 1 € = 37.70 and
    # désordre 37.70 / 1 € = 37.70 break the 5 x ratio (art. 64): 75.40 / (5 x 1 + 1) =
    # 12.566 -> 12.50 désordre, ordre 62.83 -> 62.80. 12.30 <= 12.50: not capped.
    # Paid 62.80 + 12.50 + 24.60 = 99.90 €, breakage 0.10 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (2, 9, 1): 200, (1, 9, 3): 100,
              (4, 5, 6): 9_500}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 1_230))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 6_280, ("DESORDRE", (1, 2, 3)): 1_250,
                          ("NP", (1, 2)): 1_230}
    assert (pool.refunded_cents, pool.breakage_cents) == (0, 10)
    assert value(pool, (2, 9, 1), 200) == (2_460, 0, ("NP",))
    assert value(pool, (1, 9, 3)) == (0, 0, ())
    conserved(pool, stakes)


def test_two_non_runners_with_the_winner_are_paid_its_simple_gagnant():
    # art. 62 I b, 65 c. 8 and 9 withdrawn, arrival 1-2-3; the Simple gagnant of 1 paid
    # 4.50. Unit 8-1-9: 1 won: 4.50, 4.50 € reserved. Unit 2-8-9: 2 was second: lost.
    # Tiercé masse 95.50 €: halves 47.75 / 1 € both, ratio 5 fails: 95.50 / 6 = 15.916
    # -> 15.90 désordre, ordre 79.58 -> 79.50. 4.50 <= 15.90.
    # Paid 79.50 + 15.90 + 4.50 = 99.90 €, breakage 0.10 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[8, 9])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (8, 1, 9): 100, (2, 8, 9): 100, (4, 5, 6): 9_600}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "SIMPLE_GAGNANT": source("SIMPLE_GAGNANT", result, ((1,), 450))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 7_950, ("DESORDRE", (1, 2, 3)): 1_590,
                          ("NP", (1,)): 450}
    assert value(pool, (8, 1, 9)) == (450, 0, ("NP",))
    assert value(pool, (2, 8, 9)) == (0, 0, ())
    conserved(pool, stakes)


def test_a_special_rapport_above_the_tierce_rapport_is_paid_the_tierce_rapport():
    # art. 65 b. Couplé gagnant 1-2 paid 20.00; désordre stakes 9 €, ordre 1 €, the NP
    # unit 2-9-1 2 €. With d the désordre and the special capped at d: the désordre half
    # of the masse left, (100 - 2 d) / 2, over 9 €, is d: 18 d = 100 - 2 d, d = 5.00.
    # Special 5.00 (not 20.00), 10 € reserved; ordre 45 € / 1 € = 45.00 (>= 5 x 5.00);
    # désordre 45 € / 9 € = 5.00. Paid 45 + 45 + 10 = 100 €, no breakage.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (3, 1, 2): 900, (2, 9, 1): 200, (4, 5, 6): 8_800}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 2_000))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 4_500, ("DESORDRE", (1, 2, 3)): 500,
                          ("NP", (1, 2)): 500}
    assert pool.breakage_cents == 0
    conserved(pool, stakes)


def test_in_a_dead_heat_the_cap_is_the_smallest_tierce_rapport_with_the_same_horses():
    # art. 65 b, dead heat for third between 3 and 4: two Tiercé combinations {1,2,3} and
    # {1,2,4}, both holding 1 and 2; the Couplé 1-2 paid 50.00, capped by the smaller.
    # With s the special (1 €): stakes reserved 6 €, profit 100 - s - 6 in two parts.
    # {1,2,4} (2 € ordre, 2 € désordre): 5 x ratio, désordre = (part + 4) / 12 =
    # (51 - s / 2) / 12; with s = that: 12.5 s = 51, s = 4.08 -> 4.00. Reserved 4 €:
    # parts of 45 €. {1,2,3}: 47 / 6 = 7.83 -> 7.80, ordre 39.16 -> 39.10; {1,2,4}:
    # 49 / 12 = 4.08 -> 4.00, ordre 20.41 -> 20.40. Special min(50.00, 4.00) = 4.00.
    # Paid 39.10 + 7.80 + 2 x 20.40 + 2 x 4.00 + 4.00 = 99.70 €, breakage 0.30 €.
    result = make_result([[1], [2], [3, 4], [5]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (1, 2, 4): 200, (4, 1, 2): 200,
              (1, 2, 9): 100, (6, 7, 8): 9_300}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 5_000))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 3_910, ("DESORDRE", (1, 2, 3)): 780,
                          ("ORDRE", (1, 2, 4)): 2_040, ("DESORDRE", (1, 2, 4)): 400,
                          ("NP", (1, 2)): 400}
    assert pool.breakage_cents == 30
    conserved(pool, stakes)


def test_a_special_rapport_with_nothing_to_copy_is_the_minimum():
    # art. 65 e: never below 1.10, also when the Couplé gagnant is refunded (void here)
    # or the race has no such pool. Unit 1-2-9 (10 €): 1.10, 11 € reserved. Tiercé
    # masse 89 €: ratio 5 fails, 89 / 6 = 14.83 -> 14.80 désordre, ordre 74.16 -> 74.10.
    # Paid 74.10 + 14.80 + 11 = 99.90 €, breakage 0.10 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (1, 2, 9): 1_000, (4, 5, 6): 8_800}
    refunded = {"COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, void=True)}
    for sources in (refunded, None):
        pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources=sources)
        assert divs(pool) == {("ORDRE", (1, 2, 3)): 7_410, ("DESORDRE", (1, 2, 3)): 1_480,
                              ("NP", (1, 2)): 110}
        assert value(pool, (1, 2, 9), 1_000) == (1_100, 0, ("NP",))
        conserved(pool, stakes)
    # a minimum per pool (1.05 € for the Tiercé): the special follows it, 10.50 €
    # reserved; 89.50 / 6 = 14.91 -> 14.90, ordre 74.58 -> 74.50; paid 99.90 €.
    lower = Rates(deductions={}, minimums={"TIERCE": 105})
    pool = settle_pool("TIERCE", stakes, result, lower)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 7_450, ("DESORDRE", (1, 2, 3)): 1_490,
                          ("NP", (1, 2)): 105}
    conserved(pool, stakes)


def test_a_unit_whose_three_horses_did_not_run_is_refunded():
    # art. 62 I a: 7-8-9 all withdrawn: 1 € refunded. Masse 9 €, nobody on the
    # désordre: all to the ordre, 9 € / 1 € = 9.00.
    result = make_result([[1], [2], [3]], 16, non_runners=[7, 8, 9])
    stakes = {(1, 2, 3): 100, (7, 8, 9): 100, (4, 5, 6): 800}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 900}
    assert pool.refunded_cents == 100
    assert value(pool, (7, 8, 9)) == (0, 100, ())
    conserved(pool, stakes)


def test_a_champ_whose_base_did_not_run_is_refunded_whole():
    # art. 62 I d: a champ réduit with base 9 and partners 1, 2, 3 is 3 pairs x 6 orders
    # = 18 units; 9 withdrawn, units such as 1-2-9 would earn the Couplé's rapport:
    # instead the 18 € are refunded whole, kept out of the pool. Pool: 10 € on the
    # first three (ordre), nothing else: 10 € / 1 € = 10.00.
    units = list(expand(TIERCE, CHAMP_REDUIT, [1, 2, 3], [9], [1, 2, 3]))
    assert len(units) == 18 and (1, 2, 9) in units
    assert refunded_whole(TIERCE, CHAMP_REDUIT, [9], None, {9})
    assert refunded_whole(TIERCE, CHAMP_TOTAL, [9, 8], None, {8, 9})
    assert not refunded_whole(TIERCE, CHAMP_TOTAL, [9, 1], None, {9})  # one base runs
    assert not refunded_whole(TIERCE, CHAMP_REDUIT, [9], 5, {9})  # its complément runs
    result = make_result([[1], [2], [3]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (4, 5, 6): 900}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, refunded_whole_cents=1_800)
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 1_000}
    assert pool.refunded_cents == 1_800
    conserved(pool, stakes, whole=1_800)


def test_the_complement_replaces_a_non_runner_before_the_special_rapports():
    # art. 62 II: 8 and 9 withdrawn. Played 1-9-8 with complément 2: the complément
    # takes 9's place, 1-8-2, one non-runner left, 1 and 2 first and second: the Couplé
    # gagnant 1-2, 8.00. Without a complément 1-9-8 has two non-runners and 1 won: the
    # Simple gagnant of 1, 3.00. Reserved 11 €; Tiercé masse 89 €: 14.80 / 74.10 (as
    # above). Paid 74.10 + 14.80 + 8 + 3 = 99.90 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[8, 9])
    completed = with_complement([(1, 9, 8)], 2, {8, 9})
    assert completed == [(1, 8, 2)]
    stakes = {completed[0]: 100, (1, 9, 8): 100, (1, 2, 3): 100, (3, 2, 1): 100,
              (4, 5, 6): 9_600}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "SIMPLE_GAGNANT": source("SIMPLE_GAGNANT", result, ((1,), 300)),
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 800))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 7_410, ("DESORDRE", (1, 2, 3)): 1_480,
                          ("NP", (1,)): 300, ("NP", (1, 2)): 800}
    assert value(pool, completed[0]) == (800, 0, ("NP",))
    assert value(pool, (1, 9, 8)) == (300, 0, ("NP",))
    conserved(pool, stakes)


def test_no_special_rapport_for_a_horse_coupled_with_the_winner():
    # art. 62 I b: 1 and 5 are an écurie, 1 won; the Simple gagnant pays both 3.00.
    # 5-8-9 (8, 9 withdrawn) would win as a Simple gagnant on 5, but "en aucun cas" a
    # rapport spécial: lost, not refunded. 1-8-9: 3.00. Reserved 3 €; Tiercé masse
    # 97 €: 97 / 6 = 16.16 -> 16.10, ordre 80.83 -> 80.80. Paid 80.80 + 16.10 + 3 = 99.90.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[8, 9], coupled=[[1, 5]])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (1, 8, 9): 100, (5, 8, 9): 100, (4, 6, 7): 9_600}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "SIMPLE_GAGNANT": source("SIMPLE_GAGNANT", result, ((1,), 300), ((5,), 300))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 8_080, ("DESORDRE", (1, 2, 3)): 1_610,
                          ("NP", (1,)): 300}
    assert value(pool, (5, 8, 9)) == (0, 0, ())
    conserved(pool, stakes)


def test_specials_are_read_on_the_race_run_when_the_tierce_is_reallocated():
    # art. 68 a: nobody on 1-2-3 nor 1-2-4: the Tiercé is paid on 1-3-4. The unit
    # 1-2-9 is still paid on the race as run (1 and 2 first): the Couplé 1-2, 6.00,
    # capped by 1-3-4's rapport (65 b: none holds both, the largest holding 1): its
    # ordre, nobody having its désordre, 94 € / 1 € = 94.00. Paid 94 + 6 = 100 €.
    result = make_result([[1], [2], [3], [4], [5]], 16, non_runners=[9])
    stakes = {(1, 3, 4): 100, (1, 2, 9): 100, (5, 6, 7): 9_800}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 600))})
    assert pool.reallocated_arrival == ((1,), (3,), (4,), (5,))
    assert divs(pool) == {("ORDRE", (1, 3, 4)): 9_400, ("NP", (1, 2)): 600}
    again = PoolResult.from_dict(pool.to_dict())  # as the server stores it
    assert value(again, (1, 2, 9)) == (600, 0, ("NP",))
    conserved(pool, stakes)


def test_without_a_tierce_winner_every_bet_is_refunded_specials_too():
    # Our choice: the special rapport is capped by the Tiercé's own (65 b); nobody won
    # the Tiercé even on 1-2-4, 1-3-4, 2-3-4 (art. 68): no rapport, all 10 € refunded.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 9): 100, (5, 6, 7): 900}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 600))})
    assert pool.void and pool.refunded_cents == 1_000
    assert value(pool, (1, 2, 9)) == (0, 100, ())
    conserved(pool, stakes)


def test_real_simple_and_couple_pools_feed_the_tierce_with_a_deduction():
    # The whole chain at the default rates (Simple 13.9 %, Couplé 25 %, Tiercé 27 %).
    # 9 withdrawn, arrival 1-2-3. Couplé gagnant: 10 € on 1-2, 90 € elsewhere; deduction
    # 25 €, masse 75 €, reserved 10 €, profit 65 €; the race has a non-runner: NP layer
    # 25 % = 16.25 € over the 10 € (nobody on an NP unit) = 1.625, the rest 48.75 / 10
    # = 4.875: 1 + 4.875 + 1.625 = 7.50. Tiercé 100 €: deduction 27 €, masse 73 €; the
    # unit 1-2-9 (1 €) copies 7.50, 7.50 € reserved; 65.50 € left: ratio 5 fails,
    # 65.50 / 6 = 10.916 -> 10.90, ordre 54.58 -> 54.50; 7.50 <= 10.90.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    couple = settle_pool("COUPLE_GAGNANT", {(1, 2): 1_000, (3, 4): 9_000}, result)
    assert divs(couple) == {("GAGNANT", (1, 2)): 750}
    stakes = {(1, 2, 3): 100, (2, 1, 3): 100, (1, 2, 9): 100, (4, 5, 6): 9_700}
    pool = settle_pool("TIERCE", stakes, result, sources={"COUPLE_GAGNANT": couple})
    assert pool.deduction_cents == 2_700
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 5_450, ("DESORDRE", (1, 2, 3)): 1_090,
                          ("NP", (1, 2)): 750}
    conserved(pool, stakes)
