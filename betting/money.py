"""Amounts for people. Money is integer cents everywhere else."""
from __future__ import annotations


def format_euros(cents: int, sign: str = "€") -> str:
    """French format: 1234567 -> '12 345,67 €' (narrow no-break space for thousands)."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("amounts are integer cents")
    negative = cents < 0
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", "\u202f")
    text = f"{'-' if negative else ''}{grouped},{rest:02d}"
    return f"{text} {sign}" if sign else text


def parse_euros(text: str) -> int:
    """'2', '2,5', '2.50', '2,50 €' -> cents. Raises ValueError on anything else."""
    cleaned = text.strip().replace("€", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        raise ValueError(text)
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(text)
    return int(whole) * 100 + int((frac + "00")[:2])
