"""The last scans, whatever read them: the serial reader thread, the `sim:` scanner or
the browser (keyboard wedge).

Each scan is checked here with `betting.tickets.parse_ticket_code`, so a misread
code is refused with a French message before anything is asked of the server.
The UI follows the feed live (server-sent events, `ui_tickets.py`); event ids
start from the clock in milliseconds so that a browser reconnecting after a
terminal restart (`Last-Event-ID`) does not skip the new scans.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from betting.errors import InvalidTicketCode
from betting.tickets import group_code, parse_ticket_code

KEEP = 50
MAX_RAW = 64          # a longer "code" is refused without being parsed


@dataclass(frozen=True)
class ScanEvent:
    id: int
    at: str
    source: str                 # "serial", "sim", "wedge"
    ok: bool                    # a well-formed ticket code with a good check digit
    code: str | None            # the canonical 24 digits when ok
    raw: str                    # what was read, printable and cut to MAX_RAW
    error: str | None           # English code when not ok
    message: str                # French, for the shopkeeper

    def to_dict(self) -> dict:
        return asdict(self)


def check_scan(raw: str) -> tuple[str | None, str | None, str]:
    """(code, error, message) for what a scanner read."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(raw))
    if len(text) > MAX_RAW:
        return None, "scan_too_long", f"Code trop long (plus de {MAX_RAW} caractères) : ignoré."
    try:
        ref = parse_ticket_code(text)
    except InvalidTicketCode as exc:
        return None, exc.code, exc.message
    return ref.code, None, f"Ticket lu : {group_code(ref.code)}."


class ScanFeed:
    def __init__(self, keep: int = KEEP) -> None:
        self._events: deque[ScanEvent] = deque(maxlen=keep)
        self._next = int(time.time() * 1000)
        self._changed = threading.Condition()
        self.closed = False

    @property
    def last_id(self) -> int:
        with self._changed:
            return self._next - 1

    def add_code(self, raw: str, source: str) -> ScanEvent:
        code, error, message = check_scan(raw)
        return self._add(source, code is not None, code, str(raw), error, message)

    def add_error(self, source: str, error: str, message: str, raw: str = "") -> ScanEvent:
        return self._add(source, False, None, raw, error, message)

    def _add(self, source: str, ok: bool, code: str | None, raw: str, error: str | None,
             message: str) -> ScanEvent:
        printable = "".join(ch if ch.isprintable() else "?" for ch in raw)[:MAX_RAW]
        with self._changed:
            event = ScanEvent(self._next, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              source, ok, code, printable, error, message)
            self._next += 1
            self._events.append(event)
            self._changed.notify_all()
        return event

    def get(self, event_id: int) -> ScanEvent | None:
        with self._changed:
            return next((e for e in self._events if e.id == event_id), None)

    def since(self, after: int) -> list[ScanEvent]:
        with self._changed:
            return [e for e in self._events if e.id > after]

    def recent(self, n: int = 20) -> list[ScanEvent]:
        with self._changed:
            return list(self._events)[-n:][::-1]

    def wait(self, after: int, timeout: float) -> list[ScanEvent]:
        """The events after `after`, waiting up to `timeout` seconds for one."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self._next - 1 > after, timeout)
            return [e for e in self._events if e.id > after]

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
