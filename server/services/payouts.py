"""What a ticket is worth, paying it once, cancelling it in time.

The server's record decides, never the paper: a code is checked (form, check
digit, MAC under the issuing terminal's key) before anything is looked up.
A refused offline bet is worth what the server decided it owes
(`bets.refund_cents`), never the total the terminal claimed; one waiting for
the operator's review is worth nothing at a counter until decided.

Named `payouts`, not `tickets`, because `betting/tickets.py` means ticket codes
and the terminal has its own ticket desk.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from betting.errors import (
    AlreadyCancelled,
    AlreadyPaid,
    CancelWindowClosed,
    ClosedPool,
    NotCancellable,
    NotOfficial,
    NotPayable,
    PaymentUuidReused,
    ProtocolError,
    UnderReview,
    UnknownTicket,
    WrongTerminal,
)
from betting.catalogue import get_bet_type
from betting.payable import refunded_whole
from betting.pools import bet_payout
from betting.programme import iso_utc, parse_utc
from betting.states import BetStatus, RaceState, ReviewState, TicketValue
from betting.tickets import parse_ticket_code, verify_ticket_code

from . import chains
from .races import get_race
from ..records import Payment, StoredBet
from .settlement import bet_combinations, pool_result
from ..store import UnitOfWork

CANCEL_WINDOW = timedelta(minutes=10)

# A refused offline bet the operator must look at (server/services/review.py), and one
# the operator voided: nothing payable at a counter.
MESSAGES = {
    TicketValue.REVIEW: "Ticket à faire vérifier par le centre : ne payez rien, le client sera "
            "remboursé après contrôle.",
    TicketValue.VOID: "Ticket annulé par le centre après contrôle : rien à payer.",
}
# The server's own wording of refusals the terminal words in its own way (betting/errors.py).
UUID_REUSED = ("Identifiant de paiement déjà utilisé pour un autre ticket : "
               "paiement refusé, rien n'a été payé.")
NOT_OFFICIAL = "Résultat pas encore officiel : paiement impossible."
CHAIN_ALIVE = ("Report+ en cours : le ticket se paie une seule fois, quand sa dernière "
               "course est officielle ou la chaîne perdue.")
ALREADY_CANCELLED = "Ce ticket est déjà annulé."


def find_bet(uow: UnitOfWork, code: object) -> tuple[StoredBet, str]:
    """The bet behind a genuine ticket code, and the code in canonical form."""
    ref = parse_ticket_code(code)
    terminal = uow.terminals.get(ref.terminal_id)
    key = bytes.fromhex(terminal.key_hex) if terminal else None
    if key is None or not verify_ticket_code(ref, key):
        # Issued under the terminal's key before a rotation or a replacement: the
        # server's own record of that exact code (MAC included) vouches for it.
        earlier = uow.bets.by_ticket(ref.code) if terminal and terminal.key_changed_at else None
        if earlier is None or earlier.terminal_id != ref.terminal_id:
            raise UnknownTicket("Ticket inconnu : ce code n'a pas été émis.")
        return earlier, ref.code
    bet = uow.bets.by_seq(ref.terminal_id, ref.seq)
    if bet is None:
        raise UnknownTicket("Ticket inconnu du serveur central : le pari n'est jamais arrivé.")
    if bet.ticket != ref.code:
        # A bet refused online never had a ticket: a code computed for its
        # sequence number is worth nothing.
        raise UnknownTicket("Ticket inconnu : ce pari a été refusé, aucun ticket n'a été émis.")
    return bet, ref.code


def value(uow: UnitOfWork, bet: StoredBet, code: str) -> tuple[TicketValue, int]:
    """(status, amount in cents) of a bet as the server knows it now."""
    if bet.status == BetStatus.CANCELLED:
        return TicketValue.CANCELLED, 0
    paid = uow.payments.get(code)
    if paid is not None:
        return TicketValue.PAID, paid.amount_cents
    if bet.status == BetStatus.REJECTED:
        # A provisional ticket the server refused: what the server itself
        # decided it owes (its own price, or the operator's decision).
        if bet.review == ReviewState.OPEN:
            return TicketValue.REVIEW, 0
        if bet.review == ReviewState.VOID:
            return TicketValue.VOID, 0
        owed = bet.refund_cents or 0
        return (TicketValue.REFUND, owed) if owed > 0 else (TicketValue.VOID, 0)
    if bet.bet_type == chains.REPORT_PLUS:
        # A chain follows its legs, not its first race's result (server/services/chains.py).
        return chains.ticket_value(chains.load(uow, bet.uuid))
    stored = uow.results.get(bet.race_id)
    if stored is None or not stored.official:
        return TicketValue.PENDING, 0
    if stored.result.get("cancelled") is True:
        # The race was not run: every bet on it is owed back, including one that
        # committed while the cancellation was being settled and joined no pool.
        return TicketValue.REFUND, bet.total_cents
    pool = pool_result(uow, bet.race_id, bet.bet_type)
    if pool is None:
        return TicketValue.LOST, 0
    if not pool.void and refunded_whole(get_bet_type(bet.bet_type), bet.formula, bet.bases,
                                        bet.complement, pool.result.non_runners):
        return TicketValue.REFUND, bet.total_cents
    combinations = bet_combinations(bet.bet_type, bet.formula, bet.selections, bet.bases,
                                    bet.partners, bet.complement, pool.result.non_runners)
    payout = bet_payout(pool, combinations, bet.unit_stake_cents)
    if payout.amount_cents:
        return TicketValue.WON, payout.amount_cents + payout.refund_cents
    if payout.refund_cents:
        return TicketValue.REFUND, payout.refund_cents
    return TicketValue.LOST, 0


def inquire(uow: UnitOfWork, code: object) -> dict:
    bet, code = find_bet(uow, code)
    status, amount = value(uow, bet, code)
    answer = {"ticket": code, "status": status, "amount_cents": amount,
              "race": bet.race_id, "bet_type": bet.bet_type,
              "total_cents": bet.total_cents,
              # the bet as sold, so that a counter other than the one that sold it can
              # show the customer what the ticket plays (the code is the holder's proof)
              "formula": bet.formula, "selections": list(bet.selections),
              "bases": list(bet.bases), "complement": bet.complement,
              "unit_stake_cents": bet.unit_stake_cents}
    if status in MESSAGES:
        answer["message"] = MESSAGES[status]
    chain = chains.load(uow, bet.uuid) if bet.bet_type == chains.REPORT_PLUS else None
    if chain is not None:
        answer["chain"] = chain.to_dict()
    return answer


def _already_paid(done: Payment, payment_uuid: str, terminal_id: str) -> dict:
    """The same payment asked again (a lost ack) by the terminal that made it
    gets the same answer; anyone else learns only that the ticket is paid."""
    if done.payment_uuid == payment_uuid and done.terminal_id == terminal_id:
        return {"amount_cents": done.amount_cents, "paid_at": done.paid_at}
    raise AlreadyPaid(f"Ticket déjà payé le {done.paid_at[:16].replace('T', ' ')} UTC.")


def pay(uow: UnitOfWork, code: object, payment_uuid: object, terminal_id: str,
        now: datetime) -> dict:
    """Pay a ticket once: the store's unique ticket and payment uuid decide,
    so two counters paying the same ticket at once cannot both pay it."""
    if not isinstance(payment_uuid, str) or not 8 <= len(payment_uuid) <= 64 \
            or not payment_uuid.isprintable():  # PostgreSQL's text cannot even hold NUL
        raise ProtocolError("Identifiant de paiement manquant.")
    bet, code = find_bet(uow, code)
    done = uow.payments.get(code)
    if done is not None:
        return _already_paid(done, payment_uuid, terminal_id)
    if uow.payments.by_uuid(payment_uuid) is not None:
        raise PaymentUuidReused(UUID_REUSED)
    status, amount = value(uow, bet, code)
    if status == TicketValue.PENDING:
        raise NotOfficial(CHAIN_ALIVE if bet.bet_type == chains.REPORT_PLUS else NOT_OFFICIAL)
    if status == TicketValue.REVIEW:
        raise UnderReview(MESSAGES[TicketValue.REVIEW])
    if status == TicketValue.VOID:
        raise NotPayable(MESSAGES[TicketValue.VOID])
    if status in (TicketValue.LOST, TicketValue.CANCELLED) or amount <= 0:
        raise NotPayable()
    stored, new = uow.payments.add_once(Payment(code, payment_uuid, terminal_id, amount,
                                                iso_utc(now)))
    if not new:  # another counter paid it (or used this payment uuid) just now
        if stored.ticket != code:
            raise PaymentUuidReused(UUID_REUSED)
        return _already_paid(stored, payment_uuid, terminal_id)
    return {"amount_cents": amount, "paid_at": stored.paid_at}


def cancel(uow: UnitOfWork, code: object, terminal_id: str, now: datetime) -> dict:
    bet, _ = find_bet(uow, code)
    if bet.status == BetStatus.CANCELLED:
        raise AlreadyCancelled(ALREADY_CANCELLED)
    if bet.status != BetStatus.ACCEPTED:
        raise NotCancellable()
    if bet.terminal_id != terminal_id:
        raise WrongTerminal()
    record = get_race(uow, bet.race_id)
    if record is None or record.state_at(now) != RaceState.OPEN:
        raise ClosedPool("Les paris sont fermés : annulation impossible.")
    if now - parse_utc(bet.received_at) > CANCEL_WINDOW:
        minutes = int(CANCEL_WINDOW.total_seconds() // 60)
        raise CancelWindowClosed(
            f"Annulation possible seulement dans les {minutes} minutes après la vente.")
    if not uow.bets.cancel(bet.uuid, now):
        raise AlreadyCancelled(ALREADY_CANCELLED)
    # A Report+'s stake was counted in its first leg's Simple pool; a cancelled chain's
    # legs are no longer any pool's stakes (settlement reads accepted chains only).
    pool = chains.first_pool(uow, bet.uuid) if bet.bet_type == chains.REPORT_PLUS else None
    race_id, bet_type = pool or (bet.race_id, bet.bet_type)
    uow.pools.remove(race_id, bet_type, bet.total_cents)
    return {"refund_cents": bet.total_cents}
