"""`guichet demo`: both URLs answer, a bet can be sold, Ctrl-C stops everything."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import urllib.parse
import urllib.request

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


def _back_office_login(port: int, name: str, password: str) -> str:
    """Log in through the form (session cookie and CSRF token); the page it lands on."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/admin/login", timeout=10).read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"name": name, "password": password,
                                   "csrf_token": token}).encode()
    return opener.open(base + "/admin/login", data=body, timeout=10).url


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

        # the back-office operator it prints can log in
        found = re.search(r"/admin/ \(user (\S+), password (\S+)\)", text)
        assert found, text
        landed = _back_office_login(sport, found.group(1), found.group(2))
        assert "/admin/" in landed and "login" not in landed

        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    _nothing_listens(sport, tport)
    assert "Traceback" not in log.read_text(errors="replace")
