"""Group commit: the `place_bets` requests that arrive together are decided in
one transaction, and each is answered only after that transaction commits.

At the rush, 2,000 shops each send one bet at a time. One transaction per
bet would be one fsync per bet (SQLite) or one commit round trip per bet
(PostgreSQL); one transaction for everything waiting costs one of each per
turn. There is no timer: the first request to find the writer idle decides
every request queued at that moment (its own first) and commits; those that
arrive meanwhile wait for the next turn, which starts as soon as this one
ends. So no bet waits longer than one commit for a turn, a quiet server
commits each bet at once, and a busy one commits bigger batches
(the leader/follower queue of LevelDB's writers and PostgreSQL's WAL flush).

What a bet is answered does not change: each bet still has its own savepoint
(one bad bet rejects itself, never its neighbours), a resend still gets the
first answer (the unique keys decide), and a request whose terminal was
disabled is refused alone. If the commit fails, every request of the turn
gets the error and nothing of it was stored: the terminals keep those bets in
their outboxes and send them again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from betting.errors import BettingError, TerminalDisabled
from guichet.clock import utcnow

from . import fleet
from .ledger import NeedsIsolation, OfflineRule, place_one

log = logging.getLogger("guichet.server")

# Bets decided in one transaction at most; the rest wait for the next turn.
MAX_BETS_PER_COMMIT = 2_000


class StoreUnavailable(BettingError):
    """The turn's transaction failed (the store is down, failing over, full):
    nothing of it was stored, and the terminal sends the bets again."""

    code = "store_unavailable"
    default_message = ("Le serveur central n'a pas pu enregistrer ces paris : "
                       "ils restent en attente sur ce terminal et partiront d'eux-mêmes.")


@dataclass(eq=False)
class _Request:
    terminal_id: str
    raw_bets: list
    done: bool = False
    results: list[dict] | None = None
    error: BaseException | None = None
    # filled by the turn that decided it
    batch_size: int = 0
    waited_s: float = 0.0
    enqueued: float = field(default_factory=time.perf_counter)
    wake: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Turn:
    """What one commit did, for the metrics: requests, bets, seconds."""

    requests: int
    bets: int
    seconds: float
    ok: bool


class BetWriter:
    """Decides `place_bets` requests in turns, one transaction per turn.

    `run_blocking(fn)` runs a turn's transaction where its blocking calls do
    not stop the server's other work (a native thread under gevent, for
    SQLite, whose calls do not yield); `on_turn(Turn)` is told of each turn.
    """

    def __init__(self, store, rule: OfflineRule,
                 run_blocking: Callable[[Callable[[], None]], None] | None = None,
                 on_turn: Callable[[Turn], None] | None = None,
                 max_bets: int = MAX_BETS_PER_COMMIT) -> None:
        self.store = store
        self.rule = rule
        self.run_blocking = run_blocking or (lambda fn: fn())
        self.on_turn = on_turn
        self.max_bets = max_bets
        self._queue: deque[_Request] = deque()  # waiting or being decided, in order
        self._lock = threading.Lock()

    def place(self, terminal_id: str, raw_bets: list) -> list[dict]:
        """The answers to one terminal's bets, once they are committed.

        Raises TerminalDisabled when the terminal is disabled (or unknown),
        or the store's error when the turn's transaction failed."""
        request = _Request(terminal_id, raw_bets)
        with self._lock:
            self._queue.append(request)
            leads = len(self._queue) == 1
        if not leads:
            # Woken once: by the turn that decided this request, or by the turn
            # that ended with it at the front, which makes it the next leader.
            # Only those requests are woken (one event each): waking every waiter
            # at every turn would cost the square of the queue at the rush.
            request.wake.wait()
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
        return request.results

    def _take(self) -> list[_Request]:
        """The requests of the next turn, from the front of the queue."""
        turn, bets = [], 0
        for request in self._queue:
            if turn and bets + len(request.raw_bets) > self.max_bets:
                break
            turn.append(request)
            bets += len(request.raw_bets)
        return turn

    def _decide(self, turn: list[_Request]) -> None:
        started = time.perf_counter()
        answers: dict[int, list[dict] | BaseException] = {}

        def transaction(isolated: bool) -> None:
            answers.clear()
            now = utcnow()
            races: dict = {}
            with self.store.unit_of_work() as uow:
                # Disabled or not is read in the transaction that writes the bets.
                keys = fleet.terminal_keys(uow, sorted({r.terminal_id for r in turn}))
                for i, request in enumerate(turn):
                    key = keys.get(request.terminal_id)
                    if key is None:
                        answers[i] = TerminalDisabled()
                        continue
                    answers[i] = [place_one(uow, request.terminal_id, key, raw, now, races,
                                            self.rule, isolated) for raw in request.raw_bets]
                uow.commit()

        def optimistic() -> None:
            # Every bet without its own savepoint first; should one fail, the turn
            # is rolled back and placed again with a savepoint per bet, so the
            # failure rejects that bet alone.
            try:
                transaction(isolated=False)
            except NeedsIsolation:
                log.warning("a bet of a turn failed: placing the turn again bet by bet")
                transaction(isolated=True)

        failure = None
        try:
            self.run_blocking(optimistic)
        except Exception as exc:  # the store failed: nothing of this turn was stored
            log.warning("a commit of %d requests failed, they will be sent again: %s: %s",
                        len(turn), type(exc).__name__, str(exc).strip()[:200])
            failure = StoreUnavailable()
        seconds = time.perf_counter() - started
        bets = sum(len(r.raw_bets) for r in turn)
        for i, request in enumerate(turn):
            answer = failure if failure is not None else answers.get(i)
            if isinstance(answer, BaseException):
                request.error = answer
            else:
                request.results = answer
            request.batch_size = bets
            request.waited_s = started - request.enqueued
            request.done = True
        if self.on_turn is not None:
            try:
                self.on_turn(Turn(len(turn), bets, seconds, failure is None))
            except Exception:
                log.exception("turn observer failed")
