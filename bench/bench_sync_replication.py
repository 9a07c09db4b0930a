"""What a standby costs: durable bets/s through the real server on a private
PostgreSQL primary alone, with an asynchronous standby, with a synchronous one.

Each setting gets fresh private clusters (tests/faults/pg_cluster.py, never the
shared server on 5432), a real `guichet server` on the primary's URL, and the
same load: T terminals, each on its own websocket, sending one bet per
`place_bets` and waiting for its ack (an ack comes after the commit, so every
counted bet is durable: on the primary's disk, and with the synchronous
standby on the standby's disk too). Settings are run in turn, `--rounds` times,
so that a slow minute of the machine hits each of them.

On a shared machine the server's Python work per bet can hide the commit's
cost, so each setting also gets the database's own figure, without Guichet:
`pgbench` committing one small insert per transaction, 1 and 8 clients.

    python bench/bench_sync_replication.py --bets 3000 --terminals 8 --rounds 2
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from betting.protocol import NAMESPACE  # noqa: E402
from tests.faults import pg_cluster  # noqa: E402
from tests.helpers import start_server, write_sample_programme  # noqa: E402
from tests.integration.socket_client import connect  # noqa: E402

SETTINGS = ("primary alone", "asynchronous standby", "synchronous standby")


def clusters_for(setting: str, root: Path) -> tuple[list[pg_cluster.Cluster], str]:
    primary = pg_cluster.primary(root, "primary")
    made = [primary]
    if setting != "primary alone":
        made.append(pg_cluster.standby(primary, "standby",
                                       synchronous=setting == "synchronous standby"))
    return made, primary.url("guichet")


def load(server, terminals: int, bets: int, race: str) -> tuple[int, float, list[str]]:
    """Accepted bets, seconds, errors: `bets` in all, one per message, `terminals` at once."""
    creds = []
    for i in range(terminals):
        code = server.api("POST", "/api/enrolment-codes", {"outlet": f"bench {i}"})[1]["code"]
        enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)[1]
        creds.append((enrolled["terminal_id"], bytes.fromhex(enrolled["key"])))
    per = bets // terminals
    placed_at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    counts = [0] * terminals
    errors: list[str] = []
    clients = [connect(server.url, *c) for c in creds]

    def run(i: int) -> None:
        try:
            for seq in range(1, per + 1):
                bet = {"uuid": str(uuid.uuid4()), "seq": seq, "placed_at": placed_at,
                       "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                       "selections": [1 + seq % 8], "bases": [], "unit_stake_cents": 200,
                       "total_cents": 200, "offline": False}
                ack = clients[i].call("place_bets", {"bets": [bet]}, namespace=NAMESPACE,
                                      timeout=60)
                counts[i] += ack.get("ok", False) and ack["results"][0]["status"] == "accepted"
        except Exception as exc:  # reported with the figures
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(terminals)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for client in clients:
        client.disconnect()
    return sum(counts), elapsed, errors


def commits_per_s(primary: pg_cluster.Cluster, clients: int, seconds: int = 5) -> float:
    """pgbench: one-row insert transactions per second on `primary` (tps)."""
    primary.sql("CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v int)",
                db="guichet")
    script = primary.root / "commit.sql"
    script.write_text("INSERT INTO bench_commit (v) VALUES (1);\n")
    out = subprocess.run(
        [str(primary.bins / "pgbench"), "-n", "-h", "127.0.0.1", "-p", str(primary.port),
         "-U", pg_cluster.DB_USER, "-c", str(clients), "-j", str(min(clients, 2)),
         "-T", str(seconds), "-f", str(script), "guichet"],
        capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bets", type=int, default=3000)
    ap.add_argument("--terminals", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    results: dict[str, list[float]] = {s: [] for s in SETTINGS}
    commits: dict[tuple[str, int], list[float]] = {}
    for round_ in range(args.rounds):
        for setting in SETTINGS:
            tmp = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
            root = pg_cluster.new_root()
            made: list[pg_cluster.Cluster] = []
            server = None
            try:
                made, url = clusters_for(setting, root)
                programme = tmp / "programme.json"
                doc = write_sample_programme(programme, minutes_ahead=120)
                server = start_server(tmp, programme, db=url)
                accepted, seconds, errors = load(server, args.terminals, args.bets,
                                                 f"{doc['date']}/R1C1")
                rate = accepted / seconds
                results[setting].append(rate)
                server.proc.stop()
                server = None
                tps = {n: commits_per_s(made[0], n) for n in (1, 8)}
                for n, value in tps.items():
                    commits.setdefault((setting, n), []).append(value)
                print(f"round {round_ + 1} {setting:>22}: {accepted}/{args.bets} accepted in "
                      f"{seconds:.2f} s = {rate:,.0f} bets/s; errors={errors[:3]}; pgbench "
                      f"commits/s 1 client {tps[1]:,.0f}, 8 clients {tps[8]:,.0f}", flush=True)
            finally:
                if server is not None:
                    server.proc.stop()
                for cluster in made:
                    cluster.remove()
                shutil.rmtree(root, ignore_errors=True)
                shutil.rmtree(tmp, ignore_errors=True)

    base = sum(results[SETTINGS[0]]) / len(results[SETTINGS[0]])
    print(f"terminals={args.terminals} bets={args.bets} rounds={args.rounds}, one bet per message")
    for setting in SETTINGS:
        mean = sum(results[setting]) / len(results[setting])
        runs = ", ".join(f"{r:,.0f}" for r in results[setting])
        print(f"{setting:>22}: {mean:,.0f} bets/s (runs {runs}); "
              f"{mean / base:.2f} of primary alone")
    for n in (1, 8):
        base = sum(commits[(SETTINGS[0], n)]) / len(commits[(SETTINGS[0], n)])
        for setting in SETTINGS:
            mean = sum(commits[(setting, n)]) / len(commits[(setting, n)])
            print(f"pgbench {n} client{'s' if n > 1 else ''}, {setting:>22}: "
                  f"{mean:,.0f} commits/s; {mean / base:.2f} of primary alone")


if __name__ == "__main__":
    main()
