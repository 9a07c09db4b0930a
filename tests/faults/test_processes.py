"""Several server processes on one port: one of them dies, Redis dies; pushes
still reach every terminal exactly once and no bet is lost or counted twice.

Real gunicorn processes on PostgreSQL (a new database per test) with a Redis
of the test's own, which it may kill and start again on the same port.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from betting.protocol import NAMESPACE

from ..helpers import free_port, start_server, start_terminal, wait_until, write_sample_programme
from ..integration.socket_client import connect, enrol_another
from ..pg import pg_database
from .conftest import POLICY_ENV
from .ledger import assert_ledgers_agree, outbox, wait_drained
from .test_link_faults import late_race, sell

REDIS_SERVER = "/usr/bin/redis-server"
# How long the test's Redis stays down. python-socketio's listener waits 1, 2, 4…
# (at most 60) seconds between attempts to subscribe again, so the longer the
# outage, the later after Redis returns the processes hear each other again.
OUTAGE_S = int(os.environ.get("GUICHET_TEST_REDIS_OUTAGE_S", "12"))

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS_SERVER),
                                reason="needs redis-server to run a Redis the test may kill")


# -- a Redis of the test's own -------------------------------------------------
class PrivateRedis:
    """A throwaway redis-server on a free port, killed and started again at will."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.runs += 1
        log = open(self.folder / f"redis-{self.runs}.log", "wb")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, what="the test's Redis to answer")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def subscribers(self, channel: str) -> int:
        with redis.Redis(port=self.port, socket_timeout=2) as client:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)

    def _answers(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_timeout=1) as client:
                return client.ping()
        except redis.RedisError:
            return False


@contextmanager
def private_redis(folder: Path):
    r = PrivateRedis(folder)
    r.start()
    try:
        yield r
    finally:
        r.kill()


@contextmanager
def several_processes(tmp: Path, workers: int, queue: PrivateRedis):
    """A server of `workers` processes on a new PostgreSQL database, its events
    shared through `queue`; yields (server, programme path, channel)."""
    programme = tmp / "programme.json"
    write_sample_programme(programme, minutes_ahead=60)
    channel = f"guichet-test-{uuid.uuid4()}"
    with pg_database() as url:
        server = start_server(tmp, programme, db=url,
                              env={**POLICY_ENV, "GUICHET_MESSAGE_QUEUE_CHANNEL": channel},
                              args=["--workers", str(workers), "--message-queue", queue.url])
        try:
            wait_until(lambda: len(worker_pids(server)) == workers, what="every worker started")
            yield server, programme, channel
        finally:
            server.proc.stop()


# -- who holds which connection --------------------------------------------------
def worker_pids(server) -> list[int]:
    """The gunicorn workers: children of the master (`guichet server` execs into it)."""
    master = server.proc.popen.pid
    pids = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    return sorted(pids)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def held_ports(pid: int, server_port: int) -> set[int]:
    """Client ports of the established connections worker `pid` holds on the server port."""
    inodes = _socket_inodes(pid)
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == server_port and inode in inodes:
            ports.add(int(remote.split(":")[1], 16))
    return ports


def holder(server, client_port: int) -> int | None:
    """The worker holding the connection that comes from `client_port`."""
    for pid in worker_pids(server):
        if client_port in held_ports(pid, server.port):
            return pid
    return None


# -- socket clients that count what they hear -------------------------------------
class Listener:
    """An enrolled terminal's socket of the test's own, counting the pushes it hears."""

    def __init__(self, server, name: str):
        self.server = server
        self.credentials = enrol_another(server, name)
        self.lock = threading.Lock()
        self.pool_states: Counter[str] = Counter()
        self.programmes = 0
        self.client = None

    def connect(self) -> None:
        self.client = connect(self.server.url, *self.credentials)
        self.client.on("pool_state", self._on_pool_state, namespace=NAMESPACE)
        self.client.on("programme", self._on_programme, namespace=NAMESPACE)

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None

    @property
    def worker(self) -> int | None:
        return holder(self.server, self.client.eio.ws.sock.getsockname()[1])

    def _on_pool_state(self, data):
        with self.lock:
            self.pool_states[data["race"]] += 1

    def _on_programme(self, data):
        with self.lock:
            self.programmes += 1


