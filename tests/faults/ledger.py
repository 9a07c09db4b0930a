"""The invariants every fault test ends with: the terminals' outboxes and the
server's ledger agree, bet by bet and to the cent."""
from __future__ import annotations

import dataclasses
import sqlite3

from server.store import open_store

from ..helpers import wait_until


def outbox(terminal) -> list[dict]:
    with sqlite3.connect(terminal.data / "terminal.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM outbox ORDER BY seq")]


def server_bets(server, terminals) -> dict[str, dict]:
    """The server's record of every bet the terminals hold, read through its
    repositories; a terminal's count there shows whether it holds more."""
    store = open_store(str(server.db))
    try:
        with store.unit_of_work(read_only=True) as uow:
            held = {term.terminal_id: uow.bets.seq_summary().get(term.terminal_id, (None, 0))[1]
                    for term in terminals}
            found = {}
            for term in terminals:
                for row in outbox(term):
                    bet = uow.bets.by_uuid(row["uuid"])
                    if bet is not None:
                        found[bet.uuid] = dataclasses.asdict(bet)
    finally:
        store.close()
    return found, held


def wait_drained(terminal, timeout: float = 60) -> None:
    wait_until(lambda: (s := terminal.status()).get("online") and s["queue_depth"] == 0,
               timeout=timeout, what=f"{terminal.terminal_id} to drain its outbox")


def assert_ledgers_agree(server, terminals) -> None:
    on_server, held = server_bets(server, terminals)
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
        extra = held[term.terminal_id] - len(rows)
        assert not extra, f"server holds {extra} bet(s) the terminal never recorded"
        accepted_here = sum(r["total_cents"] for r in rows if r["status"] == "accepted")
        accepted_there = sum(b["total_cents"] for b in on_server.values()
                             if b["terminal_id"] == term.terminal_id and b["status"] == "accepted")
        assert accepted_here == accepted_there
