"""The invariants every fault test ends with: the terminals' outboxes and the
server's ledger agree, bet by bet and to the cent."""
from __future__ import annotations

import sqlite3

from ..helpers import wait_until


def outbox(terminal) -> list[dict]:
    with sqlite3.connect(terminal.data / "terminal.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM outbox ORDER BY seq")]


def server_bets(server) -> dict[str, dict]:
    with sqlite3.connect(server.db) as db:
        db.row_factory = sqlite3.Row
        return {r["uuid"]: dict(r) for r in db.execute("SELECT * FROM bets")}


def wait_drained(terminal, timeout: float = 60) -> None:
    wait_until(lambda: (s := terminal.status()).get("online") and s["queue_depth"] == 0,
               timeout=timeout, what=f"{terminal.terminal_id} to drain its outbox")


def assert_ledgers_agree(server, terminals) -> None:
    on_server = server_bets(server)
    for term in terminals:
        rows = outbox(term)
        assert rows, "the terminal recorded bets"
        for row in rows:
            assert row["status"] in ("accepted", "rejected"), row
            theirs = on_server.get(row["uuid"])
            assert theirs is not None, f"bet {row['uuid']} (seq {row['seq']}) never reached the server"
            assert (theirs["terminal_id"], theirs["seq"]) == (term.terminal_id, row["seq"])
            assert theirs["status"] == row["status"], (theirs, row)
            assert theirs["total_cents"] == row["total_cents"]
            if row["status"] == "accepted":
                assert theirs["ticket"] == row["ticket"]
            else:
                assert theirs["reason"] and row["reason"] == theirs["reason"]
        mine = {r["uuid"] for r in rows}
        extra = [b for b in on_server.values()
                 if b["terminal_id"] == term.terminal_id and b["uuid"] not in mine]
        assert not extra, f"server holds bets the terminal never recorded: {extra[:2]}"
        accepted_here = sum(r["total_cents"] for r in rows if r["status"] == "accepted")
        accepted_there = sum(b["total_cents"] for b in on_server.values()
                             if b["terminal_id"] == term.terminal_id and b["status"] == "accepted")
        assert accepted_here == accepted_there
