"""The ticket printer the terminal talks to: `open_printer(uri)` -> `TicketPrinter`.

Rules the terminal relies on:
- the printer's state is asked before every ticket, and a ticket is only
  sent when the answer is "ok" or "paper_low"; silence ("unknown") refuses
  too, because a sold bet whose ticket never came out is the worst outcome;
- a job id already printed by this object is not printed again (a retried
  request after a timeout must not make a second valid ticket); a reprint
  goes through only when asked for, and always carries "DUPLICATA".
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Sequence

from escpos.printer import Dummy

from .transports import Device, FileDevice, SerialDevice, TcpDevice, UsbDevice
from .errors import DeviceError, InvalidTicketLayout, PrintFailed
from .render import DEFAULT_PROFILE, JobWriter, diagnostic_page_job, lines_job, ticket_job
from .simulator import SimulatedPrinter, simulated_printer
from .status import PrinterStatus
from .ticket import BANNER_DUPLICATE, TicketLayout
from .uri import SERIAL_BAUDRATES, DeviceUri, bad, parse_device_uri

SCHEMES = ("serial", "usb", "tcp", "file", "sim")
PARAMS = ("profile", "codepage", "status", "baudrate", "flow")
SERIAL_ONLY = ("baudrate", "flow")
FLOWS = ("none", "rtscts", "xonxoff", "dsrdtr")
REMEMBERED_JOBS = 10_000
INTERRUPTING_STATES = ("paper_out", "cover_open", "offline")


def open_printer(uri: str) -> "TicketPrinter":
    """Parse and check `uri`; the device itself is reached on first use, so a printer
    that is switched off at start-up shows as "offline" instead of stopping the terminal."""
    u = parse_device_uri(uri, SCHEMES, PARAMS)
    for name in SERIAL_ONLY:
        if name in u.params and u.scheme != "serial":
            raise bad(f"le paramètre {name}= ne vaut que pour une imprimante série.")
    profile = u.params.get("profile", DEFAULT_PROFILE)
    code_page = u.params.get("codepage") or None
    JobWriter(profile, code_page)                      # unknown profile / code page fail now
    mode = u.params.get("status", "query")
    if mode not in ("query", "none"):
        raise bad(f"status={mode!r} : attendu query ou none.")
    return TicketPrinter(uri, _device(uri, u, trust_status=mode == "none"), profile, code_page)


def _device(uri: str, u: DeviceUri, trust_status: bool) -> Device:
    kw = {"trust_status": trust_status}
    if u.scheme == "sim":
        if trust_status:
            raise bad("status=none n'a pas de sens pour le simulateur.")
        return simulated_printer(u.target or "default")
    if u.scheme == "serial":
        if not u.target:
            raise bad("port série manquant, par exemple serial:/dev/ttyS0?baudrate=19200.")
        flow = u.params.get("flow", "none")
        if flow not in FLOWS:
            raise bad(f"flow={flow!r} : attendu l'un de {', '.join(FLOWS)}.")
        baudrate = u.int_param("baudrate", 19200, SERIAL_BAUDRATES)
        return SerialDevice(uri, u.target, baudrate, flow, **kw)
    if u.scheme == "tcp":
        if not u.target or "://" not in uri:
            raise bad("attendu tcp://hôte:port, par exemple tcp://imprimante.local:9100.")
        return TcpDevice(uri, u.target, u.port or 9100, **kw)
    if u.scheme == "file":
        if not u.target:
            raise bad("chemin de fichier manquant, par exemple file:/var/spool/guichet/tickets.bin.")
        return FileDevice(uri, u.target, **kw)
    # usb:0x04b8:0x0e15 or usb:/dev/usb/lp0
    if u.target.startswith("/"):
        return UsbDevice(uri, None, None, path=u.target, **kw)
    parts = u.target.split(":")
    try:
        vendor, product = (int(x, 16) for x in parts)
        if not (0 < vendor <= 0xFFFF and 0 < product <= 0xFFFF):
            raise ValueError
    except ValueError:
        raise bad(f"usb:{u.target} : attendu usb:0xVVVV:0xPPPP (identifiants en hexadécimal).") from None
    return UsbDevice(uri, vendor, product, **kw)


class TicketPrinter:
    """Thread-safe: the terminal's request threads may print, query and kick the drawer at once."""

    def __init__(self, uri: str, device: Device, profile: str = DEFAULT_PROFILE,
                 code_page: str | None = None) -> None:
        self.uri = uri
        self.device = device
        self.profile = profile
        self.code_page = code_page
        self._printed: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<TicketPrinter {self.uri}>"

    @property
    def simulator(self) -> SimulatedPrinter | None:
        """The simulator behind a `sim:` printer (jobs, faults), else None."""
        return self.device if isinstance(self.device, SimulatedPrinter) else None

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                return self.device.status()
            finally:
                self.device.release()

    def has_printed(self, job_id: str) -> bool:
        return job_id in self._printed

    def print_ticket(self, layout: TicketLayout, job_id: str, *, reprint: bool = False) -> None:
        if not isinstance(layout, TicketLayout):
            raise InvalidTicketLayout("Ticket mal formé : description de ticket attendue.")
        if not isinstance(job_id, str) or not job_id.strip():
            raise InvalidTicketLayout("Ticket mal formé : numéro de travail d'impression manquant.")
        reprint = reprint or layout.banner == BANNER_DUPLICATE
        data = ticket_job(layout, reprint=reprint, profile=self.profile, code_page=self.code_page)
        with self._lock:
            if job_id in self._printed and not reprint:
                return
            self._send(data, job_id, "ticket", verify=True)
            self._printed[job_id] = None
            self._printed.move_to_end(job_id)
            while len(self._printed) > REMEMBERED_JOBS:
                self._printed.popitem(last=False)

    def print_lines(self, title: str, lines: Sequence[str]) -> None:
        """Till reports and other plain documents; refused in the same states as a ticket."""
        data = lines_job(str(title), [str(line) for line in lines], profile=self.profile,
                         code_page=self.code_page)
        with self._lock:
            self._send(data, None, "lines")

    def print_test_page(self) -> None:
        """Also tried when the state is unknown: some printers never answer, and the
        technician needs to see whether paper comes out."""
        data = diagnostic_page_job(self.uri, profile=self.profile, code_page=self.code_page)
        with self._lock:
            self._send(data, None, "test_page", allow_unknown=True)

    def open_drawer(self) -> None:
        """Drawer kick on pin 2 (ESC p 0): sent whatever the paper, the drawer does not need it."""
        job = Dummy(profile=self.profile)
        job.cashdraw(2)
        with self._lock:
            try:
                self.device.send(job.output, kind="drawer")
            finally:
                self.device.release()

    def close(self) -> None:
        with self._lock:
            self.device.close()

    def _verify_after(self, job_id: str | None) -> None:
        """Asked again once the ticket is sent: a printer that now says paper out, cover
        open or offline stopped during the job, so the ticket may be incomplete and its job
        id stays not done (the retry prints it). Silence after a job that was accepted is
        not taken as a failure: the bytes went out to a printer that was ready."""
        after = self.device.status()
        if after.state in INTERRUPTING_STATES:
            raise PrintFailed(f"Impression interrompue : {after.message} "
                              "Le ticket est peut-être incomplet.",
                              code="print_interrupted", status=after)

    def _send(self, data: bytes, job_id: str | None, kind: str, allow_unknown: bool = False,
              verify: bool = False) -> None:
        try:
            state = self.device.status()
            if not state.can_print and not (allow_unknown and state.state == "unknown"):
                raise state.error()
            self.device.send(data, job_id=job_id, kind=kind)
            if verify:
                self._verify_after(job_id)
        except DeviceError:
            raise
        except OSError as exc:           # a transport gap; never leak a raw OS error
            raise PrintFailed(f"{self.uri} : {exc}") from None
        finally:
            self.device.release()
