"""Units with non-runners in the Trio, the Trio ordre and the 2 sur 4.

Trio (règlement art. 70, which applies art. 62 to 68 to it, and 74 c) and Trio ordre
(art. 74-5, 74-8): a unit is refunded only when none of its horses ran; with one
running horse that won it is paid the race's Simple gagnant, with two that finished
first and second (Trio ordre: in the unit's order) the race's Couplé gagnant (Trio
ordre: Couplé ordre), at most the pool's own rapport, out of the pool's masse; where
that Couplé paid the pair nothing, half the pool's rapport. 2 sur 4 (art. 53 2): the
units with one non-runner are a masse of their own, shared by those whose running
horse is among the first four (the "rapport spécial placé").

The Trio examples have no deduction, so the masse is the stakes (100 € unless said);
the arithmetic is in each comment. The copied pools are given settled (`sources`), as
the server hands them over.
"""
from fractions import Fraction

from betting.catalogue import CHAMP_TOTAL, get_bet_type
from betting.payable import refunded_whole
from betting.pools import Dividend, PoolResult, bet_payout, settle_pool
from betting.rates import Rates
from betting.results import make_result

NO_DEDUCTION = Rates(deductions={})
QUARTER = Rates(deductions={"DEUX_SUR_QUATRE": Fraction(1, 4)})


def divs(pool):
    return {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}


def source(code, result, *paid, kind="GAGNANT"):
    """A settled pool of the race that published `paid`: (combination, per 1 €) pairs."""
    return PoolResult(code, result, total_cents=0, deduction_cents=0, breakage_cents=0,
                      refunded_cents=0,
                      dividends=tuple(Dividend(kind, c, r, 100) for c, r in paid))


def conserved(pool, stakes):
    """stakes = payouts + refunds + deduction + breakage, to the cent, and the tickets
    are paid exactly what the pool pays out."""
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


# --- Trio -----------------------------------------------------------------------------

def test_trio_one_non_runner_with_the_first_two_is_paid_their_couple_gagnant():
    # art. 70, 62 I c, 65 a. 9 withdrawn, arrival 1-2-3; the Couplé gagnant 1-2 paid
    # 12.30. Unit 1-2-9 (2 €): 1 and 2 first and second: 12.30, 24.60 € reserved out of
    # the masse. Unit 1-3-9: 3 was third: lost, not refunded. Trio: 75.40 € left, 4 €
    # on 1-2-3 reserved, 1 + 71.40 / 4 = 18.85 -> 18.80 (>= 12.30: not capped).
    # Paid 4 x 18.80 + 24.60 = 99.80 €, breakage 0.20 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 400, (1, 2, 9): 200, (1, 3, 9): 100, (4, 5, 6): 9_300}
    pool = settle_pool("TRIO", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 1_230))})
    assert divs(pool) == {("GAGNANT", (1, 2, 3)): 1_880, ("NP", (1, 2)): 1_230}
    assert (pool.refunded_cents, pool.breakage_cents) == (0, 20)
    assert value(pool, (1, 2, 9), 200) == (2_460, 0, ("NP",))
    assert value(pool, (1, 3, 9)) == (0, 0, ())
    conserved(pool, stakes)


def test_trio_two_non_runners_with_the_winner_are_paid_its_simple_gagnant():
    # art. 70, 62 I a, b, 65 c. 7, 8 and 9 withdrawn, arrival 1-2-3; the Simple gagnant
    # of 1 paid 4.50. Unit 7-8-9: none ran: refunded (1 €). Unit 1-8-9: 1 won: 4.50
    # reserved. Unit 2-8-9: 2 was second: lost. Trio: 99 € - 4.50 = 94.50 € over 5 €
    # on 1-2-3 = 18.90. Paid 94.50 + 4.50 = 99 €, refunded 1 €, no breakage.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[7, 8, 9])
    stakes = {(1, 2, 3): 500, (7, 8, 9): 100, (1, 8, 9): 100, (2, 8, 9): 100,
              (4, 5, 6): 9_200}
    pool = settle_pool("TRIO", stakes, result, NO_DEDUCTION, sources={
        "SIMPLE_GAGNANT": source("SIMPLE_GAGNANT", result, ((1,), 450))})
    assert divs(pool) == {("GAGNANT", (1, 2, 3)): 1_890, ("NP", (1,)): 450}
    assert (pool.refunded_cents, pool.breakage_cents) == (100, 0)
    assert value(pool, (7, 8, 9)) == (0, 100, ())
    assert value(pool, (1, 8, 9)) == (450, 0, ("NP",))
    assert value(pool, (2, 8, 9)) == (0, 0, ())
    conserved(pool, stakes)


