"""Formule simplifiée (Tiercé, Quarté+, Quinté+): one stated order per set of horses.

Every count below is worked by hand in a comment; RULES.md ("Combinations and
cost") gives the formulas.
"""
import pytest

from betting.catalogue import (
    BET_TYPES, CHAMP_REDUIT, CHAMP_REDUIT_SIMPLIFIE, CHAMP_TOTAL, CHAMP_TOTAL_SIMPLIFIE, COMBINE,
    COMBINE_SIMPLIFIE, FORMULAS, GAGNANT, SIMPLIFIED_FORMULAS, BetType, PayRule, get_bet_type,
    is_champ_total, is_simplified, shape_of,
)
from betting.combinations import count_combinations, expand
from betting.errors import FormulaNotAllowed, MissingBase, WrongSelectionCount
from betting.pools import bet_payout, pool_stakes, settle_pool
from betting.rates import Rates
from betting.results import make_result
from terminal_app.services.wording import describe_bet

RUNNING = list(range(1, 11))  # a 10-runner race, nobody withdrawn
NO_DEDUCTION = Rates(deductions={})
SIMPLIFIED = (COMBINE_SIMPLIFIE, CHAMP_TOTAL_SIMPLIFIE, CHAMP_REDUIT_SIMPLIFIE)
TQQ = ("TIERCE", "QUARTE_PLUS", "QUINTE_PLUS")


def count(code, formula, selections=(), bases=(), running=RUNNING):
    return count_combinations(get_bet_type(code), formula, selections, bases, running)


def units(code, formula, selections=(), bases=(), running=RUNNING):
    return list(expand(get_bet_type(code), formula, selections, bases, running))


# --- catalogue -------------------------------------------------------------------------------


def test_new_formulas_are_appended_and_named_by_their_shape():
    assert FORMULAS[:4] == ("UNITAIRE", COMBINE, CHAMP_TOTAL, CHAMP_REDUIT)
    assert FORMULAS[4:7] == SIMPLIFIED
    # then the Multi's "combiné en n", combinés of their own unit size
    assert FORMULAS[7:] == ("COMBINE_EN_5", "COMBINE_EN_6", "COMBINE_EN_7")
    assert SIMPLIFIED_FORMULAS == set(SIMPLIFIED)
    assert [shape_of(f) for f in SIMPLIFIED] == [COMBINE, CHAMP_TOTAL, CHAMP_REDUIT]
    assert [shape_of(f) for f in FORMULAS[7:]] == [COMBINE] * 3
    assert [is_simplified(f) for f in FORMULAS] == [False] * 4 + [True] * 3 + [False] * 3
    assert [f for f in FORMULAS if is_champ_total(f)] == [CHAMP_TOTAL, CHAMP_TOTAL_SIMPLIFIE]


def test_the_couple_ordre_tierce_quarte_quinte_offer_the_simplified_formulas():
    # règlement art. 45 (Couplé ordre), 66 (Tiercé), 86-8 (Quarté+), 95-8 (Quinté+)
    offering = sorted(c for c, b in BET_TYPES.items() if b.formulas & SIMPLIFIED_FORMULAS)
    assert offering == sorted(TQQ + ("COUPLE_ORDRE",))
    for code in offering:
        assert get_bet_type(code).ordered
        assert SIMPLIFIED_FORMULAS <= get_bet_type(code).formulas


def test_an_unordered_bet_type_cannot_offer_a_simplified_formula():
    with pytest.raises(ValueError):
        BetType("X", "X", 2, False, frozenset(FORMULAS), 100, 4, (GAGNANT,), PayRule.SET)


def test_a_couple_ordre_combine_simplifie_plays_each_pair_in_the_order_stated():
    # art. 45: K(K-1)/2 pairs, each in the relative order stated: 7-3-1 -> 7-3, 7-1, 3-1
    bt = get_bet_type("COUPLE_ORDRE")
    assert list(expand(bt, COMBINE_SIMPLIFIE, [7, 3, 1], [], range(1, 8))) == [
        (7, 3), (7, 1), (3, 1)]
    assert count_combinations(bt, COMBINE_SIMPLIFIE, [7, 3, 1], [], range(1, 8)) == 3


@pytest.mark.parametrize("code", ["SIMPLE_GAGNANT", "COUPLE_GAGNANT",
                                  "TRIO_ORDRE", "SUPER_QUATRE", "MULTI", "PICK5"])
@pytest.mark.parametrize("formula", SIMPLIFIED)
def test_simplified_formula_is_refused_outside_tierce_quarte_quinte(code, formula):
    bases = [1] if formula != COMBINE_SIMPLIFIE else []
    selections = [2, 3, 4, 5, 6, 7] if formula != CHAMP_TOTAL_SIMPLIFIE else []
    with pytest.raises(FormulaNotAllowed) as err:
        count(code, formula, selections, bases)
    assert err.value.message.startswith("La formule ")
    assert get_bet_type(code).label in err.value.message


# --- counting and expansion ------------------------------------------------------------------


