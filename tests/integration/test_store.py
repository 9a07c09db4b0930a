"""The central store's seam: units of work, exactly-once on unique keys, the
watch lease and connection state, on a fresh store per test (in-process)."""
from __future__ import annotations

import time
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.errors import AlreadyPaid
from betting.programme import iso_utc
from betting.protocol import NAMESPACE, connect_signature
from server.services import fleet, payouts, races
from server.web.app import create_app
from server.services.ledger import place_one
from server.services.programme_import import parse_programme, sample_programme
from server.adapters import sql as sql_adapter
from server.adapters import sqlite as sqlite_adapter
from server.migrations import MIGRATIONS
from server.records import NewBet, Payment
from guichet.clock import utcnow
from server.store import open_store
from tests.server_store import committed, count_rows, damage


def _programme(store, minutes_ahead: int = 60) -> str:
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=minutes_ahead),
                           meetings=1, races_per_meeting=1)
    with committed(store) as uow:
        races.import_races(uow, parse_programme(doc))
    return parse_programme(doc)[0].race_id


def _terminal(store) -> tuple[str, bytes]:
    with committed(store) as uow:
        code = fleet.create_enrolment_code(uow, "Bar du test", utcnow())["code"]
        got = fleet.enrol(uow, code, utcnow())
    return got["terminal_id"], bytes.fromhex(got["key"])


def _bet(race: str, seq: int, **change) -> dict:
    bet = {"uuid": str(uuidlib.uuid4()), "seq": seq, "placed_at": iso_utc(utcnow()),
           "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
           "selections": [3], "bases": [], "unit_stake_cents": 300, "total_cents": 300,
           "offline": False}
    return {**bet, **change}


def _place(store, terminal_id: str, key: bytes, raw: dict) -> dict:
    with committed(store) as uow:
        return place_one(uow, terminal_id, key, raw, utcnow(), {})


def _new_bet(seq: int, uuid: str = "u-1") -> NewBet:
    return NewBet(uuid=uuid, terminal_id="T000001", seq=seq, race_id="2030-01-01/R1C1",
                  bet_type="SIMPLE_GAGNANT", formula="UNITAIRE", selections=[3], bases=[],
                  partners=None, unit_stake_cents=100, total_cents=100, combinations=1,
                  placed_at="t", received_at="t", offline=False, status="accepted",
                  reason=None, message=None, ticket=f"ticket-{seq}", refund_cents=None,
                  review=None, review_max_cents=None)


# -- unit of work ----------------------------------------------------------------

def test_leaving_a_unit_of_work_without_commit_writes_nothing(store):
    with store.unit_of_work() as uow:
        uow.meta.bump_programme_version()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.meta.programme_version() == 0


def test_an_error_inside_a_unit_of_work_rolls_it_back(store):
    try:
        with store.unit_of_work() as uow:
            uow.meta.bump_programme_version()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.unit_of_work(read_only=True) as uow:
        assert uow.meta.programme_version() == 0


def test_a_read_sees_the_last_commit_and_not_a_write_still_open(store):
    """Reads do not wait for a writer's turn (on SQLite a connection of their own):
    a read opened while a write transaction is open sees what was committed before."""
    with committed(store) as uow:
        uow.meta.bump_programme_version()
    with store.unit_of_work() as writer:
        writer.meta.bump_programme_version()
        with store.unit_of_work(read_only=True) as reader:
            assert reader.meta.programme_version() == 1
        writer.commit()
    with store.unit_of_work(read_only=True) as reader:
        assert reader.meta.programme_version() == 2


def test_a_bet_stored_comes_back_as_it_was_given(store):
    """The insert's fast path (no read back) returns the bet as a later read gives it."""
    with committed(store) as uow:
        given = NewBet(**{**vars(_new_bet(7)), "selections": [3, 12], "bases": [5],
                          "partners": [1, 2, 4], "offline": True, "complement": 9})
        stored, new = uow.bets.add_or_get(given)
    with store.unit_of_work(read_only=True) as uow:
        read = uow.bets.by_uuid(given.uuid)
    assert new and read == stored
    assert (read.selections, read.bases, read.partners, read.offline) == ([3, 12], [5], [1, 2, 4], True)