def test_trio_special_above_the_trio_rapport_is_paid_the_trio_rapport():
    # art. 70, 65 b. The Couplé 1-2 paid 50.00; 9 € on 1-2-3, 1 € on 1-2-9. With t the
    # Trio rapport and the special capped at t: (100 - t) / 9 = t, t = 10.00. Special
    # 10.00 (not 50.00), Trio 90 € / 9 € = 10.00. Paid 90 + 10 = 100 €, no breakage.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 900, (1, 2, 9): 100, (4, 5, 6): 9_000}
    pool = settle_pool("TRIO", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 5_000))})
    assert divs(pool) == {("GAGNANT", (1, 2, 3)): 1_000, ("NP", (1, 2)): 1_000}
    assert pool.breakage_cents == 0
    conserved(pool, stakes)


def test_trio_special_without_a_couple_rapport_for_the_first_two_is_half_the_trio():
    # art. 74 c: the Couplé did not run, or paid 1-2 nothing (nobody backed it: it paid
    # 1-3 instead). The special of 1-2-9 is half the Trio rapport of 1-2-3, paid out of
    # the Trio masse: with s the special on 1 € and t = (100 - s) / 4 on the grid,
    # s = t / 2 on the grid: s = 11.10, t = 88.90 / 4 = 22.225 -> 22.20, and 22.20 / 2
    # = 11.10. Paid 4 x 22.20 + 11.10 = 99.90 €, breakage 0.10 €.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 400, (1, 2, 9): 100, (4, 5, 6): 9_500}
    reallocated = source("COUPLE_GAGNANT", result, ((1, 3), 3_000))
    for sources in ({}, {"COUPLE_GAGNANT": reallocated}):
        pool = settle_pool("TRIO", stakes, result, NO_DEDUCTION, sources=sources)
        assert divs(pool) == {("GAGNANT", (1, 2, 3)): 2_220, ("NP", (1, 2)): 1_110}
        assert pool.breakage_cents == 10
        conserved(pool, stakes)


def test_trio_special_units_are_refunded_when_nobody_won_the_trio():
    # art. 74 a: nobody on 1-2-3 nor on 1-2-4, 1-3-4, 2-3-4: every Trio bet is refunded,
    # "y compris ceux visés à l'article 62": 1-2-9 too, whatever the Couplé paid.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 9): 100, (5, 6, 7): 900}
    pool = settle_pool("TRIO", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_GAGNANT": source("COUPLE_GAGNANT", result, ((1, 2), 1_230))})
    assert pool.void and pool.refunded_cents == 1_000
    assert value(pool, (1, 2, 9)) == (0, 100, ())


# --- Trio ordre -----------------------------------------------------------------------

def test_trio_ordre_one_non_runner_is_paid_the_couple_ordre_in_the_units_order():
    # art. 74-5, 74-8 4, 6. 6 withdrawn (7 declared), arrival 1-2-3; the Couplé ordre
    # 1-2 paid 8.00. 1-6-2: 1 then 2, the exact order: 8.00 reserved. 2-6-1: 2 before 1:
    # lost. 1-3-6: first and third: lost ("en aucun cas"). Trio ordre: 92 € over 4 € on
    # 1-2-3 = 23.00 (>= 8.00). Paid 92 + 8 = 100 €, no breakage.
    result = make_result([[1], [2], [3], [4]], 7, non_runners=[6])
    stakes = {(1, 2, 3): 400, (1, 6, 2): 100, (2, 6, 1): 100, (1, 3, 6): 100,
              (4, 5, 7): 9_300}
    pool = settle_pool("TRIO_ORDRE", stakes, result, NO_DEDUCTION, sources={
        "COUPLE_ORDRE": source("COUPLE_ORDRE", result, ((1, 2), 800), kind="ORDRE")})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_300, ("NP", (1, 2)): 800}
    assert value(pool, (1, 6, 2)) == (800, 0, ("NP",))
    assert value(pool, (2, 6, 1)) == (0, 0, ())
    assert value(pool, (1, 3, 6)) == (0, 0, ())
    conserved(pool, stakes)


