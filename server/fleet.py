"""The fleet of terminals: enrolment, keys, and what each last reported."""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from datetime import datetime, timedelta

from betting.programme import iso_utc
from betting.tickets import terminal_id as make_terminal_id

ENROLMENT_CODE_TTL = timedelta(hours=24)


class EnrolmentError(Exception):
    """Refused enrolment; `code` for programs, message in English for the technician's CLI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_code(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit())


def create_enrolment_code(db: sqlite3.Connection, outlet: str, now: datetime) -> dict:
    """A 12-digit one-time code, typed by the technician on the new terminal."""
    code = f"{secrets.randbelow(10**12):012d}"
    expires = now + ENROLMENT_CODE_TTL
    db.execute(
        "INSERT INTO enrolment_codes (code, outlet, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (code, outlet, iso_utc(now), iso_utc(expires)),
    )
    return {"code": code, "outlet": outlet, "expires_at": iso_utc(expires)}


def enrol(db: sqlite3.Connection, code: str, now: datetime) -> dict:
    row = db.execute("SELECT * FROM enrolment_codes WHERE code = ?",
                     (normalise_code(code),)).fetchone()
    if row is None:
        raise EnrolmentError("unknown_code", "unknown enrolment code")
    if row["used_at"]:
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    if row["expires_at"] <= iso_utc(now):
        raise EnrolmentError("code_expired", "this enrolment code has expired")
    db.execute("UPDATE meta SET value = value + 1 WHERE name = 'last_terminal'")
    number = db.execute("SELECT value FROM meta WHERE name = 'last_terminal'").fetchone()[0]
    terminal = make_terminal_id(number)
    key = secrets.token_hex(32)
    db.execute(
        "INSERT INTO terminals (terminal_id, outlet, key_hex, enrolled_at) VALUES (?, ?, ?, ?)",
        (terminal, row["outlet"], key, iso_utc(now)),
    )
    db.execute("UPDATE enrolment_codes SET used_at = ?, terminal_id = ? WHERE code = ?",
               (iso_utc(now), terminal, row["code"]))
    return {"terminal_id": terminal, "key": key, "outlet": row["outlet"]}


def terminal_key(db: sqlite3.Connection, terminal_id: str) -> bytes | None:
    """The key of an enabled terminal, or None (unknown or disabled)."""
    row = db.execute("SELECT key_hex, disabled FROM terminals WHERE terminal_id = ?",
                     (terminal_id,)).fetchone()
    if row is None or row["disabled"]:
        return None
    return bytes.fromhex(row["key_hex"])


def terminal_secret(db: sqlite3.Connection, terminal_id: str) -> bytes | None:
    """The key of a known terminal, disabled or not: the connect signature is
    checked before the server says a terminal is disabled, so only the holder
    of the key learns it."""
    row = db.execute("SELECT key_hex FROM terminals WHERE terminal_id = ?",
                     (terminal_id,)).fetchone()
    return bytes.fromhex(row["key_hex"]) if row else None


def is_disabled(db: sqlite3.Connection, terminal_id: str) -> bool:
    """True for a disabled (or unknown) terminal: every event of its socket is refused."""
    row = db.execute("SELECT disabled FROM terminals WHERE terminal_id = ?",
                     (terminal_id,)).fetchone()
    return row is None or bool(row["disabled"])


def disabled_terminals(db: sqlite3.Connection) -> set[str]:
    """The disabled terminals (few): each server process drops its own sockets of them."""
    return {r[0] for r in db.execute("SELECT terminal_id FROM terminals WHERE disabled = 1")}


def set_disabled(db: sqlite3.Connection, terminal_id: str, disabled: bool) -> dict | None:
    """Disable or enable a terminal (idempotent); None for an unknown terminal.
    `live_sid` is the socket it holds, so the caller can cut it off at once."""
    row = db.execute("SELECT disabled, live_sid FROM terminals WHERE terminal_id = ?",
                     (terminal_id,)).fetchone()
    if row is None:
        return None
    db.execute("UPDATE terminals SET disabled = ? WHERE terminal_id = ?",
               (int(disabled), terminal_id))
    return {"terminal_id": terminal_id, "disabled": disabled,
            "changed": bool(row["disabled"]) != disabled, "live_sid": row["live_sid"]}


def claim_connection(db: sqlite3.Connection, terminal_id: str, ts: int, sid: str,
                     now: datetime) -> tuple[bool, str | None]:
    """Accept a connect signature once and make `sid` the terminal's one live socket.

    The signature's `ts` must be greater than every one accepted before for this
    terminal (a conditional UPDATE, so every process sharing the store agrees):
    a captured `{ts, sig}` cannot be replayed. Returns (accepted, previous live sid)."""
    row = db.execute("SELECT live_sid FROM terminals WHERE terminal_id = ?",
                     (terminal_id,)).fetchone()
    cur = db.execute(
        "UPDATE terminals SET last_auth_ts = ?, live_sid = ?, connected = 1, last_seen = ? "
        "WHERE terminal_id = ? AND last_auth_ts < ? AND disabled = 0",
        (ts, sid, iso_utc(now), terminal_id, ts))
    if cur.rowcount != 1:
        return False, None
    return True, (row["live_sid"] if row else None)


def mark_connected(db: sqlite3.Connection, terminal_id: str, connected: bool,
                   now: datetime) -> None:
    db.execute("UPDATE terminals SET connected = ?, last_seen = ? WHERE terminal_id = ?",
               (int(connected), iso_utc(now), terminal_id))


def mark_disconnected(db: sqlite3.Connection, terminal_id: str, sid: str,
                      now: datetime) -> None:
    """The socket `sid` is gone; the terminal is away only if no newer socket took over."""
    db.execute("UPDATE terminals SET connected = 0, live_sid = NULL, last_seen = ? "
               "WHERE terminal_id = ? AND live_sid = ?", (iso_utc(now), terminal_id, sid))


def record_heartbeat(db: sqlite3.Connection, terminal_id: str, queue_depth: int | None,
                     printer_json: str | None, version: str | None, now: datetime) -> None:
    """`printer_json` is the printer state already serialised and bounded by the handler."""
    db.execute(
        "UPDATE terminals SET last_seen = ?, queue_depth = ?, printer = ?, version = ?, "
        "connected = 1 WHERE terminal_id = ?",
        (iso_utc(now), queue_depth, printer_json, version, terminal_id),
    )


def _printer_state(text: str | None) -> object:
    """The last printer state a terminal reported (rows written by older versions
    may hold a truncated, unreadable text)."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def list_terminals(db: sqlite3.Connection) -> list[dict]:
    out = []
    for row in db.execute("SELECT * FROM terminals ORDER BY terminal_id"):
        printer = _printer_state(row["printer"])
        last_seq = db.execute("SELECT MAX(seq), COUNT(*) FROM bets WHERE terminal_id = ?",
                              (row["terminal_id"],)).fetchone()
        missing = (last_seq[0] or 0) - last_seq[1]
        out.append({
            "terminal_id": row["terminal_id"], "outlet": row["outlet"],
            "connected": bool(row["connected"]), "disabled": bool(row["disabled"]),
            "last_seen": row["last_seen"], "queue_depth": row["queue_depth"],
            "printer": printer, "version": row["version"],
            "enrolled_at": row["enrolled_at"],
            "last_seq": last_seq[0], "bets": last_seq[1], "missing_seqs": missing,
        })
    return out


