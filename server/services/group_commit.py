"""Group commit: the requests that arrive together share one transaction, and
each is answered only after that transaction commits.

At the rush, 2,000 shops each send one bet at a time, and after a restart
20,000 terminals connect within seconds. One transaction per request would be
one fsync per request (SQLite) or one commit round trip (PostgreSQL); one
transaction for everything waiting costs one of each per turn. There is no
timer: the first request to find the writer idle leads a turn, deciding every
request queued at that moment (its own first) and committing; those arriving
meanwhile wait for the next turn, led by the first of them as soon as this
one ends. So no request waits longer than one commit for its turn, a quiet
server commits each request at once and a busy one commits bigger turns (the
leader/follower queue of LevelDB's writers and PostgreSQL's WAL flush).

Each waiting request is woken once, by the turn that decided it or, if it is
next in line, by the turn before it: waking every waiter at every turn would
cost the square of the queue at the rush.

If the turn's transaction fails (the store is down, failing over, full),
every request of the turn gets `StoreUnavailable` and nothing of it was
stored: terminals keep their bets and send them again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from betting.errors import BettingError

log = logging.getLogger("guichet.server")

# Items (bets, connections) decided in one transaction at most; the rest wait.
MAX_ITEMS_PER_COMMIT = 2_000


class StoreUnavailable(BettingError):
    """The turn's transaction failed: nothing of it was stored, and the terminal
    sends its bets again."""

    code = "store_unavailable"
    default_message = ("Le serveur central n'a pas pu enregistrer ces paris : "
                       "ils restent en attente sur ce terminal et partiront d'eux-mêmes.")


@dataclass(eq=False)
class Request:
    """One caller's request, waiting for its turn or being decided."""

    payload: Any
    size: int = 1  # items it weighs against the turn's cap (bets of a place_bets)
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    turn_size: int = 0  # items of the turn that decided it
    enqueued: float = field(default_factory=time.perf_counter)
    wake: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Turn:
    """What one commit did, for the metrics: requests, items, seconds."""

    requests: int
    items: int
    seconds: float
    ok: bool


class GroupCommit:
    """Requests decided in turns, one transaction per turn.

    A subclass decides a turn in `decide_turn(payloads)`: it opens and commits
    its unit of work and returns one result per payload, or an exception
    instance for a payload refused alone. The store keeps its own blocking calls
    (SQLite's fsync) off the event loop (server/web/blocking.py); `on_turn(Turn)`
    is told of each turn.
    """

    name = "requests"

    def __init__(self, on_turn: Callable[[Turn], None] | None = None,
                 max_items: int = MAX_ITEMS_PER_COMMIT) -> None:
        self.on_turn = on_turn
        self.max_items = max_items
        self._queue: deque[Request] = deque()  # waiting or being decided, in order
        self._lock = threading.Lock()

    def decide_turn(self, payloads: list) -> list:
        raise NotImplementedError

    def submit(self, payload: Any, size: int = 1) -> Any:
        """The result of `payload` once its turn is committed; raises the
        exception its turn gave it (StoreUnavailable when the commit failed)."""
        request = Request(payload, size)
        with self._lock:
            self._queue.append(request)
            leads = len(self._queue) == 1
        if not leads:
            request.wake.wait()  # decided, or next in line
        if not request.done:
            with self._lock:
                turn = self._take()
            try:
                self._decide(turn)
            finally:
                with self._lock:
                    for taken in turn:
                        if not taken.done:  # the turn was interrupted (the process stops)
                            taken.error, taken.done = StoreUnavailable(), True
                        self._queue.popleft()
                    following = self._queue[0] if self._queue else None
                for taken in turn:
                    if taken is not request:
                        taken.wake.set()
                if following is not None:
                    following.wake.set()
        if request.error is not None:
            raise request.error
        return request.result

    def _take(self) -> list[Request]:
        """The requests of the next turn, from the front of the queue: whole
        requests, up to the cap (a request above the cap alone is its own turn)."""
        turn, items = [], 0
        for request in self._queue:
            if turn and items + request.size > self.max_items:
                break
            turn.append(request)
            items += request.size
        return turn

    def _decide(self, turn: list[Request]) -> None:
        started = time.perf_counter()
        answers: list = []
        failure = None
        try:
            answers = self.decide_turn([r.payload for r in turn])
        except Exception as exc:  # the store failed: nothing of this turn was stored
            log.warning("a commit of %d %s failed, nothing of it is stored: %s: %s",
                        len(turn), self.name, type(exc).__name__,
                        " ".join(str(exc).split())[:200])
            failure = StoreUnavailable()
        seconds = time.perf_counter() - started
        items = sum(r.size for r in turn)
        for i, request in enumerate(turn):
            answer = failure if failure is not None else answers[i]
            if isinstance(answer, BaseException):
                request.error = answer
            else:
                request.result = answer
            request.turn_size = items
            request.done = True
        if self.on_turn is not None:
            try:
                self.on_turn(Turn(len(turn), items, seconds, failure is None))
            except Exception:
                log.exception("turn observer failed")
