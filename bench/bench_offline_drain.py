"""Draining a terminal's outbox after a long outage (goal: 10,000 bets in 10 s or less).

A real server and terminal; the terminal reaches the server through a TCP
proxy. The line is cut, N bets are sold offline through the terminal's API
(each durable in the outbox and printed PROVISOIRE on the simulated
printer), the line is restored, and two times are measured: until the terminal is
back online (its reconnect backoff), then until the outbox is empty and
every bet answered.

    python bench/bench_offline_drain.py --bets 10000
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.proxy import TcpProxy  # noqa: E402
from tests.helpers import start_server, start_terminal, wait_until, write_sample_programme  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bets", type=int, default=10_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="guichet-drain-"))
    doc = write_sample_programme(tmp / "programme.json", minutes_ahead=120)
    race = f"{doc['date']}/R2C4"
    server = start_server(tmp, tmp / "programme.json",
                          env={"GUICHET_OFFLINE_CEILING_CENTS": str(args.bets * 200)})
    proxy = TcpProxy(server.port)
    term = start_terminal(tmp, server, server_url=proxy.url, printer="sim:")
    try:
        proxy.cut("reset")
        wait_until(lambda: not term.status()["online"], what="offline")
        t0 = time.perf_counter()
        for i in range(args.bets):
            code, bet = term.api("POST", "/api/bets", {
                "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                "selections": [1 + i % 8], "bases": [], "unit_stake_cents": 200})
            assert code == 201 and bet["status"] == "provisional", bet
        sold = time.perf_counter() - t0
        proxy.restore()
        t0 = time.perf_counter()
        wait_until(lambda: term.status()["online"], timeout=60, interval=0.02, what="reconnect")
        t1 = time.perf_counter()
        wait_until(lambda: term.status()["queue_depth"] == 0, timeout=600, interval=0.05,
                   what="drain")
        t2 = time.perf_counter()
        reconnect, drained = t1 - t0, t2 - t1
        with sqlite3.connect(server.db) as db:
            on_server = db.execute("SELECT COUNT(*) FROM bets WHERE terminal_id = ? AND "
                                   "status = 'accepted'", (term.terminal_id,)).fetchone()[0]
        print(json.dumps({"bets": args.bets, "sold_offline_s": round(sold, 1),
                          "sales_per_s": round(args.bets / sold),
                          "reconnect_s": round(reconnect, 2), "drain_after_reconnect_s": round(drained, 2),
                          "accepted_on_server": on_server}))
    finally:
        term.proc.stop()
        proxy.close()
        server.proc.stop()


if __name__ == "__main__":
    main()
