"""The terminal's journals of print jobs (`prints`) and ticket operations (`ticket_ops`).

`PrintJournal`: one row per attempt to print a ticket, its `PrintState`
written before the bytes go out and updated after, so a terminal that stopped
in the middle of a job knows it on restart. A retry of the original ticket
keeps its job id; a reprint has its own.

`TicketOps`: every payment and cancellation asked of the server. A payment
that got no answer is asked again with the same `payment_uuid`, which the
server answers with the first result: a lost answer never pays twice.
"""
from __future__ import annotations

import uuid as uuidlib

from betting.states import OpResult, PrintState

from .database import Database, now_iso

ORIGINAL, REPRINT = "original", "reprint"


class PrintJournal:
    def __init__(self, database: Database) -> None:
        self._db = database

    def start(self, bet_uuid: str, job_id: str, kind: str) -> int:
        """The row of an attempt, written `sending` before anything reaches the printer."""
        return self._db.write("INSERT INTO prints (job_id, bet_uuid, kind, at, result) "
                              "VALUES (?, ?, ?, ?, ?)",
                              (job_id, bet_uuid, kind, now_iso(), PrintState.SENDING))

    def finish(self, row_id: int, error_code: str | None = None,
               error: str | None = None) -> None:
        self._db.write("UPDATE prints SET result = ?, error_code = ?, error = ? WHERE id = ?",
                       (PrintState.FAILED if error else PrintState.PRINTED, error_code, error,
                        row_id))

    def for_bet(self, bet_uuid: str) -> list[dict]:
        rows = self._db.query("SELECT job_id, kind, at, result, error_code, error FROM prints "
                              "WHERE bet_uuid = ? ORDER BY id", [bet_uuid])
        keys = ("job_id", "kind", "at", "result", "error_code", "error")
        return [dict(zip(keys, row)) for row in rows]

    def last_original(self, bet_uuid: str) -> dict | None:
        attempts = [p for p in self.for_bet(bet_uuid) if p["kind"] == ORIGINAL]
        return attempts[-1] if attempts else None


class TicketOps:
    def __init__(self, database: Database) -> None:
        self._db = database

    def open(self, op: str, ticket: str) -> dict:
        """A new row for a payment or cancellation; a payment left without an answer
        keeps its payment_uuid."""
        with self._db.transaction() as conn:
            payment_uuid = None
            if op == "pay":
                last = conn.execute("SELECT payment_uuid, result FROM ticket_ops WHERE op = 'pay' "
                                    "AND ticket = ? ORDER BY id DESC LIMIT 1", (ticket,)).fetchone()
                no_answer_yet = last and last[1] in (None, OpResult.NO_ANSWER)
                payment_uuid = last[0] if no_answer_yet else str(uuidlib.uuid4())
            cur = conn.execute("INSERT INTO ticket_ops (op, ticket, payment_uuid, requested_at) "
                               "VALUES (?, ?, ?, ?)", (op, ticket, payment_uuid, now_iso()))
            return {"id": cur.lastrowid, "payment_uuid": payment_uuid}

    def for_ticket(self, ticket: str) -> list[dict]:
        """What was asked about this ticket from here, oldest first."""
        rows = self._db.query("SELECT op, payment_uuid, requested_at, result, amount_cents, "
                              "error FROM ticket_ops WHERE ticket = ? ORDER BY id", [ticket])
        keys = ("op", "payment_uuid", "requested_at", "result", "amount_cents", "error")
        return [dict(zip(keys, row)) for row in rows]

    def close(self, op_id: int, result: OpResult, amount_cents: int | None = None,
              error: str | None = None, message: str | None = None) -> None:
        self._db.write("UPDATE ticket_ops SET answered_at = ?, result = ?, amount_cents = ?, "
                       "error = ?, message = ? WHERE id = ?",
                       (now_iso(), result, amount_cents, error, message, op_id))