def test_trio_ordre_two_non_runners_are_paid_the_winners_simple_gagnant_only():
    # art. 74-5, 74-8 4. 6 and 7 withdrawn; the Simple gagnant of 1 paid 3.20. 6-1-7:
    # 1 won: 3.20 reserved. 2-6-7: 2 was second: lost. Trio ordre: 96.80 € over 5 € =
    # 19.36 -> 19.30. Paid 5 x 19.30 + 3.20 = 99.70 €, breakage 0.30 €.
    result = make_result([[1], [2], [3], [4]], 7, non_runners=[6, 7])
    stakes = {(1, 2, 3): 500, (6, 1, 7): 100, (2, 6, 7): 100, (3, 4, 5): 9_300}
    pool = settle_pool("TRIO_ORDRE", stakes, result, NO_DEDUCTION, sources={
        "SIMPLE_GAGNANT": source("SIMPLE_GAGNANT", result, ((1,), 320))})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 1_930, ("NP", (1,)): 320}
    assert pool.breakage_cents == 30
    assert value(pool, (2, 6, 7)) == (0, 0, ())
    conserved(pool, stakes)


def test_trio_ordre_without_a_couple_ordre_is_paid_half_its_own_rapport():
    # art. 74-8 6: no Couplé ordre in the race. As for the Trio (74 c): 1-6-2 paid half
    # the Trio ordre rapport: s = 11.10, t = 88.90 / 4 = 22.225 -> 22.20.
    # Paid 4 x 22.20 + 11.10 = 99.90 €, breakage 0.10 €.
    result = make_result([[1], [2], [3], [4]], 7, non_runners=[6])
    stakes = {(1, 2, 3): 400, (1, 6, 2): 100, (4, 5, 7): 9_500}
    pool = settle_pool("TRIO_ORDRE", stakes, result, NO_DEDUCTION, sources={})
    assert divs(pool) == {("ORDRE", (1, 2, 3)): 2_220, ("NP", (1, 2)): 1_110}
    conserved(pool, stakes)


def test_the_tierce_still_pays_the_minimum_without_a_couple():
    # art. 65 e: the Tiercé has no "half" rule (74 c is the Trio's): 1-9-2 with no
    # Couplé in the race is paid the minimum 1.10, as before.
    result = make_result([[1], [2], [3], [4]], 16, non_runners=[9])
    stakes = {(1, 2, 3): 100, (3, 2, 1): 100, (1, 9, 2): 100, (4, 5, 6): 9_700}
    pool = settle_pool("TIERCE", stakes, result, NO_DEDUCTION, sources={})
    assert divs(pool)[("NP", (1, 2))] == 110


# --- 2 sur 4 --------------------------------------------------------------------------

def test_deux_sur_quatre_units_with_a_non_runner_share_their_own_masse():
    # art. 53 2. 8 and 9 withdrawn, arrival 1-2-3-4-5, deduction 25 %.
    # 8-9: no horse ran: refunded (3 €). Units with one non-runner: 1-9 (3 €), 4-9
    # (3 €), 5-9 (6 €, 5 is fifth): 12 € less 25 % = 9 € masse transformée over the 6 €
    # whose horse is in the first four: 1.50 for 1-NP and 4-NP ("2sur4 1 NP").
    # The other 100 € less 25 % = 75 € over the pairs of the first four, 1-2 (6 €) and
    # 3-4 (9 €): 5.00. Paid 75 + 9 = 84 €, deduction 25 + 3 = 28 €, refunded 3 €.
    result = make_result([[1], [2], [3], [4], [5]], 12, non_runners=[8, 9])
    stakes = {(1, 2): 600, (3, 4): 900, (5, 6): 8_500,
              (1, 9): 300, (4, 9): 300, (5, 9): 600, (8, 9): 300}
    pool = settle_pool("DEUX_SUR_QUATRE", stakes, result, QUARTER)
    assert divs(pool) == {("DEUX_SUR_QUATRE", (1, 2)): 500, ("DEUX_SUR_QUATRE", (3, 4)): 500,
                          ("NP", (1,)): 150, ("NP", (4,)): 150}
    assert (pool.refunded_cents, pool.deduction_cents, pool.breakage_cents) == (300, 2_800, 0)
    assert value(pool, (1, 9), 300) == (450, 0, ("NP",))
    assert value(pool, (5, 9), 300) == (0, 0, ())
    assert value(pool, (8, 9), 300) == (0, 300, ())
    conserved(pool, stakes)


