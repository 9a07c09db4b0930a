"""`guichet demo`: both URLs answer, a bet can be sold, Ctrl-C stops everything."""
from __future__ import annotations

import os
import signal
import subprocess

from ..helpers import GUICHET, free_port, http_json, run_cli, wait_until


def _start_demo(tmp_path):
    sport, tport = free_port(), free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(GUICHET + ["demo", "--data", str(tmp_path / "d"),
                                           "--server-port", str(sport),
                                           "--terminal-port", str(tport)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: "Press Ctrl-C" in log.read_text(errors="replace")
               or demo.poll() is not None, timeout=60, what="demo start")
    return demo, sport, tport, log


def _nothing_listens(*ports):
    for port in ports:
        try:
            http_json("GET", f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError(f"port {port} still answers after the demo stopped")
        except OSError:
            pass


def test_demo_stopped_by_sigterm_stops_its_children_too(tmp_path):
    demo, sport, tport, log = _start_demo(tmp_path)
    try:
        demo.send_signal(signal.SIGTERM)  # only the demo process, as `kill` or `timeout` do
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    _nothing_listens(sport, tport)


def test_demo_serves_both_parts_and_stops_cleanly_on_ctrl_c(tmp_path):
    demo, sport, tport, log = _start_demo(tmp_path)
    try:
        text = log.read_text(errors="replace")
        assert f"http://127.0.0.1:{sport}/" in text and f"http://127.0.0.1:{tport}/" in text

        token = run_cli("terminal", "token", "--data", str(tmp_path / "d" / "terminal")).stdout.strip()
        status = wait_until(lambda: (s := http_json("GET", f"http://127.0.0.1:{tport}/api/status",
                                                    token=token)[1]).get("online") and s,
                            what="demo terminal online")
        assert status["terminal_id"] == "T000001"
        races = http_json("GET", f"http://127.0.0.1:{tport}/api/races", token=token)[1]["races"]
        race = next(r for r in races if r["state"] == "open")
        code, bet = http_json("POST", f"http://127.0.0.1:{tport}/api/bets", {
            "race": race["race"], "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [1], "bases": [], "unit_stake_cents": 200}, token=token)
        assert code == 201 and bet["status"] == "accepted" and bet["printed"]

        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    _nothing_listens(sport, tport)
    assert "Traceback" not in log.read_text(errors="replace")
