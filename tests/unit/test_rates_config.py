import json
from fractions import Fraction

import pytest

from betting.catalogue import BET_TYPES, BetType, PayRule
from betting.rates import DEFAULT_RATES, Rates
from server.services.rates_config import RatesError, load_rates, parse_rates


def test_named_rates_override_and_the_rest_keep_their_defaults():
    rates = parse_rates({"deductions": {"SIMPLE_GAGNANT": "12.5"},
                         "splits": {"TIERCE": {"ORDRE": "40", "DESORDRE": "60"}}})
    assert rates.deduction_rate("SIMPLE_GAGNANT") == Fraction(1, 8)
    assert rates.deduction_rate("TRIO") == DEFAULT_RATES.deduction_rate("TRIO")
    assert rates.split("TIERCE", ("ORDRE", "DESORDRE")) == {"ORDRE": Fraction(2, 5),
                                                             "DESORDRE": Fraction(3, 5)}


@pytest.mark.parametrize("doc, words", [
    ([], "expected"),
    ({"taux": {}}, "expected"),
    ({"deductions": {"LOTO": "10"}}, "unknown bet type"),
    ({"deductions": {"TRIO": "dix"}}, "not a percentage"),
    ({"deductions": {"TRIO": "100"}}, "must be in"),
    ({"splits": {"TIERCE": {"ORDRE": "40", "DESORDRE": "40"}}}, "summing to 1"),
])
def test_bad_rates_files_say_why(doc, words):
    with pytest.raises(RatesError, match=words):
        parse_rates(doc)


def test_defaults_without_a_file(monkeypatch):
    monkeypatch.delenv("GUICHET_RATES", raising=False)
    assert load_rates() is DEFAULT_RATES


def test_unreadable_file(tmp_path):
    with pytest.raises(RatesError, match="cannot read"):
        load_rates(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(RatesError, match="not JSON"):
        load_rates(str(tmp_path / "bad.json"))


NOUVEAU = BetType("NOUVEAU", "Nouveau", 2, True, frozenset({"UNITAIRE"}), 100, 4,
                  ("ORDRE", "DESORDRE"), PayRule.TQQ)


def test_the_default_rates_price_every_bet_type():
    DEFAULT_RATES.check_complete()
    assert set(DEFAULT_RATES.deductions) == set(BET_TYPES)


def test_a_bet_type_without_a_rate_stops_the_start_with_its_name(tmp_path, monkeypatch):
    monkeypatch.setitem(BET_TYPES, "NOUVEAU", NOUVEAU)
    with pytest.raises(ValueError, match="no deduction rate for bet type NOUVEAU"):
        Rates().check_complete()
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"deductions": {"SIMPLE_GAGNANT": "12.5"}}))
    with pytest.raises(RatesError, match="no deduction rate for bet type NOUVEAU"):
        load_rates(str(rates))


def test_a_bet_type_with_several_kinds_needs_a_split(monkeypatch):
    monkeypatch.setitem(BET_TYPES, "NOUVEAU", NOUVEAU)
    with pytest.raises(RatesError, match="no split of the profit for bet type NOUVEAU"):
        parse_rates({"deductions": {"NOUVEAU": "25"}})
    rates = parse_rates({"deductions": {"NOUVEAU": "25"},
                         "splits": {"NOUVEAU": {"ORDRE": "50", "DESORDRE": "50"}}})
    assert rates.deduction_rate("NOUVEAU") == Fraction(1, 4)


def test_a_split_naming_a_kind_the_bet_type_does_not_pay_is_refused():
    with pytest.raises(RatesError, match="split of TIERCE names kinds it does not pay: BONUS3"):
        parse_rates({"splits": {"TIERCE": {"ORDRE": "40", "DESORDRE": "40", "BONUS3": "20"}}})


def test_a_deduction_outside_the_legal_range_stops_the_start_with_its_name():
    with pytest.raises(RatesError, match=r"QUINTE_PLUS \(35 %\) is outside the legal range"):
        parse_rates({"deductions": {"QUINTE_PLUS": "35"}})
    with pytest.raises(RatesError, match=r"TRIO \(9\.5 %\) is outside"):
        parse_rates({"deductions": {"TRIO": "9.5"}})
    assert parse_rates({"deductions": {"TRIO": "30"}}).deduction_rate("TRIO") == Fraction(3, 10)


def test_every_default_rate_says_where_it_comes_from():
    from betting.rates import LEGAL_DEDUCTION_RANGE, SOURCES
    low, high = LEGAL_DEDUCTION_RANGE
    for code in BET_TYPES:
        assert SOURCES[code], code
        assert low <= DEFAULT_RATES.deduction_rate(code) <= high, code


def test_minimum_dividend_and_grid_change_from_a_day_on():
    from datetime import date
    rates = parse_rates({"minimums": {"COUPLE_GAGNANT": 120},
                         "periods": [{"from": "2026-01-01", "minimums": {"SIMPLE_PLACE": 105},
                                      "grids": {"SIMPLE_PLACE": 5}}]})
    before, after = rates.on(date(2025, 12, 31)), rates.on(date(2026, 7, 7))
    assert (before.minimum("SIMPLE_PLACE"), before.grid("SIMPLE_PLACE")) == (110, 10)
    assert (after.minimum("SIMPLE_PLACE"), after.grid("SIMPLE_PLACE")) == (105, 5)
    assert after.minimum("COUPLE_GAGNANT") == before.minimum("COUPLE_GAGNANT") == 120


@pytest.mark.parametrize("doc, words", [
    ({"minimums": {"SIMPLE_PLACE": "1,05"}}, "not a whole number of cents"),
    ({"minimums": {"SIMPLE_PLACE": 95}}, "at least 1 €"),
    ({"grids": {"LOTO": 5}}, "unknown bet type"),
    ({"periods": [{"from": "07/07/2026"}]}, "not a date"),
    ({"periods": {"from": "2026-01-01"}}, "expected"),
    ({"np_shares": {"TRIO": "10"}}, "NP dividend"),
])
def test_bad_minimums_and_periods_say_why(doc, words):
    with pytest.raises(RatesError, match=words):
        parse_rates(doc)
