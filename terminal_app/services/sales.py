"""Selling one bet, whatever asked for it (the htmx UI or the JSON API).

Validate and price it against the cached race card, decide online or
offline, write it to the outbox (durable), hand it to the sync client, wait
a moment for the server's answer, and print the ticket once it is accepted.
Nothing is printed for a bet the server has not accepted.

A basket is several bets of one customer, one payment: every line is priced
before any is written, all are written in one transaction and sent together,
and the customer sees all or nothing — a line the server refuses undoes the
lines it accepted (cancelled through the server, nothing printed).
"""
from __future__ import annotations

import threading
import time
import uuid as uuidlib

from betting.bets import BetRequest, PricedBet, make_request, price_bet
from betting.errors import BettingError, ClosedPool, ProtocolError, TerminalDisabled, UnknownRace
from betting.reports import REPORT_PLUS, price_chain
from betting.money import format_euros
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
from .ticket_desk import TicketDesk

ANSWER_WAIT_S = 8.0
# A later race of a Report+ in one of these states cannot take its leg any more.
CHAIN_SHUT = (RaceState.CLOSED, RaceState.REMOVED)


def takes_a_leg(state: str, first: bool) -> bool:
    """May a race in `state` be a Report+ leg: the first leg's race open (its stake
    joins that pool at the sale), a later one not shut (suspended may reopen)."""
    return state == RaceState.OPEN if first else state not in CHAIN_SHUT
MAX_BASKET_LINES = 20


class NotEnrolled(BettingError):
    code = "not_enrolled"
    default_message = "Ce terminal n'est pas encore enrôlé : ouvrez la page Installation."


class UnknownPayment(BettingError):
    code = "unknown_payment"
    default_message = "Moyen de paiement inconnu : espèces (cash) ou carte (card)."


class BasketLineRefused(BettingError):
    """One line of a basket refused before anything is written: the basket is."""

    def __init__(self, line: int, exc: BettingError) -> None:
        super().__init__(f"Pari {line} : {exc.message}")
        self.code, self.line = exc.code, line


class EmptyBasket(BettingError):
    code = "empty_basket"
    default_message = "Panier vide : ajoutez au moins un pari."


class BasketTooLarge(BettingError):
    code = "basket_too_large"
    default_message = (f"Un panier compte au plus {MAX_BASKET_LINES} paris : encaissez celui-ci "
                       "et commencez-en un autre.")


class ReportPlusOffline(BettingError):
    """A Report+ is sold online only: no provisional chain (docs/terminal-ui.md)."""

    code = "report_plus_offline"
    default_message = ("Le Report+ ne se vend qu'en ligne : le serveur central est injoignable. "
                       "Rien n'est enregistré ; réessayez dès le retour de la connexion.")


class ReportPlusInBasket(BettingError):
    code = "report_plus_in_basket"
    default_message = "Le Report+ se vend seul, pas dans un panier : validez-le à part."


