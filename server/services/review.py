"""The operator's review of refused offline bets that do not add up.

A provisional ticket the server refused for any reason other than an honest
late arrival (its pool closed, the server's price equal to the claim, within
the offline ceiling) is not payable at a counter: the claim may be a forgery
or a fault. It waits here until the operator decides: refund an amount (at
most the claimed total and the offline ceiling in force when the bet arrived,
`bets.review_max_cents`) or void it. The decision and its time are recorded
on the bet; it is final, since a refund may be paid as soon as it is decided.
"""
from __future__ import annotations

from datetime import datetime

from betting.errors import InvalidTicketCode, OperatorRefusal
from betting.states import ReviewState
from betting.tickets import parse_ticket_code

from . import audit
from ..records import StoredBet
from ..store import UnitOfWork

DECISIONS = (ReviewState.REFUND, ReviewState.VOID)
MAX_NOTE = 500


class ReviewError(OperatorRefusal):
    """A refused review call; English, for the operator (API and CLI)."""


def _item(bet: StoredBet) -> dict:
    return {
        "ticket": bet.ticket, "uuid": bet.uuid, "terminal_id": bet.terminal_id,
        "seq": bet.seq, "race": bet.race_id, "bet_type": bet.bet_type,
        "formula": bet.formula, "selections": bet.selections,
        "bases": bet.bases, "unit_stake_cents": bet.unit_stake_cents,
        "claimed_cents": bet.total_cents, "reason": bet.reason,
        "message": bet.message, "placed_at": bet.placed_at,
        "received_at": bet.received_at, "review": bet.review,
        "max_refund_cents": bet.review_max_cents or 0,
        "refund_cents": bet.refund_cents or 0, "reviewed_at": bet.reviewed_at,
        "note": bet.review_note,
    }


def review_queue(uow: UnitOfWork, include_decided: bool = False) -> list[dict]:
    """The tickets waiting for a decision (and, on request, those decided), oldest first."""
    return [_item(bet) for bet in uow.bets.under_review(include_decided)]


def decide(uow: UnitOfWork, code: object, decision: object, amount_cents: object,
           now: datetime, note: object = None) -> dict:
    """Record the operator's decision on one ticket under review; changes nothing when refused."""
    try:
        ref = parse_ticket_code(code)
    except InvalidTicketCode:
        raise ReviewError("invalid_ticket_code",
                          "not a valid ticket code (24 digits with a check digit)") from None
    row = uow.bets.by_ticket(ref.code)
    if row is None:
        raise ReviewError("unknown_ticket", "no such ticket")
    if row.review is None:
        raise ReviewError("not_under_review", "this ticket is not waiting for a review")
    if row.review != ReviewState.OPEN:
        raise ReviewError("already_decided",
                          f"this ticket was already decided ({row.review}, "
                          f"{row.reviewed_at})")
    if decision not in DECISIONS:
        raise ReviewError("bad_decision", 'decision must be "refund" or "void"')
    decision = ReviewState(decision)
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise ReviewError("bad_note", f"note must be a string of at most {MAX_NOTE} characters")
    ceiling = row.review_max_cents or 0
    if decision == ReviewState.REFUND:
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
                or not 0 < amount_cents <= ceiling:
            raise ReviewError("bad_amount",
                              f"amount_cents must be an integer from 1 to {ceiling} "
                              "(the claimed total, capped by the offline ceiling)")
        owed = amount_cents
    else:
        if amount_cents not in (None, 0) or isinstance(amount_cents, bool):
            raise ReviewError("bad_amount", "a void decision takes no amount")
        owed = 0
    if not uow.bets.decide_review(row.uuid, decision, owed, now, note):
        raise ReviewError("already_decided", "this ticket was decided meanwhile")
    audit.record(uow, "ticket.review", ref.code,
                 {"decision": str(decision), "amount_cents": owed, "note": note}, now=now)
    return _item(uow.bets.by_uuid(row.uuid))
