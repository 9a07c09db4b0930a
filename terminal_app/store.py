"""The terminal's own SQLite file: configuration, programme cache, outbox.

Opened with WAL and synchronous=FULL: a bet is durable on this disk before it
is sent, printed or even acknowledged to the shopkeeper. One connection per
thread (the UI's request threads and the sync thread), sqlite-utils on top.
"""
from __future__ import annotations

import fcntl
import logging
import hashlib
import json
import secrets
import sqlite3
import threading
import uuid as uuidlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from betting.bets import PricedBet
from betting.errors import BettingError
from betting.protocol import parse_wire_bet
from betting.programme import Race, iso_utc

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

# pending: written, never sent · sent: sent at least once, no answer yet ·
# accepted / rejected: the server's answer, stored · corrupt: unreadable row,
# kept aside (the server sees its sequence number missing).
log = logging.getLogger("guichet.terminal.store")

PENDING, SENT, ACCEPTED, REJECTED, CORRUPT = "pending", "sent", "accepted", "rejected", "corrupt"
UNANSWERED = (PENDING, SENT)


class TerminalStoreError(Exception):
    """The data folder cannot be used; the message is for the technician."""


class StorageFailure(BettingError):
    """A bet could not be written durably: it is not sold, nothing is printed."""

    code = "storage_failure"
    default_message = ("Enregistrement du pari impossible sur ce terminal : vente refusée, "
                       "rien n'est imprimé. Appelez l'assistance.")


