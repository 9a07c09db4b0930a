"""Device transports: each printer one is raw bytes out (`_raw`) and, if it can, bytes
back (`_read`); the serial close both the printer and the scanner use is here too.

Jobs are composed by python-escpos (render.py); these classes only move
bytes. python-escpos ships transports too, but its `File` truncates (we
append), its serial/network `_read` waits for 16 bytes when a status answer
is one, its network timeout is 60 s and its USB class needs pyusb and
libusb; these are small enough to own.

Failures: a transport that cannot be reached raises `PrinterOffline` (nothing
was sent, retrying is safe); one that breaks during a write raises
`PrintFailed` (the ticket may be half printed).
"""
from __future__ import annotations

import glob
import os
import select
import socket
import time
from abc import ABC, abstractmethod

import serial

from .errors import DeviceError, PrinterOffline, PrintFailed
from .status import PrinterStatus, read_status, status_query

STATUS_TIMEOUT = 0.5     # seconds for one DLE EOT answer; a live printer answers in milliseconds
WRITE_TIMEOUT = 10.0


def close_quietly(port: serial.Serial | None) -> None:
    """Close a serial port that may already be gone: an unplugged adapter raises on
    close, and the caller is dropping the port either way (it reopens it next time)."""
    if port is not None:
        try:
            port.close()
        except (serial.SerialException, OSError):
            pass


class Device(ABC):
    """One printer connection. Subclasses implement `_raw`, and `_read` if answers come back."""

    has_status = True
    status_timeout = STATUS_TIMEOUT

    def __init__(self, uri: str, trust_status: bool = False) -> None:
        self.uri = uri
        self.trust_status = trust_status     # status=none: a one-way printer, never asked

    @abstractmethod
    def _raw(self, data: bytes) -> None:
        """Send bytes to the printer."""

    def _read(self, timeout: float) -> bytes:
        """Bytes the printer sent back within `timeout`; b"" when it said nothing."""
        return b""

    def _discard_input(self) -> None:  # noqa: B027 - optional hook, most transports keep it
        """Forget answers that arrived late for an earlier question."""

    def send(self, data: bytes, *, job_id: str | None = None, kind: str = "ticket") -> None:
        self._raw(data)

    def ask(self, n: int) -> bytes:
        self._discard_input()
        self._raw(status_query(n))
        return self._read(self.status_timeout)

    def status(self) -> PrinterStatus:
        if self.trust_status:
            return PrinterStatus("ok", "Imprimante sans retour d'état : état non vérifié.")
        try:
            return read_status(self.ask)
        except DeviceError as exc:
            return PrinterStatus.of("offline", exc.message)

    def release(self) -> None:  # noqa: B027 - optional hook
        """End of one operation: connections that should not stay open close here."""

    def close(self) -> None:
        self.release()


class SerialDevice(Device):
    def __init__(self, uri: str, port: str, baudrate: int, flow: str = "none", **kw) -> None:
        super().__init__(uri, **kw)
        self.port, self.baudrate, self.flow = port, baudrate, flow
        self._serial: serial.Serial | None = None

    def _open(self) -> serial.Serial:
        if self._serial is None:
            try:
                self._serial = serial.Serial(
                    self.port, self.baudrate, timeout=self.status_timeout, write_timeout=WRITE_TIMEOUT,
                    rtscts=self.flow == "rtscts", xonxoff=self.flow == "xonxoff",
                    dsrdtr=self.flow == "dsrdtr")
            except (serial.SerialException, OSError, ValueError) as exc:
                raise PrinterOffline(f"Port série {self.port} inaccessible : {exc}") from None
        return self._serial

    def _raw(self, data: bytes) -> None:
        port = self._open()
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise PrintFailed(f"Envoi interrompu sur {self.port} : {exc}") from None

    def _discard_input(self) -> None:
        try:
            self._open().reset_input_buffer()
        except (serial.SerialException, OSError):
            self.close()

    def _read(self, timeout: float) -> bytes:
        port = self._open()
        try:
            port.timeout = timeout
            first = port.read(1)
            return first + (port.read(port.in_waiting) if first and port.in_waiting else b"")
        except (serial.SerialException, OSError):
            self.close()
            return b""

    def close(self) -> None:
        close_quietly(self._serial)
        self._serial = None


