"""CPU per bet of the bet writer's turns alone, in this process: no network, no
event loop, no other thread taking the GIL. A fresh SQLite store (WAL, fsync on
every commit) with one programme and T enrolled terminals; each turn decides one
bet from every terminal in one transaction, as a turn at the rush does.

    python bench/bench_writer.py --terminals 200 --turns 100

Set beside the writer thread's CPU per bet in a running server (bench/RESULTS.md),
it shows what the server's threads cost each other.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from guichet.clock import utcnow  # noqa: E402
from server.services import fleet  # noqa: E402
from server.services.bet_writer import BetWriter  # noqa: E402
from server.services.ledger import OfflineRule  # noqa: E402
from server.services.programme_import import parse_programme, sample_programme  # noqa: E402
from server.services.races import import_races  # noqa: E402
from server.store import open_store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--terminals", type=int, default=200)
    ap.add_argument("--turns", type=int, default=100)
    args = ap.parse_args()

    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=120))
    store = open_store(str(Path(tempfile.mkdtemp(prefix="guichet-writer-")) / "server.db"))
    with store.unit_of_work() as uow:
        import_races(uow, parse_programme(doc))
        uow.commit()
    with store.unit_of_work() as uow:
        terminals = [fleet.enrol(uow, fleet.create_enrolment_code(uow, f"Bench {i}", now)["code"],
                                 now)["terminal_id"] for i in range(args.terminals)]
        uow.commit()
    race = f"{doc['date']}/R1C1"
    placed_at = now.isoformat().replace("+00:00", "Z")
    turns = [[(terminal, [{"uuid": str(uuid.uuid4()), "seq": turn + 1, "placed_at": placed_at,
                           "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                           "selections": [1 + turn % 8], "bases": [], "unit_stake_cents": 200,
                           "total_cents": 200, "offline": False}])
              for terminal in terminals] for turn in range(args.turns)]
    writer = BetWriter(store, OfflineRule())
    cpu, wall = time.process_time(), time.perf_counter()
    accepted = 0
    for payloads in turns:
        for answers in writer.decide_turn(payloads):
            accepted += sum(a["status"] == "accepted" for a in answers)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    bets = args.turns * args.terminals
    print(f"{accepted}/{bets} bets accepted in {args.turns} turns of {args.terminals}: "
          f"CPU {cpu / bets * 1e6:.1f} us per bet, wall {wall / bets * 1e6:.1f} us per bet")


if __name__ == "__main__":
    main()
