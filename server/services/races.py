"""Races and their pools' state in the central store.

A pool is open until the operator closes it or its post time passes,
whichever comes first: stop-betting is decided here, by the server's clock,
never by a terminal.

A stored card that cannot be read (written before imports were fully
checked, or damaged) is logged once and skipped by every reader, so one bad
row never hides the others nor stops the watch loop. The operator removes it
(`remove_race`) or corrects it by importing the race again. A removed race
keeps its row, in state `removed` with a new programme version, so that
terminals asking for what changed since their version learn to drop it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from betting.errors import BettingError
from betting.programme import Race, iso_utc
from betting.states import RaceState

from . import audit
from ..records import StoredRace
from ..store import UnitOfWork

log = logging.getLogger("guichet.server")

# Cards already reported unreadable, by (race id, version): logged once, not every second.
_reported: set[tuple[str, int]] = set()


class RaceRemovalRefused(BettingError):
    """A race with bets on it cannot be removed (English, for the operator)."""

    code = "race_has_bets"


@dataclass(frozen=True)
class RaceRecord:
    race: Race
    state: RaceState  # as stored: open / closed
    closed_at: str | None
    version: int

    def state_at(self, now: datetime) -> RaceState:
        if self.state == RaceState.OPEN and now >= self.race.post_time:
            return RaceState.CLOSED
        return self.state

    def to_dict(self, now: datetime) -> dict:
        return {**self.race.to_dict(), "state": self.state_at(now), "version": self.version}


def _record(row: StoredRace) -> RaceRecord | None:
    """The stored race as a record, or None (logged once) when its card cannot be read."""
    try:
        race = Race.from_dict(json.loads(row.card))
        if race.race_id != row.race_id:
            raise ValueError(f"card names {race.race_id[:40]!r}")
        iso_utc(race.post_time)
        return RaceRecord(race, RaceState(row.state), row.closed_at, row.version)
    except Exception as exc:  # any damage: skip this row, never the others
        mark = (str(row.race_id), row.version)
        if mark not in _reported:
            if len(_reported) > 10_000:
                _reported.clear()
            _reported.add(mark)
            log.error("race %.60r (version %s) cannot be read and is skipped: %s: %.200s; "
                      "remove it (guichet admin remove-race) or import it again",
                      row.race_id, row.version, type(exc).__name__, exc)
        return None


def _records(rows: list[StoredRace]) -> list[RaceRecord]:
    return [r for r in map(_record, rows) if r is not None]


def import_races(uow: UnitOfWork, races: list[Race]) -> int:
    """Insert or update the cards; a closed race stays closed, a removed one comes back open."""
    version = uow.meta.bump_programme_version()
    for race in races:
        uow.races.upsert(race.race_id, race.meeting, race.number, iso_utc(race.post_time),
                         race.to_dict(), version)
    return version


def import_programme(uow: UnitOfWork, races: list[Race]) -> int:
    """An operator's import (API or command line): `import_races`, written in the audit log."""
    version = import_races(uow, races)
    audit.record(uow, "programme.import", f"version {version}",
                 {"races": len(races), "days": sorted({r.race_id[:10] for r in races})[:31]})
    return version


def get_race(uow: UnitOfWork, race_id: str) -> RaceRecord | None:
    """The race, or None when unknown, removed or unreadable."""
    row = uow.races.get(race_id)
    return _record(row) if row else None


def list_races(uow: UnitOfWork, day: str | None = None) -> list[RaceRecord]:
    return _records(uow.races.listed(day=day))


def races_since(uow: UnitOfWork, version: int) -> list[RaceRecord]:
    return _records(uow.races.listed(since_version=version))


def removed_since(uow: UnitOfWork, version: int) -> list[str]:
    """Ids of the races removed after `version`: terminals drop them."""
    return uow.races.removed_since(version)


def remove_race(uow: UnitOfWork, race_id: str) -> int | None:
    """Take a race off the programme; the new programme version, or None if unknown.

    Only a race nobody has bet on can go (a bet's ticket must keep its race):
    otherwise RaceRemovalRefused, and the race is to be closed instead. Works
    on rows whose id or card is malformed, since those are the ones to remove.
    """
    row = uow.races.get(race_id, removed=True)
    if row is None or row.state == RaceState.REMOVED:
        return None
    taken = uow.bets.count_taken(race_id)
    if taken:
        raise RaceRemovalRefused(
            f"{race_id} cannot be removed: {taken} bet(s) were taken on it; "
            "close it instead (POST /api/races/<race>/close or guichet admin close)")
    version = uow.meta.bump_programme_version()
    uow.races.set_state(race_id, RaceState.REMOVED, None, version)
    uow.pools.drop_race(race_id)
    uow.results.drop_race(race_id)
    log.info("race %.60r removed from the programme (version %s)", race_id, version)
    audit.record(uow, "race.remove", race_id, {"version": version})
    return version


def current_version(uow: UnitOfWork) -> int:
    return uow.meta.programme_version()


def close_race(uow: UnitOfWork, race_id: str, now: datetime) -> RaceRecord | None:
    """Stop betting now. Closing a closed race changes nothing and is not an error."""
    record = get_race(uow, race_id)
    if record is None or record.state == RaceState.CLOSED:
        return record
    _mark_closed(uow, race_id, now)
    audit.record(uow, "race.close", race_id, now=now)
    return get_race(uow, race_id)


def _mark_closed(uow: UnitOfWork, race_id: str, now: datetime) -> None:
    version = uow.meta.bump_programme_version()
    uow.races.set_state(race_id, RaceState.CLOSED, iso_utc(now), version)


def close_due_races(uow: UnitOfWork, now: datetime) -> list[RaceRecord]:
    """Record the closing of every open race whose post time has passed.

    Each race on its own: an unreadable card is still closed (no bet must get
    in after its stored post time) but not returned, since nobody was told of
    it; an error on one race is logged and the others are closed all the same.
    """
    closed = []
    for race_id in uow.races.due(now):
        try:
            _mark_closed(uow, race_id, now)
            audit.record(uow, "race.close_at_off", race_id, now=now)
            record = get_race(uow, race_id)
        except Exception:
            log.exception("could not close race %.60r at the off", race_id)
            continue
        if record is not None:
            closed.append(record)
    return closed
