"""A TCP proxy on loopback that a test can cut and restore.

`cut("reset")` closes every connection and refuses new ones (a router that
answers "no route"); `cut("blackhole")` keeps connections open but stops
carrying bytes either way, and new connections hang (a line that goes silent,
the hard case for a client that must notice a dead link by itself). Nothing
is dropped: after `restore()` what was queued flows again, as TCP would.
"""
from __future__ import annotations

import select
import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.mode = "open"  # open / reset / blackhole
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "reset":
                client.close()
                continue
            while self.mode == "blackhole" and not self._stop.is_set():
                self._stop.wait(0.05)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self._stop.is_set():
                if self.mode == "blackhole":
                    self._stop.wait(0.05)
                    continue
                ready, _, _ = select.select(list(peers), [], [], 0.2)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except OSError:
            return
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
            with self._lock:
                if (a, b) in self._pairs:
                    self._pairs.remove((a, b))

    def cut(self, how: str = "reset") -> None:
        assert how in ("reset", "blackhole")
        self.mode = how
        if how == "reset":
            with self._lock:
                pairs = list(self._pairs)
            for a, b in pairs:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def restore(self) -> None:
        self.mode = "open"

    def close(self) -> None:
        self._stop.set()
        self.cut("reset")
        self.listener.close()
