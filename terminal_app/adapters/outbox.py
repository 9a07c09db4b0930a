"""The outbox: every bet, durable before anything else happens to it.

`Outbox` alone reads and writes the `outbox` and `outbox_attempts` tables,
on the terminal's `Database` (terminal_app/adapters/database.py). Entry states are
`OutboxState` (betting/states.py); a corrupt entry is set aside and the server
sees its sequence number missing. docs/offline.md tells more.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid as uuidlib
from contextlib import contextmanager
from typing import Callable, Iterator

from betting.bets import PricedBet
from betting.errors import BettingError
from betting.protocol import parse_wire_bet
from betting.states import UNANSWERED, OutboxState

from .database import Database, now_iso

log = logging.getLogger("guichet.terminal.outbox")


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


class Outbox:
    """Every bet sold here, in sequence order, and every send of it."""

    def __init__(self, database: Database, first_seq: Callable[[], int] | None = None) -> None:
        self._db = database
        self._sale_lock = threading.Lock()  # one sequence number per bet
        self._first_seq = first_seq or (lambda: 1)

    def add(self, priced: PricedBet, offline: bool = False,
            ticket_code: Callable[[int], str] | None = None, payment: str = "cash",
            basket: str | None = None, clerk: str | None = None) -> dict:
        """Write the bet durably with the next sequence number; nothing happens before this.

        An offline bet gets its provisional ticket code here, in the same
        transaction (`ticket_code(seq)`), so its paper and its row agree."""
        return self.add_many([priced], offline, ticket_code, payment, basket, clerk)[0]

    def add_many(self, priced: list[PricedBet], offline: bool = False,
                 ticket_code: Callable[[int], str] | None = None, payment: str = "cash",
                 basket: str | None = None, clerk: str | None = None) -> list[dict]:
        """Write several bets of one customer in one transaction, with consecutive
        sequence numbers in the order given: all of them are durable, or none."""
        entries = []
        with self._sale_lock, _storage_errors():
            with self._db.transaction() as conn:
                # A replacement terminal continues the sequence the server holds for
                # its id (`first_seq`, given at enrolment), never reusing a number.
                first = conn.execute("SELECT MAX(COALESCE(MAX(seq), 0) + 1, ?) FROM outbox",
                                     (self._first_seq(),)).fetchone()[0]
                for seq, one in enumerate(priced, start=first):
                    r = one.request
                    entry = {
                        "uuid": str(uuidlib.uuid4()), "seq": seq, "created_at": now_iso(),
                        "race": r.race, "bet_type": r.bet_type, "formula": r.formula,
                        "selections": json.dumps(list(r.selections)),
                        "bases": json.dumps(list(r.bases)),
                        "unit_stake_cents": r.unit_stake_cents, "total_cents": one.total_cents,
                        "combinations": one.combinations, "offline": int(offline),
                        "complement": r.complement, "payment": payment, "basket": basket,
                        "legs": json.dumps([leg.to_dict() for leg in r.legs])
                        if r.legs else None,
                        "clerk": clerk,
                        "status": OutboxState.PENDING,
                        "ticket": ticket_code(seq) if ticket_code else None,
                    }
                    cols = ", ".join(entry)
                    conn.execute(f"INSERT INTO outbox ({cols}) VALUES "
                                 f"({', '.join('?' * len(entry))})", tuple(entry.values()))
                    entries.append(entry)
        return [self.bet(e["uuid"]) for e in entries]

    def make_provisional(self, uuid: str, ticket: str) -> dict | None:
        """The server did not answer in time: the bet becomes an offline sale
        with its provisional ticket (the server gives the same code later)."""
        self._db.write("UPDATE outbox SET offline = 1, ticket = ? WHERE uuid = ? AND status IN (?, ?)",
                    (ticket, uuid, *UNANSWERED))
        return self.bet(uuid)

    def bet(self, uuid: str) -> dict | None:
        rows = list(self._db.db["outbox"].rows_where("uuid = ?", [uuid]))
        return _decode(rows[0]) if rows else None

    def pending(self, limit: int = 200) -> list[dict]:
        """Unanswered entries in sequence order; an unreadable one is set aside."""
        out = []
        for row in self._db.db["outbox"].rows_where("status IN (?, ?)", list(UNANSWERED),
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
        with self._db.transaction() as conn:
            conn.execute("UPDATE outbox SET status = ?, message = ? WHERE rowid = "
                         "(SELECT rowid FROM outbox WHERE seq = ?)",
                         (OutboxState.CORRUPT, f"Entrée illisible : {str(exc)[:120]}",
                          row.get("seq")))
            conn.execute("INSERT INTO outbox_attempts (uuid, at, outcome, detail) "
                         "VALUES (?, ?, ?, ?)", (str(row.get("uuid")), now_iso(),
                                                 OutboxState.CORRUPT, str(exc)[:200]))

    def queue_depth(self) -> int:
        return self._db.db.execute("SELECT COUNT(*) FROM outbox WHERE status IN (?, ?)",
                               list(UNANSWERED)).fetchone()[0]

    def provisional_count(self) -> int:
        """Offline bets not answered yet (read through the status index: every heartbeat)."""
        return self._db.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE status IN (?, ?) AND offline = 1",
            list(UNANSWERED)).fetchone()[0]

    def counts(self) -> dict:
        """Provisional bets (offline, unanswered) and their stakes, refunds due
        (offline bets the server rejected), unreadable entries."""
        row = self._db.db.execute(
            """SELECT
                 COALESCE(SUM(offline = 1 AND status IN (?, ?)), 0),
                 COALESCE(SUM(CASE WHEN offline = 1 AND status IN (?, ?)
                                   THEN total_cents END), 0),
                 COALESCE(SUM(offline = 1 AND status = ?), 0),
                 COALESCE(SUM(status = ?), 0)
               FROM outbox""", [*UNANSWERED, *UNANSWERED, OutboxState.REJECTED,
                                OutboxState.CORRUPT]).fetchone()
        return {"provisional": row[0], "provisional_cents": row[1], "refunds_due": row[2],
                "corrupt": row[3]}

    def mark_attempt(self, uuids: list[str]) -> None:
        now = now_iso()
        with self._db.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                "status = CASE status WHEN ? THEN ? ELSE status END WHERE uuid = ?",
                [(now, OutboxState.PENDING, OutboxState.SENT, u) for u in uuids])
            conn.executemany("INSERT INTO outbox_attempts (uuid, at, outcome) VALUES (?, ?, ?)",
                             [(u, now, OutboxState.SENT) for u in uuids])

    def record_failure(self, uuids: list[str], outcome: str, detail: str) -> None:
        """A send that got no usable answer; the entries stay unanswered and go again."""
        now = now_iso()
        with self._db.transaction() as conn:
            conn.executemany("INSERT INTO outbox_attempts (uuid, at, outcome, detail) "
                             "VALUES (?, ?, ?, ?)", [(u, now, outcome, detail[:200]) for u in uuids])

    def attempts(self, uuid: str) -> list[dict]:
        return [dict(r) for r in self._db.db["outbox_attempts"].rows_where(
            "uuid = ?", [uuid], order_by="id")]

    def record_answers(self, answers: list[dict]) -> None:
        """Store the server's answers; a bet leaves `pending`/`sent` only here."""
        now = now_iso()
        with self._db.transaction() as conn:
            for a in answers:
                status = OutboxState.from_answer(a["status"])
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
            self._db.write("UPDATE outbox SET print_job_id = ?, print_error = ? WHERE uuid = ?",
                        (job_id, error, uuid))
        else:
            self._db.write("UPDATE outbox SET print_job_id = ?, printed_at = ?, print_error = NULL "
                        "WHERE uuid = ?", (job_id, now_iso(), uuid))

    def assign_job(self, uuid: str) -> str:
        """The bet's original print job id, chosen once and stored before anything is
        printed: every retry of the original uses it (terminal_app/services/print_jobs.py)."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE outbox SET print_job_id = ? WHERE uuid = ? "
                         "AND print_job_id IS NULL", (str(uuidlib.uuid4()), uuid))
            return conn.execute("SELECT print_job_id FROM outbox WHERE uuid = ?",
                                (uuid,)).fetchone()[0]

    def mark_cancelled(self, ticket: str) -> None:
        self._db.write("UPDATE outbox SET cancelled_at = ? WHERE ticket = ? "
                       "AND cancelled_at IS NULL", (now_iso(), ticket))

    def held(self, limit: int = 20) -> list[dict]:
        """Sales with a ticket due (accepted, or provisional offline) that is not printed
        and that were not cancelled."""
        rows = self._db.query(
            "SELECT uuid FROM outbox WHERE (status = ? OR (offline = 1 AND ticket IS NOT NULL "
            "AND status IN (?, ?))) AND printed_at IS NULL AND cancelled_at IS NULL "
            "ORDER BY seq DESC LIMIT ?", [OutboxState.ACCEPTED, *UNANSWERED, limit])
        return [self.bet(r[0]) for r in rows]

    def uuid_for_ticket(self, ticket: str) -> str | None:
        """The bet sold here with this ticket code, if any."""
        rows = self._db.query("SELECT uuid FROM outbox WHERE ticket = ?", [ticket])
        return rows[0][0] if rows else None

    def recent(self, limit: int = 10) -> list[dict]:
        return [_decode(r) for r in self._db.db["outbox"].rows_where(
            order_by="seq desc", limit=limit)]

    def sold_between(self, start: str, end: str, ticket_digits: str | None = None,
                     race: str | None = None, limit: int | None = None) -> list[dict]:
        """Bets written from `start` (included) to `end` (excluded), ISO UTC strings as
        stored, newest first; `ticket_digits` a run of digits of the ticket code,
        `race` a race id or its end after the date (`R1C4`)."""
        where, params = ["created_at >= ?", "created_at < ?"], [start, end]
        if ticket_digits:
            where.append("instr(ticket, ?) > 0")
            params.append(ticket_digits)
        if race:
            where.append("(race = ? OR race LIKE ? ESCAPE '\\')")
            params += [race, "%/" + race.replace("\\", "\\\\").replace("%", "\\%")
                       .replace("_", "\\_")]
        return [_decode(r) for r in self._db.db["outbox"].rows_where(
            " AND ".join(where), params, order_by="created_at desc, seq desc", limit=limit)]


def printable(bet: dict) -> bool:
    """Accepted, or sold offline and not yet answered (a provisional ticket)."""
    return bet["status"] == OutboxState.ACCEPTED or (
        bool(bet["offline"]) and bet["status"] in UNANSWERED and bool(bet["ticket"]))


def wire_bet(entry: dict) -> dict:
    """An outbox entry as the `place_bets` message carries it (`complement` only
    when the bet names one, `legs` only for a Report+)."""
    wire = {
        "uuid": entry["uuid"], "seq": entry["seq"], "placed_at": entry["created_at"],
        "race": entry["race"], "bet_type": entry["bet_type"], "formula": entry["formula"],
        "selections": entry["selections"], "bases": entry["bases"],
        "unit_stake_cents": entry["unit_stake_cents"], "total_cents": entry["total_cents"],
        "offline": entry["offline"],
    }
    if entry.get("complement") is not None:
        wire["complement"] = entry["complement"]
    if entry.get("legs") is not None:
        wire["legs"] = entry["legs"]
    return wire


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
    # a Report+'s legs ([] when its column cannot be read: the entry is then set
    # aside as unreadable by `pending`, and the lists still show it)
    out["legs"] = None if row.get("legs") is None else (_json_list(row["legs"]) or [])
    out["offline"] = bool(row["offline"])
    return out