class TcpDevice(Device):
    """One connection per operation: raw-port printers serve one client and drop idle ones."""

    connect_timeout = 3.0

    def __init__(self, uri: str, host: str, port: int, **kw) -> None:
        super().__init__(uri, **kw)
        self.host, self.port = host, port
        self._sock: socket.socket | None = None

    def _open(self) -> socket.socket:
        if self._sock is None:
            try:
                self._sock = socket.create_connection((self.host, self.port), self.connect_timeout)
            except OSError as exc:
                raise PrinterOffline(f"{self.host}:{self.port} injoignable : {exc}") from None
        return self._sock

    def _raw(self, data: bytes) -> None:
        sock = self._open()
        try:
            sock.settimeout(WRITE_TIMEOUT)
            sock.sendall(data)
        except OSError as exc:
            self.release()
            raise PrintFailed(f"Envoi interrompu vers {self.host}:{self.port} : {exc}") from None

    def _read(self, timeout: float) -> bytes:
        sock = self._open()
        try:
            sock.settimeout(timeout)
            return sock.recv(16)
        except OSError:             # timeout included: silence is an answer of its own
            return b""

    def release(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None


class FileDevice(Device):
    """A sink: each job's bytes appended to a file (spooling, tests, `cat file > /dev/usb/lp0`)."""

    has_status = False

    def __init__(self, uri: str, path: str, **kw) -> None:
        super().__init__(uri, **kw)
        self.path = path

    def _raw(self, data: bytes) -> None:
        try:
            handle = open(self.path, "ab")
        except OSError as exc:
            raise PrinterOffline(f"Fichier {self.path} inaccessible : {exc.strerror}") from None
        try:
            with handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise PrintFailed(f"Écriture interrompue dans {self.path} : {exc.strerror}") from None

    def status(self) -> PrinterStatus:
        try:
            with open(self.path, "ab"):
                pass
        except OSError as exc:
            message = f"Fichier d'impression {self.path} inaccessible : {exc.strerror}."
            return PrinterStatus("offline", message)
        return PrinterStatus.of("ok")


def _read_hex(path: str) -> int:
    with open(path) as handle:
        return int(handle.read(), 16)


class UsbDevice(Device):
    """A USB printer through the kernel's usblp driver (/dev/usb/lpN), found by vendor:product."""

    def __init__(self, uri: str, vendor: int | None, product: int | None, path: str | None = None,
                 sysfs: str = "/sys", **kw) -> None:
        super().__init__(uri, **kw)
        self.vendor, self.product, self.path, self.sysfs = vendor, product, path, sysfs
        self._fd: int | None = None

    def _find(self) -> str:
        if self.path:
            return self.path
        for node in sorted(glob.glob(os.path.join(self.sysfs, "class/usbmisc/lp*"))):
            device = os.path.realpath(os.path.join(node, "device", ".."))
            try:
                ids = (_read_hex(os.path.join(device, "idVendor")),
                       _read_hex(os.path.join(device, "idProduct")))
            except (OSError, ValueError):
                continue
            if ids == (self.vendor, self.product):
                return os.path.join("/dev/usb", os.path.basename(node))
        raise PrinterOffline(f"Imprimante USB {self.vendor:04x}:{self.product:04x} introuvable "
                             "(branchée ? pilote usblp chargé ?)")

    def _open(self) -> int:
        if self._fd is None:
            path = self._find()
            try:
                self._fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            except OSError as exc:
                raise PrinterOffline(f"{path} inaccessible : {exc.strerror}") from None
        return self._fd

    def _raw(self, data: bytes) -> None:
        fd, view, deadline = self._open(), memoryview(data), time.monotonic() + WRITE_TIMEOUT
        try:
            while view:
                if not select.select([], [fd], [], max(0.0, deadline - time.monotonic()))[1]:
                    raise OSError("délai dépassé")
                view = view[os.write(fd, view):]
        except OSError as exc:
            self.close()
            raise PrintFailed(f"Envoi USB interrompu : {exc}") from None

    def _read(self, timeout: float) -> bytes:
        fd = self._open()
        try:
            if select.select([fd], [], [], timeout)[0]:
                return os.read(fd, 16)
        except OSError:
            self.close()
        return b""

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None
