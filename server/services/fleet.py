"""The fleet of terminals: enrolment, keys, and what each last reported."""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from betting.errors import OperatorRefusal
from betting.programme import iso_utc, parse_utc
from betting.tickets import terminal_id as make_terminal_id

from . import audit
from ..records import StoredTerminal
from ..store import UnitOfWork

ENROLMENT_CODE_TTL = timedelta(hours=24)
# A connected terminal beats every 4 s (terminal_app/adapters/sync.py), written by the
# watch loop within a second: three beats missed and it counts as away.
CONNECTED_WITHIN = timedelta(seconds=15)


class EnrolmentError(OperatorRefusal):
    """Refused enrolment; `code` for programs, message in English for the technician's CLI."""


def normalise_code(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit())


def create_enrolment_code(uow: UnitOfWork, outlet: str, now: datetime) -> dict:
    """A 12-digit one-time code, typed by the technician on the new terminal."""
    code = f"{secrets.randbelow(10**12):012d}"
    expires = now + ENROLMENT_CODE_TTL
    uow.enrolment.add(code, outlet, now, expires)
    # the code is a one-time secret until used: the log keeps its last 4 digits only
    audit.record(uow, "terminal.enrolment_code", outlet,
                 {"code_ends": code[-4:], "expires_at": iso_utc(expires)}, now=now)
    return {"code": code, "outlet": outlet, "expires_at": iso_utc(expires)}


def enrol(uow: UnitOfWork, code: str, now: datetime) -> dict:
    found = uow.enrolment.get(normalise_code(code))
    if found is None:
        raise EnrolmentError("unknown_code", "unknown enrolment code")
    if found.used_at:
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    if found.expires_at <= iso_utc(now):
        raise EnrolmentError("code_expired", "this enrolment code has expired")
    terminal = make_terminal_id(uow.meta.next_terminal_number())
    if not uow.enrolment.use(found.code, terminal, now):  # used meanwhile by another process
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    key = secrets.token_hex(32)
    uow.terminals.add(terminal, found.outlet, key, now)
    audit.record(uow, "terminal.enrol", terminal,
                 {"outlet": found.outlet, "code_ends": found.code[-4:]}, now=now)
    return {"terminal_id": terminal, "key": key, "outlet": found.outlet}


def terminal_keys(uow: UnitOfWork, terminal_ids: list[str]) -> dict[str, bytes]:
    """The keys of the enabled terminals among `terminal_ids` (the others are absent)."""
    return {t: bytes.fromhex(k) for t, k in uow.terminals.enabled_keys(terminal_ids).items()}


def terminal_secret(uow: UnitOfWork, terminal_id: str) -> bytes | None:
    """The key of a known terminal, disabled or not: the connect signature is
    checked before the server says a terminal is disabled, so only the holder
    of the key learns it."""
    terminal = uow.terminals.get(terminal_id)
    return bytes.fromhex(terminal.key_hex) if terminal else None


def is_disabled(uow: UnitOfWork, terminal_id: str) -> bool:
    """True for a disabled (or unknown) terminal: every event of its socket is refused."""
    terminal = uow.terminals.get(terminal_id)
    return terminal is None or terminal.disabled


def disabled_terminals(uow: UnitOfWork) -> set[str]:
    """The disabled terminals (few): each server process drops its own sockets of them."""
    return uow.terminals.disabled_ids()


def set_disabled(uow: UnitOfWork, terminal_id: str, disabled: bool) -> dict | None:
    """Disable or enable a terminal (idempotent); None for an unknown terminal.
    `live_sid` is the socket it holds, so the caller can cut it off at once."""
    terminal = uow.terminals.get(terminal_id)
    if terminal is None:
        return None
    uow.terminals.set_disabled(terminal_id, disabled)
    audit.record(uow, "terminal.disable" if disabled else "terminal.enable", terminal_id,
                 {"changed": terminal.disabled != disabled})
    return {"terminal_id": terminal_id, "disabled": disabled,
            "changed": terminal.disabled != disabled, "live_sid": terminal.live_sid}


def claim_connection(uow: UnitOfWork, terminal_id: str, ts: int, sid: str,
                     now: datetime) -> tuple[bool, str | None]:
    """Accept a connect signature once and make `sid` the terminal's one live socket.

    The signature's `ts` must be greater than every one accepted before for this
    terminal (a conditional update, so every process sharing the store agrees):
    a captured `{ts, sig}` cannot be replayed. Returns (accepted, previous live sid)."""
    before = uow.terminals.get(terminal_id)
    if not uow.terminals.claim(terminal_id, ts, sid, now):
        return False, None
    return True, (before.live_sid if before else None)


def mark_disconnected(uow: UnitOfWork, terminal_id: str, sid: str, now: datetime) -> None:
    """The socket `sid` is gone; the terminal is away only if no newer socket took over."""
    uow.terminals.release(terminal_id, sid, now)


def record_heartbeat(uow: UnitOfWork, terminal_id: str, queue_depth: int | None,
                     printer_json: str | None, version: str | None, now: datetime) -> None:
    """`printer_json` is the printer state already serialised and bounded by the handler."""
    uow.terminals.heartbeat(terminal_id, queue_depth, printer_json, version, now)


def _printer_state(text: str | None) -> object:
    """The last printer state a terminal reported (rows written by older versions
    may hold a truncated, unreadable text)."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def is_connected(terminal: StoredTerminal, now: datetime) -> bool:
    """A socket is recorded and the terminal was heard from lately.

    Derived, never reset: a server process that starts (or dies) says nothing
    about the terminals other processes hold, and a socket left recorded by a
    crashed process goes stale on its own."""
    return terminal.live_sid is not None and terminal.last_seen is not None \
        and now - parse_utc(terminal.last_seen) <= CONNECTED_WITHIN


def list_terminals(uow: UnitOfWork, now: datetime) -> list[dict]:
    seqs = uow.bets.seq_summary()
    out = []
    for t in uow.terminals.listed():
        last_seq, count = seqs.get(t.terminal_id, (None, 0))
        out.append({
            "terminal_id": t.terminal_id, "outlet": t.outlet,
            "connected": is_connected(t, now), "disabled": t.disabled,
            "last_seen": t.last_seen, "queue_depth": t.queue_depth,
            "printer": _printer_state(t.printer), "version": t.version,
            "enrolled_at": t.enrolled_at,
            "last_seq": last_seq, "bets": count, "missing_seqs": (last_seq or 0) - count,
        })
    return out


def create_admin_token(uow: UnitOfWork, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    uow.admin_tokens.add(digest, now)
    audit.record(uow, "admin.token", token_label(digest), now=now)
    return token


def token_label(digest: str) -> str:
    """How the audit log names an admin token: the start of its SHA-256, never the token."""
    return "token:" + digest[:12]


def check_admin_token(uow: UnitOfWork, token: str) -> bool:
    return uow.admin_tokens.exists(hashlib.sha256(token.encode()).hexdigest())


def sequence_gaps(uow: UnitOfWork, terminal_id: str) -> list[list[int]] | None:
    """Ranges [first, last] of sequence numbers below the highest one received
    that the server never saw: bets a terminal recorded but has not delivered.
    None for an unknown terminal."""
    if uow.terminals.get(terminal_id) is None:
        return None
    return uow.bets.sequence_gaps(terminal_id)
