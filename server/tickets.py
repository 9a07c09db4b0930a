"""What a ticket is worth, paying it once, cancelling it in time.

The server's record decides, never the paper: a code is checked (form, check
digit, MAC under the issuing terminal's key) before anything is looked up.
A refused offline bet is worth what the server decided it owes
(`bets.refund_cents`), never the total the terminal claimed; one waiting for
the operator's review is worth nothing at a counter until decided.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from betting.errors import InvalidTicketCode
from betting.pools import bet_payout
from betting.programme import iso_utc, parse_utc
from betting.states import BetStatus, RaceState, ReviewState, TicketValue
from betting.tickets import parse_ticket_code, verify_ticket_code

from .races import get_race
from .settlement import bet_combinations, is_official, pool_result

CANCEL_WINDOW = timedelta(minutes=10)

# A refused offline bet the operator must look at (server/review.py), and one
# the operator voided: nothing payable at a counter.
MESSAGES = {
    TicketValue.REVIEW: "Ticket à faire vérifier par le centre : ne payez rien, le client sera "
            "remboursé après contrôle.",
    TicketValue.VOID: "Ticket annulé par le centre après contrôle : rien à payer.",
}


class TicketError(Exception):
    """A refusal with an English code and a French message for the shopkeeper."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def find_bet(db: sqlite3.Connection, code: object) -> tuple[sqlite3.Row, str]:
    """The bet behind a genuine ticket code, and the code in canonical form."""
    try:
        ref = parse_ticket_code(code)
    except InvalidTicketCode as exc:
        raise TicketError(exc.code, exc.message) from None
    row = db.execute("SELECT key_hex FROM terminals WHERE terminal_id = ?",
                     (ref.terminal_id,)).fetchone()
    key = bytes.fromhex(row["key_hex"]) if row else None
    if key is None or not verify_ticket_code(ref, key):
        raise TicketError("unknown_ticket", "Ticket inconnu : ce code n'a pas été émis.")
    bet = db.execute("SELECT * FROM bets WHERE terminal_id = ? AND seq = ?",
                     (ref.terminal_id, ref.seq)).fetchone()
    if bet is None:
        raise TicketError("unknown_ticket",
                          "Ticket inconnu du serveur central : le pari n'est jamais arrivé.")
    if bet["ticket"] != ref.code:
        # A bet refused online never had a ticket: a code computed for its
        # sequence number is worth nothing.
        raise TicketError("unknown_ticket",
                          "Ticket inconnu : ce pari a été refusé, aucun ticket n'a été émis.")
    return bet, ref.code


def value(db: sqlite3.Connection, bet: sqlite3.Row, code: str) -> tuple[TicketValue, int]:
    """(status, amount in cents) of a bet as the server knows it now."""
    if bet["status"] == BetStatus.CANCELLED:
        return TicketValue.CANCELLED, 0
    paid = db.execute("SELECT amount_cents FROM payments WHERE ticket = ?", (code,)).fetchone()
    if paid is not None:
        return TicketValue.PAID, paid["amount_cents"]
    if bet["status"] == BetStatus.REJECTED:
        # A provisional ticket the server refused: what the server itself
        # decided it owes (its own price, or the operator's decision).
        if bet["review"] == ReviewState.OPEN:
            return TicketValue.REVIEW, 0
        if bet["review"] == ReviewState.VOID:
            return TicketValue.VOID, 0
        owed = bet["refund_cents"] or 0
        return (TicketValue.REFUND, owed) if owed > 0 else (TicketValue.VOID, 0)
    if not is_official(db, bet["race_id"]):
        return TicketValue.PENDING, 0
    pool = pool_result(db, bet["race_id"], bet["bet_type"])
    if pool is None:
        return TicketValue.LOST, 0
    payout = bet_payout(pool, bet_combinations(bet), bet["unit_stake_cents"])
    if payout.amount_cents:
        return TicketValue.WON, payout.amount_cents + payout.refund_cents
    if payout.refund_cents:
        return TicketValue.REFUND, payout.refund_cents
    return TicketValue.LOST, 0


