"""Throughput of bet acceptance on a real `guichet server` process.

Starts a server on a temporary SQLite store, enrols T terminals, and has each
send N/T bets over its own websocket in batches of B (the way the sync client
drains its outbox), waiting for every ack. Prints accepted bets per second.

    python bench/bench_place_bets.py --bets 20000 --terminals 4 --batch 100
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import start_server, write_sample_programme  # noqa: E402
from tests.integration.socket_client import connect  # noqa: E402
from betting.protocol import NAMESPACE  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bets", type=int, default=20000)
    ap.add_argument("--terminals", type=int, default=4)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    programme = tmp / "programme.json"
    doc = write_sample_programme(programme, minutes_ahead=120)
    race = f"{doc['date']}/R1C1"
    server = start_server(tmp, programme)
    try:
        creds = []
        for i in range(args.terminals):
            code = server.api("POST", "/api/enrolment-codes", {"outlet": f"bench {i}"})[1]["code"]
            enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
            creds.append((enrolled["terminal_id"], bytes.fromhex(enrolled["key"])))
        per = args.bets // args.terminals
        placed_at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        counts = [0] * args.terminals
        errors: list[str] = []

        def run(i: int) -> None:
            client = connect(server.url, *creds[i])
            try:
                for start in range(0, per, args.batch):
                    bets = [{"uuid": str(uuid.uuid4()), "seq": seq + 1, "placed_at": placed_at,
                             "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                             "selections": [1 + seq % 8], "bases": [], "unit_stake_cents": 200,
                             "total_cents": 200, "offline": False}
                            for seq in range(start, min(per, start + args.batch))]
                    ack = client.call("place_bets", {"bets": bets}, namespace=NAMESPACE,
                                      timeout=60)
                    counts[i] += sum(r["status"] == "accepted" for r in ack["results"])
            except Exception as exc:  # reported below
                errors.append(repr(exc))
            finally:
                client.disconnect()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.terminals)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        total = sum(counts)
        pool = server.api("GET", f"/api/races/{race}", token=None)[1]["pools"]
        print(f"terminals={args.terminals} batch={args.batch} accepted={total}/{per * args.terminals} "
              f"in {elapsed:.2f}s = {total / elapsed:,.0f} bets/s; pool={pool}; errors={errors[:3]}")
    finally:
        server.proc.stop()


if __name__ == "__main__":
    main()
