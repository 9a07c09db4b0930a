"""The shop's devices as the terminal runs them: the printer, the scanner's
background reader feeding the scan feed, and the cash drawer.

Nothing here stops the terminal: a printer that cannot be opened, a scanner
port that does not exist or vanishes, a drawer that does not answer all become
a state with a French message, and the shop keeps selling.

Named `shop_devices`: `device_drivers/` holds the drivers; this is how the
terminal runs them.
"""
from __future__ import annotations

import logging
import threading
from typing import Protocol

from device_drivers.discover import discover
from device_drivers.errors import DeviceConfigError, DeviceError, ScannerDisconnected
from device_drivers.printer import open_printer
from device_drivers.scanner import open_scanner

from .settings import Settings

log = logging.getLogger("guichet.terminal.devices")

DEFAULT_SCANNER = "wedge"
SCANNER_RETRY_S = 3.0
SIM_FAULTS = ("none", "paper_low", "paper_out", "cover_open", "offline", "no_answer")


class NotSimulated(DeviceError):
    code = "not_simulated"
    default_message = "Ce réglage n'existe que pour les périphériques simulés (sim:)."


class ScanSink(Protocol):
    """Where the scanners' reads go (services/scans.py `ScanFeed`)."""

    def add_code(self, raw: str, source: str) -> object: ...

    def add_error(self, source: str, error: str, message: str, raw: str = "") -> object: ...

    def recent(self, n: int = 20) -> list: ...

    def close(self) -> None: ...


