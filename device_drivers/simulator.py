"""The `sim:` printer: an in-memory ESC/POS printer for the demo and the tests.

It answers DLE EOT like a real Epson-compatible printer (so the same status
code runs against it as against the hardware), keeps every job it printed
with its decoded text and barcodes, and can be told to fail. Simulators are
kept by name (`sim:` is "default", `sim:caisse2` another one) so the
terminal's setup page can reach the one its printer uses without holding the
printer object.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from .transports import Device
from .escpos_decode import Barcode, DecodedJob, EscposDecodeError, decode
from .errors import DeviceConfigError
from .status import answer_for

FAULTS = (None, "paper_low", "paper_out", "cover_open", "offline", "no_answer")
KEEP_JOBS = 500


@dataclass(frozen=True)
class SimJob:
    kind: str                   # "ticket", "lines", "test_page"
    job_id: str | None
    data: bytes
    decoded: DecodedJob | None = field(repr=False, default=None)
    complete: bool = True       # False: the paper ran out part-way (see set_fault)

    @property
    def lines(self) -> list[str]:
        return self.decoded.lines if self.decoded else []

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def barcodes(self) -> list[Barcode]:
        return self.decoded.barcodes if self.decoded else []


class SimulatedPrinter(Device):
    """Prints into memory; `.jobs`, `.drawer_kicks`, `.set_fault(...)` are for demo and tests."""

    def __init__(self, name: str = "default") -> None:
        super().__init__(f"sim:{name}" if name != "default" else "sim:")
        self.name = name
        self.fault: str | None = None
        self.armed_fault: str | None = None   # strikes in the middle of the next job
        self.jobs: deque[SimJob] = deque(maxlen=KEEP_JOBS)
        self.drawer_kicks = 0
        self.lost_bytes = 0             # what was sent while it could not print
        self._answers: deque[bytes] = deque()
        self._lock = threading.Lock()

    def set_fault(self, fault: str | None, *, during_next_job: bool = False) -> None:
        """`during_next_job`: the printer stays ready until the next job is half sent, then
        fails (a roll that ends mid-ticket); the half job is kept with `complete=False`."""
        if fault not in FAULTS:
            raise DeviceConfigError(f"Panne simulée inconnue : {fault!r}.", code="unknown_fault")
        with self._lock:
            if during_next_job and fault is not None:
                self.armed_fault = fault
            else:
                self.fault, self.armed_fault = fault, None

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()
            self.drawer_kicks = 0
            self.lost_bytes = 0

    @property
    def last(self) -> SimJob | None:
        return self.jobs[-1] if self.jobs else None

    @property
    def _printing(self) -> bool:
        return self.fault in (None, "paper_low")

    # --- Device ----------------------------------------------------------------
    def _raw(self, data: bytes) -> None:
        with self._lock:
            if len(data) == 3 and data[:2] == b"\x10\x04":
                if self.fault != "no_answer":
                    self._answers.append(answer_for(self.fault or "ok", data[2]))
            elif not self._printing:
                self.lost_bytes += len(data)

    def _discard_input(self) -> None:
        with self._lock:
            self._answers.clear()

    def _read(self, timeout: float) -> bytes:
        with self._lock:          # answers are immediate; no one waits out the timeout
            return self._answers.popleft() if self._answers else b""

    def send(self, data: bytes, *, job_id: str | None = None, kind: str = "ticket") -> None:
        with self._lock:
            if kind == "drawer":
                # A drawer kick needs the printer up, not paper.
                if self.fault in (None, "paper_low", "paper_out"):
                    self.drawer_kicks += 1
                else:
                    self.lost_bytes += len(data)
                return
            if not self._printing:
                self.lost_bytes += len(data)
                return
            complete = True
            if self.armed_fault is not None:
                cut = data.rfind(b"\n", 0, len(data) // 2) + 1   # a line boundary half-way
                self.lost_bytes += len(data) - cut
                data, complete = data[:cut], False
                self.fault, self.armed_fault = self.armed_fault, None
            try:
                decoded: DecodedJob | None = decode(data)
            except EscposDecodeError:
                decoded = None
            self.jobs.append(SimJob(kind, job_id, bytes(data), decoded, complete))


_registry: dict[str, SimulatedPrinter] = {}
_registry_lock = threading.Lock()


def simulated_printer(name: str = "default") -> SimulatedPrinter:
    """The process-wide simulator of that name, made on first use."""
    with _registry_lock:
        if name not in _registry:
            _registry[name] = SimulatedPrinter(name)
        return _registry[name]


def reset_simulators() -> None:
    """Forget every simulator (tests start from a clean printer)."""
    with _registry_lock:
        _registry.clear()