def test_seven_horse_quinte_combine_is_21_units_simplified_against_2520_in_every_order():
    horses = [7, 3, 1, 5, 2, 9, 4]
    # simplified: C(7, 5) = 7!/(5! 2!) = 21; every order: 7 x 6 x 5 x 4 x 3 = 2,520
    assert count("QUINTE_PLUS", COMBINE_SIMPLIFIE, horses) == 21
    assert count("QUINTE_PLUS", COMBINE, horses) == 2_520


def test_combine_simplifie_counts_one_order_per_set():
    # Tiercé of 4: C(4, 3) = 4 (every order 4 x 3 x 2 = 24);
    # Quarté+ of 6: C(6, 4) = 15 (every order 6 x 5 x 4 x 3 = 360)
    assert count("TIERCE", COMBINE_SIMPLIFIE, [1, 2, 3, 4]) == 4
    assert count("QUARTE_PLUS", COMBINE_SIMPLIFIE, [1, 2, 3, 4, 5, 6]) == 15
    assert count("QUARTE_PLUS", COMBINE, [1, 2, 3, 4, 5, 6]) == 360


def test_combine_simplifie_plays_each_set_in_the_stated_order():
    # stated 7, 3, 1, 5: the sets without 5, without 1, without 3, without 7,
    # each read in the order 7 -> 3 -> 1 -> 5 (never sorted by number)
    assert units("TIERCE", COMBINE_SIMPLIFIE, [7, 3, 1, 5]) == [
        (7, 3, 1), (7, 3, 5), (7, 1, 5), (3, 1, 5)]


def test_tierce_champ_total_simplifie_of_two_bases_is_n_minus_2_units():
    # 10 running, bases 5 then 2: 8 partners, each third -> 10 - 2 = 8 units
    # (every order: 6 x 8 = 48)
    assert count("TIERCE", CHAMP_TOTAL_SIMPLIFIE, bases=[5, 2]) == 8
    assert count("TIERCE", CHAMP_TOTAL, bases=[5, 2]) == 48
    assert units("TIERCE", CHAMP_TOTAL_SIMPLIFIE, bases=[5, 2]) == [
        (5, 2, n) for n in (1, 3, 4, 6, 7, 8, 9, 10)]


def test_champ_total_simplifie_is_completed_by_the_running_horses_only():
    # 10 declared, 4 and 8 withdrawn: 8 running, 6 partners besides bases 5, 2 -> 6 units
    running = [n for n in RUNNING if n not in (4, 8)]
    assert count("TIERCE", CHAMP_TOTAL_SIMPLIFIE, bases=[5, 2], running=running) == 6


def test_tierce_champ_reduit_simplifie_of_one_base_is_p_times_p_minus_1_units():
    # base 9 first, P = 4 partners in the two places left, every order: 4 x 3 = 12
    # (every order: C(4, 2) x 3! = 36 = 3 x 12)
    assert count("TIERCE", CHAMP_REDUIT_SIMPLIFIE, [1, 2, 3, 4], [9]) == 12
    assert count("TIERCE", CHAMP_REDUIT, [1, 2, 3, 4], [9]) == 36
    played = units("TIERCE", CHAMP_REDUIT_SIMPLIFIE, [1, 2, 3, 4], [9])
    assert len(played) == len(set(played)) == 12
    assert all(u[0] == 9 for u in played) and (9, 1, 2) in played and (9, 2, 1) in played


def test_tierce_champ_reduit_simplifie_of_two_bases_is_p_units():
    # bases 6 then 3, P = 5 partners for the third place: 5 units (every order 6 x 5 = 30)
    assert units("TIERCE", CHAMP_REDUIT_SIMPLIFIE, [1, 2, 4, 5, 7], [6, 3]) == [
        (6, 3, 1), (6, 3, 2), (6, 3, 4), (6, 3, 5), (6, 3, 7)]


def test_quinte_champ_reduit_simplifie_keeps_the_bases_in_their_order():
    # bases 8, 2 at places 1 and 2; 5 partners in the 3 places left: 5 x 4 x 3 = 60
    played = units("QUINTE_PLUS", CHAMP_REDUIT_SIMPLIFIE, [1, 3, 4, 5, 6], [8, 2])
    assert count("QUINTE_PLUS", CHAMP_REDUIT_SIMPLIFIE, [1, 3, 4, 5, 6], [8, 2]) == 60
    assert len(played) == len(set(played)) == 60 and all(u[:2] == (8, 2) for u in played)


@pytest.mark.parametrize("code", TQQ)
def test_count_agrees_with_the_expansion(code):
    for formula, selections, bases in ((COMBINE_SIMPLIFIE, [4, 9, 1, 6, 2, 8], []),
                                       (CHAMP_TOTAL_SIMPLIFIE, [], [3]),
                                       (CHAMP_TOTAL_SIMPLIFIE, [], [3, 7]),
                                       (CHAMP_REDUIT_SIMPLIFIE, [1, 2, 4, 5, 6, 8], [3, 7])):
        played = units(code, formula, selections, bases)
        assert count(code, formula, selections, bases) == len(played) == len(set(played))


