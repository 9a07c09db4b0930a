"""Taking bets in turns: the `place_bets` requests that arrive together are
decided in one transaction (server/services/group_commit.py), and each is
answered only after that transaction commits.

What a bet is answered does not change: a resend still gets the first answer
(the unique keys decide), and a request whose terminal was disabled is
refused alone. A turn first places its bets without a savepoint each (two
round trips fewer per bet on PostgreSQL); should one fail (a fault, not a
refusal), the turn is rolled back and placed again with a savepoint per bet,
so that bet alone is rejected, never its neighbours.
"""
from __future__ import annotations

import logging

from betting.errors import TerminalDisabled
from guichet.clock import utcnow

from . import fleet
from .group_commit import MAX_ITEMS_PER_COMMIT, GroupCommit, StoreUnavailable, Turn
from .ledger import NeedsIsolation, OfflineRule, place_one

log = logging.getLogger("guichet.server")

__all__ = ["BetWriter", "StoreUnavailable", "Turn"]


class BetWriter(GroupCommit):
    """Decides `place_bets` requests in turns, one transaction per turn."""

    name = "place_bets requests"

    def __init__(self, store, rule: OfflineRule, on_turn=None,
                 max_bets: int = MAX_ITEMS_PER_COMMIT) -> None:
        super().__init__(on_turn, max_bets)
        self.store = store
        self.rule = rule

    def place(self, terminal_id: str, raw_bets: list) -> list[dict]:
        """The answers to one terminal's bets, once they are committed.

        Raises TerminalDisabled when the terminal is disabled (or unknown),
        or StoreUnavailable when the turn's transaction failed."""
        return self.submit((terminal_id, raw_bets), size=max(1, len(raw_bets)))

    def decide_turn(self, payloads: list) -> list:
        try:
            return self._transaction(payloads, isolated=False)
        except NeedsIsolation:
            log.warning("a bet of a turn failed: placing the turn again bet by bet")
            return self._transaction(payloads, isolated=True)

    def _transaction(self, payloads: list, isolated: bool) -> list:
        now = utcnow()
        races: dict = {}
        answers: list = []
        with self.store.unit_of_work() as uow:
            # Disabled or not is read in the transaction that writes the bets.
            keys = fleet.terminal_keys(uow, sorted({terminal for terminal, _ in payloads}))
            for terminal_id, raw_bets in payloads:
                key = keys.get(terminal_id)
                if key is None:
                    answers.append(TerminalDisabled())
                    continue
                answers.append([place_one(uow, terminal_id, key, raw, now, races, self.rule,
                                          isolated) for raw in raw_bets])
            uow.commit()
        return answers
