"""Barcode scanners: `open_scanner(uri)` -> an object with `read(timeout)` and `start(cb)`/`stop()`.

- `serial:/dev/ttyUSB0?baudrate=9600&suffix=CR`: a scanner in serial (or
  USB-CDC) mode; each code ends with the suffix the scanner is programmed
  to send. A line that is not a clean code (noise at a wrong baud rate, a
  half-read, something longer than `maxlen`) is reported in `rejected` and
  to `on_error`, never returned and never fatal.
- `wedge`: the scanner types into the browser like a keyboard; nothing to
  read on the Python side (`reads_in_browser` is True).
- `sim:` (or `sim:name`): codes pushed with `.scan("…")`, for the demo.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from typing import Callable

import serial

from .errors import DeviceConfigError, DeviceError, ScanRejected, ScannerDisconnected
from .transports import close_quietly
from .uri import SERIAL_BAUDRATES, bad, parse_device_uri

log = logging.getLogger(__name__)

SCHEMES = ("serial", "wedge", "sim")
PARAMS = ("baudrate", "suffix", "maxlen")
SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
DEFAULT_MAXLEN = 64
KEEP_REJECTED = 50

Callback = Callable[[str], None]
ErrorCallback = Callable[[DeviceError], None]


def open_scanner(uri: str) -> "Scanner":
    u = parse_device_uri(uri, SCHEMES, PARAMS)
    if u.scheme == "wedge":
        if u.params or u.target:
            raise bad("wedge ne prend pas de paramètre.")
        return WedgeScanner()
    if u.scheme == "sim":
        from .scanner_sim import simulated_scanner
        if u.params:
            raise bad("le simulateur de lecteur ne prend pas de paramètre.")
        return simulated_scanner(u.target or "default")
    if not u.target:
        raise bad("port série manquant, par exemple serial:/dev/ttyUSB0?baudrate=9600.")
    suffix = u.params.get("suffix", "CR").upper()
    if suffix not in SUFFIXES:
        raise bad(f"suffix={suffix!r} : attendu l'un de {', '.join(SUFFIXES)}.")
    return SerialScanner(uri, u.target, u.int_param("baudrate", 9600, SERIAL_BAUDRATES), suffix,
                         u.int_param("maxlen", DEFAULT_MAXLEN, low=4, high=4096))


class Scanner:
    """Common part: a background reader built on `read()`, and the list of rejected lines."""

    uri = ""
    reads_in_browser = False

    def __init__(self) -> None:
        self.rejected: deque[ScanRejected] = deque(maxlen=KEEP_REJECTED)
        self.connected = True           # False between an unplug and the port coming back
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._on_error: ErrorCallback | None = None

    def read(self, timeout: float | None = None) -> str | None:
        """One code (stripped), or None if none came within `timeout` seconds."""
        raise NotImplementedError

    def start(self, callback: Callback, on_error: ErrorCallback | None = None) -> None:
        """Call `callback(code)` from a background thread for every code until `stop()`."""
        if self._thread and self._thread.is_alive():
            raise DeviceConfigError("Le lecteur de codes-barres est déjà démarré.",
                                    code="scanner_already_started")
        self._on_error = on_error
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(callback,), daemon=True,
                                        name=f"scanner {self.uri}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None

    def close(self) -> None:
        self.stop()

    def _report(self, error: DeviceError) -> None:
        if isinstance(error, ScanRejected):
            self.rejected.append(error)
        log.warning("scanner %s: %s (%s)", self.uri, error.code, error.message)
        if self._on_error:
            try:
                self._on_error(error)
            except Exception:          # a broken handler must not stop the reader
                log.exception("scanner error handler failed")

    def _loop(self, callback: Callback) -> None:
        self.connected = True
        while not self._stop.is_set():
            try:
                code = self.read(0.2)
            except ScannerDisconnected as exc:
                if self.connected:         # once per unplug, not once a second
                    self.connected = False
                    self._report(exc)
                self._stop.wait(1.0)       # then read() tries to reopen the port
                continue
            if not self.connected:
                log.info("scanner %s: reconnected", self.uri)
            self.connected = True
            if code is not None:
                try:
                    callback(code)
                except Exception:
                    log.exception("scanner callback failed for %r", code)


class SerialScanner(Scanner):
    def __init__(self, uri: str, port: str, baudrate: int = 9600, suffix: str = "CR",
                 maxlen: int = DEFAULT_MAXLEN) -> None:
        super().__init__()
        self.uri, self.port, self.baudrate, self.maxlen = uri, port, baudrate, maxlen
        self.suffix = suffix
        self._ends = set(SUFFIXES[suffix]) | {0x0D, 0x0A}   # CR or LF always end a code
        self._buffer = bytearray()
        self._skipping = False                               # inside an oversized line
        self._lock = threading.Lock()
        self._serial: serial.Serial | None = self._open(config_error=True)

    def _open(self, config_error: bool = False) -> serial.Serial | None:
        try:
            return serial.Serial(self.port, self.baudrate, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as exc:
            if not config_error:
                return None
            if not os.path.exists(self.port):
                raise DeviceConfigError(f"Port série {self.port} introuvable : vérifiez l'adresse du lecteur "
                                        "et qu'il est branché.", code="serial_port_not_found") from None
            raise DeviceConfigError(f"Port série {self.port} inaccessible : {exc}",
                                    code="serial_port_unavailable") from None

    def read(self, timeout: float | None = None) -> str | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                code = self._next_code()
                if code is not None:
                    return code
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._fill(0.1 if remaining is None else min(0.1, remaining))

    def _fill(self, wait: float) -> None:
        if self._serial is None:
            self._serial = self._open()
            if self._serial is None:
                time.sleep(wait)
                raise ScannerDisconnected(self._unplugged())
        try:
            self._serial.timeout = wait
            chunk = self._serial.read(max(1, self._serial.in_waiting))
        except (serial.SerialException, OSError):
            self._drop()
            raise ScannerDisconnected(self._unplugged()) from None
        self._buffer += chunk

    def _unplugged(self) -> str:
        return f"Lecteur de codes-barres débranché ({self.port}) : rebranchez-le."

    def _too_long(self, raw: bytes) -> ScanRejected:
        return ScanRejected(f"Code trop long (plus de {self.maxlen} caractères) : ignoré.",
                            code="scan_too_long", raw=raw[:self.maxlen])

    def _next_code(self) -> str | None:
        while True:
            end = next((i for i, b in enumerate(self._buffer) if b in self._ends), None)
            if end is None:
                if len(self._buffer) > self.maxlen:
                    if not self._skipping:
                        self._report(self._too_long(bytes(self._buffer)))
                    self._skipping = True
                    del self._buffer[:]
                return None
            raw = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            if self._skipping:          # the tail of an oversized line
                self._skipping = False
                continue
            code = self._check(raw)
            if code:
                return code

    def _check(self, raw: bytes) -> str | None:
        text = raw.strip(b" \t")
        if not text:
            return None
        if len(text) > self.maxlen:
            self._report(self._too_long(raw))
            return None
        if not all(0x20 <= b < 0x7F for b in text):
            self._report(ScanRejected("Lecture illisible (caractères parasites) : scannez à nouveau.",
                                      code="scan_unreadable", raw=raw))
            return None
        return text.decode("ascii")

    def _drop(self) -> None:
        close_quietly(self._serial)
        self._serial = None
        self._buffer.clear()
        self._skipping = False

    def close(self) -> None:
        super().close()
        with self._lock:
            self._drop()


class WedgeScanner(Scanner):
    """The scanner is a keyboard: the browser page reads it, Python has nothing to do."""

    uri = "wedge"
    reads_in_browser = True

    def read(self, timeout: float | None = None) -> str | None:
        if timeout:
            self._stop.wait(timeout)       # keep a polling caller from spinning
        return None

    def start(self, callback: Callback, on_error: ErrorCallback | None = None) -> None:
        pass

    def stop(self) -> None:
        pass


class QueueScanner(Scanner):
    """Codes pushed by code (`scan`); the `sim:` scanner."""

    def __init__(self, uri: str = "sim:") -> None:
        super().__init__()
        self.uri = uri
        self._codes: queue.Queue[str] = queue.Queue()

    def scan(self, code: str) -> None:
        self._codes.put(str(code).strip())

    def read(self, timeout: float | None = None) -> str | None:
        try:
            return self._codes.get(timeout=timeout) if timeout != 0 else self._codes.get_nowait()
        except queue.Empty:
            return None
