"""Printer state, from ESC/POS real-time status (DLE EOT n).

python-escpos' `is_online()` / `paper_status()` read an empty answer as
"offline" / "plenty of paper"; here silence is "unknown" and counts as not
ready, because a ticket sent to a printer that did not answer may never come
out while the bet is already sold.

Bits used (Epson ESC/POS reference, DLE EOT): every answer byte has the form
0xx1xx10 (anything else is noise and reads as "unknown");
n=1 printer: bit 3 offline; n=2 offline cause: bit 2 cover open, bit 5 paper
end stop, bit 6 error; n=4 roll sensor: bits 2-3 near end, bits 5-6 paper end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import CoverOpen, PaperOut, PrinterError, PrinterNoAnswer, PrinterOffline

STATES = ("ok", "paper_low", "paper_out", "cover_open", "offline", "unknown")
PRINTABLE_STATES = ("ok", "paper_low")

MESSAGES = {
    "ok": "Imprimante prête.",
    "paper_low": "Papier bientôt épuisé : préparez un rouleau neuf.",
    "paper_out": "Plus de papier : remplacez le rouleau.",
    "cover_open": "Capot de l'imprimante ouvert : refermez-le.",
    "offline": "Imprimante hors ligne : vérifiez qu'elle est allumée et branchée.",
    "unknown": "L'imprimante ne répond pas : vérifiez le câble et l'alimentation.",
}

QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_ERROR_CAUSE, QUERY_PAPER = 1, 2, 3, 4


def status_query(n: int) -> bytes:
    return b"\x10\x04" + bytes([n])


@dataclass(frozen=True)
class PrinterStatus:
    state: str
    message: str

    @classmethod
    def of(cls, state: str, detail: str | None = None) -> "PrinterStatus":
        message = MESSAGES[state] if not detail else f"{MESSAGES[state]} ({detail})"
        return cls(state, message)

    @property
    def can_print(self) -> bool:
        return self.state in PRINTABLE_STATES

    def to_dict(self) -> dict:
        return {"state": self.state, "message": self.message, "can_print": self.can_print}

    def error(self) -> PrinterError:
        """The exception that refusing to print in this state raises."""
        cls = {"paper_out": PaperOut, "cover_open": CoverOpen, "offline": PrinterOffline}.get(
            self.state, PrinterNoAnswer)
        return cls(status=self)


def _valid(answer: bytes) -> int | None:
    if len(answer) < 1:
        return None
    byte = answer[-1]          # the latest byte: an earlier one may be a stale answer
    return byte if byte & 0x93 == 0x12 else None


def read_status(ask: Callable[[int], bytes]) -> PrinterStatus:
    """Map DLE EOT answers to a state; `ask(n)` sends DLE EOT n and returns what came back."""
    printer = _valid(ask(QUERY_PRINTER))
    if printer is None:
        return PrinterStatus.of("unknown")
    if printer & 0x08:
        cause = _valid(ask(QUERY_OFFLINE_CAUSE))
        if cause is not None and cause & 0x04:
            return PrinterStatus.of("cover_open")
        if cause is not None and cause & 0x20:
            return PrinterStatus.of("paper_out")
        paper = _valid(ask(QUERY_PAPER))
        if paper is not None and paper & 0x60:
            return PrinterStatus.of("paper_out")
        return PrinterStatus.of("offline")
    paper = _valid(ask(QUERY_PAPER))
    if paper is None:
        return PrinterStatus.of("unknown")
    if paper & 0x60:
        return PrinterStatus.of("paper_out")
    if paper & 0x0C:
        return PrinterStatus.of("paper_low")
    return PrinterStatus.of("ok")


def answer_for(state: str, n: int) -> bytes:
    """What a healthy Epson-compatible printer in `state` answers to DLE EOT n (simulator)."""
    offline = state in ("paper_out", "cover_open", "offline")
    if n == QUERY_PRINTER:
        return bytes([0x12 | (0x08 if offline else 0)])
    if n == QUERY_OFFLINE_CAUSE:
        return bytes([0x12 | (0x04 if state == "cover_open" else 0)
                      | (0x20 if state == "paper_out" else 0) | (0x40 if state == "offline" else 0)])
    if n == QUERY_ERROR_CAUSE:
        return bytes([0x12 | (0x40 if state == "offline" else 0)])
    if n == QUERY_PAPER:
        return bytes([0x12 | (0x60 if state == "paper_out" else 0)
                      | (0x0C if state in ("paper_low", "paper_out") else 0)])
    return b""
