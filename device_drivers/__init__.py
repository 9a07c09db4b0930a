"""Shop devices: ticket printer (ESC/POS), barcode scanner, cash drawer.

Knows nothing about bets: it prints a `TicketLayout` the terminal worded and
returns the codes it reads. See README.md for URIs, states and choices.
"""
from __future__ import annotations

from .errors import (
    CoverOpen,
    DeviceConfigError,
    DeviceError,
    InvalidTicketLayout,
    PaperOut,
    PrinterError,
    PrinterNoAnswer,
    PrinterOffline,
    PrintFailed,
    ScannerDisconnected,
    ScannerError,
    ScanRejected,
)
from .printer import TicketPrinter, open_printer
from .scanner import Scanner, open_scanner
from .simulator import SimulatedPrinter, reset_simulators, simulated_printer
from .status import STATES, PrinterStatus
from .ticket import BANNER_DUPLICATE, BANNER_PROVISIONAL, TicketLayout

__all__ = [
    "BANNER_DUPLICATE", "BANNER_PROVISIONAL", "CoverOpen", "DeviceConfigError", "DeviceError",
    "InvalidTicketLayout", "PaperOut", "PrintFailed", "PrinterError", "PrinterNoAnswer",
    "PrinterOffline", "PrinterStatus", "STATES", "ScanRejected", "Scanner", "ScannerDisconnected",
    "ScannerError", "SimulatedPrinter", "TicketLayout", "TicketPrinter", "open_printer",
    "open_scanner", "reset_simulators", "simulated_printer",
]