# -- exactly once on unique keys -----------------------------------------------------

def test_add_or_get_stores_a_bet_once_and_returns_the_first(store):
    with committed(store) as uow:
        first, new = uow.bets.add_or_get(_new_bet(1))
        again, new_again = uow.bets.add_or_get(_new_bet(1))
    assert (new, new_again) == (True, False)
    assert again == first


def test_add_or_get_answers_a_taken_sequence_with_the_bet_holding_it(store):
    with committed(store) as uow:
        uow.bets.add_or_get(_new_bet(1, uuid="u-1"))
        held, new = uow.bets.add_or_get(_new_bet(1, uuid="u-2"))
    assert new is False and held.uuid == "u-1"


def test_a_resent_bet_gets_its_first_answer_and_joins_its_pool_once(store):
    race = _programme(store)
    terminal_id, key = _terminal(store)
    bet = _bet(race, 1)
    first = _place(store, terminal_id, key, bet)
    again = _place(store, terminal_id, key, bet)
    assert first["status"] == "accepted" and again["status"] == "duplicate"
    assert again["ticket"] == first["ticket"]
    with store.unit_of_work(read_only=True) as uow:
        assert [(p["total_cents"], p["bets"]) for p in uow.pools.totals(race)] == [(300, 1)]


def test_a_sequence_reused_by_another_uuid_is_rejected(store):
    race = _programme(store)
    terminal_id, key = _terminal(store)
    _place(store, terminal_id, key, _bet(race, 1))
    clash = _place(store, terminal_id, key, _bet(race, 1))
    assert clash["status"] == "rejected" and "already used" in clash["message"]


def test_add_once_pays_a_ticket_once(store):
    paid = Payment("ticket-1", "pay-0001", "T000001", 500, "2030-01-01T12:00:00Z")
    with committed(store) as uow:
        assert uow.payments.add_once(paid) == (paid, True)
        twice, new = uow.payments.add_once(Payment("ticket-1", "pay-0002", "T000002", 500, "x"))
        reused, new_reused = uow.payments.add_once(
            Payment("ticket-2", "pay-0001", "T000001", 500, "x"))
    assert (new, new_reused) == (False, False)
    assert twice == paid and reused == paid  # the caller tells already_paid from reused


def test_a_payment_lost_between_check_and_insert_is_answered_already_paid(store, monkeypatch):
    """Another process pays the same ticket between this one's checks and its
    insert: the unique ticket decides, not a lock."""
    race = _programme(store, minutes_ahead=1)
    terminal_id, key = _terminal(store)
    with committed(store) as uow:
        races.close_race(uow, race, utcnow())
    sold = iso_utc(utcnow() - timedelta(minutes=10))
    late = _place(store, terminal_id, key, _bet(race, 1, offline=True, placed_at=sold))
    assert late["status"] == "rejected" and late["ticket"]
    with committed(store) as uow:
        uow.payments.add_once(Payment(late["ticket"], "other-payment", "T000099", 300, "x"))
    repository = sql_adapter.PaymentRepository
    real_get, calls = repository.get, []

    def racing_get(self, ticket):  # the checks run before the other payment commits
        calls.append(ticket)
        return None if len(calls) <= 2 else real_get(self, ticket)

    monkeypatch.setattr(repository, "get", racing_get)
    with store.unit_of_work() as uow, pytest.raises(AlreadyPaid) as refused:
        payouts.pay(uow, late["ticket"], "mine-0001", terminal_id, utcnow())
    assert refused.value.code == "already_paid"
    assert len(calls) == 3  # checked twice, then read back after the insert lost


