"""What the terminal knows live from the server's pushes, in memory only.

The sync client (sync.py) writes here as pushes arrive: probable odds and
pool totals per open race (`odds`), pools closing (`pool_state`), official
results with their dividends (`results`). The UI's event stream
(terminal_app/web/ui_live.py) reads the current state on connect, then waits
here for news. Nothing here is needed to sell: after a restart the next
pushes fill it again (the server sends the last odds to a terminal that
connects); results received before a restart are not kept.

Bounded: the last `KEEP_EVENTS` events, the results of `KEEP_RESULTS` races,
at most `MAX_LISTENERS` event streams at once. A new stream past that takes the
place of the oldest, which ends: a page reloaded leaves its old stream behind
until a write to it fails, and the page the shopkeeper looks at now is the
newest (an ended page that is still open reconnects and gets the state again).
"""
from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

KEEP_EVENTS = 200
KEEP_RESULTS = 100
MAX_LISTENERS = 8


@dataclass(frozen=True)
class LiveEvent:
    seq: int
    kind: str  # "odds", "pool_state", "results"
    race: str


@dataclass(frozen=True)
class RaceOdds:
    odds: dict  # runner number (str) -> odds x100 (430 is 4.30)
    pools: dict  # bet type -> cents
    at: str | None


class Live:
    def __init__(self, max_listeners: int = MAX_LISTENERS) -> None:
        self._changed = threading.Condition()
        self._seq = 0
        self._events: deque[LiveEvent] = deque(maxlen=KEEP_EVENTS)
        self._odds: dict[str, RaceOdds] = {}
        self._states: dict[str, tuple[str, str | None]] = {}  # race -> (state, cause)
        self._results: OrderedDict[str, dict] = OrderedDict()
        self._max_listeners = max_listeners
        self._listeners: OrderedDict[int, bool] = OrderedDict()  # token -> ended early
        self._tokens = itertools.count(1)
        self.closed = False

    # -- written by the sync client ----------------------------------------
    def set_odds(self, race: str, odds: dict, pools: dict, at: str | None) -> None:
        with self._changed:
            self._odds[race] = RaceOdds(dict(odds), dict(pools), at)
            self._add("odds", race)

    def set_pool_state(self, race: str, state: str, cause: str | None) -> None:
        with self._changed:
            self._states[race] = (state, cause)
            if state != "open":
                self._odds.pop(race, None)  # no longer priced
            self._add("pool_state", race)

    def set_results(self, race: str, published: dict) -> None:
        with self._changed:
            self._results[race] = published
            self._results.move_to_end(race)
            while len(self._results) > KEEP_RESULTS:
                self._results.popitem(last=False)
            self._add("results", race)

    def _add(self, kind: str, race: str) -> None:
        self._seq += 1
        self._events.append(LiveEvent(self._seq, kind, race))
        self._changed.notify_all()

    # -- read by the UI -------------------------------------------------------
    @property
    def last_seq(self) -> int:
        with self._changed:
            return self._seq

    def odds(self, race: str) -> RaceOdds | None:
        with self._changed:
            return self._odds.get(race)

    def all_odds(self) -> dict[str, RaceOdds]:
        with self._changed:
            return dict(self._odds)

    def pool_state(self, race: str) -> tuple[str, str | None] | None:
        """(state, cause) as last pushed, or None when no push was received."""
        with self._changed:
            return self._states.get(race)

    def state_of(self, race: str, stored: str) -> str:
        """The race's pool state as last pushed, else `stored` (the cached
        programme's, which the sync thread writes after this): the screen draws
        and streams one same state."""
        with self._changed:
            pushed = self._states.get(race)
        return pushed[0] if pushed else stored

    def results(self, race: str) -> dict | None:
        with self._changed:
            return self._results.get(race)

    def result_races(self) -> list[str]:
        with self._changed:
            return list(self._results)

    def wait(self, after: int, timeout: float, token: int | None = None) -> list[LiveEvent]:
        """The events after `after`, waiting up to `timeout` seconds for one, or for
        the stream `token` to be told to end. Events that fell out of the window are
        lost: the caller sends the state again."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.closed or self._seq > after or self._listeners.get(token, False),
                timeout)
            return [e for e in self._events if e.seq > after]

    def close(self) -> None:
        """The terminal stops: every waiting stream ends."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    # -- event streams --------------------------------------------------------
    def listen(self) -> int:
        """A stream's place: its token. With every place taken, the oldest stream
        is told to end (`replaced`) and its place goes to this one."""
        with self._changed:
            live = [t for t, ended in self._listeners.items() if not ended]
            if len(live) >= self._max_listeners:
                self._listeners[live[0]] = True
                self._changed.notify_all()
            token = next(self._tokens)
            self._listeners[token] = False
            return token

    def replaced(self, token: int) -> bool:
        """Was this stream told to end for a newer one?"""
        with self._changed:
            return self._listeners.get(token, True)

    def stop_listening(self, token: int) -> None:
        with self._changed:
            self._listeners.pop(token, None)

    @property
    def listeners(self) -> int:
        """Streams holding a place now."""
        with self._changed:
            return sum(1 for ended in self._listeners.values() if not ended)
