import pytest

from betting.money import format_euros, parse_euros


@pytest.mark.parametrize("cents, text", [(0, "0,00 €"), (5, "0,05 €"), (250, "2,50 €"),
                                         (1234567, "12\u202f345,67 €"), (-150, "-1,50 €")])
def test_format_euros(cents, text):
    assert format_euros(cents) == text


def test_format_refuses_floats():
    with pytest.raises(TypeError):
        format_euros(2.5)


@pytest.mark.parametrize("text, cents", [("2", 200), ("2,5", 250), ("2.50", 250), (" 3,00 € ", 300),
                                         ("0,05", 5)])
def test_parse_euros(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["", "deux", "2,505", "1.2.3", "-2", "2,-5", "€"])
def test_parse_euros_refuses_garbage(text):
    with pytest.raises(ValueError):
        parse_euros(text)
