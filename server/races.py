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
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from betting.programme import Race, iso_utc, parse_utc
from betting.states import BetStatus, RaceState

from .store import bump_version

log = logging.getLogger("guichet.server")

# Cards already reported unreadable, by (race id, version): logged once, not every second.
_reported: set[tuple[str, int]] = set()


class RaceRemovalRefused(Exception):
    """A race with bets on it cannot be removed (English; the edge picks 409)."""

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


def _record(row: sqlite3.Row) -> RaceRecord | None:
    """The row as a record, or None (logged once) when its card cannot be read."""
    try:
        race = Race.from_dict(json.loads(row["card"]))
        if race.race_id != row["race_id"]:
            raise ValueError(f"card names {race.race_id[:40]!r}")
        iso_utc(race.post_time)
        return RaceRecord(race, RaceState(row["state"]), row["closed_at"], row["version"])
    except Exception as exc:  # any damage: skip this row, never the others
        mark = (str(row["race_id"]), row["version"])
        if mark not in _reported:
            if len(_reported) > 10_000:
                _reported.clear()
            _reported.add(mark)
            log.error("race %.60r (version %s) cannot be read and is skipped: %s: %.200s; "
                      "remove it (guichet admin remove-race) or import it again",
                      row["race_id"], row["version"], type(exc).__name__, exc)
        return None


def _records(rows) -> list[RaceRecord]:
    return [r for r in map(_record, rows) if r is not None]


def import_races(db: sqlite3.Connection, races: list[Race]) -> int:
    """Insert or update the cards; a closed race stays closed, a removed one comes back open."""
    version = bump_version(db)
    for race in races:
        db.execute(
            """INSERT INTO races (race_id, day, meeting, number, post_time, card, version)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (race_id) DO UPDATE SET
                 post_time = excluded.post_time, card = excluded.card,
                 version = excluded.version,
                 closed_at = CASE WHEN races.state = ? THEN NULL ELSE races.closed_at END,
                 state = CASE WHEN races.state = ? THEN ? ELSE races.state END""",
            (race.race_id, race.race_id[:10], race.meeting, race.number,
             iso_utc(race.post_time), json.dumps(race.to_dict()), version,
             RaceState.REMOVED, RaceState.REMOVED, RaceState.OPEN),
        )
    return version


def get_race(db: sqlite3.Connection, race_id: str) -> RaceRecord | None:
    """The race, or None when unknown, removed or unreadable."""
    row = db.execute("SELECT * FROM races WHERE race_id = ? AND state != ?",
                     (race_id, RaceState.REMOVED)).fetchone()
    return _record(row) if row else None


def list_races(db: sqlite3.Connection, day: str | None = None) -> list[RaceRecord]:
    if day:
        rows = db.execute("SELECT * FROM races WHERE day = ? AND state != ? "
                          "ORDER BY post_time, race_id", (day, RaceState.REMOVED))
    else:
        rows = db.execute("SELECT * FROM races WHERE state != ? ORDER BY post_time, race_id",
                          (RaceState.REMOVED,))
    return _records(rows)


def races_since(db: sqlite3.Connection, version: int) -> list[RaceRecord]:
    rows = db.execute("SELECT * FROM races WHERE version > ? AND state != ? "
                      "ORDER BY post_time, race_id", (version, RaceState.REMOVED))
    return _records(rows)


def removed_since(db: sqlite3.Connection, version: int) -> list[str]:
    """Ids of the races removed after `version`: terminals drop them."""
    return [row[0] for row in db.execute(
        "SELECT race_id FROM races WHERE version > ? AND state = ? ORDER BY race_id",
        (version, RaceState.REMOVED))]


def remove_race(db: sqlite3.Connection, race_id: str) -> int | None:
    """Take a race off the programme; the new programme version, or None if unknown.

    Only a race nobody has bet on can go (a bet's ticket must keep its race):
    otherwise RaceRemovalRefused, and the race is to be closed instead. Works
    on rows whose id or card is malformed, since those are the ones to remove.
    """
    row = db.execute("SELECT state FROM races WHERE race_id = ?", (race_id,)).fetchone()
    if row is None or row["state"] == RaceState.REMOVED:
        return None
    taken = db.execute("SELECT COUNT(*) FROM bets WHERE race_id = ? AND status != ?",
                       (race_id, BetStatus.REJECTED)).fetchone()[0]
    if taken:
        raise RaceRemovalRefused(
            f"{race_id} cannot be removed: {taken} bet(s) were taken on it; "
            "close it instead (POST /api/races/<race>/close or guichet admin close)")
    version = bump_version(db)
    db.execute("UPDATE races SET state = ?, closed_at = NULL, version = ? WHERE race_id = ?",
               (RaceState.REMOVED, version, race_id))
    for table in ("pools", "pool_results", "results"):
        db.execute(f"DELETE FROM {table} WHERE race_id = ?", (race_id,))
    log.info("race %.60r removed from the programme (version %s)", race_id, version)
    return version


def current_version(db: sqlite3.Connection) -> int:
    return db.execute("SELECT value FROM meta WHERE name = 'programme_version'").fetchone()[0]


def close_race(db: sqlite3.Connection, race_id: str, now: datetime) -> RaceRecord | None:
    """Stop betting now. Closing a closed race changes nothing and is not an error."""
    record = get_race(db, race_id)
    if record is None or record.state == RaceState.CLOSED:
        return record
    _mark_closed(db, race_id, now)
    return get_race(db, race_id)


def _mark_closed(db: sqlite3.Connection, race_id: str, now: datetime) -> None:
    version = bump_version(db)
    db.execute("UPDATE races SET state = ?, closed_at = ?, version = ? WHERE race_id = ?",
               (RaceState.CLOSED, iso_utc(now), version, race_id))


def close_due_races(db: sqlite3.Connection, now: datetime) -> list[RaceRecord]:
    """Record the closing of every open race whose post time has passed.

    Each race on its own: an unreadable card is still closed (no bet must get
    in after its stored post time) but not returned, since nobody was told of
    it; an error on one race is logged and the others are closed all the same.
    """
    due = db.execute("SELECT race_id FROM races WHERE state = ? AND post_time <= ?",
                     (RaceState.OPEN, iso_utc(now))).fetchall()
    closed = []
    for (race_id,) in due:
        try:
            _mark_closed(db, race_id, now)
            record = get_race(db, race_id)
        except Exception:
            log.exception("could not close race %.60r at the off", race_id)
            continue
        if record is not None:
            closed.append(record)
    return closed


def parse_time(text: str) -> datetime:
    return parse_utc(text)
