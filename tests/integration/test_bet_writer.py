"""Group commit (server/services/bet_writer.py), on SQLite and on PostgreSQL:
concurrent requests share a transaction, each answer comes after the commit
that holds its bet, and a failed commit answers every request of its turn with
an error and stores none of it."""
from __future__ import annotations

import threading

import pytest

from server.services import fleet
from server.services.bet_writer import BetWriter, StoreUnavailable
from server.services.group_commit import Request
from server.services.ledger import OfflineRule
from server.store import open_store
from tests.server_store import committed

from .test_store import _bet, _programme, _terminal


def _visible_elsewhere(url: str, uuids: list[str]) -> list[bool]:
    """Whether each bet is committed: read on a connection of another store object."""
    other = open_store(url)
    try:
        with other.unit_of_work(read_only=True) as uow:
            return [uow.bets.by_uuid(u) is not None for u in uuids]
    finally:
        other.close()


def test_concurrent_requests_share_commits_and_are_answered_after_theirs(store):
    race = _programme(store)
    terminals = [_terminal(store) for _ in range(24)]
    turns, gate = [], threading.Event()
    writer = BetWriter(store, OfflineRule(), on_turn=turns.append)
    real_decide = writer._decide

    def slow_first_turn(turn):  # hold the first turn until everyone has queued
        if not turns:
            gate.wait(5)
        real_decide(turn)
    writer._decide = slow_first_turn

    answers: dict[str, list[dict]] = {}
    checked: dict[str, list[bool]] = {}

    def sell(terminal_id: str) -> None:
        bets = [_bet(race, 1), _bet(race, 2)]
        answers[terminal_id] = writer.place(terminal_id, bets)
        # the ack is only given once the bets are committed: another connection sees them
        checked[terminal_id] = _visible_elsewhere(store.url, [b["uuid"] for b in bets])

    threads = [threading.Thread(target=sell, args=(t,)) for t, _ in terminals]
    for thread in threads:
        thread.start()
    while len(writer._queue) < len(terminals):
        threading.Event().wait(0.01)
    gate.set()
    for thread in threads:
        thread.join(30)

    assert len(answers) == len(terminals)
    assert all(a["status"] == "accepted" and a["ticket"] for got in answers.values() for a in got)
    assert all(all(seen) for seen in checked.values()), checked
    # 24 requests, one stuck in the first turn: the other 23 are decided together
    assert [t.requests for t in turns] == [1, 23]
    assert [t.items for t in turns] == [2, 46]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.pools.totals(race)[0]["bets"] == 48


def test_a_turn_takes_whole_requests_up_to_its_cap(store):
    race = _programme(store)
    (terminal_id, _), (other_id, _) = _terminal(store), _terminal(store)
    writer = BetWriter(store, OfflineRule(), max_bets=3)
    queued = [Request((terminal_id, [_bet(race, 1), _bet(race, 2)]), size=2),
              Request((other_id, [_bet(race, 1), _bet(race, 2)]), size=2)]
    writer._queue.extend(queued)
    assert writer._take() == queued[:1]  # 2 + 2 > 3: the second waits for the next turn
    writer._queue.clear()
    turns = []
    writer.on_turn = turns.append
    writer.place(terminal_id, [_bet(race, i) for i in range(3, 8)])  # over the cap alone
    assert [t.items for t in turns] == [5]  # a request is never split


def test_a_failed_commit_answers_its_whole_turn_with_an_error_and_stores_nothing(store):
    race = _programme(store)
    (a, _), (b, _) = _terminal(store), _terminal(store)
    fail = {"now": True}

    class FailingCommit:
        """The store of a turn whose commit fails (the disk is full, the primary died)."""

        def __init__(self, real):
            self.real = real

        def unit_of_work(self, read_only=False):
            uow = self.real.unit_of_work(read_only)
            if fail["now"]:
                def broken_commit():
                    raise OSError("disk full")
                uow.commit = broken_commit
            return uow

    writer = BetWriter(FailingCommit(store), OfflineRule())
    bets = [_bet(race, 1)]
    with pytest.raises(StoreUnavailable) as refused:
        writer.place(a, bets)
    assert refused.value.code == "store_unavailable" and "attente" in refused.value.message
    assert _visible_elsewhere(store.url, [bets[0]["uuid"]]) == [False]
    fail["now"] = False  # the store is back: the same bet, sent again, is taken once
    assert writer.place(a, bets)[0]["status"] == "accepted"
    assert writer.place(a, bets)[0]["status"] == "duplicate"
    assert writer.place(b, [_bet(race, 1)])[0]["status"] == "accepted"


def test_a_disabled_terminal_is_refused_alone_in_its_turn(store):
    race = _programme(store)
    (good, _), (bad, _) = _terminal(store), _terminal(store)
    with committed(store) as uow:
        fleet.set_disabled(uow, bad, True)
    writer = BetWriter(store, OfflineRule())
    requests = [Request((good, [_bet(race, 1)])), Request((bad, [_bet(race, 1)]))]
    writer._queue.extend(requests)  # both queued: one turn decides them
    writer._decide(writer._take())
    assert requests[0].result[0]["status"] == "accepted"
    assert requests[1].error is not None and requests[1].error.code == "terminal_disabled"
    assert requests[0].turn_size == 2


def test_connects_and_disconnects_share_commits_and_a_disabled_terminal_is_refused_alone(store):
    from guichet.clock import utcnow
    from server.services.connections import Claim, ConnectionWriter, Release

    terminals = [_terminal(store)[0] for _ in range(6)]
    with committed(store) as uow:
        fleet.set_disabled(uow, terminals[-1], True)
    turns = []
    writer = ConnectionWriter(store, on_turn=turns.append)
    now = utcnow()
    claims = [Request(Claim(t, 100, f"sid-{t}", now)) for t in terminals]
    writer._queue.extend(claims)
    writer._decide(writer._take())  # one turn for all six
    writer._queue.clear()
    assert [t.requests for t in turns] == [6]
    assert [c.result for c in claims[:-1]] == [(True, None)] * 5
    assert claims[-1].error is not None and claims[-1].error.code == "terminal_disabled"
    # the same signature again is refused (its ts must grow), a newer one replaces the socket
    assert writer.claim(terminals[0], 100, "sid-again", now) == (False, None)
    assert writer.claim(terminals[0], 101, "sid-new", now) == (True, f"sid-{terminals[0]}")
    writer.release(terminals[0], f"sid-{terminals[0]}", now)  # the old socket: changes nothing
    writer.submit(Release(terminals[1], f"sid-{terminals[1]}", now))
    with store.unit_of_work(read_only=True) as uow:
        assert uow.terminals.get(terminals[0]).live_sid == "sid-new"
        assert uow.terminals.get(terminals[1]).live_sid is None
