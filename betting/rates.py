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

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from .catalogue import BET_TYPES

_pct = lambda n: Fraction(n) / 100  # noqa: E731 - reads as a percentage below

# The règlement (art. 18 al. 2 as amended by the arrêté du 2 juin 2010) lets the
# effective deduction of each bet type lie between 10 % and 30 %; a rate outside
# stops the start (`Rates.check_complete`).
LEGAL_DEDUCTION_RANGE = (_pct(10), _pct(30))

# Default deduction per bet type, each with where it comes from (RULES.md, "Rates").
_RATES_WITH_SOURCES = {
    "SIMPLE_GAGNANT": (Fraction(139, 1000), "operator's answer of 2020 quoting 13.9 %"),
    "SIMPLE_PLACE": (Fraction(139, 1000), "operator's answer of 2020 quoting 13.9 %"),
    "COUPLE_GAGNANT": (_pct(25), "estimate: 'a little more than 70 % returned' on combined bets"),
    "COUPLE_PLACE": (_pct(25), "estimate: 'a little more than 70 % returned' on combined bets"),
    "COUPLE_ORDRE": (_pct(25), "estimate: 'a little more than 70 % returned' on combined bets"),
    "DEUX_SUR_QUATRE": (_pct(25), "estimate: 'a little more than 70 % returned'"),
    "TRIO": (_pct(25), "estimate: 'a little more than 70 % returned'"),
    "TRIO_ORDRE": (_pct(25), "estimate: 'a little more than 70 % returned'"),
    "TIERCE": (_pct(27), "estimate: 'a little more than 70 % returned'"),
    "QUARTE_PLUS": (_pct(30), "estimate, at the legal maximum"),
    "QUINTE_PLUS": (Fraction(285, 1000), "71.5 % returned, a published table of returns "
                                        "(secondary source); was 35 %, above the legal 30 %"),
    "MULTI": (_pct(30), "online règlement art. 22 gives 26 % for 'other bets'; kept at 30 %"),
    "MINI_MULTI": (_pct(30), "as Multi"),
    "SUPER_QUATRE": (_pct(25), "estimate: 'a little more than 70 % returned'"),
    "PICK5": (_pct(30), "online règlement art. 22: Pick5 30 %"),
}
_DEDUCTIONS = {code: rate for code, (rate, _) in _RATES_WITH_SOURCES.items()}
SOURCES = MappingProxyType({code: src for code, (_, src) in _RATES_WITH_SOURCES.items()})

# Share of the profit that makes the NP layer (spread over the winning AND the NP
# stakes, added to every dividend of the pool) when the race has a non-runner.
_NP_SHARES = {
    "COUPLE_GAGNANT": _pct(25),  # online règlement, e-Couplé: 75 % to the Couplé gagnant
    "PICK5": _pct(25),  # estimate, as Couplé gagnant
    # fitted on 7 July 2026 R1C8 (tests/unit/test_dividends_published.py); no text found
    "COUPLE_PLACE": Fraction(395, 1000),
}

# Shares of the masse per kind (the stakes are reserved inside a share only where
# betting/tqq.py says so).
_SPLITS = {
    # Quinté+ since 10 January 2019 (press; the 1985 art. 95-5 had ordre 15 %, désordre
    # 18.75 %, bonus 4 and 4 sur 5 40 %, bonus 3 26.25 % after 3 % for the tirelire).
    "QUINTE_PLUS": {"ORDRE": _pct(28), "DESORDRE": _pct(29), "BONUS4": _pct(17),
                    "BONUS3": _pct(26)},
    # Quarté+: art. 86-5: 60 % quarté (25 % ordre, 35 % désordre), 40 % bonus.
    "QUARTE_PLUS": {"ORDRE": _pct(25), "DESORDRE": _pct(35), "BONUS3": _pct(40)},
    # Tiercé: art. 63.1, "la masse à partager est divisée en deux parties égales".
    "TIERCE": {"ORDRE": _pct(50), "DESORDRE": _pct(50)},
}


def _frozen(d: Mapping) -> Mapping:
    return MappingProxyType({k: (_frozen(v) if isinstance(v, Mapping) else v)
                             for k, v in d.items()})


