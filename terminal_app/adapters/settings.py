"""The terminal's saved settings (`config`) and its local API tokens (`api_tokens`).

`config` holds what enrolment gave (server URL, terminal id, key, CA, the first
sequence number it may use), the session secret, the devices chosen by the
technician, and what the sync client keeps across a restart (clock offset,
offline policy, disabled flag, last signature time, programme version, the Z
reports still to send to the server: `z_reports_unsent`). Only `Settings` reads
or writes it.
"""
from __future__ import annotations

import hashlib
import secrets

from .database import Database, now_iso


class Settings:
    """Key/value settings; a value of None removes the key."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, key: str, default: str | None = None) -> str | None:
        rows = self._db.query("SELECT value FROM config WHERE key = ?", [key])
        return rows[0][0] if rows else default

    def get_many(self, keys: tuple[str, ...]) -> dict[str, str]:
        """The saved values among `keys` (absent keys left out)."""
        marks = ", ".join("?" * len(keys))
        return dict(self._db.query(f"SELECT key, value FROM config WHERE key IN ({marks})", keys))

    def set(self, **values: str | None) -> None:
        with self._db.transaction() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM config WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT INTO config (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 (key, str(value)))

    @property
    def enrolled(self) -> bool:
        return bool(self.get("terminal_id") and self.get("key") and self.get("server_url"))

    @property
    def key(self) -> bytes:
        """The terminal's signing key (empty before enrolment)."""
        return bytes.fromhex(self.get("key") or "")

    def first_seq(self) -> int:
        """The lowest sequence number this installation may use: 1, or for a machine
        that replaced a terminal, the one after the last its id used (`next_seq`,
        given by the server at enrolment)."""
        value = self.get("next_seq")
        return int(value) if value and value.isdigit() else 1


class LocalTokens:
    """Bearer tokens for the local JSON API (`guichet terminal token`); only their
    SHA-256 is kept, so the file alone does not give one away."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create(self) -> str:
        token = secrets.token_urlsafe(32)
        self._db.write("INSERT INTO api_tokens VALUES (?, ?)", (_digest(token), now_iso()))
        return token

    def check(self, token: str) -> bool:
        return bool(self._db.query("SELECT 1 FROM api_tokens WHERE token_sha256 = ?",
                                   [_digest(token)]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