def reset_connections(db: sqlite3.Connection) -> None:
    """On start no terminal is connected to this process yet."""
    db.execute("UPDATE terminals SET connected = 0")


def create_admin_token(db: sqlite3.Connection, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.execute("INSERT INTO admin_tokens (token_sha256, created_at) VALUES (?, ?)",
               (hashlib.sha256(token.encode()).hexdigest(), iso_utc(now)))
    return token


def check_admin_token(db: sqlite3.Connection, token: str) -> bool:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return db.execute("SELECT 1 FROM admin_tokens WHERE token_sha256 = ?",
                      (digest,)).fetchone() is not None


def sequence_gaps(db: sqlite3.Connection, terminal_id: str) -> list[list[int]]:
    """Ranges [first, last] of sequence numbers below the highest one received
    that the server never saw: bets a terminal recorded but has not delivered."""
    rows = db.execute(
        """SELECT seq + 1 AS first,
                  (SELECT MIN(n.seq) - 1 FROM bets n
                   WHERE n.terminal_id = b.terminal_id AND n.seq > b.seq) AS last
           FROM bets b
           WHERE terminal_id = ?
             AND NOT EXISTS (SELECT 1 FROM bets x WHERE x.terminal_id = b.terminal_id
                             AND x.seq = b.seq + 1)
             AND seq < (SELECT MAX(seq) FROM bets WHERE terminal_id = ?)
           ORDER BY seq""", (terminal_id, terminal_id)).fetchall()
    first_seen = db.execute("SELECT MIN(seq) FROM bets WHERE terminal_id = ?",
                            (terminal_id,)).fetchone()[0]
    gaps = [[1, first_seen - 1]] if first_seen and first_seen > 1 else []
    return gaps + [[r["first"], r["last"]] for r in rows]
