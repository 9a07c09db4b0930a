"""Printing a sold bet's ticket: once, truthfully, and a reprint only when asked.

- The original ticket has one job id, chosen and stored before the first try;
  every retry uses it, and the printer skips a job id it has already printed,
  so a retry never makes a second valid ticket.
- A sale whose ticket could not be printed is *held*: the shopkeeper is told
  why (the printer's own French message), can print once the printer is
  fixed, or void the bet through the server (`TicketDesk.void_held`).
- A reprint is explicit, only after the original came out, has its own job id,
  says DUPLICATA and is recorded.
"""
from __future__ import annotations

import logging
import uuid as uuidlib

from betting.errors import BettingError
from betting.states import OutboxState, PrintState
from device_drivers.errors import DeviceError
from device_drivers.ticket import TicketLayout

from ..adapters.shop_devices import Devices
from ..adapters.journals import ORIGINAL, REPRINT, PrintJournal
from ..adapters.outbox import Outbox, printable
from .wording import ticket_layout
from ..adapters.race_card import Programme
from ..adapters.settings import Settings

log = logging.getLogger("guichet.terminal")


class PrintRefused(BettingError):
    """Nothing was printed because the request makes no sense for this bet."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TicketPrinter:
    def __init__(self, outbox: Outbox, journal: PrintJournal, programme: Programme,
                 settings: Settings, devices: Devices) -> None:
        self._outbox, self._journal, self._programme = outbox, journal, programme
        self._settings, self._devices = settings, devices

    def print_bet(self, uuid: str, reprint: bool = False) -> dict | None:
        """The bet after trying to print its ticket (None if unknown); raises PrintRefused."""
        with self._devices.print_lock:
            bet = self._outbox.bet(uuid)
            if bet is None or not printable(bet):
                return bet
            if bet.get("cancelled_at"):
                raise PrintRefused("cancelled", "Pari annulé : il n'a plus de ticket à imprimer.")
            if reprint and not bet["printed_at"]:
                raise PrintRefused("not_printed", "Le ticket original n'est pas encore imprimé : "
                                                  "utilisez « Imprimer », pas le duplicata.")
            if bet["printed_at"] and not reprint:
                return bet                              # printed once: never again
            job_id = str(uuidlib.uuid4()) if reprint else self._outbox.assign_job(uuid)
            row = self._journal.start(uuid, job_id, REPRINT if reprint else ORIGINAL)
            code, error = self._send(bet, job_id, reprint)
            self._journal.finish(row, code, error)
            if not reprint:
                self._outbox.record_print(uuid, job_id, error)
            bet = self._outbox.bet(uuid)
        if bet["status"] == OutboxState.ACCEPTED and bet["print_error"] and not bet["printed_at"]:
            log.warning("ticket of bet %s not printed: %s", uuid, bet["print_error"])
        return bet

    def layout(self, bet: dict, job_id: str | None = None, reprint: bool = False) -> TicketLayout:
        """The ticket as printed (and as the UI previews it)."""
        cached = self._programme.race(bet["race"])
        return ticket_layout(bet, cached[0] if cached else None,
                             self._settings.get("terminal_id"), self._settings.get("outlet", ""),
                             bet["print_job_id"] or "" if job_id is None else job_id,
                             reprint=reprint)

    def _send(self, bet: dict, job_id: str, reprint: bool) -> tuple[str | None, str | None]:
        devices = self._devices
        if devices.printer is None:
            return "printer_unusable", devices.printer_error or "Pas d'imprimante configurée."
        try:
            devices.printer.print_ticket(self.layout(bet, job_id, reprint), job_id,
                                         reprint=reprint)
        except DeviceError as exc:
            return exc.code, exc.message
        return None, None

    def held(self) -> list[dict]:
        """Sales whose ticket is due and not printed, each with why in `reason`."""
        return [{**bet, "reason": self.held_reason(bet)} for bet in self._outbox.held()]

    def held_reason(self, bet: dict) -> str:
        """Why a held sale has no ticket, in the shopkeeper's words."""
        last = self._journal.last_original(bet["uuid"])
        if last is None:
            return "Ticket pas encore imprimé."
        if last["result"] == PrintState.SENDING:
            return ("Le terminal s'est arrêté pendant l'impression : vérifiez si le ticket est "
                    "sorti avant de l'imprimer.")
        return last["error"] or bet.get("print_error") or "Ticket non imprimé."

    def last_reprint_error(self, uuid: str) -> str | None:
        """The error of the last print of this bet, if it failed (after a reprint)."""
        last = self._journal.for_bet(uuid)[-1:]
        return last[0]["error"] if last and last[0]["result"] == PrintState.FAILED else None
