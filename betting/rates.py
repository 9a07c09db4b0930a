"""Deduction rates and profit splits: configuration, with the operator's defaults.

The deduction (prélèvement: taxes, racing levy, operator's margin) is fixed
by the regulator per bet type and changes over the years; the split of a
multi-dividend pool's profit between its kinds is the operator's choice. Both
come in as a `Rates` value so that settlement stays a pure function; the
server keeps its own copy in configuration and passes it. Sources and
estimates are listed in RULES.md ("Rates").

Rates are keyed by bet type code and checked against the catalogue at start
(`Rates.check_complete`, by `DEFAULT_RATES` here and by the server's loader):
a bet type added to the catalogue and forgotten here stops the start with its
name, it is never settled at 0 %.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from .catalogue import BET_TYPES

_pct = lambda n: Fraction(n) / 100  # noqa: E731 - reads as a percentage below

_DEDUCTIONS = {
    "SIMPLE_GAGNANT": Fraction(139, 1000),
    "SIMPLE_PLACE": Fraction(139, 1000),
    "COUPLE_GAGNANT": _pct(25),
    "COUPLE_PLACE": _pct(25),
    "COUPLE_ORDRE": _pct(25),
    "DEUX_SUR_QUATRE": _pct(25),
    "TRIO": _pct(25),
    "TRIO_ORDRE": _pct(25),
    "TIERCE": _pct(27),
    "QUARTE_PLUS": _pct(30),
    "QUINTE_PLUS": _pct(35),
    "MULTI": _pct(30),
    "MINI_MULTI": _pct(30),
    "SUPER_QUATRE": _pct(25),
    "PICK5": _pct(30),
}

_SPLITS = {
    # Quinté+ since 10 January 2019: ordre 28 %, désordre 29 %, bonus 4 17 %, bonus 3 26 %.
    "QUINTE_PLUS": {"ORDRE": _pct(28), "DESORDRE": _pct(29), "BONUS4": _pct(17),
                    "BONUS3": _pct(26)},
    # Estimates (RULES.md): no published figure was found.
    "QUARTE_PLUS": {"ORDRE": _pct(25), "DESORDRE": _pct(30), "BONUS3": _pct(45)},
    "TIERCE": {"ORDRE": _pct(50), "DESORDRE": _pct(50)},
}


def _frozen(d: Mapping) -> Mapping:
    return MappingProxyType({k: (_frozen(v) if isinstance(v, Mapping) else v)
                             for k, v in d.items()})


@dataclass(frozen=True)
class Rates:
    """What settlement needs to know that the result does not say."""

    deductions: Mapping[str, Fraction] = field(default_factory=lambda: _frozen(_DEDUCTIONS))
    # Per bet type with several kinds: kind -> share of the profit (sums to 1).
    splits: Mapping[str, Mapping[str, Fraction]] = field(
        default_factory=lambda: _frozen(_SPLITS))
    # Couplé gagnant, Pick 5: share of the profit spread over winners AND NP units.
    np_share: Fraction = Fraction(1, 4)
    min_dividend_cents: int = 110
    grid_cents: int = 10

    def __post_init__(self) -> None:
        for code, rate in self.deductions.items():
            if not 0 <= rate < 1:
                raise ValueError(f"deduction rate of {code} must be in [0, 1): {rate}")
        for code, split in self.splits.items():
            if sum(split.values()) != 1 or any(s < 0 for s in split.values()):
                raise ValueError(f"split of {code} must be shares summing to 1")
        if not 0 <= self.np_share <= 1:
            raise ValueError("np_share must be in [0, 1]")
        if self.grid_cents <= 0 or self.min_dividend_cents < 100:
            raise ValueError("dividends are at least 1 € per 1 € on a positive grid")

    def check_complete(self) -> None:
        """Refuse rates that leave a bet type of the catalogue without its rate or split.

        Settling needs a deduction rate for every bet type, and a split for
        every type whose profit has several kinds (Tiercé, Quarté+, Quinté+).
        A `Rates` built by hand for a calculation may name fewer (the others
        are then not deducted), so the check is a separate step, made on the
        rates a race is settled with before anything starts.
        """
        for code, bet_type in BET_TYPES.items():
            if code not in self.deductions:
                raise ValueError(f"no deduction rate for bet type {code}")
            kinds = bet_type.split_kinds
            if len(kinds) > 1 and code not in self.splits:
                raise ValueError(f"no split of the profit for bet type {code} "
                                 f"between {', '.join(kinds)}")
            unpaid = sorted(set(self.splits.get(code, {})) - set(kinds))
            if unpaid:
                raise ValueError(f"split of {code} names kinds it does not pay: "
                                 f"{', '.join(unpaid)}")

    def deduction_rate(self, code: str) -> Fraction:
        return Fraction(self.deductions.get(code, 0))

    def split(self, code: str, kinds: tuple[str, ...]) -> dict[str, Fraction]:
        """Shares of the profit per kind; a single-kind pool gives it all to its kind."""
        given = self.splits.get(code)
        if given is None:
            return {k: Fraction(int(i == 0)) for i, k in enumerate(kinds)}
        return {k: Fraction(given.get(k, 0)) for k in kinds}


DEFAULT_RATES = Rates()
DEFAULT_RATES.check_complete()