def inquire(db: sqlite3.Connection, code: object) -> dict:
    bet, code = find_bet(db, code)
    status, amount = value(db, bet, code)
    answer = {"ticket": code, "status": status, "amount_cents": amount,
              "race": bet["race_id"], "bet_type": bet["bet_type"],
              "total_cents": bet["total_cents"]}
    if status in MESSAGES:
        answer["message"] = MESSAGES[status]
    return answer


def pay(db: sqlite3.Connection, code: object, payment_uuid: object, terminal_id: str,
        now: datetime) -> dict:
    if not isinstance(payment_uuid, str) or not 8 <= len(payment_uuid) <= 64:
        raise TicketError("bad_request", "Identifiant de paiement manquant.")
    bet, code = find_bet(db, code)
    done = db.execute("SELECT * FROM payments WHERE ticket = ?", (code,)).fetchone()
    if done is not None:
        # The same payment asked again (a lost ack) by the terminal that made
        # it; anyone else learns only that the ticket is paid.
        if done["payment_uuid"] == payment_uuid and done["terminal_id"] == terminal_id:
            return {"amount_cents": done["amount_cents"], "paid_at": done["paid_at"]}
        raise TicketError("already_paid",
                          f"Ticket déjà payé le {done['paid_at'][:16].replace('T', ' ')} UTC.")
    if db.execute("SELECT 1 FROM payments WHERE payment_uuid = ?",
                  (payment_uuid,)).fetchone() is not None:
        raise TicketError("payment_uuid_reused",
                          "Identifiant de paiement déjà utilisé pour un autre ticket : "
                          "paiement refusé, rien n'a été payé.")
    status, amount = value(db, bet, code)
    if status == TicketValue.PENDING:
        raise TicketError("not_official", "Résultat pas encore officiel : paiement impossible.")
    if status == TicketValue.REVIEW:
        raise TicketError("under_review", MESSAGES[TicketValue.REVIEW])
    if status == TicketValue.VOID:
        raise TicketError("not_payable", MESSAGES[TicketValue.VOID])
    if status in (TicketValue.LOST, TicketValue.CANCELLED) or amount <= 0:
        raise TicketError("not_payable", "Ce ticket n'est pas gagnant : rien à payer.")
    db.execute("INSERT INTO payments (ticket, payment_uuid, terminal_id, amount_cents, paid_at) "
               "VALUES (?, ?, ?, ?, ?)", (code, payment_uuid, terminal_id, amount,
                                         iso_utc(now)))
    return {"amount_cents": amount, "paid_at": iso_utc(now)}


def cancel(db: sqlite3.Connection, code: object, terminal_id: str, now: datetime) -> dict:
    bet, _ = find_bet(db, code)
    if bet["status"] == BetStatus.CANCELLED:
        raise TicketError("already_cancelled", "Ce ticket est déjà annulé.")
    if bet["status"] != BetStatus.ACCEPTED:
        raise TicketError("not_cancellable", "Ce pari n'a pas été accepté : rien à annuler.")
    if bet["terminal_id"] != terminal_id:
        raise TicketError("wrong_terminal", "Un ticket s'annule sur le terminal qui l'a vendu.")
    record = get_race(db, bet["race_id"])
    if record is None or record.state_at(now) != RaceState.OPEN:
        raise TicketError("pool_closed", "Les paris sont fermés : annulation impossible.")
    if now - parse_utc(bet["received_at"]) > CANCEL_WINDOW:
        minutes = int(CANCEL_WINDOW.total_seconds() // 60)
        raise TicketError("cancel_window_closed",
                          f"Annulation possible seulement dans les {minutes} minutes après la vente.")
    db.execute("UPDATE bets SET status = ?, cancelled_at = ? WHERE uuid = ?",
               (BetStatus.CANCELLED, iso_utc(now), bet["uuid"]))
    db.execute("UPDATE pools SET total_cents = total_cents - ?, bets = bets - 1 "
               "WHERE race_id = ? AND bet_type = ?",
               (bet["total_cents"], bet["race_id"], bet["bet_type"]))
    return {"refund_cents": bet["total_cents"]}
