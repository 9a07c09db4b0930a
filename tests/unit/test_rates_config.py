from fractions import Fraction

import pytest

from betting.rates import DEFAULT_RATES
from server.rates_config import RatesError, load_rates, parse_rates


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
