"""The terminal's journal of print jobs and ticket operations (tables of migration 2).

`prints`: one row per attempt to print a ticket, its `PrintState` written
before the bytes go out and updated after, so a terminal that stopped in the
middle of a job knows it on restart. A retry
of the original ticket keeps its job id; a reprint has its own.

`ticket_ops`: every payment and cancellation asked of the server. A payment
that got no answer is asked again with the same `payment_uuid`, which the
server answers with the first result: a lost answer never pays twice.
"""
from __future__ import annotations

import uuid as uuidlib

from betting.programme import iso_utc
from betting.states import UNANSWERED, OpResult, OutboxState, PrintState

from .store import TerminalStore, utcnow

ORIGINAL, REPRINT = "original", "reprint"


def assign_job(store: TerminalStore, bet_uuid: str) -> str:
    """The bet's original job id, chosen once and stored before anything is printed."""
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET print_job_id = ? WHERE uuid = ? AND print_job_id IS NULL",
                     (str(uuidlib.uuid4()), bet_uuid))
        return conn.execute("SELECT print_job_id FROM outbox WHERE uuid = ?",
                            (bet_uuid,)).fetchone()[0]


def start_print(store: TerminalStore, bet_uuid: str, job_id: str, kind: str) -> int:
    with store.transaction() as conn:
        cur = conn.execute("INSERT INTO prints (job_id, bet_uuid, kind, at, result) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (job_id, bet_uuid, kind, iso_utc(utcnow()), PrintState.SENDING))
        return cur.lastrowid


def finish_print(store: TerminalStore, row_id: int, error_code: str | None = None,
                 error: str | None = None) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE prints SET result = ?, error_code = ?, error = ? WHERE id = ?",
                     (PrintState.FAILED if error else PrintState.PRINTED, error_code, error,
                      row_id))


def prints_for(store: TerminalStore, bet_uuid: str) -> list[dict]:
    rows = store.db.execute("SELECT job_id, kind, at, result, error_code, error FROM prints "
                            "WHERE bet_uuid = ? ORDER BY id", [bet_uuid]).fetchall()
    keys = ("job_id", "kind", "at", "result", "error_code", "error")
    return [dict(zip(keys, row)) for row in rows]


def last_attempt(store: TerminalStore, bet_uuid: str) -> dict | None:
    attempts = [p for p in prints_for(store, bet_uuid) if p["kind"] == ORIGINAL]
    return attempts[-1] if attempts else None


def held_bets(store: TerminalStore, limit: int = 20) -> list[dict]:
    """Sales with a ticket due (accepted, or provisional offline) that is not printed
    and that were not cancelled."""
    rows = store.db.execute(
        "SELECT uuid FROM outbox WHERE (status = ? OR (offline = 1 AND ticket IS NOT NULL "
        "AND status IN (?, ?))) AND printed_at IS NULL AND cancelled_at IS NULL "
        "ORDER BY seq DESC LIMIT ?", [OutboxState.ACCEPTED, *UNANSWERED, limit]).fetchall()
    return [store.bet(r[0]) for r in rows]


def mark_cancelled(store: TerminalStore, ticket: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET cancelled_at = ? WHERE ticket = ? AND cancelled_at IS NULL",
                     (iso_utc(utcnow()), ticket))


def open_op(store: TerminalStore, op: str, ticket: str) -> dict:
    """A new row for a payment or cancellation; a payment left without an answer keeps
    its payment_uuid."""
    with store.transaction() as conn:
        payment_uuid = None
        if op == "pay":
            last = conn.execute("SELECT payment_uuid, result FROM ticket_ops WHERE op = 'pay' "
                                "AND ticket = ? ORDER BY id DESC LIMIT 1", (ticket,)).fetchone()
            no_answer_yet = last and last[1] in (None, OpResult.NO_ANSWER)
            payment_uuid = last[0] if no_answer_yet else str(uuidlib.uuid4())
        cur = conn.execute("INSERT INTO ticket_ops (op, ticket, payment_uuid, requested_at) "
                           "VALUES (?, ?, ?, ?)", (op, ticket, payment_uuid, iso_utc(utcnow())))
        return {"id": cur.lastrowid, "payment_uuid": payment_uuid}


def close_op(store: TerminalStore, op_id: int, result: OpResult, amount_cents: int | None = None,
             error: str | None = None, message: str | None = None) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE ticket_ops SET answered_at = ?, result = ?, amount_cents = ?, "
                     "error = ?, message = ? WHERE id = ?",
                     (iso_utc(utcnow()), result, amount_cents, error, message, op_id))


def ops_for(store: TerminalStore, ticket: str) -> list[dict]:
    rows = store.db.execute("SELECT op, payment_uuid, requested_at, result, amount_cents, error "
                            "FROM ticket_ops WHERE ticket = ? ORDER BY id", [ticket]).fetchall()
    keys = ("op", "payment_uuid", "requested_at", "result", "amount_cents", "error")
    return [dict(zip(keys, row)) for row in rows]
