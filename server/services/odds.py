"""Probable odds and pool totals of the open races, for the `odds` push.

Every few seconds the owner of the periodic work reads, in one statement for
all open races, each pool's total and the Simple gagnant stakes per runner
(`PoolRepository.open_race_stakes`), and prices each runner as the
pari-mutuel would if the race ended now:

    (pool total - deduction) / stakes on the runner

with the deduction of the rates in force (`betting.dividends.deduction`,
rounded down to the cent), rounded down to 0.10 € per 1 € and never below
the minimum dividend, as a published dividend is. A runner nobody backed has
no odds. Odds travel as integers, the decimal odds times 100 (4.30 -> 430).

`OddsBoard` remembers what was last pushed per race, so a race is pushed
only when its odds or pools changed; a race that closes is forgotten.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Mapping

from betting import dividends as rule
from betting.programme import iso_utc
from betting.rates import DEFAULT_RATES, Rates

from ..store import UnitOfWork

log = logging.getLogger("guichet.server")

ODDS_BET_TYPE = "SIMPLE_GAGNANT"
ODDS_INTERVAL_S = 3.0  # how often the owner of the periodic work prices the open races
ODDS_GRID_CENTS = 10  # odds are shown with one decimal


def probable_odds(total_cents: int, stakes: Mapping[int, int], rate: Fraction,
                  minimum_cents: int = 110) -> dict[int, int]:
    """Odds ×100 per runner of a Simple gagnant pool if the race ended now.

    Pool 100,00 €, 13.9 %: masse 86,10 €; 20,00 € on the 7 -> 4.305 -> 430;
    80,00 € on the 2 -> 1.07625 -> 100 -> the minimum, 110.
    """
    masse = total_cents - rule.deduction(total_cents, rate)
    odds = {}
    for runner, staked in stakes.items():
        if staked > 0 and masse > 0:
            price = rule.per_euro_cents(Fraction(masse, staked), ODDS_GRID_CENTS)
            odds[runner] = rule.apply_minimum(price, minimum_cents)
    return odds


def open_pools(uow: UnitOfWork, now: datetime, rates: Rates = DEFAULT_RATES
               ) -> dict[str, dict]:
    """`{race: {"odds": {"7": 430}, "pools": {"SIMPLE_GAGNANT": 12300}}}` for every
    race still open at `now` that has a pool (one read of the store)."""
    pools: dict[str, dict[str, int]] = {}
    runners: dict[str, dict[int, int]] = {}
    for race_id, bet_type, selections, cents in uow.pools.open_race_stakes(now, ODDS_BET_TYPE):
        if selections is None:
            pools.setdefault(race_id, {})[bet_type] = int(cents)
            continue
        horse = _single_horse(selections)
        if horse is not None:
            stakes = runners.setdefault(race_id, {})
            stakes[horse] = stakes.get(horse, 0) + int(cents)
    rate = rates.deduction_rate(ODDS_BET_TYPE)
    minimum = rates.on(now.date()).minimum(ODDS_BET_TYPE)
    out = {}
    for race_id, totals in pools.items():
        odds = probable_odds(totals.get(ODDS_BET_TYPE, 0), runners.get(race_id, {}), rate,
                             minimum)
        out[race_id] = {"odds": {str(h): o for h, o in sorted(odds.items())},
                        "pools": dict(sorted(totals.items()))}
    return out


def _single_horse(selections: str) -> int | None:
    """The horse of a Simple gagnant bet's stored selections (`[7]`), else None."""
    try:
        horses = json.loads(selections)
    except ValueError:
        return None
    if isinstance(horses, list) and len(horses) == 1 and isinstance(horses[0], int) \
            and not isinstance(horses[0], bool):
        return horses[0]
    return None


@dataclass
class OddsBoard:
    """What was last pushed per race: the next pass pushes only what changed."""

    rates: Rates = DEFAULT_RATES
    pushed: dict[str, dict] = field(default_factory=dict)
    at: str | None = None  # when `pushed` was read

    def changes(self, uow: UnitOfWork, now: datetime) -> list[dict]:
        """The `odds` messages to push now: one per open race whose odds or pools
        differ from the last push; races no longer open are forgotten."""
        current = open_pools(uow, now, self.rates)
        at = iso_utc(now)
        messages = [{"race": race_id, **item, "at": at}
                    for race_id, item in sorted(current.items())
                    if self.pushed.get(race_id) != item]
        self.pushed, self.at = current, at
        return messages

    def latest(self) -> list[dict]:
        """Every open race's last pushed odds (for a terminal that just connected)."""
        pushed, at = self.pushed, self.at
        return [{"race": race_id, **item, "at": at} for race_id, item in sorted(pushed.items())]