@dataclass(frozen=True)
class Rates:
    """What settlement needs to know that the result does not say."""

    deductions: Mapping[str, Fraction] = field(default_factory=lambda: _frozen(_DEDUCTIONS))
    # Per bet type with several kinds: kind -> share (sums to 1) of the masse (Tiercé,
    # Quarté+, Quinté+: betting/tqq.py says where stakes are reserved first).
    splits: Mapping[str, Mapping[str, Fraction]] = field(
        default_factory=lambda: _frozen(_SPLITS))
    # Couplé gagnant / placé, Pick 5: share of the profit spread over winners AND NP units.
    np_shares: Mapping[str, Fraction] = field(default_factory=lambda: _frozen(_NP_SHARES))
    # The minimum dividend and the rounding step per 1 €, and per bet type where they
    # differ (the operator paid 1.05 € Simple placé dividends in 2026): parameters of a
    # pool and a date, chosen by the operator's rates file.
    min_dividend_cents: int = 110
    grid_cents: int = 10
    minimums: Mapping[str, int] = field(default_factory=dict)
    grids: Mapping[str, int] = field(default_factory=dict)
    # The least deduction the operator keeps when it gives some back so that winners
    # get their stake and the minimum dividend; below it every bet is refunded. Nothing,
    # by the règlement's art. 19: the payments at the minimum are taken from the stakes
    # and what is left is the whole deduction.
    deduction_floor: Fraction = Fraction(0)
    # From a day on (a race's day, Paris time), other minimums and grids per bet type:
    # ((day, minimums, grids), ...) in date order; `on(day)` applies them.
    periods: tuple[tuple[date, Mapping[str, int], Mapping[str, int]], ...] = ()

    def __post_init__(self) -> None:
        for code, rate in self.deductions.items():
            if not 0 <= rate < 1:
                raise ValueError(f"deduction rate of {code} must be in [0, 1): {rate}")
        for code, split in self.splits.items():
            if sum(split.values()) != 1 or any(s < 0 for s in split.values()):
                raise ValueError(f"split of {code} must be shares summing to 1")
        if any(not 0 <= s <= 1 for s in self.np_shares.values()):
            raise ValueError("NP shares must be in [0, 1]")
        if not 0 <= self.deduction_floor < 1:
            raise ValueError("the deduction floor must be in [0, 1)")
        for minimum, grid in [(self.min_dividend_cents, self.grid_cents),
                              *((self.minimum(c), self.grid(c)) for c in
                                set(self.minimums) | set(self.grids))]:
            if grid <= 0 or minimum < 100:
                raise ValueError("dividends are at least 1 € per 1 € on a positive grid")

    def on(self, day: date) -> "Rates":
        """The rates a race run on `day` is settled with: the periods begun by then applied."""
        minimums, grids = dict(self.minimums), dict(self.grids)
        for start, more_minimums, more_grids in self.periods:
            if start <= day:
                minimums.update(more_minimums)
                grids.update(more_grids)
        return replace(self, minimums=minimums, grids=grids, periods=())

    def minimum(self, code: str) -> int:
        """The least dividend per 1 € a winner of this bet type is paid."""
        return self.minimums.get(code, self.min_dividend_cents)

    def grid(self, code: str) -> int:
        """The step dividends per 1 € of this bet type are rounded down to."""
        return self.grids.get(code, self.grid_cents)

    def np_share(self, code: str) -> Fraction:
        return Fraction(self.np_shares.get(code, 0))

    def check_complete(self) -> None:
        """Refuse rates that leave a bet type of the catalogue without its rate or split.

        Settling needs a deduction rate for every bet type, within the legal
        range (10–30 %), and a split for
        every type whose profit has several kinds (Tiercé, Quarté+, Quinté+).
        A `Rates` built by hand for a calculation may name fewer (the others
        are then not deducted), so the check is a separate step, made on the
        rates a race is settled with before anything starts.
        """
        low, high = LEGAL_DEDUCTION_RANGE
        for code, bet_type in BET_TYPES.items():
            if code not in self.deductions:
                raise ValueError(f"no deduction rate for bet type {code}")
            if not low <= self.deductions[code] <= high:
                raise ValueError(
                    f"deduction rate of {code} ({float(self.deductions[code]) * 100:g} %) is "
                    f"outside the legal range {low * 100}–{high * 100} % (règlement art. 18)")
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
