"""Load on the real central server against a bare echo server, in one run.

Builds a temporary store (SQLite, or a new PostgreSQL database), loads a
programme whose race R1C1 closes in two hours, enrols the terminals straight
through the service layer (one transaction for all), starts `guichet server`,
runs bench/loadgen.py against it, stops it; then does the same with
bench/echo_server.py under the very gunicorn command the real server uses.
Machines differ, so the figures that travel are the ratios printed last.

    python bench/bench_load.py --mode closed --terminals 200 --duration 20
    python bench/bench_load.py --mode open --terminals 500 --rate 800 --duration 20
    python bench/bench_load.py --mode hold --terminals 2000 --duration 10 --procs 2
    python bench/bench_load.py --mode storm --terminals 1000 --held 10 --procs 2
    python bench/bench_load.py --mode closed --terminals 200 --workers 2   # Redis queue
    python bench/bench_load.py --mode closed --db postgresql --skip-echo
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guichet.cli import DEFAULT_WORKER_CONNECTIONS  # noqa: E402
from guichet.clock import utcnow  # noqa: E402
from server.services import fleet  # noqa: E402
from server.services.programme_import import parse_programme, sample_programme  # noqa: E402
from server.services.races import import_races  # noqa: E402
from server.store import open_store  # noqa: E402
import loadgen  # noqa: E402  (bench/, beside this script: the load options are its own)
from tests.helpers import free_port  # noqa: E402

REDIS = "redis://127.0.0.1:6379/0"
SEQS_PER_ROUND = 10_000_000  # bets one terminal may send in one round
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# -- the store -------------------------------------------------------------------
def create_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_store(db: str, terminals: int) -> dict:
    """Programme and enrolled terminals, written in two transactions: enrolling
    20,000 terminals one HTTP call (one commit) at a time would take minutes."""
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=120))
    store = open_store(db)
    try:
        with store.unit_of_work() as uow:
            import_races(uow, parse_programme(doc))
            uow.commit()
        creds = []
        with store.unit_of_work() as uow:
            for i in range(terminals):
                code = fleet.create_enrolment_code(uow, f"Bench {i}", now)["code"]
                enrolled = fleet.enrol(uow, code, now)
                creds.append([enrolled["terminal_id"], enrolled["key"]])
            uow.commit()
    finally:
        store.close()
    return {"race": f"{doc['date']}/R1C1", "terminals": creds}


# -- the servers -----------------------------------------------------------------
class ServerProcess:
    """A server in its own session, so the gunicorn master and its workers stop together."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log: Path) -> None:
        self.name, self.argv, self.env, self.port, self.log = name, argv, env, port, log
        self.popen: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> float:
        """Start and wait until /healthz answers; returns the seconds that took."""
        t0 = time.perf_counter()
        self.starts += 1
        handle = open(self.log.with_suffix(f".{self.starts}.log"), "wb")
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=handle,
                                      stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise SystemExit(f"{self.name} exited at start; see {handle.name}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer /healthz within {timeout:.0f}s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        # workers left by a SIGKILL of the master notice their parent is gone; wait for them
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def gunicorn_argv(app: str, workers: int, connections: int, port: int) -> list[str]:
    """The gunicorn command of `guichet server` (guichet/cli.py), for another app."""
    return [sys.executable, "-m", "gunicorn", "--worker-class", "gevent",
            "--workers", str(workers), "--worker-connections", str(connections),
            "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--timeout", "30",
            "--access-logfile", "-", "--log-level", "info",
            "--config", "python:guichet.gunicorn_conf", "--pythonpath", str(ROOT / "bench"), app]


def real_server(db: str, args, port: int, tmp: Path) -> ServerProcess:
    argv = [sys.executable, "-m", "guichet", "server", "--db", db, "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(args.workers),
            "--worker-connections", str(args.worker_connections)]
    if args.redis:
        argv += ["--message-queue", REDIS]
    return ServerProcess("guichet server", argv, dict(os.environ), port, tmp / "server")


def echo_server(args, port: int, tmp: Path) -> ServerProcess:
    env = dict(os.environ)
    if args.redis:
        env["GUICHET_MESSAGE_QUEUE"] = REDIS
    return ServerProcess("echo server",
                         gunicorn_argv("echo_server:app", args.workers, args.worker_connections,
                                       port),
                         env, port, tmp / "echo")


# -- one load run ----------------------------------------------------------------
def run_load(server: ServerProcess, creds: Path, args, seq_start: int) -> dict:
    server.start()
    argv = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", server.url,
            "--creds", str(creds), "--mode", args.mode, "--terminals", str(args.terminals),
            "--duration", str(args.duration), "--warmup", str(args.warmup),
            "--rate", str(args.rate), "--held", str(args.held), "--batch", str(args.batch),
            "--backoff-max", str(args.backoff_max),
            "--procs", str(args.procs), "--seq-start", str(seq_start),
            "--server-pid", str(server.popen.pid)]
    print(f"\n== {server.name}: {' '.join(server.argv[2:])}", flush=True)
    gen = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    result, restart = None, None
    try:
        for line in gen.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT "):])
                continue
            print("   " + line.rstrip(), flush=True)
            if line.strip() == "ready" and args.mode == "storm":
                time.sleep(1.0)  # every socket settled
                killed = time.perf_counter()
                server.stop(signal.SIGKILL)
                down = time.perf_counter() - killed
                up = server.start()
                restart = {"kill_s": round(down, 2), "start_s": round(up, 2)}
                print(f"   server killed (SIGKILL to its process group, {down:.2f}s) and "
                      f"started again ({up:.2f}s until /healthz)", flush=True)
        gen.wait()
    finally:
        if gen.poll() is None:
            gen.kill()
        server.stop()
    if result is None:
        raise SystemExit(f"the load generator gave no result (exit {gen.returncode})")
    if restart:
        result["restart"] = restart
    return result