def test_deux_sur_quatre_masse_of_non_runners_nobody_won_joins_the_main_masse():
    # Our choice (the text is silent): 9 withdrawn; 5-9 (6 €, fifth) and 9-10 (3 €, 10
    # unplaced) lose; their 9 € less 25 % = 6.75 € join the 75 € masse: 81.75 / 15 =
    # 5.45 -> 5.40. Paid 81 €, breakage 0.75 €, deduction 25 + 2.25 = 27.25 €.
    result = make_result([[1], [2], [3], [4], [5]], 12, non_runners=[9])
    stakes = {(1, 2): 600, (3, 4): 900, (5, 6): 8_500, (5, 9): 600, (9, 10): 300}
    pool = settle_pool("DEUX_SUR_QUATRE", stakes, result, QUARTER)
    assert divs(pool) == {("DEUX_SUR_QUATRE", (1, 2)): 540, ("DEUX_SUR_QUATRE", (3, 4)): 540}
    assert (pool.deduction_cents, pool.breakage_cents) == (2_725, 75)
    conserved(pool, stakes)


def test_deux_sur_quatre_special_placé_at_the_minimum_is_funded_by_the_pools_deduction():
    # 9 withdrawn; the only unit with a non-runner, 1-9 (6 €), has its horse placed: its
    # masse 4.50 € cannot give the stakes back, so its deduction (1.50 €) is given back:
    # 1.00, raised to the minimum 1.10 at 0.60 € more, taken from the pool's deduction
    # (the main masse 75 € pays 5.00 exactly, no breakage). Paid 75 + 6.60 = 81.60 €;
    # deduction 25 + 1.50 - 1.50 - 0.60 = 24.40 €; 106 € in all.
    result = make_result([[1], [2], [3], [4], [5]], 12, non_runners=[9])
    stakes = {(1, 2): 600, (3, 4): 900, (5, 6): 8_500, (1, 9): 600}
    pool = settle_pool("DEUX_SUR_QUATRE", stakes, result, QUARTER)
    assert divs(pool)[("NP", (1,))] == 110
    assert (pool.deduction_cents, pool.breakage_cents) == (2_440, 0)
    conserved(pool, stakes)


def test_deux_sur_quatre_champ_on_a_withdrawn_base_is_refunded_whole():
    # Our choice, as for the Couplé (art. 43 I d): a champ total on 9, withdrawn, would
    # otherwise be paid the rapport spécial placé on every horse of the first four.
    two_sur_four = get_bet_type("DEUX_SUR_QUATRE")
    assert refunded_whole(two_sur_four, CHAMP_TOTAL, [9], None, [9])
    assert not refunded_whole(two_sur_four, CHAMP_TOTAL, [9], 7, [9])  # the complément ran


def test_which_bet_types_pay_rapports_speciaux_and_which_keep_a_masse_of_their_own():
    from betting.catalogue import BET_TYPES
    assert {c for c, b in BET_TYPES.items() if b.np_rapports_of} == {
        "TIERCE", "TRIO", "TRIO_ORDRE"}
    assert dict(get_bet_type("TRIO_ORDRE").np_rapports_of)[2] == "COUPLE_ORDRE"
    assert {c for c, b in BET_TYPES.items() if b.np_own_masse} == {"DEUX_SUR_QUATRE"}