def test_simplified_shapes_are_checked_like_the_every_order_ones():
    with pytest.raises(WrongSelectionCount):  # a combiné needs more than 3 horses
        count("TIERCE", COMBINE_SIMPLIFIE, [1, 2, 3])
    with pytest.raises(MissingBase):
        count("TIERCE", CHAMP_REDUIT_SIMPLIFIE, [1, 2, 3, 4])
    with pytest.raises(WrongSelectionCount):  # 3 bases leave no place for a partner
        count("TIERCE", CHAMP_TOTAL_SIMPLIFIE, bases=[1, 2, 3])
    with pytest.raises(WrongSelectionCount):
        count("TIERCE", CHAMP_TOTAL_SIMPLIFIE, [4], [1, 2])
    with pytest.raises(WrongSelectionCount):  # 1 base + 1 partner cannot fill 3 places
        count("TIERCE", CHAMP_REDUIT_SIMPLIFIE, [4], [1])


# --- settlement: a simplified unit is an ordered unitaire ------------------------------------


def test_simplified_tierce_units_earn_ordre_in_the_exact_order_and_desordre_otherwise():
    arrival = make_result([[1], [2], [3], [4], [5], [6]], 16)
    exact = units("TIERCE", COMBINE_SIMPLIFIE, [1, 2, 3, 4])  # (1,2,3) (1,2,4) (1,3,4) (2,3,4)
    other = units("TIERCE", COMBINE_SIMPLIFIE, [2, 1, 3, 7])  # (2,1,3) (2,1,7) (2,3,7) (1,3,7)
    assert (1, 2, 3) in exact and (2, 1, 3) in other
    # 4 units x 1 € + 4 units x 10 € + 56 € on a loser = 100 €, no deduction.
    # The masse (100 €) in two halves (art. 63.1): ordre 50 € / 1 € = 50.00 € on (1,2,3);
    # désordre 50 € / 10 € = 5.00 € on (2,1,3); 50 >= 5 x 5: no pooling.
    stakes = pool_stakes("TIERCE", [(exact, 100), (other, 1_000), ([(8, 9, 10)], 5_600)])
    assert sum(stakes.values()) == 10_000
    pool = settle_pool("TIERCE", stakes, arrival, NO_DEDUCTION)
    paid = {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}
    assert paid == {("ORDRE", (1, 2, 3)): 5_000, ("DESORDRE", (1, 2, 3)): 500}

    first = bet_payout(pool, exact, 100)  # the (1,2,3) unit at 1 €: 50.00 €
    assert (first.amount_cents, first.kinds) == (5_000, ("ORDRE",))
    second = bet_payout(pool, other, 1_000)  # the (2,1,3) unit at 10 €: 10 x 5.00 = 50 €
    assert (second.amount_cents, second.kinds) == (5_000, ("DESORDRE",))


def test_a_simplified_unit_is_the_same_pool_key_as_the_unitaire_in_that_order():
    champ = units("TIERCE", CHAMP_TOTAL_SIMPLIFIE, bases=[2, 1])
    stakes = pool_stakes("TIERCE", [(champ, 100), ([(2, 1, 3)], 100)])
    # 8 units of the champ + one unitaire: (2,1,3) holds both stakes
    assert len(stakes) == 8 and stakes[(2, 1, 3)] == 200


# --- ticket ----------------------------------------------------------------------------------


def ticket_bet(formula, selections, bases, combinations):
    return {"bet_type": "QUINTE_PLUS", "formula": formula, "selections": selections,
            "bases": bases, "combinations": combinations, "unit_stake_cents": 200}


def test_ticket_says_simplifie_and_prints_the_horses_in_the_stated_order():
    lines = describe_bet(ticket_bet(COMBINE_SIMPLIFIE, [7, 3, 1, 5, 2, 9, 4], [], 21))
    assert lines[0] == "Quinté+ combiné simplifié"
    assert lines[1] == "Chevaux dans l'ordre : 7 - 3 - 1 - 5 - 2 - 9 - 4"
    assert lines[2].startswith("21 combinaison(s) x ")


def test_ticket_of_a_champ_simplifie_puts_the_bases_first_in_their_order():
    lines = describe_bet(ticket_bet(CHAMP_REDUIT_SIMPLIFIE, [1, 3, 4, 5, 6], [8, 2], 60))
    assert lines[:3] == ["Quinté+ champ réduit simplifié",
                         "Base(s) en tête dans l'ordre : 8 - 2", "Chevaux : 1 - 3 - 4 - 5 - 6"]
    total = describe_bet(ticket_bet(CHAMP_TOTAL_SIMPLIFIE, [], [8, 2, 5, 1], 6))
    assert total[:2] == ["Quinté+ champ total simplifié",
                         "Base(s) en tête dans l'ordre : 8 - 2 - 5 - 1"]


def test_ticket_of_an_every_order_bet_is_unchanged():
    lines = describe_bet(ticket_bet(COMBINE, [7, 3, 1, 5, 2, 9], [], 720))
    assert lines[:2] == ["Quinté+ combiné", "Chevaux : 7 - 3 - 1 - 5 - 2 - 9"]