def spread_listeners(server, queue: PrivateRedis, channel: str, count: int,
                     name: str) -> list[Listener]:
    """`count` listeners, connected again until every worker holds at least one
    (the kernel hands each connection to whichever worker accepts first): a push
    made by any process must then cross to another one to reach them all.

    A worker subscribes to the message queue at its first socket connection
    (python-socketio starts its listener then), so this also waits until every
    worker listens."""
    listeners = [Listener(server, f"{name} {i}") for i in range(count)]
    for one in listeners:
        one.connect()
    pids = set(worker_pids(server))
    for _ in range(40):
        where = Counter(one.worker for one in listeners)
        if set(where) >= pids:
            wait_until(lambda: queue.subscribers(channel) == len(pids), timeout=30,
                       what="every worker listening on the message queue")
            return listeners
        crowded = max(where, key=where.get)
        for one in listeners:
            if one.worker == crowded:
                one.disconnect()
                one.connect()
                break
    for one in listeners:
        one.disconnect()
    raise AssertionError(f"listeners never reached every worker: {dict(where)}")


def assert_each_heard_once(listeners, race: str, settle: float = 3.0) -> None:
    """Every listener hears `race`'s pool_state, and no second copy comes later
    (more than one watch pass, so a push made twice would have arrived)."""
    wait_until(lambda: all(one.pool_states[race] for one in listeners), timeout=15,
               what=f"every listener to hear that {race} closed "
                    f"({[one.pool_states[race] for one in listeners]})")
    time.sleep(settle)
    assert [one.pool_states[race] for one in listeners] == [1] * len(listeners)


def close(server, race: str) -> None:
    status, body = server.api("POST", f"/api/races/{race}/close")
    assert status == 200 and body["state"] == "closed", body


def terminal_state(term, race: str) -> str | None:
    found = [r["state"] for r in term.api("GET", "/api/races")[1]["races"] if r["race"] == race]
    return found[0] if found else None


# -- the tests ----------------------------------------------------------------------
def test_a_worker_killed_during_a_burst_loses_nothing_and_pushes_stay_single(tmp_path):
    with private_redis(tmp_path) as queue, \
            several_processes(tmp_path, 2, queue) as (server, programme, channel):
        terms = [start_terminal(tmp_path, server, f"shop{i}") for i in range(4)]
        race, later = late_race(programme), late_race(programme, -2)
        answers: list[tuple[int, dict]] = []
        lock = threading.Lock()

        def shop(term, n):
            for i in range(n):
                got = sell(term, race, horse=1 + i % 8)
                with lock:
                    answers.append(got)
                time.sleep(0.02)

        threads = [threading.Thread(target=shop, args=(t, 25)) for t in terms]
        try:
            before = worker_pids(server)
            for t in threads:
                t.start()
            wait_until(lambda: len(answers) >= 20, what="the burst to start")
            # the worker holding the most terminals: at least one, since all four are online
            victim = max(before, key=lambda pid: len(held_ports(pid, server.port)))
            assert held_ports(victim, server.port), "the killed worker held terminals"
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda: len(set(worker_pids(server)) - set(before)) == 1, timeout=30,
                       what="gunicorn to start a worker in place of the killed one")
            for t in threads:
                t.join(timeout=120)
            assert len(answers) == 100
            # no sale was refused: accepted, provisional, or (caught at the instant
            # of the kill) recorded and waiting for the server's answer
            assert all(code in (201, 202) for code, _ in answers), \
                [a for a in answers if a[0] > 202][:3]
            assert {bet["status"] for _, bet in answers} <= {"accepted", "provisional", "pending"}
            for term in terms:
                wait_drained(term)
            assert_ledgers_agree(server, terms)
            assert sum(len(outbox(t)) for t in terms) == 100
            assert victim not in worker_pids(server)

            # a push made after the kill reaches every terminal once, whichever
            # process each one came back to
            listeners = spread_listeners(server, queue, channel, 4, "after the kill")
            try:
                close(server, later)
                assert_each_heard_once(listeners, later)
            finally:
                for one in listeners:
                    one.disconnect()
            for term in terms:
                wait_until(lambda: terminal_state(term, later) == "closed", timeout=15,
                           what=f"{term.terminal_id} to show {later} closed")
        finally:
            for t in threads:
                t.join(timeout=1)
            for term in terms:
                term.proc.stop()


