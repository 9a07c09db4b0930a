"""Selling one bet, whatever asked for it (the htmx UI or the JSON API).

Validate and price it against the cached race card, decide online or
offline, write it to the outbox (durable), hand it to the sync client, wait
a moment for the server's answer, and print the ticket once it is accepted.
Nothing is printed for a bet the server has not accepted.
"""
from __future__ import annotations

import threading

from betting.bets import BetRequest, PricedBet, make_request, price_bet
from betting.errors import BettingError, ClosedPool, TerminalDisabled, UnknownRace
from betting.programme import Race
from betting.states import UNANSWERED, OutboxState, RaceState, SaleStatus
from betting.tickets import make_ticket_code

from ..adapters.shop_devices import Devices
from ..adapters.link import Link
from .offline_rule import OfflineRefused, check_offline_sale
from ..adapters.outbox import Outbox, printable
from .print_jobs import TicketPrinter
from ..adapters.race_card import Programme
from ..adapters.settings import Settings

ANSWER_WAIT_S = 8.0


class NotEnrolled(BettingError):
    code = "not_enrolled"
    default_message = "Ce terminal n'est pas encore enrôlé : ouvrez la page Installation."


class UnknownPayment(BettingError):
    code = "unknown_payment"
    default_message = "Moyen de paiement inconnu : espèces (cash) ou carte (card)."


class Sales:
    def __init__(self, settings: Settings, programme: Programme, outbox: Outbox, link: Link,
                 printer: TicketPrinter, devices: Devices) -> None:
        self._settings, self._programme, self._outbox = settings, programme, outbox
        self._link, self._printer, self._devices = link, printer, devices
        self._offline_lock = threading.Lock()  # ceiling check and write, as one step

    def sell(self, data: dict) -> dict:
        """Raise BettingError for anything refused before the outbox; else the bet's state."""
        self._check_may_sell()
        request = make_request(data)
        payment = _payment(data)
        priced, race = self._price(request)
        if not self._link.online:
            bet = self._record_offline(priced, race, payment)
        else:
            bet = self._outbox.add(priced, payment=payment)
            bet = self._link.send(bet["uuid"], ANSWER_WAIT_S)
            if bet["status"] in UNANSWERED:
                bet = self._provisional_if_allowed(bet, race)
        return self._hand_over(bet, payment)

    def _check_may_sell(self) -> None:
        if not self._settings.enrolled:
            raise NotEnrolled()
        if self._link.disabled:
            raise TerminalDisabled()

    def _price(self, request: BetRequest) -> tuple[PricedBet, Race]:
        """The bet priced on the cached card of its race, which must be open."""
        cached = self._programme.race(request.race)
        if cached is None:
            raise UnknownRace(f"Course inconnue : {request.race[:40]}.")
        race, state = cached
        if state != RaceState.OPEN:
            raise ClosedPool(f"Les paris sont fermés pour {race.race_id}.")
        return price_bet(request, race), race

    def _record_offline(self, priced: PricedBet, race: Race, payment: str = "cash") -> dict:
        """The line is down: sell under the server's offline policy, provisional ticket."""
        with self._offline_lock:
            self._check_offline(race, priced.total_cents)
            return self._outbox.add(priced, offline=True, ticket_code=self._ticket_code,
                                    payment=payment)

    def _provisional_if_allowed(self, bet: dict, race: Race) -> dict:
        """Sent, but no answer in time: a provisional ticket if the offline policy
        allows it, else the bet waits in the outbox (the UI says so)."""
        with self._offline_lock:
            try:
                self._check_offline(race, 0)
            except OfflineRefused:
                return bet
            return self._outbox.make_provisional(bet["uuid"], self._ticket_code(bet["seq"]))

    def _check_offline(self, race: Race, total_cents: int) -> None:
        check_offline_sale(self._link.policy, race, self._link.server_now(),
                           self._outbox.counts()["provisional_cents"], total_cents)

    def _ticket_code(self, seq: int) -> str:
        return make_ticket_code(self._settings.get("terminal_id"), seq, self._settings.key)

    def _hand_over(self, bet: dict, payment: str) -> dict:
        """Print the ticket of a sold bet and open the till for cash."""
        if printable(bet):
            bet = self._printer.print_bet(bet["uuid"])
            if payment == "cash":
                self._devices.kick_drawer("cash sale")
        return bet


def _payment(data: object) -> str:
    payment = data.get("payment", "cash") if isinstance(data, dict) else "cash"
    if payment not in ("cash", "card"):
        raise UnknownPayment()
    return payment


def bet_view(bet: dict) -> dict:
    """The public shape of a bet for the JSON API; `status` is a `SaleStatus`
    (an unanswered outbox entry is `provisional` or `pending`)."""
    status = bet["status"]
    message = bet["message"]
    refused_offline = bool(bet["offline"]) and status == OutboxState.REJECTED
    # Only a provisional bet that arrived after the off is refunded at the
    # counter; any other refusal of a provisional ticket is the centre's to review.
    refund_due = refused_offline and bet["reason"] == "pool_closed"
    if status in UNANSWERED:
        status = SaleStatus.PROVISIONAL if bet["offline"] else SaleStatus.PENDING
        message = ("Pari vendu hors ligne : ticket provisoire, confirmation au retour de la "
                   "connexion." if bet["offline"] else
                   "En attente de la réponse du serveur central.")
    elif refund_due:
        message = (f"Pari provisoire refusé par le serveur central ({bet['message'] or bet['reason']}) : "
                   "rembourser la mise au client.")
    elif refused_offline:
        message = (f"Pari provisoire refusé par le serveur central ({bet['message'] or bet['reason']}) : "
                   "ticket à faire vérifier par le centre, ne remboursez pas sans son accord.")
    return {
        "uuid": bet["uuid"], "seq": bet["seq"], "status": SaleStatus(status),
        "ticket": bet["ticket"], "race": bet["race"], "bet_type": bet["bet_type"],
        "formula": bet["formula"], "selections": bet["selections"], "bases": bet["bases"],
        "complement": bet.get("complement"), "payment": bet.get("payment", "cash"),
        "unit_stake_cents": bet["unit_stake_cents"], "total_cents": bet["total_cents"],
        "combinations": bet["combinations"], "offline": bet["offline"],
        "reason": bet["reason"], "message": message, "refund_due": refund_due,
        "printed": bool(bet["printed_at"]), "print_error": bet["print_error"],
        "created_at": bet["created_at"],
        "held": printable(bet) and not bet["printed_at"] and not bet.get("cancelled_at"),
        "cancelled": bool(bet.get("cancelled_at")),
    }