class Devices:
    def __init__(self, settings: Settings, feed: ScanSink) -> None:
        self.settings = settings
        self.feed = feed
        self.printer = None
        self.printer_error: str | None = None
        self.print_lock = threading.RLock()     # one job at a time, whoever asks
        self.scanner = None
        self._scanner_state = {"state": "none", "message": "Lecteur non démarré."}
        self._stop = threading.Event()
        self._retry: threading.Thread | None = None
        self.open_printer()

    # -- printer -----------------------------------------------------------
    @property
    def printer_uri(self) -> str:
        return self.settings.get("printer", "sim:")

    def open_printer(self) -> None:
        uri = self.printer_uri
        old, self.printer = self.printer, None
        if old is not None:
            old.close()
        try:
            self.printer, self.printer_error = open_printer(uri), None
        except DeviceError as exc:
            self.printer_error = f"Imprimante inutilisable ({uri}) : {exc.message}"
            log.error("printer %s unusable: %s", uri, exc.code)

    def printer_state(self) -> dict:
        if self.printer is None:
            return {"state": "offline", "message": self.printer_error or "Pas d'imprimante.",
                    "can_print": False}
        try:
            return self.printer.status().to_dict()
        except DeviceError as exc:
            return {"state": "unknown", "message": exc.message, "can_print": False}

    def print_test_page(self) -> dict:
        if self.printer is None:
            return {"ok": False, "error": "printer_unusable", "message": self.printer_error}
        try:
            with self.print_lock:
                self.printer.print_test_page()
        except DeviceError as exc:
            return {"ok": False, "error": exc.code, "message": exc.message}
        return {"ok": True, "message": "Page de test envoyée à l'imprimante."}

    @property
    def simulator(self):
        return self.printer.simulator if self.printer is not None else None

    def set_simulated_fault(self, fault: str, during_next_job: bool = False) -> None:
        if self.simulator is None:
            raise NotSimulated("L'imprimante configurée n'est pas le simulateur : "
                               "pannes simulées impossibles.")
        if fault not in SIM_FAULTS:
            raise DeviceConfigError(f"Panne simulée inconnue : {str(fault)[:20]!r} "
                                    f"(permises : {', '.join(SIM_FAULTS)}).", code="unknown_fault")
        self.simulator.set_fault(None if fault == "none" else fault, during_next_job=during_next_job)

    def simulator_info(self) -> dict | None:
        sim = self.simulator
        if sim is None:
            return None
        jobs = [{"kind": j.kind, "job_id": j.job_id, "complete": j.complete,
                 "barcodes": [b.payload for b in j.barcodes], "lines": j.lines}
                for j in list(sim.jobs)[-50:]]
        return {"fault": sim.fault, "armed_fault": sim.armed_fault, "jobs": jobs,
                "jobs_total": len(sim.jobs), "drawer_kicks": sim.drawer_kicks,
                "lost_bytes": sim.lost_bytes}

    # -- cash drawer -------------------------------------------------------
    @property
    def drawer_enabled(self) -> bool:
        return self.settings.get("drawer", "on") != "off"

    def set_drawer_enabled(self, enabled: bool) -> None:
        """Open the drawer by itself on payments and cash sales, or not (kept on disk)."""
        self.settings.set(drawer="on" if enabled else "off")

    def kick_drawer(self, reason: str, force: bool = False) -> dict:
        """Open the till through the printer's drawer kick (payments, cash sales; `force`
        for the diagnostics page). Never raises: a drawer that stays shut is said."""
        if not force and not self.drawer_enabled:
            return {"opened": False, "message": "Ouverture automatique du tiroir désactivée."}
        if self.printer is None:
            return {"opened": False, "message": "Tiroir-caisse : " + (self.printer_error or
                                                                      "pas d'imprimante.")}
        try:
            with self.print_lock:
                self.printer.open_drawer()
        except DeviceError as exc:
            log.warning("drawer kick (%s) failed: %s", reason, exc.code)
            return {"opened": False, "message": f"Tiroir-caisse non ouvert : {exc.message}"}
        log.info("drawer opened (%s)", reason)
        return {"opened": True, "message": "Tiroir-caisse ouvert."}

    # -- scanner -----------------------------------------------------------
    @property
    def scanner_uri(self) -> str:
        return self.settings.get("scanner") or DEFAULT_SCANNER

    def start_scanner(self) -> None:
        """Open the configured scanner and start its background reader; a port that does
        not exist (yet) is tried again every few seconds."""
        if self._open_scanner() or self._stop.is_set():
            return
        if self._scanner_state.get("retry"):
            self._retry = threading.Thread(target=self._retry_loop, name="scanner-retry",
                                           daemon=True)
            self._retry.start()

    def _open_scanner(self) -> bool:
        uri = self.scanner_uri
        try:
            scanner = open_scanner(uri)
        except DeviceError as exc:
            retry = exc.code in ("serial_port_not_found", "serial_port_unavailable")
            if self._scanner_state.get("error") != exc.code:
                log.error("scanner %s unusable: %s", uri, exc.code)
            self._scanner_state = {"state": "error", "message": exc.message, "error": exc.code,
                                   "retry": retry}
            return False
        self.scanner = scanner
        if scanner.reads_in_browser:
            self._scanner_state = {"state": "wedge",
                                   "message": "Lecteur clavier : lu par le navigateur."}
            return True
        self._scanner_state = {"state": "ok", "message": "Lecteur de codes-barres prêt."}
        scanner.start(self._on_code, self._on_error)
        log.info("scanner %s started", uri)
        return True

    def _retry_loop(self) -> None:
        while not self._stop.wait(SCANNER_RETRY_S):
            if self._open_scanner():
                return

    def _source(self) -> str:
        return "sim" if self.scanner_uri.startswith("sim") else "serial"

    def _on_code(self, code: str) -> None:
        self.feed.add_code(code, self._source())

    def _on_error(self, exc: DeviceError) -> None:
        raw = getattr(exc, "raw", b"") or b""
        self.feed.add_error(self._source(), exc.code, exc.message,
                            raw.decode("ascii", "replace") if isinstance(raw, bytes) else "")
        if isinstance(exc, ScannerDisconnected):
            self._scanner_state = {"state": "disconnected", "message": exc.message}

    def scanner_state(self) -> dict:
        state = dict(self._scanner_state)
        scanner = self.scanner
        if scanner is not None and state["state"] == "disconnected" and scanner.connected:
            state = self._scanner_state = {"state": "ok", "message": "Lecteur de codes-barres prêt."}
        state.pop("retry", None)
        state.pop("error", None)
        return {"uri": self.scanner_uri, **state}

    def push_simulated_scan(self, code: str) -> None:
        if self.scanner is None or not hasattr(self.scanner, "scan"):
            raise NotSimulated("Le lecteur configuré n'est pas le simulateur (sim:).")
        self.scanner.scan(code)

    # -- all ---------------------------------------------------------------
    def diagnostics(self) -> dict:
        return {"found": discover(), "printer": {"uri": self.printer_uri,
                                                 **self.printer_state()},
                "scanner": self.scanner_state(),
                "drawer": {"enabled": self.drawer_enabled},
                "scans": [e.to_dict() for e in self.feed.recent(20)],
                "simulator": self.simulator_info()}

    def stop(self) -> None:
        self._stop.set()
        self.feed.close()
        if self.scanner is not None:
            self.scanner.close()
        if self.printer is not None:
            self.printer.close()
