"""The operator's published "rapports définitifs", and whether our engine can produce them.

A published line gives a dividend per 1 € and `nombreGagnants`: the winning
stakes on that line in base stakes (fractional with Flexi stakes). What it
does not give is the pool total. So a check builds the pool the line
describes (each winning line's combination carrying its published winning
stakes) plus one losing combination whose stake is unknown, and asks: is
there a stake on the loser for which `settle_pool` publishes every line at
once? Each dividend only grows with the loser's stake (it feeds the masse),
so the stakes that reproduce one line form an interval, found by bisection;
the engine agrees with the operator when the intervals of all lines meet.

One line fixes the masse to within one 0.10 € step; the other lines are then
predictions of the engine, and a rule that splits the masse otherwise than
the operator does misses them (each test says which rule it puts to the test).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from betting.pools import PoolResult, settle_pool
from betting.rates import DEFAULT_RATES, Rates
from betting.results import OfficialResult

DATA = Path(__file__).resolve().parents[1] / "data"
Combo = tuple[int, ...]


@dataclass(frozen=True)
class Line:
    label: str
    combination: Combo  # as published ("16-15-7" -> (16, 15, 7))
    per_euro_cents: int
    winning_cents: int  # nombreGagnants x base stake, to the cent


def rapports(name: str, bet_type: str) -> tuple[int, list[Line]]:
    """(base stake, winning lines) of one bet type in a published file; NP lines with none."""
    doc = json.loads((DATA / name).read_text())
    pools = doc["rapports"] if isinstance(doc, dict) else doc
    (pool,) = [p for p in pools if p["typePari"] == bet_type]
    base = pool["miseBase"]
    lines = [Line(x["libelle"], tuple(int(h) for h in x["combinaison"].split("-")),
                  x["dividendePourUnEuro"], round(x["nombreGagnants"] * base))
             for x in pool["rapports"] if x.get("nombreGagnants") and "NP" not in x["combinaison"]]
    return base, lines


Published = Callable[[PoolResult], dict[str, int]]  # line label -> dividend the engine gives


def _bisect(ok: Callable[[int], bool], lo: int, hi: int) -> int:
    """The least stake in [lo, hi] for which ok() holds (ok is monotone), hi if none."""
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass
class Fit:
    """Where each line is reproduced, as an interval of the loser's stake [lo, hi)."""

    intervals: dict[str, tuple[int, int]]
    predicted: dict[str, int]  # the engine's dividends at the anchor line's midpoint

    @property
    def agrees(self) -> bool:
        lo = max(a for a, _ in self.intervals.values())
        hi = min(b for _, b in self.intervals.values())
        return lo < hi


def fit(bet_type: str, stakes: Mapping[Combo, int], loser: Combo, result: OfficialResult,
        published: Mapping[str, int], read: Published, rates: Rates = DEFAULT_RATES,
        top: int = 10**12) -> Fit:
    """Search the loser's stake for which `settle_pool` gives each published line."""
    def dividends(extra: int) -> dict[str, int]:
        pool = dict(stakes)
        pool[loser] = pool.get(loser, 0) + extra
        return read(settle_pool(bet_type, pool, result, rates))

    intervals = {}
    for label, cents in published.items():
        lo = _bisect(lambda x: dividends(x).get(label, 0) >= cents, 0, top)
        hi = _bisect(lambda x: dividends(x).get(label, 0) > cents, lo, top)
        intervals[label] = (lo, hi)
    anchor = next(iter(intervals.values()))
    return Fit(intervals, dividends((anchor[0] + anchor[1]) // 2))