class StorageFull(StorageFailure):
    code = "storage_full"
    default_message = ("Disque du terminal plein : vente refusée, rien n'est imprimé. "
                       "Appelez l'assistance.")


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        log.error("outbox write failed: %s", exc)
        if "full" in str(exc):
            raise StorageFull() from None
        raise StorageFailure() from None
    except sqlite3.DatabaseError as exc:
        log.error("outbox write failed: %s", exc)
        raise StorageFailure() from None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TerminalStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).expanduser()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TerminalStoreError(f"cannot create data folder {self.data_dir}: {exc}") from None
        self.path = self.data_dir / "terminal.db"
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
        handle = open(self.data_dir / "terminal.lock", "w")
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
    def save_races(self, cards: list[dict], version: int | None) -> None:
        with self.transaction() as conn:
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

    # -- outbox ------------------------------------------------------------
    def add_bet(self, priced: PricedBet, offline: bool = False,
                ticket_code: Callable[[int], str] | None = None) -> dict:
        """Write the bet durably with the next sequence number; nothing happens before this.

        An offline bet gets its provisional ticket code here, in the same
        transaction (`ticket_code(seq)`), so its paper and its row agree."""
        r = priced.request
        with self._sale_lock, _storage_errors():
            with self.transaction() as conn:
                seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
                entry = {
                    "uuid": str(uuidlib.uuid4()), "seq": seq, "created_at": iso_utc(utcnow()),
                    "race": r.race, "bet_type": r.bet_type, "formula": r.formula,
                    "selections": json.dumps(list(r.selections)),
                    "bases": json.dumps(list(r.bases)),
                    "unit_stake_cents": r.unit_stake_cents, "total_cents": priced.total_cents,
                    "combinations": priced.combinations, "offline": int(offline),
                    "status": PENDING, "ticket": ticket_code(seq) if ticket_code else None,
                }
                cols = ", ".join(entry)
                conn.execute(f"INSERT INTO outbox ({cols}) VALUES ({', '.join('?' * len(entry))})",
                             tuple(entry.values()))
        return self.bet(entry["uuid"])

    def make_provisional(self, uuid: str, ticket: str) -> dict | None:
        """The server did not answer in time: the bet becomes an offline sale
        with its provisional ticket (the server gives the same code later)."""
        self._write("UPDATE outbox SET offline = 1, ticket = ? WHERE uuid = ? AND status IN (?, ?)",
                    (ticket, uuid, *UNANSWERED))
        return self.bet(uuid)

    def bet(self, uuid: str) -> dict | None:
        rows = list(self.db["outbox"].rows_where("uuid = ?", [uuid]))
        return _decode(rows[0]) if rows else None

    def pending(self, limit: int = 200) -> list[dict]:
        """Unanswered entries in sequence order; an unreadable one is set aside."""
        out = []
        for row in self.db["outbox"].rows_where("status IN (?, ?)", list(UNANSWERED),
                                                order_by="seq", limit=limit):
            try:
                bet = _decode(row)
                if bet["selections"] is None or bet["bases"] is None:
                    raise ValueError("selections or bases unreadable")
                parse_wire_bet(wire_bet(bet))
            except (BettingError, ValueError, TypeError, KeyError) as exc:
                self._quarantine(row, exc)
                continue
            out.append(bet)
        return out

    def _quarantine(self, row: dict, exc: Exception) -> None:
        log.error("outbox entry seq %s is unreadable and set aside: %s", row.get("seq"), exc)
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET status = ?, message = ? WHERE rowid = "
                         "(SELECT rowid FROM outbox WHERE seq = ?)",
                         (CORRUPT, f"Entrée illisible : {str(exc)[:120]}", row.get("seq")))
            conn.execute("INSERT INTO outbox_attempts (uuid, at, outcome, detail) "
                         "VALUES (?, ?, ?, ?)", (str(row.get("uuid")), iso_utc(utcnow()),
                                                 CORRUPT, str(exc)[:200]))

    def queue_depth(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE status IN (?, ?)",
                               list(UNANSWERED)).fetchone()[0]

    def counts(self) -> dict:
        """Provisional bets (offline, unanswered) and their stakes, refunds due
        (offline bets the server rejected), unreadable entries."""
        row = self.db.execute(
            """SELECT
                 COALESCE(SUM(offline = 1 AND status IN (?, ?)), 0),
                 COALESCE(SUM(CASE WHEN offline = 1 AND status IN (?, ?)
                                   THEN total_cents END), 0),
                 COALESCE(SUM(offline = 1 AND status = ?), 0),
                 COALESCE(SUM(status = ?), 0)
               FROM outbox""", [*UNANSWERED, *UNANSWERED, REJECTED, CORRUPT]).fetchone()
        return {"provisional": row[0], "provisional_cents": row[1], "refunds_due": row[2],
                "corrupt": row[3]}

    def mark_attempt(self, uuids: list[str]) -> None:
        now = iso_utc(utcnow())
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                "status = CASE status WHEN ? THEN ? ELSE status END WHERE uuid = ?",
                [(now, PENDING, SENT, u) for u in uuids])
            conn.executemany("INSERT INTO outbox_attempts (uuid, at, outcome) VALUES (?, ?, ?)",
                             [(u, now, SENT) for u in uuids])

    def record_failure(self, uuids: list[str], outcome: str, detail: str) -> None:
        """A send that got no usable answer; the entries stay unanswered and go again."""
        now = iso_utc(utcnow())
        with self.transaction() as conn:
            conn.executemany("INSERT INTO outbox_attempts (uuid, at, outcome, detail) "
                             "VALUES (?, ?, ?, ?)", [(u, now, outcome, detail[:200]) for u in uuids])

    def attempts(self, uuid: str) -> list[dict]:
        return [dict(r) for r in self.db["outbox_attempts"].rows_where(
            "uuid = ?", [uuid], order_by="id")]

    def record_answers(self, answers: list[dict]) -> None:
        """Store the server's answers; a bet leaves `pending`/`sent` only here."""
        now = iso_utc(utcnow())
        with self.transaction() as conn:
            for a in answers:
                status = ACCEPTED if a["status"] in ("accepted", "duplicate") else REJECTED
                conn.execute(
                    "UPDATE outbox SET status = ?, ticket = COALESCE(?, ticket), reason = ?, "
                    "message = ?, answered_at = ? WHERE uuid = ? AND status IN (?, ?)",
                    (status, a.get("ticket"), a.get("reason"), a.get("message"), now,
                     a["uuid"], *UNANSWERED),
                )
                conn.execute("INSERT INTO outbox_attempts (uuid, at, outcome, detail) "
                             "VALUES (?, ?, ?, ?)", (a["uuid"], now, a["status"], a.get("reason")))

    def record_print(self, uuid: str, job_id: str, error: str | None) -> None:
        if error:
            self._write("UPDATE outbox SET print_job_id = ?, print_error = ? WHERE uuid = ?",
                        (job_id, error, uuid))
        else:
            self._write("UPDATE outbox SET print_job_id = ?, printed_at = ?, print_error = NULL "
                        "WHERE uuid = ?", (job_id, iso_utc(utcnow()), uuid))

    def recent_bets(self, limit: int = 10) -> list[dict]:
        return [_decode(r) for r in self.db["outbox"].rows_where(
            order_by="seq desc", limit=limit)]


def printable(bet: dict) -> bool:
    """Accepted, or sold offline and not yet answered (a provisional ticket)."""
    return bet["status"] == ACCEPTED or (bool(bet["offline"]) and bet["status"] in UNANSWERED
                                         and bool(bet["ticket"]))


def wire_bet(entry: dict) -> dict:
    """An outbox entry as the `place_bets` message carries it."""
    return {
        "uuid": entry["uuid"], "seq": entry["seq"], "placed_at": entry["created_at"],
        "race": entry["race"], "bet_type": entry["bet_type"], "formula": entry["formula"],
        "selections": entry["selections"], "bases": entry["bases"],
        "unit_stake_cents": entry["unit_stake_cents"], "total_cents": entry["total_cents"],
        "offline": entry["offline"],
    }


def _json_list(text: object) -> list | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, list) else None


def _decode(row: dict) -> dict:
    """A row as a dict; an unreadable list field becomes None (never an exception:
    a damaged row must not stop the UI from listing the others)."""
    out = dict(row)
    out["selections"] = _json_list(row["selections"])
    out["bases"] = _json_list(row["bases"])
    out["offline"] = bool(row["offline"])
    return out
