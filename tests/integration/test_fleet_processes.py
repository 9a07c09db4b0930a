"""Cutting a terminal off with real processes: the CLI writes only the store,
each server process drops its own sockets, the terminal shows why."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from betting.protocol import NAMESPACE

from ..helpers import run_cli, start_server, start_terminal, wait_until
from .socket_client import connect
from .test_scale_out import REDIS, redis_up

DISABLED = "Terminal désactivé par le centre : appelez l'assistance."


def test_guichet_admin_disable_cuts_a_running_terminal_off(tmp_path, programme):
    server = start_server(tmp_path, programme)
    terminal = None
    try:
        terminal = start_terminal(tmp_path, server)
        race = f"{json.loads(programme.read_text())['date']}/R1C1"
        bet = {"race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
               "selections": [3], "bases": [], "unit_stake_cents": 100}

        done = run_cli("admin", "disable", terminal.terminal_id, "--db", str(server.db))
        assert done.stdout.strip() == f"{terminal.terminal_id} disabled"
        started = time.monotonic()
        wait_until(lambda: terminal.status()["disabled"] and not terminal.status()["online"],
                   timeout=10, what="the terminal to know it is disabled")
        assert time.monotonic() - started < 5

        status, answer = terminal.api("POST", "/api/bets", bet)
        assert status == 422, answer  # not a provisional ticket: no offline selling either
        assert answer["reason"] == "terminal_disabled" and answer["message"] == DISABLED
        assert terminal.status()["provisional"] == 0

        missing = run_cli("admin", "disable", "T999999", "--db", str(server.db), check=False)
        assert missing.returncode != 0 and "no terminal T999999" in missing.stderr
        assert "Traceback" not in missing.stderr

        run_cli("admin", "enable", terminal.terminal_id, "--db", str(server.db))
        wait_until(lambda: terminal.status()["online"], timeout=30, what="the terminal back")
        assert terminal.status()["disabled"] is False
        status, answer = terminal.api("POST", "/api/bets", bet)
        assert status == 201 and answer["status"] == "accepted", answer
    finally:
        if terminal:
            terminal.proc.stop()
        server.proc.stop()


@pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_every_server_process_drops_its_own_sockets(tmp_path, programme):
    env = {"GUICHET_MESSAGE_QUEUE_CHANNEL": f"guichet-test-{uuid.uuid4()}"}
    queue = ["--message-queue", f"redis://{REDIS[0]}:{REDIS[1]}/0"]
    a = start_server(tmp_path, programme, env=env, args=queue, name="server-a")
    b = start_server(tmp_path, None, env=env, args=queue, name="server-b")
    clients = []

    def client_on(server):
        got = {"disabled": threading.Event(), "replaced": threading.Event(),
               "gone": threading.Event()}
        client = connect(server.url, tid, key)
        for name in ("disabled", "replaced"):
            client.on(name, lambda _d, e=got[name]: e.set(), namespace=NAMESPACE)
        client.on("disconnect", lambda *_: got["gone"].set(), namespace=NAMESPACE)
        clients.append(client)
        return got

    try:
        code = a.api("POST", "/api/enrolment-codes", {"outlet": "Bar des deux"})[1]["code"]
        enrolled = a.api("POST", "/api/enrol", {"code": code}, token=None)[1]
        tid, key = enrolled["terminal_id"], bytes.fromhex(enrolled["key"])

        # one socket per terminal, across processes
        on_a = client_on(a)
        on_b = client_on(b)
        assert on_a["replaced"].wait(5) and on_a["gone"].wait(5)
        assert not on_b["gone"].is_set()

        # the API on A cuts off the socket held by B at once
        assert a.api("POST", f"/api/terminals/{tid}/disable")[0] == 200
        assert on_b["disabled"].wait(3) and on_b["gone"].wait(3)

        # the CLI writes only the store: B's watch loop drops its socket
        assert a.api("POST", f"/api/terminals/{tid}/enable")[0] == 200
        again = client_on(b)
        run_cli("admin", "disable", tid, "--db", str(a.db))
        assert again["disabled"].wait(5) and again["gone"].wait(5)
    finally:
        for client in clients:
            try:
                client.disconnect()
            except Exception:
                pass
        a.proc.stop()
        b.proc.stop()
