"""Stand-in printers behind real transports, for tests and bench work without hardware.

`PtyPrinter` sits on the master side of a pseudo-terminal (the driver opens
the slave path as `serial:`), `LoopbackPrinter` listens on 127.0.0.1 (the
driver connects with `tcp://`). Both answer DLE EOT as a printer in `state`
would (or stay silent with state "no_answer") and keep every other byte they
receive in `received`, so a test exercises pyserial / sockets for real.
"""
from __future__ import annotations

import os
import select
import socket
import threading
import tty

from .status import answer_for


class _FakePrinter:
    def __init__(self) -> None:
        self.state: str = "ok"           # any printer state, or "no_answer"
        self.received = bytearray()
        self.queries: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _handle(self, chunk: bytes) -> bytes:
        """Record a chunk; return the answer to send back (a lone DLE EOT n is a question)."""
        with self._lock:
            if len(chunk) == 3 and chunk[:2] == b"\x10\x04":
                self.queries.append(chunk[2])
                return b"" if self.state == "no_answer" else answer_for(self.state, chunk[2])
            self.received += chunk
            return b""

    def _start(self, target) -> None:
        self._thread = threading.Thread(target=target, daemon=True, name=type(self).__name__)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PtyPrinter(_FakePrinter):
    def __init__(self) -> None:
        super().__init__()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._start(self._run)

    def uri(self, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"baudrate": "19200", **params}.items())
        return f"serial:{self.path}?{query}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not select.select([self._master], [], [], 0.05)[0]:
                    continue
                answer = self._handle(os.read(self._master, 4096))
                if answer:
                    os.write(self._master, answer)
            except OSError:
                return

    def close(self) -> None:
        super().close()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class LoopbackPrinter(_FakePrinter):
    def __init__(self) -> None:
        super().__init__()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self.connections = 0
        self._start(self._run)

    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.05)
                while not self._stop.is_set():
                    try:
                        chunk = conn.recv(4096)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    answer = self._handle(chunk)
                    if answer:
                        conn.sendall(answer)

    def close(self) -> None:
        super().close()
        self._server.close()
