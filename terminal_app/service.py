"""What the terminal does, whatever asked for it (the htmx UI or the JSON API).

Selling a bet: validate it against the cached race card, write it to the
outbox (durable), hand it to the sync client, wait a moment for the server's
answer, and print the ticket once it is accepted. Nothing is printed for a
bet the server has not accepted.
"""
from __future__ import annotations

import logging
import threading

from betting.bets import make_request, price_bet
from betting.errors import BettingError, ClosedPool, UnknownRace
from betting.states import UNANSWERED, OutboxState, RaceState, SaleStatus
from betting.tickets import make_ticket_code

from . import print_jobs, records
from .devices import Devices
from .printing import ticket_layout
from .offline import OfflineRefused, check_offline_sale
from .store import TerminalStore, printable
from .sync import SyncClient

log = logging.getLogger("guichet.terminal")

ANSWER_WAIT_S = 8.0


class NotEnrolled(BettingError):
    code = "not_enrolled"
    default_message = "Ce terminal n'est pas encore enrôlé : ouvrez la page Installation."


class TerminalDisabled(BettingError):
    """The operator cut this terminal off: it sells nothing, not even offline."""

    code = "terminal_disabled"
    default_message = "Terminal désactivé par le centre : appelez l'assistance."


class UnknownPayment(BettingError):
    code = "unknown_payment"
    default_message = "Moyen de paiement inconnu : espèces (cash) ou carte (card)."


class Terminal:
    def __init__(self, store: TerminalStore, version: str = "") -> None:
        self.store = store
        self.version = version
        self.sync: SyncClient | None = None
        self.devices = Devices(store)   # printer, scanner feed, cash drawer (devices.py)
        self._offline_lock = threading.Lock()  # ceiling check and write, as one step

    # -- devices -----------------------------------------------------------
    @property
    def printer(self):
        return self.devices.printer

    def open_printer(self) -> None:
        self.devices.open_printer()

    def printer_state(self) -> dict:
        return self.devices.printer_state()

    # -- link --------------------------------------------------------------
    def start_sync(self) -> None:
        if self.store.enrolled and self.sync is None:
            self.sync = SyncClient(self.store, self.printer_state, self.version)
            self.sync.start()

    def stop(self) -> None:
        if self.sync:
            self.sync.stop()
        self.devices.stop()

    @property
    def online(self) -> bool:
        return bool(self.sync and self.sync.online)

    @property
    def disabled(self) -> bool:
        """Disabled by the operator, as last told by the server (kept on disk)."""
        if self.sync is not None:
            return self.sync.disabled
        return self.store.get("disabled") == "1"

    def status(self) -> dict:
        return {
            "terminal_id": self.store.get("terminal_id"),
            "outlet": self.store.get("outlet"),
            "enrolled": self.store.enrolled,
            "online": self.online,
            "disabled": self.disabled,
            "queue_depth": self.store.queue_depth(),
            **self.store.counts(),
            "printer": self.printer_state(),
            "server_time_offset_s": self.sync.clock_offset_s if self.sync else None,
            "scanner": self.devices.scanner_state(),
            "drawer": {"enabled": self.devices.drawer_enabled},
            "held": len(records.held_bets(self.store)),
        }

    # -- selling -----------------------------------------------------------
    def sell(self, data: dict) -> dict:
        """Raise BettingError for anything refused before the outbox; else the bet's state."""
        if not self.store.enrolled:
            raise NotEnrolled()
        if self.disabled:
            raise TerminalDisabled()
        request = make_request(data)
        payment = data.get("payment", "cash") if isinstance(data, dict) else "cash"
        if payment not in ("cash", "card"):
            raise UnknownPayment()
        cached = self.store.race(request.race)
        if cached is None:
            raise UnknownRace(f"Course inconnue : {request.race[:40]}.")
        race, state = cached
        if state != RaceState.OPEN:
            raise ClosedPool(f"Les paris sont fermés pour {race.race_id}.")
        priced = price_bet(request, race)
        if not self.online:
            bet = self._sell_offline(priced, race)
        else:
            bet = self.store.add_bet(priced)
            self.sync.wake()
            bet = self.sync.wait_for_answer(bet["uuid"], ANSWER_WAIT_S)
            if bet["status"] in UNANSWERED:
                bet = self._no_answer(bet, priced, race)
        if printable(bet):
            bet = self.print_bet(bet["uuid"])
            if payment == "cash":
                self.devices.kick_drawer("cash sale")
        return bet

    def _sell_offline(self, priced, race) -> dict:
        """The line is down: sell under the server's offline policy, provisional ticket."""
        with self._offline_lock:
            check_offline_sale(self.sync.policy, race, self.sync.clock.now(),
                               self.store.counts()["provisional_cents"], priced.total_cents)
            return self.store.add_bet(priced, offline=True, ticket_code=self._ticket_code)

    def _no_answer(self, bet: dict, priced, race) -> dict:
        """Sent, but no answer in time: a provisional ticket if the offline policy
        allows it, else the bet waits in the outbox (the UI says so)."""
        with self._offline_lock:
            try:
                check_offline_sale(self.sync.policy, race, self.sync.clock.now(),
                                   self.store.counts()["provisional_cents"], 0)
            except OfflineRefused:
                return bet
            return self.store.make_provisional(bet["uuid"], self._ticket_code(bet["seq"]))

    def _ticket_code(self, seq: int) -> str:
        return make_ticket_code(self.store.get("terminal_id"), seq,
                                bytes.fromhex(self.store.get("key")))

    def print_bet(self, uuid: str, reprint: bool = False) -> dict:
        """Print an accepted bet's ticket (print_jobs.py): one job id for the original
        and its retries; a reprint says DUPLICATA. Raises print_jobs.PrintRefused."""
        bet = print_jobs.print_bet(self, uuid, reprint=reprint)
        if bet is not None and bet["status"] == OutboxState.ACCEPTED and bet["print_error"] \
                and not bet["printed_at"]:
            log.warning("ticket of bet %s not printed: %s", uuid, bet["print_error"])
        return bet

    def layout_for(self, bet: dict):
        cached = self.store.race(bet["race"])
        return ticket_layout(bet, cached[0] if cached else None, self.store.get("terminal_id"),
                             self.store.get("outlet", ""), bet["print_job_id"] or "")


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
        "unit_stake_cents": bet["unit_stake_cents"], "total_cents": bet["total_cents"],
        "combinations": bet["combinations"], "offline": bet["offline"],
        "reason": bet["reason"], "message": message, "refund_due": refund_due,
        "printed": bool(bet["printed_at"]), "print_error": bet["print_error"],
        "created_at": bet["created_at"],
        "held": printable(bet) and not bet["printed_at"] and not bet.get("cancelled_at"),
        "cancelled": bool(bet.get("cancelled_at")),
    }
