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

import json
import sqlite3
from datetime import datetime

from betting.errors import InvalidTicketCode
from betting.programme import iso_utc
from betting.states import ReviewState
from betting.tickets import parse_ticket_code

DECISIONS = (ReviewState.REFUND, ReviewState.VOID)
MAX_NOTE = 500


class ReviewError(Exception):
    """A refused review call; English, for the operator (API and CLI)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _item(row: sqlite3.Row) -> dict:
    return {
        "ticket": row["ticket"], "uuid": row["uuid"], "terminal_id": row["terminal_id"],
        "seq": row["seq"], "race": row["race_id"], "bet_type": row["bet_type"],
        "formula": row["formula"], "selections": json.loads(row["selections"]),
        "bases": json.loads(row["bases"]), "unit_stake_cents": row["unit_stake_cents"],
        "claimed_cents": row["total_cents"], "reason": row["reason"],
        "message": row["message"], "placed_at": row["placed_at"],
        "received_at": row["received_at"], "review": row["review"],
        "max_refund_cents": row["review_max_cents"] or 0,
        "refund_cents": row["refund_cents"] or 0, "reviewed_at": row["reviewed_at"],
        "note": row["review_note"],
    }


def review_queue(db: sqlite3.Connection, include_decided: bool = False) -> list[dict]:
    """The tickets waiting for a decision (and, on request, those decided), oldest first."""
    where, args = (("review IS NOT NULL", ()) if include_decided
                   else ("review = ?", (ReviewState.OPEN,)))
    rows = db.execute(f"SELECT * FROM bets WHERE {where} ORDER BY received_at, terminal_id, seq",
                      args)
    return [_item(row) for row in rows]


def decide(db: sqlite3.Connection, code: object, decision: object, amount_cents: object,
           now: datetime, note: object = None) -> dict:
    """Record the operator's decision on one ticket under review; changes nothing when refused."""
    try:
        ref = parse_ticket_code(code)
    except InvalidTicketCode:
        raise ReviewError(400, "invalid_ticket_code",
                          "not a valid ticket code (24 digits with a check digit)") from None
    row = db.execute("SELECT * FROM bets WHERE ticket = ?", (ref.code,)).fetchone()
    if row is None:
        raise ReviewError(404, "unknown_ticket", "no such ticket")
    if row["review"] is None:
        raise ReviewError(409, "not_under_review", "this ticket is not waiting for a review")
    if row["review"] != ReviewState.OPEN:
        raise ReviewError(409, "already_decided",
                          f"this ticket was already decided ({row['review']}, "
                          f"{row['reviewed_at']})")
    if decision not in DECISIONS:
        raise ReviewError(400, "bad_decision", 'decision must be "refund" or "void"')
    decision = ReviewState(decision)
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise ReviewError(400, "bad_note", f"note must be a string of at most {MAX_NOTE} characters")
    ceiling = row["review_max_cents"] or 0
    if decision == ReviewState.REFUND:
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
                or not 0 < amount_cents <= ceiling:
            raise ReviewError(400, "bad_amount",
                              f"amount_cents must be an integer from 1 to {ceiling} "
                              "(the claimed total, capped by the offline ceiling)")
        owed = amount_cents
    else:
        if amount_cents not in (None, 0) or isinstance(amount_cents, bool):
            raise ReviewError(400, "bad_amount", "a void decision takes no amount")
        owed = 0
    db.execute("UPDATE bets SET review = ?, refund_cents = ?, reviewed_at = ?, review_note = ? "
               "WHERE uuid = ? AND review = ?",
               (decision, owed, iso_utc(now), note, row["uuid"], ReviewState.OPEN))
    return _item(db.execute("SELECT * FROM bets WHERE uuid = ?", (row["uuid"],)).fetchone())
