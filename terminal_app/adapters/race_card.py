"""The terminal's copy of the server's programme (`races`), kept for selling offline.

The version it is up to is a setting (`programme_version`), written in the
same transaction as the cards it came with.

Named `race_card`, not `programme`: `betting/programme.py` is the race model itself.
"""
from __future__ import annotations

import json

from betting.programme import Race

from .database import Database
from .settings import Settings


class Programme:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._settings = settings

    @property
    def version(self) -> int:
        """The server's programme version this copy is up to (0: none yet)."""
        return int(self._settings.get("programme_version", "0") or 0)

    def save(self, cards: list[dict], version: int | None, removed: object = None) -> None:
        """Store the changed cards and drop the races the server took off its
        programme (`removed`: their ids), with the version they bring us to."""
        with self._db.transaction() as conn:
            for race_id in removed if isinstance(removed, list) else []:
                if isinstance(race_id, str):
                    conn.execute("DELETE FROM races WHERE race_id = ?", (race_id,))
            for card in cards:
                conn.execute(
                    "INSERT INTO races (race_id, post_time, card, state, version) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (race_id) DO UPDATE SET "
                    "post_time = excluded.post_time, card = excluded.card, "
                    "state = excluded.state, version = excluded.version",
                    (card["race"], card["post_time"], json.dumps(card), card["state"],
                     card["version"]),
                )
            if version is not None:
                self._settings.set(programme_version=str(version))

    def set_state(self, race_id: str, state: str) -> None:
        self._db.write("UPDATE races SET state = ? WHERE race_id = ?", (state, race_id))

    def race(self, race_id: str) -> tuple[Race, str] | None:
        """The race's card and its state (open/closed), or None if not in the copy."""
        rows = self._db.query("SELECT card, state FROM races WHERE race_id = ?", [race_id])
        return (Race.from_dict(json.loads(rows[0][0])), rows[0][1]) if rows else None

    def races(self) -> list[tuple[Race, str]]:
        rows = self._db.query("SELECT card, state FROM races ORDER BY post_time, race_id")
        return [(Race.from_dict(json.loads(card)), state) for card, state in rows]
