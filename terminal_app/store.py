"""The terminal's own SQLite file: configuration, programme cache, outbox.

Opened with WAL and synchronous=FULL: a bet is durable on this disk before it
is sent, printed or even acknowledged to the shopkeeper. One connection per
thread (the UI's request threads and the sync thread), sqlite-utils on top.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from betting.programme import Race, iso_utc
from guichet.private_files import private_dir, private_file, private_sqlite

# Names the rest of the terminal imports from here.
from .outbox import (  # noqa: F401
    Outbox,
    StorageFailure,
    StorageFull,
    printable,
    utcnow,
    wire_bet,
)

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
        CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE races (
            race_id TEXT PRIMARY KEY, post_time TEXT NOT NULL, card TEXT NOT NULL,
            state TEXT NOT NULL, version INTEGER NOT NULL
        );
        CREATE TABLE outbox (
            uuid TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            race TEXT NOT NULL,
            bet_type TEXT NOT NULL,
            formula TEXT NOT NULL,
            selections TEXT NOT NULL,
            bases TEXT NOT NULL,
            unit_stake_cents INTEGER NOT NULL,
            total_cents INTEGER NOT NULL,
            combinations INTEGER NOT NULL,
            offline INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending',
            ticket TEXT,
            reason TEXT,
            message TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            answered_at TEXT,
            print_job_id TEXT,
            printed_at TEXT,
            print_error TEXT
        );
        CREATE INDEX outbox_status ON outbox (status, seq);
        CREATE TABLE api_tokens (token_sha256 TEXT PRIMARY KEY, created_at TEXT NOT NULL);
    """),
    # Every attempt to print a ticket (terminal_app/records.py), and every payment or
    # cancellation asked of the server from this terminal.
    (2, """
        CREATE TABLE prints (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL,
            bet_uuid TEXT NOT NULL,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            result TEXT NOT NULL,
            error_code TEXT,
            error TEXT
        );
        CREATE INDEX prints_bet ON prints (bet_uuid, id);
        CREATE TABLE ticket_ops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            op TEXT NOT NULL,
            ticket TEXT NOT NULL,
            payment_uuid TEXT,
            requested_at TEXT NOT NULL,
            answered_at TEXT,
            result TEXT,
            amount_cents INTEGER,
            error TEXT,
            message TEXT
        );
        CREATE INDEX ticket_ops_ticket ON ticket_ops (ticket, id);
        ALTER TABLE outbox ADD COLUMN cancelled_at TEXT;
    """),
    # The outbox lifecycle: every send of an entry and what came of it.
    (3, """
        CREATE TABLE outbox_attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT
        );
        CREATE INDEX outbox_attempts_uuid ON outbox_attempts (uuid, id);
    """),
]

log = logging.getLogger("guichet.terminal")

# pending: written, never sent · sent: sent at least once, no answer yet ·
# accepted / rejected: the server's answer, stored · corrupt: unreadable row,
# kept aside (the server sees its sequence number missing).
class TerminalStoreError(Exception):
    """The data folder cannot be used; the message is for the technician."""


class TerminalStore(Outbox):
    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.path = self.data_dir / "terminal.db"
        try:
            # the terminal's key and session secret live here: folder 0700, files 0600,
            # older folders and files tightened with a log line (guichet/private_files.py)
            private_dir(self.data_dir, log)
        except OSError as exc:
            raise TerminalStoreError(f"cannot create data folder {self.data_dir}: {exc}") from None
        try:
            private_sqlite(self.path, log)
        except OSError as exc:
            raise TerminalStoreError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        self._local = threading.local()
        self._sale_lock = threading.Lock()
        self._lock_file = None
        self._migrate()

    # -- connections -------------------------------------------------------
    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=10000")
            except sqlite3.Error as exc:
                raise TerminalStoreError(f"cannot open {self.path}: {exc}") from None
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit when the block ends normally, roll back on any exception."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _write(self, sql: str, params: tuple = ()) -> None:
        with self.transaction() as conn:
            conn.execute(sql, params)

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, sql in MIGRATIONS:
                if version not in done:
                    for statement in filter(str.strip, sql.split(";")):
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?)",
                                 (version, iso_utc(utcnow())))

    def lock_exclusive(self) -> None:
        """One running terminal per data folder: two would share sequence numbers."""
        path = self.data_dir / "terminal.lock"
        private_file(path, log)
        handle = open(path, "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise TerminalStoreError(
                f"another terminal is already running with the data folder {self.data_dir}"
            ) from None
        self._lock_file = handle

    # -- configuration -----------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set(self, **values: str | None) -> None:
        with self.transaction() as conn:
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

    # -- local API tokens --------------------------------------------------
    def create_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self._write("INSERT INTO api_tokens VALUES (?, ?)",
                    (hashlib.sha256(token.encode()).hexdigest(), iso_utc(utcnow())))
        return token

    def check_token(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return self.db.execute("SELECT 1 FROM api_tokens WHERE token_sha256 = ?",
                               [digest]).fetchone() is not None

    # -- programme cache ---------------------------------------------------
    def save_races(self, cards: list[dict], version: int | None,
                   removed: object = None) -> None:
        """Store the changed cards and drop the races the server took off its
        programme (`removed`: their ids), with the version they bring us to."""
        with self.transaction() as conn:
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
                conn.execute("INSERT INTO config (key, value) VALUES ('programme_version', ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (str(version),))

    def set_race_state(self, race_id: str, state: str) -> None:
        self._write("UPDATE races SET state = ? WHERE race_id = ?", (state, race_id))

    def race(self, race_id: str) -> tuple[Race, str] | None:
        row = self.db.execute("SELECT card, state FROM races WHERE race_id = ?",
                              [race_id]).fetchone()
        return (Race.from_dict(json.loads(row[0])), row[1]) if row else None

    def races(self) -> list[tuple[Race, str]]:
        rows = self.db.execute("SELECT card, state FROM races ORDER BY post_time, race_id")
        return [(Race.from_dict(json.loads(card)), state) for card, state in rows]

