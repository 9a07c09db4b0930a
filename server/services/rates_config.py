"""Deduction rates and profit splits from the operator's configuration file.

The defaults (`betting.rates.DEFAULT_RATES`, sources in betting/RULES.md) hold
until the operator says otherwise in a JSON file named by `$GUICHET_RATES`,
read by `guichet server` and by `guichet admin result`/`official`, so a race
settles the same way whichever computes it. Percentages are strings, exact:

    {"deductions": {"SIMPLE_GAGNANT": "13.9", "QUINTE_PLUS": "28.5"},
     "splits": {"QUARTE_PLUS": {"ORDRE": "25", "DESORDRE": "30", "BONUS3": "45"}},
     "np_shares": {"COUPLE_PLACE": "39.5"},
     "minimums": {"SIMPLE_PLACE": 110}, "grids": {},
     "periods": [{"from": "2026-01-01", "minimums": {"SIMPLE_PLACE": 105}}]}

`minimums` and `grids` are cents per 1 € (the minimum dividend, the step
dividends are rounded down to); `periods` change them from a race day on
(Paris time), so a race is settled with the rules of its day. Deduction rates
must lie in the legal 10–30 % range. Bet types and splits not named keep their
defaults. What comes out must
price every bet type of the catalogue (`Rates.check_complete`): a type with
no rate stops the start with its name instead of being settled at 0 %.
"""
from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from betting.catalogue import BET_TYPES
from betting.rates import DEFAULT_RATES, Rates


class RatesError(ValueError):
    """The rates file cannot be used (English, for the operator)."""


def _percent(value: object, where: str) -> Fraction:
    try:
        return Fraction(Decimal(str(value))) / 100
    except (InvalidOperation, ValueError):
        raise RatesError(f"{where}: {value!r} is not a percentage") from None


_KEYS = {"deductions", "splits", "np_shares", "minimums", "grids", "periods"}


def _cents_by_type(doc: object, where: str) -> dict[str, int]:
    if not isinstance(doc, dict):
        raise RatesError(f"{where}: expected {{bet type: cents}}")
    out = {}
    for code, value in doc.items():
        if code not in BET_TYPES:
            raise RatesError(f"{where}: unknown bet type {code!r}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000:
            raise RatesError(f"{where}.{code}: {value!r} is not a whole number of cents")
        out[code] = value
    return out


def _periods(doc: object) -> tuple:
    if not isinstance(doc, list):
        raise RatesError('periods: expected [{"from": "YYYY-MM-DD", "minimums": {…}}, …]')
    out = []
    for i, period in enumerate(doc):
        if not isinstance(period, dict) or set(period) - {"from", "minimums", "grids"}:
            raise RatesError(f"periods[{i}]: expected from, minimums, grids")
        try:
            start = date.fromisoformat(str(period.get("from")))
        except ValueError:
            raise RatesError(f"periods[{i}].from: {period.get('from')!r} is not a date "
                             "(YYYY-MM-DD)") from None
        out.append((start, _cents_by_type(period.get("minimums", {}), f"periods[{i}].minimums"),
                    _cents_by_type(period.get("grids", {}), f"periods[{i}].grids")))
    return tuple(sorted(out, key=lambda p: p[0]))


def parse_rates(doc: object) -> Rates:
    """The operator's document merged over the defaults, checked whole (English errors)."""
    if not isinstance(doc, dict) or set(doc) - _KEYS:
        raise RatesError("expected an object with some of: " + ", ".join(sorted(_KEYS)))
    deductions = dict(DEFAULT_RATES.deductions)
    for code, value in (doc.get("deductions") or {}).items():
        if code not in BET_TYPES:
            raise RatesError(f"deductions: unknown bet type {code!r}")
        deductions[code] = _percent(value, f"deductions.{code}")
    splits = {code: dict(split) for code, split in DEFAULT_RATES.splits.items()}
    for code, split in (doc.get("splits") or {}).items():
        if code not in BET_TYPES or not isinstance(split, dict):
            raise RatesError(f"splits: unknown bet type {code!r}")
        splits[code] = {kind: _percent(v, f"splits.{code}.{kind}") for kind, v in split.items()}
    np_shares = dict(DEFAULT_RATES.np_shares)
    for code, value in (doc.get("np_shares") or {}).items():
        if code not in BET_TYPES or not BET_TYPES[code].np_dividend:
            raise RatesError(f"np_shares: {code!r} is not a bet type with an NP dividend")
        np_shares[code] = _percent(value, f"np_shares.{code}")
    try:
        rates = Rates(deductions=deductions, splits=splits, np_shares=np_shares,
                      minimums=_cents_by_type(doc.get("minimums", {}), "minimums"),
                      grids=_cents_by_type(doc.get("grids", {}), "grids"),
                      periods=_periods(doc.get("periods", [])))
        rates.check_complete()
        for start, _, _ in rates.periods:
            rates.on(start)  # each period's minimums and grids are valid too
        return rates
    except ValueError as exc:
        raise RatesError(str(exc)) from None


def load_rates(path: str | None = None) -> Rates:
    """The rates in force: the file named by `path` or `$GUICHET_RATES`, else the defaults."""
    path = path or os.environ.get("GUICHET_RATES")
    if not path:
        return DEFAULT_RATES
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise RatesError(f"cannot read rates file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise RatesError(f"rates file {path} is not JSON: {exc}") from None
    return parse_rates(doc)
