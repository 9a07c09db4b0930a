"""Admission of terminal handshakes: a process works on a bounded number at once.

When the central restarts, every shop reconnects within seconds. Each handshake
(websocket upgrade, Engine.IO and Socket.IO opening, the signature checked, the
connection claimed in the store) costs the process CPU, and all of them at once
share it so thinly that none finishes before its terminal gives up (the
terminal waits 5 s) and tries again: the work done for it is lost, and the
storm feeds itself. Admitted handshakes are therefore counted; past the bound,
a new one is answered at once with `503 Service Unavailable` and a
`Retry-After`, which costs the process little, and the terminal tries again
after its backoff (terminal_app/adapters/sync.py). Waiting for a slot instead
(up to 3 s, in order of arrival) was tried and drained a storm more slowly:
the waiting sockets count against the process's `--worker-connections`, which
then stops accepting at all (bench/RESULTS.md).

A slot is taken when the websocket request arrives and given back when the
namespace connect has been decided (`release`, called by the namespace's
`on_connect`) or the request ends. A client that opens a websocket and never
connects cannot keep its slot: slots older than `SLOT_TTL_S` are taken back.
Only the opening of a Socket.IO session is counted; the back office, the JSON
API and the health check are never refused here.
"""
from __future__ import annotations

import logging
import random
import time

log = logging.getLogger(__name__)

DEFAULT_MAX_HANDSHAKES = 500  # per process (GUICHET_MAX_HANDSHAKES; bench/RESULTS.md)
SLOT_TTL_S = 10.0
RELEASE_KEY = "guichet.admission.release"
SOCKETIO_PATH = "/socket.io/"


class Admission:
    """WSGI middleware bounding the Socket.IO handshakes in progress."""

    def __init__(self, app, limit: int = DEFAULT_MAX_HANDSHAKES, on_refused=None,
                 clock=time.monotonic) -> None:
        self.app = app
        self.limit = limit
        self.on_refused = on_refused or (lambda: None)
        self.clock = clock
        self.slots: dict[int, float] = {}  # slot id -> when it was taken
        self.next_slot = 0
        self.refused = 0

    def __call__(self, environ, start_response):
        if not self._opening(environ):
            return self.app(environ, start_response)
        slot = self._take()
        if slot is None:
            self.refused += 1
            self.on_refused()
            if self.refused % 1000 == 1:
                log.warning("handshakes: %d in progress, the bound; %d refused so far "
                            "(503, retried by the terminals)", self.limit, self.refused)
            # spread the retries over a few seconds rather than all at the same instant
            retry = str(random.randint(1, 5))
            start_response("503 Service Unavailable", [
                ("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", retry),
                ("Cache-Control", "no-store"), ("Content-Length", "5")])
            return [b"busy\n"]
        environ[RELEASE_KEY] = lambda: self._give_back(slot)
        try:
            return self.app(environ, start_response)
        finally:
            # websocket transport: the request lasts as long as the connection
            self._give_back(slot)

    @staticmethod
    def _opening(environ) -> bool:
        """A new Engine.IO session: the Socket.IO path, no session id yet."""
        return (environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH)
                and "sid=" not in environ.get("QUERY_STRING", ""))

    def _take(self) -> int | None:
        now = self.clock()
        if len(self.slots) >= self.limit:
            expired = [s for s, t in self.slots.items() if now - t > SLOT_TTL_S]
            for s in expired:
                del self.slots[s]
            if len(self.slots) >= self.limit:
                return None
        self.next_slot += 1
        self.slots[self.next_slot] = now
        return self.next_slot

    def _give_back(self, slot: int) -> None:
        self.slots.pop(slot, None)

    @property
    def in_progress(self) -> int:
        return len(self.slots)


def release(environ) -> None:
    """Give back the handshake's slot (the namespace connect is decided)."""
    give_back = environ.get(RELEASE_KEY) if environ is not None else None
    if give_back is not None:
        give_back()
