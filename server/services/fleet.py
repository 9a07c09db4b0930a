"""The fleet of terminals: enrolment, keys, and what each last reported."""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from betting.errors import OperatorRefusal
from betting.programme import iso_utc, parse_utc
from betting.tickets import terminal_id as make_terminal_id

from . import accounts, audit
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


def _new_code(uow: UnitOfWork, outlet: str, now: datetime, for_terminal: str | None = None,
              purpose: str = "enrol") -> dict:
    """A 12-digit one-time code and the reference of its receipt (which names the
    receipt's page without giving the code away in addresses and logs)."""
    code = f"{secrets.randbelow(10**12):012d}"
    receipt = secrets.token_hex(8)
    expires = now + ENROLMENT_CODE_TTL
    uow.enrolment.add_code(code, outlet, now, expires, receipt, for_terminal, purpose)
    return {"code": code, "outlet": outlet, "expires_at": iso_utc(expires), "receipt": receipt,
            "purpose": purpose, "terminal_id": for_terminal}


def create_enrolment_code(uow: UnitOfWork, outlet: str, now: datetime) -> dict:
    """A 12-digit one-time code, typed by the technician on the new terminal."""
    created = _new_code(uow, outlet, now)
    # the code is a one-time secret until used: the log keeps its last 4 digits only
    audit.record(uow, "terminal.enrolment_code", outlet,
                 {"code_ends": created["code"][-4:], "expires_at": created["expires_at"]},
                 now=now)
    return created


def enrol(uow: UnitOfWork, code: str, now: datetime, terminal_id: str | None = None) -> dict:
    """Trade a one-time code for a terminal id and its key.

    `terminal_id` is given by a terminal already enrolled (its key is being
    rotated): only a code bound to that very terminal is accepted, and a code
    meant for another one is refused before it is used."""
    found = uow.enrolment.get(normalise_code(code))
    if found is None:
        raise EnrolmentError("unknown_code", "unknown enrolment code")
    if found.used_at:
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    if found.expires_at <= iso_utc(now):
        raise EnrolmentError("code_expired", "this enrolment code has expired")
    if terminal_id is not None and found.for_terminal != terminal_id:
        raise EnrolmentError("wrong_terminal",
                             f"this code does not renew the key of {terminal_id[:20]}"
                             if found.for_terminal else
                             "this code enrols a new terminal, and this one is already enrolled")
    if found.for_terminal:
        return _rekey(uow, found, now)
    terminal = make_terminal_id(uow.meta.next_terminal_number())
    if not uow.enrolment.use(found.code, terminal, now):  # used meanwhile by another process
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    key = secrets.token_hex(32)
    uow.terminals.add(terminal, found.outlet, key, now)
    audit.record(uow, "terminal.enrol", terminal,
                 {"outlet": found.outlet, "code_ends": found.code[-4:]}, now=now)
    return {"terminal_id": terminal, "key": key, "outlet": found.outlet, "next_seq": 1,
            "rekeyed": False}


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
    a captured `{ts, sig}` cannot be replayed. Returns (accepted, previous live sid).

    The previous socket counts only while the terminal was heard from lately
    (`is_connected`): one left recorded by a process that died, or on a line gone
    silent, no longer exists, and after a restart 20,000 reconnecting terminals would
    otherwise each have every process told to drop a socket nobody holds."""
    before = uow.terminals.get(terminal_id)
    if not uow.terminals.claim(terminal_id, ts, sid, now):
        return False, None
    return True, (before.live_sid if before and is_connected(before, now) else None)


def mark_disconnected(uow: UnitOfWork, terminal_id: str, sid: str, now: datetime) -> None:
    """The socket `sid` is gone; the terminal is away only if no newer socket took over."""
    uow.terminals.release(terminal_id, sid, now)


def record_heartbeat(uow: UnitOfWork, terminal_id: str, queue_depth: int | None,
                     printer_json: str | None, version: str | None, now: datetime,
                     provisional: int | None = None, clock_offset_ms: int | None = None) -> None:
    """`printer_json` is the printer state already serialised and bounded by the handler;
    `provisional` and `clock_offset_ms` are None when the terminal did not say (older
    versions)."""
    uow.terminals.heartbeat(terminal_id, queue_depth, printer_json, version, now,
                            provisional, clock_offset_ms)


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
            "enrolled_at": t.enrolled_at, "provisional": t.provisional,
            "clock_offset_ms": t.clock_offset_ms, "key_changed_at": t.key_changed_at,
            "last_seq": last_seq, "bets": count, "missing_seqs": (last_seq or 0) - count,
        })
    return out


def create_admin_token(uow: UnitOfWork, now: datetime, account: str | None = None) -> str:
    """A new API token; tied to `account` (it then acts with that account's role, and
    stops working when the account is disabled), or, without one, an operator's."""
    if account is not None and accounts.active(uow, account) is None:
        raise accounts.AccountError("unknown_user", f"no enabled user {account}")
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    uow.admin_tokens.add(digest, now, account)
    audit.record(uow, "admin.token", token_label(digest), {"account": account}, now=now)
    return token