# -- connection state ------------------------------------------------------------------

def test_connected_is_derived_from_the_live_socket_and_last_seen(store):
    terminal_id, _ = _terminal(store)
    now = utcnow()
    with committed(store) as uow:
        assert fleet.claim_connection(uow, terminal_id, 1, "sid-1", now)[0]
    with store.unit_of_work(read_only=True) as uow:
        (listed,) = fleet.list_terminals(uow, now)
        (stale,) = fleet.list_terminals(uow, now + fleet.CONNECTED_WITHIN + timedelta(seconds=1))
    assert listed["connected"] is True and stale["connected"] is False


def test_starting_a_server_process_leaves_other_processes_terminals_connected(db_url):
    db = db_url
    app = create_app({"DB": db, "AUTO_CLOSE_INTERVAL_S": 0})
    terminal_id, key = _terminal(app.extensions["guichet.store"])
    ts = int(time.time())
    client = app.extensions["socketio"].test_client(
        app, namespace=NAMESPACE,
        auth={"terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)})
    assert client.is_connected(NAMESPACE)
    other = create_app({"DB": db, "AUTO_CLOSE_INTERVAL_S": 0})
    with other.extensions["guichet.store"].unit_of_work(read_only=True) as uow:
        (listed,) = fleet.list_terminals(uow, utcnow())
    assert listed["connected"] is True
    client.disconnect(NAMESPACE)


def test_a_previous_socket_is_named_only_while_its_terminal_was_heard_from(store):
    """The socket to cut off when a terminal connects again: the one it holds now,
    not one left recorded by a process that died (or a line gone silent)."""
    terminal_id, _ = _terminal(store)
    start = utcnow()
    with committed(store) as uow:
        assert fleet.claim_connection(uow, terminal_id, 1, "sid-1", start) == (True, None)
    with committed(store) as uow:  # 5 s later the first socket is live: cut it off
        assert fleet.claim_connection(uow, terminal_id, 2, "sid-2",
                                      start + timedelta(seconds=5)) == (True, "sid-1")
    with committed(store) as uow:  # then nothing heard for 20 s: its process is gone
        assert fleet.claim_connection(uow, terminal_id, 3, "sid-3",
                                      start + timedelta(seconds=25)) == (True, None)


# -- one owner for the periodic work ------------------------------------------------------

def test_a_lease_has_one_holder_until_it_runs_out(store):
    now = utcnow()
    later = now + timedelta(seconds=5)
    with committed(store) as uow:
        assert uow.leases.take("watch", "a", now, later) is True
        assert uow.leases.take("watch", "b", now, later) is False
        assert uow.leases.take("watch", "a", now, later) is True  # renewed
        assert uow.leases.take("watch", "b", later, later + timedelta(seconds=5)) is True


def test_two_server_processes_on_one_store_close_and_push_a_race_once(db_url):
    """Each app stands for a process; without a message queue an app's pushes
    reach only its own sockets, so the pushes counted show who did the work."""
    db = db_url
    apps = [create_app({"DB": db, "AUTO_CLOSE_INTERVAL_S": 0.05}) for _ in range(2)]
    store = apps[0].extensions["guichet.store"]
    clients = []
    for app in apps:
        terminal_id, key = _terminal(store)
        ts = int(time.time())
        clients.append(app.extensions["socketio"].test_client(
            app, namespace=NAMESPACE, auth={"terminal_id": terminal_id, "ts": ts,
                                            "sig": connect_signature(terminal_id, ts, key)}))
    race = _programme(store, minutes_ahead=-5)  # due: the owner closes it at its next pass
    socketio = apps[0].extensions["socketio"]
    states: list[list] = [[], []]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        socketio.sleep(0.05)
        for client, seen in zip(clients, states):
            seen += [e["args"][0] for e in client.get_received(NAMESPACE)
                     if e["name"] == "pool_state"]
        if any(states) and time.monotonic() > deadline - 4:
            break
    with store.unit_of_work(read_only=True) as uow:
        assert uow.races.get(race).state == "closed"
    assert sorted(len(seen) for seen in states) == [0, 1], states
    for client in clients:
        client.disconnect(NAMESPACE)


# -- pool totals as per-writer counters ------------------------------------------

def test_pool_totals_are_accepted_minus_cancelled_stakes_across_writers(store, monkeypatch):
    shards = iter(range(1000))
    monkeypatch.setattr(sql_adapter.random, "randrange", lambda n: next(shards) % n)
    race = _programme(store)
    terminals = [_terminal(store) for _ in range(3)]
    placed = [(terminal_id, _place(store, terminal_id, key, _bet(
        race, seq, unit_stake_cents=stake, total_cents=stake)))
        for seq, stake in ((1, 200), (2, 500)) for terminal_id, key in terminals]
    assert all(answer["status"] == "accepted" for _, answer in placed)
    terminal_id, cancelled = placed[1]
    with committed(store) as uow:
        payouts.cancel(uow, cancelled["ticket"], terminal_id, utcnow())
    assert count_rows(store, "pools") > 1  # each unit of work wrote its own shard
    with store.unit_of_work(read_only=True) as uow:
        totals, every = uow.pools.totals(race), uow.pools.all_totals()
    expected = {"bet_type": "SIMPLE_GAGNANT", "total_cents": 3 * 200 + 3 * 500 - 200, "bets": 5}
    assert totals == [expected]
    assert every == {(race, "SIMPLE_GAGNANT"): {"race_id": race, **expected}}


def test_migration_7_keeps_the_pool_totals_of_an_older_store(tmp_path, monkeypatch):
    path = str(tmp_path / "old.db")
    monkeypatch.setattr(sqlite_adapter, "MIGRATIONS", MIGRATIONS[:6])
    old = open_store(path)
    damage(old, "INSERT INTO pools (race_id, bet_type, total_cents, bets) VALUES "
                "('2030-01-01/R1C1', 'SIMPLE_GAGNANT', 1500, 4), "
                "('2030-01-01/R1C1', 'COUPLE_GAGNANT', 300, 1), "
                "('2030-01-01/R1C2', 'SIMPLE_GAGNANT', 700, 2)")
    old.close()
    monkeypatch.undo()
    new = open_store(path)
    try:
        with committed(new) as uow:
            uow.pools.add("2030-01-01/R1C1", "SIMPLE_GAGNANT", 200)
        with new.unit_of_work(read_only=True) as uow:
            assert uow.pools.totals("2030-01-01/R1C1") == [
                {"bet_type": "COUPLE_GAGNANT", "total_cents": 300, "bets": 1},
                {"bet_type": "SIMPLE_GAGNANT", "total_cents": 1700, "bets": 5}]
            assert uow.pools.all_totals()[("2030-01-01/R1C2", "SIMPLE_GAGNANT")] == {
                "race_id": "2030-01-01/R1C2", "bet_type": "SIMPLE_GAGNANT",
                "total_cents": 700, "bets": 2}
    finally:
        new.close()


def test_an_official_result_is_never_overwritten_by_a_later_entry(store):
    # On PostgreSQL two entries can run at once: the one that loses the race waits for
    # the other's row and must then see it official, not overwrite it (the check is in
    # the statement, not a read before it).
    at = utcnow()
    with store.unit_of_work() as uow:
        assert uow.results.save_provisional("2030-01-01/R1C1", {"arrival": [[1]]}, at)
        assert uow.results.save_provisional("2030-01-01/R1C1", {"arrival": [[2]]}, at)
        uow.results.mark_official("2030-01-01/R1C1", at)
        assert not uow.results.save_provisional("2030-01-01/R1C1", {"arrival": [[3]]}, at)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.results.get("2030-01-01/R1C1")
    assert stored.official and stored.result == {"arrival": [[2]]}
