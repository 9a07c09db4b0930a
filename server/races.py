"""Races and their pools' state in the central store.

A pool is open until the operator closes it or its post time passes,
whichever comes first: stop-betting is decided here, by the server's clock,
never by a terminal.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from betting.programme import Race, iso_utc, parse_utc

from .store import bump_version

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class RaceRecord:
    race: Race
    state: str  # as stored: open / closed
    closed_at: str | None
    version: int

    def state_at(self, now: datetime) -> str:
        if self.state == OPEN and now >= self.race.post_time:
            return CLOSED
        return self.state

    def to_dict(self, now: datetime) -> dict:
        return {**self.race.to_dict(), "state": self.state_at(now), "version": self.version}


def _record(row: sqlite3.Row) -> RaceRecord:
    return RaceRecord(Race.from_dict(json.loads(row["card"])), row["state"], row["closed_at"],
                      row["version"])


def import_races(db: sqlite3.Connection, races: list[Race]) -> int:
    """Insert or update the cards; a closed race stays closed."""
    version = bump_version(db)
    for race in races:
        db.execute(
            """INSERT INTO races (race_id, day, meeting, number, post_time, card, version)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (race_id) DO UPDATE SET
                 post_time = excluded.post_time, card = excluded.card,
                 version = excluded.version""",
            (race.race_id, race.race_id[:10], race.meeting, race.number,
             iso_utc(race.post_time), json.dumps(race.to_dict()), version),
        )
    return version


def get_race(db: sqlite3.Connection, race_id: str) -> RaceRecord | None:
    row = db.execute("SELECT * FROM races WHERE race_id = ?", (race_id,)).fetchone()
    return _record(row) if row else None


def list_races(db: sqlite3.Connection, day: str | None = None) -> list[RaceRecord]:
    if day:
        rows = db.execute("SELECT * FROM races WHERE day = ? ORDER BY post_time, race_id", (day,))
    else:
        rows = db.execute("SELECT * FROM races ORDER BY post_time, race_id")
    return [_record(r) for r in rows]


def races_since(db: sqlite3.Connection, version: int) -> list[RaceRecord]:
    rows = db.execute("SELECT * FROM races WHERE version > ? ORDER BY post_time, race_id",
                      (version,))
    return [_record(r) for r in rows]


def current_version(db: sqlite3.Connection) -> int:
    return db.execute("SELECT value FROM meta WHERE name = 'programme_version'").fetchone()[0]


def close_race(db: sqlite3.Connection, race_id: str, now: datetime) -> RaceRecord | None:
    """Stop betting now. Closing a closed race changes nothing and is not an error."""
    record = get_race(db, race_id)
    if record is None or record.state == CLOSED:
        return record
    version = bump_version(db)
    db.execute("UPDATE races SET state = ?, closed_at = ?, version = ? WHERE race_id = ?",
               (CLOSED, iso_utc(now), version, race_id))
    return get_race(db, race_id)


def close_due_races(db: sqlite3.Connection, now: datetime) -> list[RaceRecord]:
    """Record the closing of every open race whose post time has passed."""
    due = db.execute("SELECT race_id FROM races WHERE state = ? AND post_time <= ?",
                     (OPEN, iso_utc(now))).fetchall()
    return [r for r in (close_race(db, row[0], now) for row in due) if r]


def parse_time(text: str) -> datetime:
    return parse_utc(text)
