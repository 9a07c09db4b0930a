"""The terminal's SQLite file: connections, transactions, migrations, file modes.

Opened with WAL and synchronous=FULL: a bet is durable on this disk before it
is sent, printed or even acknowledged to the shopkeeper. One connection per
thread (the UI's request threads and the sync thread), sqlite-utils on top.
Nothing here knows a table's meaning: each table has one owner built on this
(`Settings`, `LocalTokens`, `Programme`, `Outbox`, `PrintJournal`,
`TicketOps`; `TerminalStore` puts them together).
"""
from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from betting.programme import iso_utc
from guichet.clock import utcnow
from guichet.private_files import private_dir, private_file, private_sqlite

DB_NAME = "terminal.db"
LOCK_NAME = "terminal.lock"

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
    # Every attempt to print a ticket (terminal_app/adapters/journals.py), and every payment or
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
    # The cheval de complément a bet names, if any (betting/complement.py).
    (4, """
        ALTER TABLE outbox ADD COLUMN complement INTEGER;
    """),
    # How the customer paid (the till counts cash and card apart), the basket a bet
    # was sold in (several bets, one payment), and the clerk who sold it.
    (5, """
        ALTER TABLE outbox ADD COLUMN payment TEXT NOT NULL DEFAULT 'cash';
        ALTER TABLE outbox ADD COLUMN basket TEXT;
        ALTER TABLE outbox ADD COLUMN clerk TEXT;
        CREATE INDEX outbox_created ON outbox (created_at);
    """),
    # The till (terminal_app/services/clerks.py, terminal_app/services/till.py): clerks
    # and their hashed PINs, shifts (one open at a time), cash put in or taken out,
    # the X and Z reports as they were printed, managers' approvals; the indexes the
    # till's figures read by.
    (6, """
        CREATE TABLE clerks (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        );
        CREATE TABLE till_shifts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            opened_at TEXT NOT NULL,
            opened_by TEXT,
            float_cents INTEGER NOT NULL,
            closed_at TEXT,
            closed_by TEXT,
            counted_cents INTEGER
        );
        CREATE UNIQUE INDEX till_one_open ON till_shifts ((closed_at IS NULL))
            WHERE closed_at IS NULL;
        CREATE TABLE till_cash (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            shift_id INTEGER NOT NULL REFERENCES till_shifts (id),
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            reason TEXT NOT NULL,
            clerk TEXT
        );
        CREATE TABLE till_reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            shift_id INTEGER NOT NULL REFERENCES till_shifts (id),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            clerk TEXT,
            report TEXT NOT NULL,
            ledger TEXT,
            print_error TEXT
        );
        CREATE TABLE till_approvals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            op TEXT NOT NULL,
            ticket TEXT NOT NULL,
            manager TEXT NOT NULL,
            clerk TEXT
        );
        CREATE INDEX outbox_ticket ON outbox (ticket);
        CREATE INDEX ticket_ops_answered ON ticket_ops (answered_at)
    """),
    # A Report+'s legs (betting/reports.py), as JSON in the order played; NULL for
    # every other bet.
    (7, """
        ALTER TABLE outbox ADD COLUMN legs TEXT;
    """),
]

log = logging.getLogger("guichet.terminal")


def now_iso() -> str:
    """The time written in every row: UTC, ISO 8601."""
    return iso_utc(utcnow())


class TerminalStoreError(Exception):
    """The data folder cannot be used; the message is for the technician."""


class Database:
    """The terminal's SQLite file in `data_dir`, created private and migrated.

    `read_only=True` opens an existing file as it is (nothing created, tightened
    or migrated): `guichet terminal diagnose` reads the saved settings that way."""

    def __init__(self, data_dir: str | Path, read_only: bool = False) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.path = self.data_dir / DB_NAME
        self.read_only = read_only
        self._local = threading.local()
        self._lock_file = None
        if read_only:
            return
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
        self._migrate()

    @property
    def exists(self) -> bool:
        return self.path.exists()

    # -- connections -------------------------------------------------------
    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (one per thread: sqlite3 objects do not travel)."""
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                if self.read_only:
                    conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10,
                                           isolation_level=None)
                else:
                    conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=FULL")
                    conn.execute("PRAGMA busy_timeout=10000")
            except sqlite3.Error as exc:
                raise TerminalStoreError(f"cannot open {self.path}: {exc}") from None
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Rows of a read. A file opened read-only may be anything (an old or
        damaged file, not a database): its errors are the technician's to read."""
        if not self.read_only:
            return self.db.execute(sql, list(params)).fetchall()
        try:
            return self.db.execute(sql, list(params)).fetchall()
        except sqlite3.Error as exc:
            raise TerminalStoreError(f"cannot read {self.path}: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit when the block ends normally, roll back on any exception.

        A transaction opened inside another on the same thread joins it: two
        owners written together (races and the programme version, say) commit
        or roll back as one."""
        conn = self.db.conn
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield conn
            finally:
                self._local.depth = depth
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    def write(self, sql: str, params: tuple = ()) -> int:
        """One statement in its own transaction; the new row's id for an INSERT."""
        with self.transaction() as conn:
            return conn.execute(sql, params).lastrowid

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
                                 (version, now_iso()))

    def lock_exclusive(self) -> None:
        """One running terminal per data folder: two would share sequence numbers."""
        path = self.data_dir / LOCK_NAME
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