class Sales:
    def __init__(self, settings: Settings, programme: Programme, outbox: Outbox, link: Link,
                 printer: TicketPrinter, devices: Devices,
                 tickets: TicketDesk | None = None) -> None:
        self._settings, self._programme, self._outbox = settings, programme, outbox
        self._link, self._printer, self._devices = link, printer, devices
        self._tickets = tickets  # undoes the accepted lines of a refused basket
        self._offline_lock = threading.Lock()  # ceiling check and write, as one step

    def quote(self, data: dict) -> dict:
        """What `sell` would charge for this bet, refused as `sell` would; writes nothing."""
        self._check_may_sell()
        request = make_request(data)
        _payment(data)
        self._check_chain_online(request)
        priced, _ = self._price(request)
        return {"combinations": priced.combinations, "total_cents": priced.total_cents,
                "unit_stake_cents": request.unit_stake_cents}

    def sell(self, data: dict, clerk: str | None = None) -> dict:
        """Raise BettingError for anything refused before the outbox; else the bet's state."""
        self._check_may_sell()
        request = make_request(data)
        payment = _payment(data)
        self._check_chain_online(request)
        priced, race = self._price(request)
        if not self._link.online:
            bet = self._record_offline(priced, race, payment, clerk)
        else:
            bet = self._outbox.add(priced, payment=payment, clerk=clerk)
            bet = self._link.send(bet["uuid"], ANSWER_WAIT_S) or bet
            # a Report+ left unanswered waits in the outbox: never a provisional chain
            if bet["status"] in UNANSWERED and request.bet_type != REPORT_PLUS:
                bet = self._provisional_if_allowed(bet, race)
        return self._hand_over(bet, payment)

    def _check_chain_online(self, request: BetRequest) -> None:
        if request.bet_type == REPORT_PLUS and not self._link.online:
            raise ReportPlusOffline()

    def sell_basket(self, requests: object, payment: object = "cash",
                    clerk: str | None = None) -> dict:
        """Several bets, one customer, one payment: all sold and printed, or none.

        Raises BettingError (naming the line) for anything refused before the
        outbox; else `{"basket", "status", "message", "total_cents", "due_cents",
        "bets": [outbox entries]}`, `status` being `accepted`, `provisional`
        (some lines sold offline), `pending` (no answer yet: nothing printed) or
        `rejected` (the server refused a line: the others are cancelled)."""
        self._check_may_sell()
        payment = _payment({"payment": payment})
        lines = self._price_basket(requests)
        priced = [p for p, _ in lines]
        races = [race for _, race in lines]
        basket = str(uuidlib.uuid4())
        if not self._link.online:
            bets = self._record_offline_basket(lines, payment, basket, clerk)
        else:
            bets = self._outbox.add_many(priced, payment=payment, basket=basket, clerk=clerk)
            bets = self._await_answers(bets)
            if any(b["status"] == OutboxState.REJECTED for b in bets):
                return self._undo_basket(basket, bets)
            bets = self._provisional_basket_if_allowed(bets, races)
        return self._hand_over_basket(basket, bets, payment)

    def _price_basket(self, requests: object) -> list[tuple[PricedBet, Race]]:
        if not isinstance(requests, list):
            raise ProtocolError("Champ bets invalide : une liste de paris est attendue.")
        if not requests:
            raise EmptyBasket()
        if len(requests) > MAX_BASKET_LINES:
            raise BasketTooLarge()
        lines = []
        for line, data in enumerate(requests, start=1):
            try:
                request = make_request(data)
                if request.bet_type == REPORT_PLUS:
                    raise ReportPlusInBasket()
                lines.append(self._price(request))
            except BettingError as exc:
                raise BasketLineRefused(line, exc) from None
        return lines

    def _record_offline_basket(self, lines: list[tuple[PricedBet, Race]], payment: str,
                               basket: str, clerk: str | None) -> list[dict]:
        """The line is down: every line within the margin, the whole basket within the
        ceiling, or nothing is sold."""
        with self._offline_lock:
            self._check_offline_basket([(race, p.total_cents) for p, race in lines])
            return self._outbox.add_many([p for p, _ in lines], offline=True,
                                         ticket_code=self._ticket_code, payment=payment,
                                         basket=basket, clerk=clerk)

    def _check_offline_basket(self, lines: list[tuple[Race, int]]) -> None:
        for line, (race, _) in enumerate(lines, start=1):
            try:
                self._check_offline(race, 0)
            except OfflineRefused as exc:
                raise BasketLineRefused(line, exc) from None
        total = sum(cents for _, cents in lines)
        try:
            self._check_offline(lines[0][0], total)
        except OfflineRefused as exc:
            raise type(exc)(f"Panier de {format_euros(total)} refusé en entier : "
                            f"{exc.message}") from None

    def _await_answers(self, bets: list[dict]) -> list[dict]:
        """The lines went to the sync client together; their answers, within one wait."""
        deadline = time.monotonic() + ANSWER_WAIT_S
        return [self._link.send(b["uuid"], max(0.0, deadline - time.monotonic())) or b
                for b in bets]

    def _provisional_basket_if_allowed(self, bets: list[dict], races: list[Race]) -> list[dict]:
        """Lines left without an answer become provisional tickets if the offline rule
        allows all of them; else they wait in the outbox and nothing is printed."""
        waiting = [(b, race) for b, race in zip(bets, races) if b["status"] in UNANSWERED]
        if not waiting:
            return bets
        with self._offline_lock:
            try:
                self._check_offline_basket([(race, b["total_cents"]) for b, race in waiting])
            except (OfflineRefused, BasketLineRefused):
                return bets
            made = {b["uuid"]: self._outbox.make_provisional(b["uuid"], self._ticket_code(b["seq"]))
                    for b, _ in waiting}
        return [made.get(b["uuid"]) or b for b in bets]

    def _undo_basket(self, basket: str, bets: list[dict]) -> dict:
        """The server refused a line: cancel the lines it accepted, print nothing."""
        refused, kept, waiting = [], [], []
        for line, bet in enumerate(bets, start=1):
            if bet["status"] == OutboxState.REJECTED:
                refused.append(f"pari {line} refusé par le serveur central "
                               f"({bet['message'] or bet['reason']})")
            elif bet["status"] == OutboxState.ACCEPTED and bet["ticket"]:
                try:
                    if self._tickets is None:
                        raise BettingError("annulation impossible sur ce terminal")
                    self._tickets.cancel(bet["ticket"], open_drawer=False)
                except BettingError as exc:
                    kept.append(f"le pari {line} reste accepté sans ticket ({exc.message}) : "
                                "annulez-le dans « Ventes sans ticket »")
            elif bet["status"] in UNANSWERED:
                waiting.append(f"le pari {line} attend la réponse du serveur central : "
                               "s'il est accepté, annulez-le dans « Ventes sans ticket »")
        message = (f"Panier refusé : {' ; '.join(refused)} ; aucun ticket imprimé, "
                   "rien à encaisser.")
        if kept or waiting:
            message += " Attention : " + " ; ".join(kept + waiting) + "."
        bets = [self._outbox.bet(b["uuid"]) or b for b in bets]
        return _basket(basket, SaleStatus.REJECTED, message, bets, due=False)

    def _hand_over_basket(self, basket: str, bets: list[dict], payment: str) -> dict:
        """Every line has its ticket: print them all, open the till once for cash."""
        if not all(printable(b) for b in bets):
            return _basket(basket, SaleStatus.PENDING, (
                "Panier en attente de la réponse du serveur central : aucun ticket imprimé, "
                "n'encaissez pas encore. Les paris acceptés apparaîtront dans « Ventes sans "
                "ticket » (imprimer ou annuler)."), bets, due=False)
        bets = [self._printer.print_bet(b["uuid"]) for b in bets]
        if payment == "cash":
            self._devices.kick_drawer("cash sale")
        provisional = any(b["offline"] for b in bets)
        total = sum(b["total_cents"] for b in bets)
        n = len(bets)
        tickets = "1 ticket" if n == 1 else f"{n} tickets"
        message = (f"Panier vendu : {tickets}, {format_euros(total)} à encaisser"
                   f"{' en espèces' if payment == 'cash' else ' par carte'}.")
        if provisional:
            message += (" Vendu hors ligne : tickets PROVISOIRES, confirmés au retour de la "
                        "connexion.")
        if any(not b["printed_at"] for b in bets):
            message += " Des tickets ne sont pas sortis : voyez « Ventes sans ticket »."
        return _basket(basket, SaleStatus.PROVISIONAL if provisional else SaleStatus.ACCEPTED,
                       message, bets, due=True)

    def _check_may_sell(self) -> None:
        if not self._settings.enrolled:
            raise NotEnrolled()
        if self._link.disabled:
            raise TerminalDisabled()

    def _price(self, request: BetRequest) -> tuple[PricedBet, Race]:
        """The bet priced on the cached card of its race, which must be open."""
        if request.bet_type == REPORT_PLUS:
            return self._price_chain(request)
        cached = self._programme.race(request.race)
        if cached is None:
            raise UnknownRace(f"Course inconnue : {request.race[:40]}.")
        race, state = cached
        if state != RaceState.OPEN:
            raise ClosedPool(f"Les paris sont fermés pour {race.race_id}.")
        return price_bet(request, race), race

    def _price_chain(self, request: BetRequest) -> tuple[PricedBet, Race]:
        """A Report+ priced on the cached programme (every race of the meeting): its
        first race open (its stake joins that race's pool now), no later race closed."""
        cards = {race.race_id: (race, state) for race, state in self._programme.races()}
        for number, leg in enumerate(request.legs, start=1):
            race, state = cards.get(leg.race, (None, None))
            if race is None:
                continue  # price_chain names the unknown race
            if not takes_a_leg(state, number == 1):
                raise ClosedPool(f"Les paris sont fermés pour {race.race_id} "
                                 f"(course {number} du Report+).")
        priced = price_chain(request, request.legs,
                             {race_id: race for race_id, (race, _) in cards.items()})
        return priced, cards[request.race][0]

    def _record_offline(self, priced: PricedBet, race: Race, payment: str = "cash",
                        clerk: str | None = None) -> dict:
        """The line is down: sell under the server's offline policy, provisional ticket."""
        with self._offline_lock:
            self._check_offline(race, priced.total_cents)
            return self._outbox.add(priced, offline=True, ticket_code=self._ticket_code,
                                    payment=payment, clerk=clerk)

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


def _basket(basket: str, status: str, message: str, bets: list[dict], due: bool) -> dict:
    total = sum(b["total_cents"] for b in bets)
    return {"basket": basket, "status": status, "message": message, "total_cents": total,
            "due_cents": total if due else 0, "bets": bets}


def basket_view(sold: dict) -> dict:
    """A basket's outcome for the JSON API: each line as `bet_view` shows one bet."""
    return {**sold, "bets": [bet_view(b) for b in sold["bets"]]}


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
        "legs": bet.get("legs"),
        "unit_stake_cents": bet["unit_stake_cents"], "total_cents": bet["total_cents"],
        "combinations": bet["combinations"], "offline": bet["offline"],
        "reason": bet["reason"], "message": message, "refund_due": refund_due,
        "printed": bool(bet["printed_at"]), "print_error": bet["print_error"],
        "created_at": bet["created_at"],
        "held": printable(bet) and not bet["printed_at"] and not bet.get("cancelled_at"),
        "cancelled": bool(bet.get("cancelled_at")),
    }
