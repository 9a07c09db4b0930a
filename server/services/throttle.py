"""Counting failures per subject in a sliding window, to slow down guessing.

Used for enrolment codes (per remote address) and ticket codes (per
terminal). The counts live in the memory of one server process: a restart
forgets them, and each process of a scaled-out deployment counts on its own
(an enrolment guesser spread over N processes gets N times the allowance).
That is enough to turn thousands of guesses a second into a handful a minute.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_SUBJECTS = 100_000  # memory bound: the oldest subjects are forgotten first


class FailureThrottle:
    """At most `limit` failures per `window_s` seconds per subject; then refuse
    until the oldest failure leaves the window."""

    def __init__(self, limit: int, window_s: float, clock=time.monotonic) -> None:
        self.limit, self.window_s, self._clock = int(limit), float(window_s), clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, subject: str, now: float) -> deque | None:
        failures = self._failures.get(subject)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[subject]
            return None
        return failures

    def retry_after(self, subject: str) -> int:
        """Seconds before `subject` may try again; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            failures = self._recent(subject, now)
            if failures is None or len(failures) < self.limit:
                return 0
            return max(1, math.ceil(failures[0] + self.window_s - now))

    def fail(self, subject: str) -> None:
        """Count one failure of `subject`."""
        now = self._clock()
        with self._lock:
            failures = self._recent(subject, now)
            if failures is None:
                if len(self._failures) >= MAX_SUBJECTS:
                    self._failures.pop(next(iter(self._failures)))
                failures = self._failures[subject] = deque()
            failures.append(now)
            while len(failures) > self.limit:  # only the newest `limit` matter
                failures.popleft()

    def clear(self, subject: str) -> None:
        with self._lock:
            self._failures.pop(subject, None)
