"""Settling one race that holds N accepted bets (default 1,000,000), SQLite store.

Builds a store with the sample programme, writes N bets straight into it (a
realistic mix: simples, couplés, trios, some combined and champ bets, and
Quinté+ unitaires over all orders), closes the race and times
`server.settlement.enter_result`: the aggregate query, pricing every pool,
storing the dividends. Then times the valuation of one ticket.

    python bench/bench_settle.py --bets 1000000
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.services import payouts, races  # noqa: E402
from server.services.programme_import import parse_programme, sample_programme  # noqa: E402
from server.services.settlement import enter_result  # noqa: E402
from guichet.clock import utcnow  # noqa: E402
from server.store import open_store  # noqa: E402


def shapes(rng: random.Random, runners: list[int]):
    """(bet_type, formula, selections, bases, unit_stake, combinations, partners)."""
    r = rng.random()
    pick = lambda k: rng.sample(runners, k)  # noqa: E731
    if r < 0.35:
        return "SIMPLE_GAGNANT", "UNITAIRE", pick(1), [], 200, 1, None
    if r < 0.60:
        return "SIMPLE_PLACE", "UNITAIRE", pick(1), [], 200, 1, None
    if r < 0.75:
        return "COUPLE_GAGNANT", "UNITAIRE", sorted(pick(2)), [], 100, 1, None
    if r < 0.80:
        return "COUPLE_GAGNANT", "COMBINE", sorted(pick(4)), [], 100, 6, None
    if r < 0.90:
        return "TRIO", "UNITAIRE", sorted(pick(3)), [], 100, 1, None
    if r < 0.92:
        base = pick(1)
        partners = [n for n in runners if n not in base]
        return "TRIO", "CHAMP_TOTAL", [], base, 100, len(partners) * (len(partners) - 1) // 2, partners
    return "QUINTE_PLUS", "UNITAIRE", pick(5), [], 200, 1, None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bets", type=int, default=1_000_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="guichet-settle-"))
    store = open_store(str(folder / "server.db"))
    now = utcnow()
    with store.unit_of_work() as uow:
        programme = parse_programme(sample_programme(now.date(), now + timedelta(hours=2)))
        races.import_races(uow, programme)
        uow.commit()
    # The bulk load writes the SQLite file directly: a generator, not a service.
    db = sqlite3.connect(folder / "server.db", isolation_level=None, timeout=30)
    db.execute("INSERT INTO terminals (terminal_id, outlet, key_hex, enrolled_at) "
               "VALUES ('T000001', 'bench', ?, ?)", ("11" * 32, now.isoformat()))
    race = next(r for r in programme if r.offer("QUINTE_PLUS"))
    runners = [r.number for r in race.runners]
    rng = random.Random(7)
    t0 = time.perf_counter()
    db.execute("BEGIN")
    rows = []
    for seq in range(1, args.bets + 1):
        bt, formula, sel, bases, stake, n, partners = shapes(rng, runners)
        rows.append((str(uuid.UUID(int=rng.getrandbits(128))), "T000001", seq, race.race_id,
                     bt, formula, json.dumps(sel), json.dumps(bases), stake, stake * n, n,
                     now.isoformat(), now.isoformat(), 0, "accepted",
                     f"{seq:024d}", json.dumps(partners) if partners else None))
        if len(rows) == 50_000:
            db.executemany("INSERT INTO bets (uuid, terminal_id, seq, race_id, bet_type, "
                           "formula, selections, bases, unit_stake_cents, total_cents, "
                           "combinations, placed_at, received_at, offline, status, ticket, "
                           "partners) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    if rows:
        db.executemany("INSERT INTO bets (uuid, terminal_id, seq, race_id, bet_type, "
                       "formula, selections, bases, unit_stake_cents, total_cents, "
                       "combinations, placed_at, received_at, offline, status, ticket, "
                       "partners) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute("COMMIT")
    with store.unit_of_work() as uow:
        races.close_race(uow, race.race_id, now)
        uow.commit()
    load = time.perf_counter() - t0
    arrival = [[h] for h in rng.sample(runners, 6)]
    t0 = time.perf_counter()
    with store.unit_of_work() as uow:
        published = enter_result(uow, race.race_id, {"arrival": arrival, "official": True},
                                 now + timedelta(hours=3))
        uow.commit()
    settle = time.perf_counter() - t0
    shapes_count = db.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM bets WHERE race_id = ? GROUP BY bet_type, "
        "formula, selections, bases, partners)", (race.race_id,)).fetchone()[0]
    code = db.execute("SELECT ticket FROM bets WHERE bet_type = 'SIMPLE_GAGNANT' "
                      "AND selections = ? LIMIT 1", (json.dumps(arrival[0]),)).fetchone()[0]
    db.close()
    with store.unit_of_work(read_only=True) as uow:
        t1 = time.perf_counter()
        status, amount = payouts.value(uow, uow.bets.by_ticket(code), code)
        one = time.perf_counter() - t1
    staked = sum(p["total_cents"] for p in published["pools"])
    print(f"bets={args.bets:,} distinct shapes={shapes_count:,} pools={len(published['pools'])} "
          f"staked={staked / 100:,.2f} EUR; load {load:.1f}s; settle {settle:.2f}s; "
          f"one ticket valued in {one * 1000:.1f} ms ({status}, {amount} c)")


if __name__ == "__main__":
    main()
