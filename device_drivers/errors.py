"""Named failures of the shop devices.

Every exception carries a stable English `code` (what programs, logs and the
JSON API match on) and a French `message` (what the shopkeeper or the
technician reads). `str(exc)` is the French message. Nothing from
python-escpos, pyserial or the OS escapes this package unwrapped: callers
catch `DeviceError` and show `.message`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .status import PrinterStatus


class DeviceError(Exception):
    code = "device_error"
    default_message = "Erreur de périphérique."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or self.default_message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


class DeviceConfigError(DeviceError):
    """A device URI or setting that can never work as written (typo, bad port)."""

    code = "device_config_invalid"
    default_message = "Configuration de périphérique invalide."


class InvalidTicketLayout(DeviceError):
    code = "invalid_ticket_layout"
    default_message = "Ticket mal formé : impression impossible."


# --- printer ---------------------------------------------------------------

class PrinterError(DeviceError):
    """The ticket was not printed; `status` says why when it is known."""

    code = "printer_error"
    default_message = "Erreur d'imprimante : le ticket n'a pas été imprimé."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: "PrinterStatus | None" = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status


class PaperOut(PrinterError):
    code = "paper_out"
    default_message = "Plus de papier : remplacez le rouleau, le ticket n'a pas été imprimé."


class CoverOpen(PrinterError):
    code = "cover_open"
    default_message = "Capot de l'imprimante ouvert : refermez-le, le ticket n'a pas été imprimé."


class PrinterOffline(PrinterError):
    code = "printer_offline"
    default_message = (
        "Imprimante hors ligne : vérifiez qu'elle est allumée et branchée, "
        "le ticket n'a pas été imprimé."
    )


class PrinterNoAnswer(PrinterError):
    code = "printer_no_answer"
    default_message = (
        "L'imprimante ne répond pas : vérifiez le câble et l'alimentation, "
        "le ticket n'a pas été imprimé."
    )


class PrintFailed(PrinterError):
    """The transport broke while the job was being sent: it may be half printed."""

    code = "print_failed"
    default_message = (
        "L'impression a été interrompue : vérifiez l'imprimante ; "
        "le ticket est peut-être incomplet."
    )


# --- scanner ---------------------------------------------------------------

class ScannerError(DeviceError):
    code = "scanner_error"
    default_message = "Erreur du lecteur de codes-barres."


class ScannerDisconnected(ScannerError):
    code = "scanner_disconnected"
    default_message = "Lecteur de codes-barres débranché : rebranchez-le."


class ScanRejected(ScannerError):
    """A line read from the scanner that is not a usable code (garbage, too long)."""

    code = "scan_rejected"
    default_message = "Lecture illisible : scannez le ticket à nouveau."

    def __init__(self, message: str | None = None, *, code: str | None = None, raw: bytes = b"") -> None:
        super().__init__(message, code=code)
        self.raw = raw
