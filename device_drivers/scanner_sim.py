"""Scanner simulators.

`SimulatedSerialScanner` is a virtual serial scanner on a pseudo-terminal
pair: the driver under test opens the slave path with pyserial exactly as it
would open /dev/ttyUSB0, and `scan()` writes the code and its suffix into the
master side, as the scanner's firmware would. No mock of pyserial anywhere.

`simulated_scanner(name)` is the in-memory `sim:` scanner the demo uses.
"""
from __future__ import annotations

import os
import threading
import tty

from .scanner import SUFFIXES, QueueScanner


class SimulatedSerialScanner:
    """with SimulatedSerialScanner() as sim: open_scanner(sim.uri); sim.scan("1234")"""

    def __init__(self, suffix: str = "CR", baudrate: int = 9600) -> None:
        self.suffix = suffix
        self.baudrate = baudrate
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)          # no echo, no CR->LF rewriting before pyserial opens it
        self.path = os.ttyname(self._slave)

    @property
    def uri(self) -> str:
        return f"serial:{self.path}?baudrate={self.baudrate}&suffix={self.suffix}"

    def scan(self, code: str) -> None:
        self.send_raw(code.encode("ascii") + SUFFIXES[self.suffix])

    def send_raw(self, data: bytes) -> None:
        """Anything at all, as line noise or a misconfigured scanner would send it."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._master, view):]

    def unplug(self) -> None:
        """Close both ends: the reader sees the port vanish."""
        self.close()

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    def __enter__(self) -> "SimulatedSerialScanner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_registry: dict[str, QueueScanner] = {}
_lock = threading.Lock()


def simulated_scanner(name: str = "default") -> QueueScanner:
    """The process-wide `sim:` scanner of that name (the demo's "scan" button pushes into it)."""
    with _lock:
        if name not in _registry:
            _registry[name] = QueueScanner("sim:" if name == "default" else f"sim:{name}")
        return _registry[name]


def reset_simulated_scanners() -> None:
    with _lock:
        for scanner in _registry.values():
            scanner.stop()
        _registry.clear()