def ratio(a, b) -> str:
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b \
        else "-"


METRICS = [
    ("connect all s", lambda r: r["connect_s"]),
    ("durable bets/s", lambda r: r["durable_per_s"]),
    ("ack p50 ms", lambda r: r["latency_ms"]["p50"]),
    ("ack p99 ms", lambda r: r["latency_ms"]["p99"]),
    ("ack max ms", lambda r: r["latency_ms"]["max"]),
    ("server CPU %", lambda r: r["cpu_percent"]["server"]),
    ("generator CPU %", lambda r: r["cpu_percent"]["generator"]),
    ("RSS kB per connection", lambda r: r["rss_per_connection_kb"]),
    ("storm: restart to /healthz s", lambda r: r.get("restart", {}).get("start_s")),
    ("storm: all back s", lambda r: r.get("storm", {}).get("all_back_s")),
    ("storm: all acked s", lambda r: r.get("storm", {}).get("all_acked_s")),
]


def median(values: list) -> float | None:
    values = sorted(v for v in values if v is not None)
    return statistics.median(values) if values else None


def compare(reals: list[dict], echos: list[dict]) -> str:
    """Each figure's median over the rounds, real against echo; with several
    rounds, the ratio of each pair run back to back too (the machine's other
    load changes between rounds, less within one)."""
    head = f"{'':30} {'real':>10} {'echo':>10} {'real/echo':>10}"
    out = [head + ("  per round" if len(reals) > 1 else "")]
    for name, get in METRICS:
        a, b = median([get(r) for r in reals]), median([get(e) for e in echos])
        if a is None and b is None:
            continue
        line = f"{name:30} {_fmt(a):>10} {_fmt(b):>10} {ratio(a, b):>10}"
        if len(reals) > 1:
            line += "  " + " ".join(ratio(get(r), get(e)) for r, e in zip(reals, echos))
        out.append(line)
    return "\n".join(out)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:g}"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    loadgen.add_load_options(ap, terminals=200)
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--worker-connections", type=int, default=DEFAULT_WORKER_CONNECTIONS)
    ap.add_argument("--redis", action="store_true",
                    help="Socket.IO message queue on Redis (implied by --workers above 1)")
    ap.add_argument("--procs", type=int, default=0,
                    help="generator processes (default: one per 2,000 terminals, at least 1)")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--skip-echo", action="store_true", help="measure the real server only")
    ap.add_argument("--rounds", type=int, default=1,
                    help="real then echo, this many times (figures: medians, ratios per round)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = ap.parse_args()
    args.redis = args.redis or args.workers > 1
    args.procs = args.procs or max(1, -(-args.terminals // 2000))
    if args.mode == "storm" and args.duration < 60:
        args.duration = 120.0  # a deadline for the drain, not a measured window
    return args


def main() -> None:
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="guichet-load-"))
    pg_name = f"guichet_load_{os.getpid()}" if args.db == "postgresql" else None
    db = create_pg_database(pg_name) if pg_name else str(tmp / "server.db")
    try:
        t0 = time.perf_counter()
        creds = tmp / "creds.json"
        creds.write_text(json.dumps(prepare_store(db, args.terminals)))
        print(f"store {args.db}: programme loaded and {args.terminals} terminals enrolled in "
              f"{time.perf_counter() - t0:.1f}s", flush=True)
        reals, echos = [], []
        for n in range(args.rounds):
            seq_start = 1 + n * SEQS_PER_ROUND  # the store keeps every round's bets
            reals.append(run_load(real_server(db, args, free_port(), tmp), creds, args,
                                  seq_start))
            if not args.skip_echo:
                echos.append(run_load(echo_server(args, free_port(), tmp), creds, args,
                                      seq_start))
        if echos:
            print("\n" + compare(reals, echos))
        print("\nRESULTS " + json.dumps({"args": vars(args), "real": reals, "echo": echos}))
    finally:
        if pg_name:
            drop_pg_database(pg_name)
        if args.keep:
            print(f"logs and store kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
