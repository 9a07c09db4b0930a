"""Each bet type's settlement behaviour is read from its catalogue entry."""
from betting.catalogue import BET_TYPES, PayRule, get_bet_type
from betting.payable import _PAYS


def _having(flag: str) -> set[str]:
    return {code for code, b in BET_TYPES.items() if getattr(b, flag)}


def test_every_pay_rule_has_its_payables():
    assert set(_PAYS) == set(PayRule)


def test_only_multi_and_mini_multi_pay_by_unit_size():
    assert _having("is_multi") == {"MULTI", "MINI_MULTI"}


def test_only_deux_sur_quatre_has_one_common_dividend():
    assert _having("common_dividend") == {"DEUX_SUR_QUATRE"}


def test_only_simple_place_reads_its_places_from_the_field():
    assert _having("places_by_field") == {"SIMPLE_PLACE"}


def test_place_bets_pay_each_combination_among_the_placed():
    assert {c for c, b in BET_TYPES.items() if b.pays is PayRule.EACH} == {
        "SIMPLE_PLACE", "COUPLE_PLACE", "DEUX_SUR_QUATRE"}
    assert get_bet_type("COUPLE_PLACE").places == 3
    assert get_bet_type("DEUX_SUR_QUATRE").places == 4


def test_the_split_kinds_leave_out_np_and_the_sized_or_common_dividends():
    assert get_bet_type("QUINTE_PLUS").split_kinds == ("ORDRE", "DESORDRE", "BONUS4", "BONUS3")
    assert get_bet_type("COUPLE_GAGNANT").split_kinds == ("GAGNANT",)
    assert get_bet_type("MULTI").split_kinds == ()
    assert get_bet_type("DEUX_SUR_QUATRE").split_kinds == ()


def test_every_stake_cap_cites_its_article():
    from betting.catalogue import STAKE_CAP_ARTICLES
    assert _having("max_base_stakes_per_unit") == set(STAKE_CAP_ARTICLES)
