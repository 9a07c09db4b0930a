"""Deduction rates and profit splits from the operator's configuration file.

The defaults (`betting.rates.DEFAULT_RATES`, sources in betting/RULES.md) hold
until the operator says otherwise in a JSON file named by `$GUICHET_RATES`,
read by `guichet server` and by `guichet admin result`/`official`, so a race
settles the same way whichever computes it. Percentages are strings, exact:

    {"deductions": {"SIMPLE_GAGNANT": "13.9", "QUINTE_PLUS": "35"},
     "splits": {"QUARTE_PLUS": {"ORDRE": "25", "DESORDRE": "30", "BONUS3": "45"}}}

Bet types and splits not named keep their defaults. What comes out must
price every bet type of the catalogue (`Rates.check_complete`): a type with
no rate stops the start with its name instead of being settled at 0 %.
"""
from __future__ import annotations

import json
import os
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


def parse_rates(doc: object) -> Rates:
    """The operator's document merged over the defaults, checked whole (English errors)."""
    if not isinstance(doc, dict) or set(doc) - {"deductions", "splits"}:
        raise RatesError('expected {"deductions": {…}, "splits": {…}}')
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
    try:
        rates = Rates(deductions=deductions, splits=splits)
        rates.check_complete()
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
