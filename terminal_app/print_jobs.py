"""Printing a sold bet's ticket: once, truthfully, and a reprint only when asked.

- The original ticket has one job id, chosen and stored before the first try;
  every retry uses it, and the printer skips a job id it has already printed,
  so a retry never makes a second valid ticket.
- A sale whose ticket could not be printed is *held*: the shopkeeper is told
  why (the printer's own French message), can print once the printer is
  fixed, or void the bet through the server (`tickets.void_held`).
- A reprint is explicit, only after the original came out, has its own job id,
  says DUPLICATA and is recorded.
"""
from __future__ import annotations

import uuid as uuidlib

from betting.states import PrintState
from device_drivers.errors import DeviceError

from . import records
from .printing import ticket_layout
from .store import printable


class PrintRefused(Exception):
    """Nothing was printed because the request makes no sense for this bet."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def print_bet(terminal, uuid: str, reprint: bool = False) -> dict | None:
    """The bet after trying to print its ticket (None if unknown); raises PrintRefused."""
    store, devices = terminal.store, terminal.devices
    with devices.print_lock:
        bet = store.bet(uuid)
        if bet is None or not printable(bet):
            return bet
        if bet.get("cancelled_at"):
            raise PrintRefused("cancelled", "Pari annulé : il n'a plus de ticket à imprimer.")
        if reprint and not bet["printed_at"]:
            raise PrintRefused("not_printed", "Le ticket original n'est pas encore imprimé : "
                                              "utilisez « Imprimer », pas le duplicata.")
        if bet["printed_at"] and not reprint:
            return bet                              # printed once: never again
        job_id = str(uuidlib.uuid4()) if reprint else records.assign_job(store, uuid)
        row = records.start_print(store, uuid, job_id,
                                  records.REPRINT if reprint else records.ORIGINAL)
        code, error = _send(terminal, bet, job_id, reprint)
        records.finish_print(store, row, code, error)
        if not reprint:
            store.record_print(uuid, job_id, error)
        return store.bet(uuid)


def _send(terminal, bet: dict, job_id: str, reprint: bool) -> tuple[str | None, str | None]:
    devices = terminal.devices
    if devices.printer is None:
        return "printer_unusable", devices.printer_error or "Pas d'imprimante configurée."
    cached = terminal.store.race(bet["race"])
    layout = ticket_layout(bet, cached[0] if cached else None, terminal.store.get("terminal_id"),
                           terminal.store.get("outlet", ""), job_id, reprint=reprint)
    try:
        devices.printer.print_ticket(layout, job_id, reprint=reprint)
    except DeviceError as exc:
        return exc.code, exc.message
    return None, None


def held_reason(store, bet: dict) -> str:
    """Why a held sale has no ticket, in the shopkeeper's words."""
    last = records.last_attempt(store, bet["uuid"])
    if last is None:
        return "Ticket pas encore imprimé."
    if last["result"] == PrintState.SENDING:
        return ("Le terminal s'est arrêté pendant l'impression : vérifiez si le ticket est "
                "sorti avant de l'imprimer.")
    return last["error"] or bet.get("print_error") or "Ticket non imprimé."