def test_redis_down_bets_still_taken_and_pushes_resume_when_it_returns(tmp_path):
    with private_redis(tmp_path) as queue, \
            several_processes(tmp_path, 2, queue) as (server, programme, channel):
        term = start_terminal(tmp_path, server, "shop")
        listeners = spread_listeners(server, queue, channel, 3, "redis")
        try:
            first, during, after = (late_race(programme, i) for i in (-4, -3, -2))
            close(server, first)
            assert_each_heard_once(listeners, first, settle=1.0)

            queue.kill()
            sold = []
            for i in range(OUTAGE_S // 2):  # an outage of some seconds, selling
                sold.append(sell(term, late_race(programme), horse=1 + i % 8))
                time.sleep(2)
            assert [(code, bet["status"]) for code, bet in sold] == [(201, "accepted")] * len(sold)
            # admin actions still answer, and their push reaches the sockets of the
            # process that made it (each worker holds a listener; the others cannot
            # hear it without Redis, and nothing replays it to them later)
            t0 = time.monotonic()
            close(server, during)
            assert time.monotonic() - t0 < 5
            wait_until(lambda: any(one.pool_states[during] for one in listeners), timeout=10,
                       what="the closing process's own sockets to hear of it")
            assert server.api("GET", "/healthz", token=None)[0] == 200

            for one in listeners:
                one.programmes = 0
            queue.start()
            t0 = time.monotonic()
            wait_until(lambda: queue.subscribers(channel) == 2, timeout=90,
                       what="both workers to subscribe again to the restarted Redis")
            resumed = time.monotonic() - t0
            # the listener retries every 2 s at most (server/web/message_queue.py)
            assert resumed < 10, f"pushes resumed only {resumed:.1f}s after Redis came back"
            # and each process tells its own terminals to refresh their programme:
            # those that missed the closing made during the outage catch up now
            wait_until(lambda: all(one.programmes for one in listeners), timeout=15,
                       what="every terminal to be told to refresh after the outage")
            close(server, after)
            assert_each_heard_once(listeners, after)
            print(f"pushes resumed {resumed:.1f}s after Redis came back")

            assert sell(term, late_race(programme), horse=8)[1]["status"] == "accepted"
            wait_drained(term)
            assert_ledgers_agree(server, [term])
        finally:
            for one in listeners:
                one.disconnect()
            term.proc.stop()


def test_each_push_reaches_each_terminal_once_with_three_processes(tmp_path):
    with private_redis(tmp_path) as queue, \
            several_processes(tmp_path, 3, queue) as (server, programme, channel):
        listeners = spread_listeners(server, queue, channel, 6, "three")
        try:
            race = late_race(programme)
            close(server, race)
            assert_each_heard_once(listeners, race)

            for one in listeners:  # the closing bumped the programme version too
                one.programmes = 0
            doc = json.loads(programme.read_text())
            doc["meetings"][0]["races"][0]["name"] = "Prix du Changement"
            status, body = server.api("POST", "/api/programme", doc)
            assert status == 200, body
            wait_until(lambda: all(one.programmes for one in listeners), timeout=15,
                       what="every listener to hear of the new programme")
            time.sleep(3.0)  # several watch passes: a second push would have come
            assert [one.programmes for one in listeners] == [1] * len(listeners)
        finally:
            for one in listeners:
                one.disconnect()
