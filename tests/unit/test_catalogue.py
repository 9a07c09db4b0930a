"""The bet catalogue against CONTRACT.md and the operator's programme."""
import json
from pathlib import Path

import pytest

from betting.catalogue import (
    BET_TYPES, CHAMP_TOTAL, COMBINE, UNITAIRE, check_formula, get_bet_type,
)
from betting.errors import FormulaNotAllowed, UnknownBetType, UnknownFormula
from betting.payable import _RULES
from betting.results import places_paid_simple_place

PROGRAMME = Path(__file__).resolve().parents[3] / "shared" / "data" / \
    "pmu_programme_2021-01-01.json"
CONTRACT_CODES = {
    "SIMPLE_GAGNANT", "SIMPLE_PLACE", "COUPLE_GAGNANT", "COUPLE_PLACE", "COUPLE_ORDRE",
    "DEUX_SUR_QUATRE", "TRIO", "TRIO_ORDRE", "TIERCE", "QUARTE_PLUS", "QUINTE_PLUS",
    "MULTI", "MINI_MULTI", "SUPER_QUATRE", "PICK5",
}


def test_catalogue_holds_exactly_the_contract_bet_types():
    assert set(BET_TYPES) == CONTRACT_CODES
    assert set(_RULES) == CONTRACT_CODES  # every bet type can be settled


def test_unknown_bet_type_is_a_named_error():
    with pytest.raises(UnknownBetType):
        get_bet_type("LOTO")


def test_simple_bets_are_unitaire_only():
    with pytest.raises(FormulaNotAllowed):
        check_formula(get_bet_type("SIMPLE_GAGNANT"), COMBINE)
    check_formula(get_bet_type("TIERCE"), CHAMP_TOTAL)
    with pytest.raises(UnknownFormula):
        check_formula(get_bet_type("TIERCE"), "FLEXI")


def test_quarte_plus_default_base_stake_is_one_fifty():
    assert get_bet_type("QUARTE_PLUS").default_base_stake_cents == 150


def test_multi_plays_en_4_to_en_7_and_mini_multi_en_4_to_en_6():
    assert get_bet_type("MULTI").dividend_kinds == (
        "MULTI_EN_4", "MULTI_EN_5", "MULTI_EN_6", "MULTI_EN_7")
    assert get_bet_type("MINI_MULTI").max_selections == 6


def test_quinte_kinds_best_first():
    assert get_bet_type("QUINTE_PLUS").dividend_kinds == ("ORDRE", "DESORDRE", "BONUS4", "BONUS3",
                                                          "NP")


def test_only_simple_gagnant_couples_ecuries():
    assert [c for c, b in BET_TYPES.items() if b.ecurie_coupling] == ["SIMPLE_GAGNANT"]


def test_simple_place_pays_two_places_to_seven_declared_and_three_from_eight():
    assert [places_paid_simple_place(n) for n in (4, 7, 8, 16)] == [2, 2, 3, 3]


@pytest.mark.skipif(not PROGRAMME.exists(), reason="shared data not available")
def test_catalogue_agrees_with_the_programme_on_horses_and_order():
    programme = json.loads(PROGRAMME.read_text())["programme"]
    for meeting in programme["reunions"]:
        for race in meeting["courses"]:
            for pari in race["paris"]:
                code = pari["codePari"].removeprefix("E_")
                if code in BET_TYPES:
                    bt = BET_TYPES[code]
                    assert bt.horses == pari["nbChevauxReglementaire"], code
                    assert bt.ordered == pari["ordre"], code
                    assert (COMBINE in bt.formulas) == pari["combine"], code
                    if "valeursRisqueAutorisees" in pari:
                        assert max(pari["valeursRisqueAutorisees"]) == bt.max_selections


def test_unitaire_is_allowed_everywhere():
    assert all(UNITAIRE in b.formulas for b in BET_TYPES.values())
