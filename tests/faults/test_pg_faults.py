"""The database host fails under a burst of sales: no bet lost, none counted twice.

Real server and terminal processes on private PostgreSQL clusters
(tests/faults/pg_cluster.py): the primary killed and its synchronous standby
promoted, or PostgreSQL restarted. The server is given the two-host URL and
must find the new primary by itself; the terminals keep what the server could
not store and send it again.
"""
from __future__ import annotations

import shutil
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest

from ..helpers import start_server, start_terminal, wait_until
from . import pg_cluster
from .conftest import POLICY_ENV
from .ledger import assert_ledgers_agree, outbox, wait_drained
from .test_link_faults import late_race, sell

SALES_PER_TERMINAL = 40
TERMINALS = 3
# How long the primary stays dead before the standby is promoted: a failover
# manager needs a few seconds to be sure the primary is gone, and this is longer
# than a terminal waits for an answer (5 s), so bets are sent again.
PROMOTE_AFTER_S = 6.0


@pytest.fixture
def clusters():
    """Where the test's clusters live; all killed and deleted at the end."""
    pg_cluster.require_binaries()
    root = pg_cluster.new_root()
    made: list[pg_cluster.Cluster] = []
    yield root, made
    for cluster in made:
        cluster.remove()
    shutil.rmtree(root, ignore_errors=True)


class Burst:
    """TERMINALS real terminals each selling SALES_PER_TERMINAL bets, a little apart."""

    def __init__(self, terms, race) -> None:
        self.terms, self.race = terms, race
        self.answers: list[tuple[int, dict]] = []
        self.accepted_at: list[float] = []  # when each accepted sale was answered
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._shop, args=(t,)) for t in terms]

    def _shop(self, term) -> None:
        for i in range(SALES_PER_TERMINAL):
            got = sell(term, self.race, horse=1 + i % 8)
            with self.lock:
                self.answers.append(got)
                if got[1].get("status") == "accepted":
                    self.accepted_at.append(time.monotonic())
            time.sleep(0.05)

    def start(self, before_fault: int = 20) -> None:
        for t in self.threads:
            t.start()
        wait_until(lambda: len(self.answers) >= before_fault, what="the burst to start")

    def finish(self) -> None:
        for t in self.threads:
            t.join(timeout=180)
        assert len(self.answers) == TERMINALS * SALES_PER_TERMINAL
        # no sale was refused: each is accepted, provisional, or recorded and
        # waiting for the server's answer
        refused = [a for a in self.answers if a[0] not in (201, 202)]
        assert not refused, refused[:3]
        assert {bet["status"] for _, bet in self.answers} <= {"accepted", "provisional", "pending"}


class Probe:
    """A terminal of its own sending one bet again and again, from the moment of
    the fault, until the server accepts it: how long the server took bets no more."""

    def __init__(self, server, race) -> None:
        from tests.integration.socket_client import enrol_another

        self.server, self.race = server, race
        self.creds = enrol_another(server, "Bar probe")
        self.accepted_after: float | None = None
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None

    def start(self, t0: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(t0,), daemon=True)
        self._thread.start()

    def _run(self, t0: float) -> None:
        from betting.protocol import NAMESPACE
        from tests.integration.socket_client import connect

        bet = {"uuid": str(uuid.uuid4()), "seq": 1,
               "placed_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
               "race": self.race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
               "selections": [1], "bases": [], "unit_stake_cents": 200, "total_cents": 200,
               "offline": False}
        client = None
        while time.monotonic() - t0 < 120:
            try:
                if client is None:
                    client = connect(self.server.url, *self.creds)
                ack = client.call("place_bets", {"bets": [bet]}, namespace=NAMESPACE, timeout=15)
                if ack.get("ok") and ack["results"][0]["status"] == "accepted":
                    self.accepted_after = time.monotonic() - t0
                    break
                self.errors.append(ack.get("error", "?"))
            except Exception as exc:  # the socket itself failed: connect again
                self.errors.append(type(exc).__name__)
                if client is not None:
                    client.disconnect()
                client = None
            time.sleep(0.1)
        if client is not None:
            client.disconnect()

    def wait(self) -> float:
        self._thread.join(timeout=130)
        assert self.accepted_after is not None, \
            f"the server never took a bet again: {self.errors[-5:]}"
        return self.accepted_after


def _run_burst_through(fault, workdir, programme, db_url, name):
    """A server on `db_url`, TERMINALS terminals selling in a burst, `fault()` in
    the middle; then every outbox drains and the ledgers agree. Returns the
    seconds the server took to accept a bet again, and its log."""
    server = start_server(workdir, programme, env=POLICY_ENV, db=db_url, name=f"{name}-server")
    terms = []
    try:
        terms = [start_terminal(workdir, server, f"{name}{i}") for i in range(TERMINALS)]
        race = late_race(programme)
        probe = Probe(server, race)
        burst = Burst(terms, race)
        burst.start()
        t0 = time.monotonic()
        probe.start(t0)
        timings = fault()
        t_back = time.monotonic()
        burst.finish()
        down_s = probe.wait()
        # the shops' own sales were accepted online again once the database was back
        assert any(t > t_back for t in burst.accepted_at), "no online sale after the fault"
        for term in terms:
            wait_drained(term, timeout=90)
        assert_ledgers_agree(server, terms)
        assert sum(len(outbox(t)) for t in terms) == TERMINALS * SALES_PER_TERMINAL
        log = server.proc.output()
        statuses = {s: sum(b["status"] == s for _, b in burst.answers)
                    for s in ("accepted", "provisional", "pending")}
        print(f"\n{name}: {timings}; server accepted bets again {down_s:.2f} s after the fault; "
              f"{log.count('will be sent again')} failed commit turn(s); sales {statuses}; "
              f"probe saw {probe.errors}")
        return down_s, log
    finally:
        for term in terms:
            term.proc.stop()
        server.proc.stop()


def test_primary_killed_mid_burst_fails_over_to_the_synchronous_standby(workdir, programme,
                                                                      clusters):
    root, made = clusters
    old = pg_cluster.primary(root, "primary")
    made.append(old)
    new = pg_cluster.standby(old, "standby", synchronous=True)
    made.append(new)

    def fault():
        old.kill()
        time.sleep(PROMOTE_AFTER_S)
        return {"promote_after_s": PROMOTE_AFTER_S, "promote_s": round(new.promote(), 2)}

    down_s, log = _run_burst_through(fault, workdir, programme,
                                     pg_cluster.failover_url(old, new), "failover")
    assert old.pid() is None and new.sql("SELECT pg_is_in_recovery()")[0][0] is False
    # the server did lose its connections to the old primary, and found the new one
    # (libpq and psycopg say it in several ways, depending on which call met it first;
    # since the pool is checked after a broken connection, often only these two)
    assert any(sign in log for sign in ("unexpected postmaster exit", "connection is lost",
                                        "server closed the connection unexpectedly",
                                        "discarding broken connection")), log[-2000:]
    assert PROMOTE_AFTER_S < down_s < 60


def test_postgres_restarted_mid_burst_loses_nothing(workdir, programme, clusters):
    root, made = clusters
    db = pg_cluster.primary(root, "alone")
    made.append(db)

    def fault():
        return {"restart_s": round(db.restart(), 2)}

    down_s, log = _run_burst_through(fault, workdir, programme, db.url("guichet"), "restart")
    # the server's connections were cut by the shutdown, and new ones opened after
    assert "terminating connection due to administrator command" in log \
        or "connection is lost" in log
    assert down_s < 60
