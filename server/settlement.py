"""Results and dividends: from the stored bets to every ticket's value.

Stakes are added up in the store (GROUP BY each distinct bet shape), so a
race of a million simple bets costs one aggregate query and a few dozen
expansions, not a Python loop over every bet. `betting.pools` does the
pricing; this module only feeds it and keeps what it returns.

A result may be entered and corrected while it is provisional; once declared
official it is frozen and tickets can be paid.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime

from betting.catalogue import get_bet_type
from betting.combinations import expand
from betting.errors import BettingError
from betting.pools import PoolResult, pool_stakes, settle_pool
from betting.programme import iso_utc
from betting.rates import DEFAULT_RATES, Rates
from betting.results import OfficialResult, make_result
from betting.states import BetStatus, RaceState

from .races import RaceRecord, get_race, import_races


class SettlementError(Exception):
    """The operator's request cannot be applied; nothing was changed."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _horses(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise SettlementError("bad_result", f"{what} must be a list", 400)
    return value


def build_result(record: RaceRecord, body: dict) -> OfficialResult:
    """Check an operator's result against the race card (English messages)."""
    race = record.race
    arrival = _horses(body.get("arrival"), "arrival")
    places = []
    for place in arrival:
        place = place if isinstance(place, list) else [place]
        places.append(place)
    non_runners = _horses(body.get("non_runners", []), "non_runners")
    declared = {r.number for r in race.runners}
    for h in [h for p in places for h in p] + list(non_runners):
        if isinstance(h, bool) or not isinstance(h, int) or h not in declared:
            raise SettlementError("unknown_runner",
                                  f"horse {h!r} does not run in {race.race_id}", 400)
    card_np = {r.number for r in race.runners if r.non_runner}
    groups: dict[str, list[int]] = {}
    for r in race.runners:
        if r.coupled_with:
            groups.setdefault(r.coupled_with, []).append(r.number)
    try:
        return make_result(places, race.declared_runners, set(non_runners) | card_np,
                           [g for g in groups.values() if len(g) > 1])
    except BettingError as exc:
        raise SettlementError("bad_result", f"{exc.code}: {exc.message}", 400) from None


def race_stakes(db: sqlite3.Connection, race_id: str) -> dict[str, dict]:
    """Stakes per unit combination for every pool of the race, aggregated in SQL."""
    pools: dict[str, list] = {}
    rows = db.execute(
        """SELECT bet_type, formula, selections, bases, partners,
                  SUM(unit_stake_cents) AS stake
           FROM bets INDEXED BY bets_shape WHERE race_id = ? AND status = ?
           GROUP BY bet_type, formula, selections, bases, partners""",
        (race_id, BetStatus.ACCEPTED))
    for row in rows:
        combos = bet_combinations(row)
        pools.setdefault(row["bet_type"], []).append((combos, row["stake"]))
    return {bet_type: pool_stakes(bet_type, groups) for bet_type, groups in pools.items()}


def bet_combinations(row) -> list[tuple[int, ...]]:
    partners = json.loads(row["partners"]) if row["partners"] else []
    return list(expand(get_bet_type(row["bet_type"]), row["formula"],
                       json.loads(row["selections"]), json.loads(row["bases"]), partners))


def enter_result(db: sqlite3.Connection, race_id: str, body: dict, now: datetime,
                 rates: Rates = DEFAULT_RATES) -> dict:
    record = get_race(db, race_id)
    if record is None:
        raise SettlementError("unknown_race", f"no race {race_id} in the programme", 404)
    if record.state_at(now) != RaceState.CLOSED:
        raise SettlementError("race_open", f"{race_id} is still open: close it first")
    current = db.execute("SELECT official FROM results WHERE race_id = ?", (race_id,)).fetchone()
    if current is not None and current["official"]:
        raise SettlementError("results_official",
                              f"the result of {race_id} is official and can no longer change")
    result = build_result(record, body)
    settled = [settle_pool(bet_type, stakes, result, rates)
               for bet_type, stakes in sorted(race_stakes(db, race_id).items())]
    db.execute("DELETE FROM pool_results WHERE race_id = ?", (race_id,))
    db.executemany("INSERT INTO pool_results (race_id, bet_type, result) VALUES (?, ?, ?)",
                   [(race_id, p.bet_type, json.dumps(p.to_dict())) for p in settled])
    db.execute(
        """INSERT INTO results (race_id, result, official, entered_at) VALUES (?, ?, 0, ?)
           ON CONFLICT (race_id) DO UPDATE SET result = excluded.result,
             entered_at = excluded.entered_at""",
        (race_id, json.dumps(result.to_dict()), iso_utc(now)))
    if body.get("official") is True:
        declare_official(db, race_id, now)
    return dividends(db, race_id)


def declare_official(db: sqlite3.Connection, race_id: str, now: datetime) -> dict:
    row = db.execute("SELECT official FROM results WHERE race_id = ?", (race_id,)).fetchone()
    if row is None:
        raise SettlementError("no_result", f"no result entered for {race_id}")
    if not row["official"]:
        db.execute("UPDATE results SET official = 1, official_at = ? WHERE race_id = ?",
                   (iso_utc(now), race_id))
    return dividends(db, race_id)


def dividends(db: sqlite3.Connection, race_id: str) -> dict:
    row = db.execute("SELECT * FROM results WHERE race_id = ?", (race_id,)).fetchone()
    if row is None:
        raise SettlementError("no_result", f"no result entered for {race_id}", 404)
    result = json.loads(row["result"])
    pools = []
    for p in db.execute("SELECT result FROM pool_results WHERE race_id = ? ORDER BY bet_type",
                        (race_id,)):
        d = json.loads(p["result"])
        d.pop("result", None)
        pools.append(d)
    return {"race": race_id, "official": bool(row["official"]),
            "official_at": row["official_at"], "arrival": result["arrival"],
            "non_runners": result["non_runners"], "pools": pools}


def pool_result(db: sqlite3.Connection, race_id: str, bet_type: str) -> PoolResult | None:
    row = db.execute("SELECT result FROM pool_results WHERE race_id = ? AND bet_type = ?",
                     (race_id, bet_type)).fetchone()
    return PoolResult.from_dict(json.loads(row["result"])) if row else None


def is_official(db: sqlite3.Connection, race_id: str) -> bool:
    row = db.execute("SELECT official FROM results WHERE race_id = ?", (race_id,)).fetchone()
    return bool(row and row["official"])


def declare_non_runners(db: sqlite3.Connection, race_id: str, numbers: object,
                        now: datetime) -> RaceRecord:
    """Mark horses withdrawn on the card: no more bets on them, refund or NP at settlement."""
    record = get_race(db, race_id)
    if record is None:
        raise SettlementError("unknown_race", f"no race {race_id} in the programme", 404)
    if is_official(db, race_id):
        raise SettlementError("results_official", f"the result of {race_id} is official")
    numbers = _horses(numbers, "non_runners")
    declared = {r.number for r in record.race.runners}
    if not numbers or any(isinstance(n, bool) or n not in declared for n in numbers):
        raise SettlementError("unknown_runner",
                              f"non_runners must name horses of {race_id}", 400)
    runners = tuple(replace(r, non_runner=True) if r.number in numbers else r
                    for r in record.race.runners)
    import_races(db, [replace(record.race, runners=runners)])
    return get_race(db, race_id)