def token_holder(uow: UnitOfWork, token: str) -> tuple[str, str] | None:
    """(who, role) for a valid API token, as the audit log names them; None if invalid."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    known, account = uow.admin_tokens.holder(digest)
    if not known:
        return None
    if account is None:
        return token_label(digest), "operator"
    holder = accounts.active(uow, account)
    return (f"user:{holder.name}", holder.role) if holder else None


def token_label(digest: str) -> str:
    """How the audit log names an admin token: the start of its SHA-256, never the token."""
    return "token:" + digest[:12]


def sequence_gaps(uow: UnitOfWork, terminal_id: str) -> list[list[int]] | None:
    """Ranges [first, last] of sequence numbers below the highest one received
    that the server never saw: bets a terminal recorded but has not delivered.
    None for an unknown terminal."""
    if uow.terminals.get(terminal_id) is None:
        return None
    return uow.bets.sequence_gaps(terminal_id)


# -- the fleet page: key rotation, replacement, receipts, the live list --------

# Why a known terminal is given a new key: the same exchange, said differently to
# the technician (rotate: on the same machine; replace: on the machine that takes over).
REKEY_PURPOSES = ("rotate", "replace")
PENDING_CODES_SHOWN = 200
RECEIPT_REF_CHARS = 16


class FleetError(OperatorRefusal):
    """A fleet action refused before anything changed; `code` for programs."""


def create_rekey_code(uow: UnitOfWork, terminal_id: str, purpose: str,
                      now: datetime) -> dict | None:
    """A one-time code bound to a known terminal: enrolling with it gives that same
    terminal id a new key and revokes the old one at once (its outlet, its bets and
    its sequence numbers stay). A newer code ends the terminal's pending ones.
    None for an unknown terminal."""
    if purpose not in REKEY_PURPOSES:
        raise FleetError("bad_purpose", 'purpose must be "rotate" or "replace"')
    terminal = uow.terminals.get(terminal_id)
    if terminal is None:
        return None
    ended = uow.enrolment.expire_pending_for(terminal_id, now)
    created = _new_code(uow, terminal.outlet, now, terminal_id, purpose)
    audit.record(uow, "terminal.rekey_code", terminal_id,
                 {"purpose": purpose, "code_ends": created["code"][-4:],
                  "expires_at": created["expires_at"], "ends_pending": ended}, now=now)
    return created


def _rekey(uow: UnitOfWork, found, now: datetime) -> dict:
    """Enrolment with a bound code: same terminal, new key, the old key dead now."""
    terminal = uow.terminals.get(found.for_terminal)
    if terminal is None:  # a terminal is never deleted; a store edited by hand
        raise EnrolmentError("unknown_code", "unknown enrolment code")
    if not uow.enrolment.use(found.code, terminal.terminal_id, now):
        raise EnrolmentError("code_used", "this enrolment code has already been used")
    key = secrets.token_hex(32)
    uow.terminals.rekey(terminal.terminal_id, key, now)
    next_seq = uow.terminals.last_seq(terminal.terminal_id) + 1
    audit.record(uow, "terminal.rekey", terminal.terminal_id,
                 {"purpose": found.purpose, "outlet": terminal.outlet,
                  "code_ends": found.code[-4:], "next_seq": next_seq}, now=now)
    return {"terminal_id": terminal.terminal_id, "key": key, "outlet": terminal.outlet,
            "next_seq": next_seq, "rekeyed": True, "purpose": found.purpose,
            "live_sid": terminal.live_sid}


def pending_codes(uow: UnitOfWork, now: datetime) -> list[dict]:
    """Codes not used yet and not expired, without the codes themselves (those are
    shown once at creation, and on their receipt)."""
    return [{"outlet": c.outlet, "expires_at": c.expires_at, "created_at": c.created_at,
             "purpose": c.purpose, "terminal_id": c.for_terminal, "receipt": c.receipt}
            for c in uow.enrolment.pending(now, PENDING_CODES_SHOWN)]


def receipt(uow: UnitOfWork, ref: str, now: datetime) -> dict | None:
    """The code behind a receipt reference, while it can still be used; None otherwise."""
    if not isinstance(ref, str) or len(ref) != RECEIPT_REF_CHARS \
            or any(ch not in "0123456789abcdef" for ch in ref):
        return None
    found = uow.enrolment.by_receipt(ref)
    if found is None or found.used_at or found.expires_at <= iso_utc(now):
        return None
    return {"code": found.code, "outlet": found.outlet, "expires_at": found.expires_at,
            "created_at": found.created_at, "purpose": found.purpose,
            "terminal_id": found.for_terminal, "receipt": found.receipt}


TERMINAL_STATES = ("offline", "disabled", "online")  # the page's order: trouble first


def state_of(terminal: StoredTerminal, now: datetime) -> str:
    if terminal.disabled:
        return "disabled"
    return "online" if is_connected(terminal, now) else "offline"


def fleet_view(uow: UnitOfWork, now: datetime, outlet: str = "", state: str = "",
               limit: int = 500) -> dict:
    """The terminals as the fleet page shows them, offline first (the longest silent
    first), filtered by a piece of the outlet's name and by state; the counts per
    state are the whole fleet's. Light enough to be asked every few seconds: no
    scan of the bets."""
    needle = outlet.casefold()
    counts = dict.fromkeys(TERMINAL_STATES, 0)
    rows = []
    for t in uow.terminals.listed():
        current = state_of(t, now)
        counts[current] += 1
        if (needle and needle not in t.outlet.casefold()) or (state and state != current):
            continue
        rows.append({
            "terminal_id": t.terminal_id, "outlet": t.outlet, "state": current,
            "last_seen": t.last_seen, "queue_depth": t.queue_depth,
            "provisional": t.provisional, "printer": _printer_state(t.printer),
            "version": t.version, "clock_offset_ms": t.clock_offset_ms,
            "key_changed_at": t.key_changed_at, "enrolled_at": t.enrolled_at,
        })
    rows.sort(key=lambda r: (TERMINAL_STATES.index(r["state"]), r["last_seen"] or "",
                             r["terminal_id"]))
    return {"terminals": rows[:limit], "matching": len(rows), "counts": counts,
            "total": sum(counts.values())}


# A socket opened with a replaced key is cut off at re-enrolment; every watch loop
# also looks this far back for one that message missed.
REKEY_WATCH = timedelta(minutes=10)


def recently_rekeyed(uow: UnitOfWork, now: datetime) -> dict[str, str | None]:
    """{terminal_id: its live socket now} for the terminals re-keyed lately: any other
    socket of theirs was opened with the old key."""
    out = {}
    for terminal_id in uow.terminals.rekeyed_since(now - REKEY_WATCH):
        terminal = uow.terminals.get(terminal_id)
        out[terminal_id] = terminal.live_sid if terminal else None
    return out
