"""What the central store hands to the services: plain values, never a store's rows.

Every adapter (server/adapters/) reads its own rows into these, so a service
reads `bet.status` whatever holds the data, and JSON columns arrive decoded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class StoredRace:
    """A race as stored: its card still as text, since a damaged one must be
    reported and skipped by the reader (server/services/races.py), never crash the store."""

    race_id: str
    state: str
    closed_at: str | None
    version: int
    card: str


@dataclass(frozen=True)
class NewBet:
    """A decided bet, as the service writes it (accepted or rejected)."""

    uuid: str
    terminal_id: str
    seq: int
    race_id: str
    bet_type: str
    formula: str
    selections: list
    bases: list
    partners: list | None
    unit_stake_cents: int
    total_cents: int
    combinations: int
    placed_at: str
    received_at: str
    offline: bool
    status: str
    reason: str | None
    message: str | None
    ticket: str | None
    refund_cents: int | None
    review: str | None
    review_max_cents: int | None
    complement: int | None = None  # the cheval de complément (betting/complement.py)


@dataclass(frozen=True)
class StoredBet(NewBet):
    """A bet as the store holds it, with what happened to it since."""

    cancelled_at: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None


@dataclass(frozen=True)
class StakeGroup:
    """The unit stakes of all accepted bets of one shape (settlement's aggregate)."""

    bet_type: str
    formula: str
    selections: list
    bases: list
    partners: list | None
    stake_cents: int
    complement: int | None = None


@dataclass(frozen=True)
class StoredLeg:
    """One leg of a Report+ chain as stored (server/services/chains.py): its choice,
    then its funding (`stake_cents`, `in_pool`) and its outcome once its race is official."""

    uuid: str  # the chain's bet
    leg: int  # 0 for the first
    race_id: str
    horse: int
    kind: str  # GAGNANT or PLACE
    carry: str  # a key of betting.reports.CARRY_SHARES
    base_cents: int  # the chain's minimum stake
    stake_cents: int | None = None  # None until funded
    in_pool: bool | None = None  # None until funded
    return_cents: int | None = None  # None until run
    carried_cents: int | None = None
    kept_cents: int | None = None
    breakage_cents: int | None = None  # the cent the split's roundings may leave
    void: bool = False
    funded_at: str | None = None
    run_at: str | None = None


@dataclass(frozen=True)
class Payment:
    ticket: str
    payment_uuid: str
    terminal_id: str
    amount_cents: int
    paid_at: str


@dataclass(frozen=True)
class StoredTerminal:
    terminal_id: str
    outlet: str
    key_hex: str
    enrolled_at: str
    disabled: bool
    live_sid: str | None
    last_seen: str | None
    queue_depth: int | None
    printer: str | None
    version: str | None
    last_auth_ts: int
    provisional: int | None = None  # offline bets not yet answered, as last reported
    clock_offset_ms: int | None = None  # its clock minus the server's, at its last heartbeat
    key_changed_at: str | None = None  # last re-enrolment (key rotation or replacement)


@dataclass(frozen=True)
class EnrolmentCode:
    code: str
    outlet: str
    expires_at: str
    used_at: str | None
    for_terminal: str | None = None  # a code that gives a new key to this known terminal
    purpose: str = "enrol"  # enrol (a new terminal), rotate or replace (an existing one)
    receipt: str | None = None  # the code's printable receipt, named without the code
    created_at: str | None = None


@dataclass(frozen=True)
class StoredResult:
    race_id: str
    result: dict
    official: bool
    entered_at: str
    official_at: str | None


class AuditEntry(NamedTuple):
    """One line of the audit log; `detail` is canonical JSON text, `hash` the
    SHA-256 of the entry with `prev_hash` (server/services/audit.py)."""
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Account:
    """A person of the central operator with a role in the back office."""
    name: str
    role: str
    password_hash: str
    disabled: bool
    failures: int
    locked_until: str | None
    created_at: str
    changed_at: str
