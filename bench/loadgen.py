"""Load generator for the central server: many terminals, one websocket each.

Each terminal speaks the raw protocol through bench/rawsocket.py (a websocket
client on asyncio's Protocol: no python-socketio client, no websocket library,
whose per-terminal objects and tasks would cost more CPU than the server under
test). Each process runs one asyncio loop; `--procs K` shares the terminals
among K processes and merges their figures, for loads one Python process
cannot drive (and past the 20,000 open files one process may hold).

Modes (see bench/bench_load.py for the driver that starts the servers):

- closed: each terminal sends one bet, waits for its ack, sends the next;
- open:   R bets/s in all (Poisson arrivals per terminal), each sent at its
          scheduled time whatever the answers; latency is counted from the
          scheduled time, so a slow server cannot hide behind a slow sender;
- hold:   connect and keep the sockets (answering pings); the server's memory
          per connection is the figure;
- storm:  each terminal holds K unsent bets; once every terminal is connected
          this prints `ready` and waits for the server to go away and come back
          (bench_load.py kills and restarts it); the figures are the time from
          the first lost socket until every terminal is back and until every
          bet is acked.

    python bench/loadgen.py --url http://127.0.0.1:8700 --creds creds.json \\
        --mode closed --terminals 200 --duration 20 --server-pid 1234

`creds.json` is `{"race": "<date>/R1C1", "terminals": [[terminal_id, key_hex], …]}`.
The last line printed is `RESULT {json}` for scripts.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import queue
import random
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rawsocket import Link, Lost, Refused  # noqa: E402
from terminal_app.adapters.sync import (  # noqa: E402
    BACKOFF_MAX_S, BACKOFF_MIN_S, CONNECT_TIMEOUT_S, retry_delay,
)

HANDSHAKES_AT_ONCE = 64  # per process: a ramp, not a SYN flood on the listen backlog
ACK_TIMEOUT_S = 30.0
# storm: a reconnect gives up as the terminal does (terminal_app/adapters/sync.py connects
# with wait_timeout=5, and python-engineio's request timeout is 5 s)
RECONNECT_TIMEOUT_S = float(CONNECT_TIMEOUT_S)
DRAIN_S = 10.0  # open mode: how long answers to bets scheduled in the window are awaited
DURABLE = {"accepted", "duplicate"}  # a resent bet is answered `duplicate`, same ticket


def wall() -> float:
    return time.time()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_bet(race: str, seq: int) -> dict:
    return {"uuid": str(uuid.uuid4()), "seq": seq, "placed_at": now_iso(), "race": race,
            "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [1 + seq % 8], "bases": [], "unit_stake_cents": 200,
            "total_cents": 200, "offline": False}


class Tally:
    """What one process saw; merged by the coordinator."""

    def __init__(self) -> None:
        self.durable_in_window = 0
        self.latencies_ms: list[float] = []
        self.send_lag_ms: list[float] = []  # open mode: how late the generator itself sent
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.connected = 0
        self.connect_s: list[float] = []
        self.storm: list[tuple[float, float, float, int]] = []  # lost, back, done, acked
        self.cpu_s = 0.0
        self.alive_at_end = 0

    def ack(self, answer: dict, started: float, acked: float, window: tuple[float, float]) -> None:
        if not answer.get("ok"):
            self.errors[f"ack:{answer.get('error')}"] += 1
            return
        for result in answer.get("results", []):
            self.statuses[result.get("status")] += 1
            if result.get("status") in DURABLE and window[0] <= acked < window[1]:
                self.durable_in_window += 1
        if window[0] <= started < window[1]:
            self.latencies_ms.append((acked - started) * 1000)

    def as_dict(self) -> dict:
        return dict(vars(self), statuses=dict(self.statuses), errors=dict(self.errors))


async def connect_all(links: list[Link], tally: Tally, attempts: int = 3) -> None:
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)

    async def one(link: Link) -> None:
        for attempt in range(attempts):
            async with gate:
                t0 = wall()
                try:
                    await link.connect()
                    tally.connected += 1
                    tally.connect_s.append(wall() - t0)
                    return
                except Refused as exc:
                    tally.errors[f"refused:{str(exc)[:60]}"] += 1
                    return
                except (OSError, asyncio.TimeoutError, Lost) as exc:
                    tally.errors[f"connect:{type(exc).__name__}"] += 1
            await asyncio.sleep(0.5 * (attempt + 1))

    await asyncio.gather(*(one(link) for link in links))


async def closed_loop(link: Link, race: str, seq0: int, tally: Tally,
                      window: tuple[float, float]) -> None:
    seq = seq0
    while wall() < window[1] and link.ws is not None:
        started = wall()
        try:
            fut = link.call("place_bets", {"bets": [make_bet(race, seq)]})
            answer = await asyncio.wait_for(fut, ACK_TIMEOUT_S)
        except Lost:
            tally.errors["lost"] += 1
            return
        except asyncio.TimeoutError:
            tally.errors["ack_timeout"] += 1
            return
        seq += 1
        tally.ack(answer, started, wall(), window)


async def open_loop(link: Link, race: str, seq0: int, rate: float, rng: random.Random,
                    tally: Tally, start: float, window: tuple[float, float]) -> None:
    """Poisson arrivals at `rate`/s; each bet sent at its time, acks not awaited."""
    inflight: list[asyncio.Future] = []

    def on_ack(fut: asyncio.Future, scheduled: float) -> None:
        if fut.cancelled():
            return
        if fut.exception() is not None:
            tally.errors["lost"] += 1
        else:
            tally.ack(fut.result(), scheduled, wall(), window)

    due, seq = start + rng.expovariate(rate), seq0
    while due < window[1]:
        delay = due - wall()
        if delay > 0:
            await asyncio.sleep(delay)
        if window[0] <= due:
            tally.send_lag_ms.append(max(0.0, wall() - due) * 1000)
        try:
            fut = link.call("place_bets", {"bets": [make_bet(race, seq)]})
        except Lost:
            tally.errors["lost"] += 1
            return
        fut.add_done_callback(lambda f, s=due: on_ack(f, s))
        inflight.append(fut)
        seq += 1
        due += rng.expovariate(rate)
    pending = [f for f in inflight if not f.done()]
    if pending:
        done, still = await asyncio.wait(pending, timeout=max(0.0, window[1] + DRAIN_S - wall()))
        if still:
            tally.errors["unanswered"] += len(still)
        for fut in still:
            fut.cancel()


async def storm_one(link: Link, race: str, seq0: int, held: int, batch: int, tally: Tally,
                    deadline: float, backoff_max: float) -> None:
    """Wait for the socket to drop, reconnect with the terminal's backoff, then drain
    the held bets in batches, resending a batch whose ack was lost."""
    bets = [make_bet(race, seq0 + i) for i in range(held)]
    await link.closed.wait()
    lost, back, acked = wall(), None, 0
    backoff = min(BACKOFF_MIN_S, backoff_max)
    while acked < held and wall() < deadline:
        if link.ws is None:
            started = wall()
            try:
                await link.connect(timeout=RECONNECT_TIMEOUT_S)
                back = back or wall()
                backoff = min(BACKOFF_MIN_S, backoff_max)
            except (OSError, asyncio.TimeoutError, Lost, Refused) as exc:
                tally.errors[f"reconnect:{type(exc).__name__}"] += 1
                # the terminal's own choice of the next try (terminal_app/adapters/sync.py)
                await asyncio.sleep(retry_delay(backoff, wall() - started))
                backoff = min(backoff * 2, backoff_max)
                continue
        chunk = bets[acked:acked + batch]
        try:
            answer = await asyncio.wait_for(link.call("place_bets", {"bets": chunk}),
                                            ACK_TIMEOUT_S)
        except (Lost, asyncio.TimeoutError) as exc:
            tally.errors[f"storm:{type(exc).__name__}"] += 1
            continue
        tally.ack(answer, 0.0, 0.0, (1.0, 0.0))  # statuses only
        acked += sum(r.get("status") in DURABLE for r in answer.get("results", []))
        if not answer.get("ok") or len(answer.get("results", [])) != len(chunk):
            break  # refused batch: counted in errors, nothing more to learn
    tally.storm.append((lost, back or 0.0, wall() if acked >= held else 0.0, acked))


async def window_cpu(tally: Tally, window: tuple[float, float]) -> None:
    """This process's CPU seconds inside the measured window (not the warm-up, not the drain)."""
    await asyncio.sleep(max(0.0, window[0] - wall()))
    cpu0 = time.process_time()
    await asyncio.sleep(max(0.0, window[1] - wall()))
    tally.cpu_s = time.process_time() - cpu0


async def run_share(opts: dict, creds: list, offset: int, ready: mp.Queue, go: mp.Event,
                    start_at: mp.Value) -> dict:
    tally = Tally()
    links = [Link(opts["url"], t, bytes.fromhex(k)) for t, k in creds]
    await connect_all(links, tally)
    ready.put(("ready", tally.connected))
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    start = start_at.value
    window = (start + opts["warmup"], start + opts["warmup"] + opts["duration"])
    live = [link for link in links if link.ws is not None]
    cpu = asyncio.get_running_loop().create_task(window_cpu(tally, window))
    race, seq0, mode = opts["race"], opts["seq_start"], opts["mode"]
    if mode == "closed":
        await asyncio.sleep(max(0.0, start - wall()))
        await asyncio.gather(*(closed_loop(link, race, seq0, tally, window) for link in live))
    elif mode == "open":
        per_terminal = opts["rate"] / opts["terminals"]
        await asyncio.gather(*(
            open_loop(link, race, seq0, per_terminal, random.Random(opts["seed"] + offset + i),
                      tally, start, window) for i, link in enumerate(live)))
    elif mode == "hold":
        await asyncio.sleep(max(0.0, window[1] - wall()))
    elif mode == "storm":
        storm_cpu0, deadline = time.process_time(), wall() + opts["duration"]
        await asyncio.gather(*(storm_one(link, race, seq0, opts["held"], opts["batch"], tally,
                                         deadline, opts["backoff_max"]) for link in live))
    if mode == "storm":
        cpu.cancel()
        tally.cpu_s = time.process_time() - storm_cpu0
    else:
        await cpu
    tally.alive_at_end = sum(link.ws is not None for link in links)
    await asyncio.gather(*(link.close() for link in links), return_exceptions=True)
    return tally.as_dict()


def child(opts: dict, creds: list, offset: int, ready: mp.Queue, go: mp.Event,
          start_at: mp.Value, results: mp.Queue) -> None:
    try:
        results.put(asyncio.run(run_share(opts, creds, offset, ready, go, start_at)))
    except BaseException as exc:  # reported by the coordinator, never a silent hang
        ready.put(("failed", repr(exc)))
        results.put({"crash": repr(exc)})


# -- the server's process tree, read from /proc ------------------------------
def process_tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def tree_rss_kb(root: int) -> int:
    total = 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_s(root: int) -> float:
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


# -- coordinator ---------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run(opts: dict) -> dict:
    doc = json.loads(Path(opts["creds"]).read_text())
    creds = doc["terminals"][:opts["terminals"]]
    if len(creds) < opts["terminals"]:
        raise SystemExit(f"{opts['creds']} holds {len(creds)} terminals, "
                         f"{opts['terminals']} asked")
    opts = dict(opts, race=doc["race"])
    server_pid = opts.get("server_pid")
    rss_before = tree_rss_kb(server_pid) if server_pid else None
    ctx = mp.get_context("fork")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    procs = max(1, min(opts["procs"], len(creds)))
    shares = [creds[i::procs] for i in range(procs)]
    offsets = [i * 1_000_003 for i in range(procs)]
    workers = [ctx.Process(target=child, args=(opts, share, off, ready, go, start_at, results))
               for share, off in zip(shares, offsets)]
    t0 = wall()
    for w in workers:
        w.start()
    connected = 0
    for _ in workers:
        kind, value = ready.get()
        if kind == "failed":
            raise SystemExit(f"a generator process failed: {value}")
        connected += value
    connect_time = wall() - t0
    rss_connected = tree_rss_kb(server_pid) if server_pid else None
    print(f"connected {connected}/{len(creds)} terminals in {connect_time:.1f}s", flush=True)
    start_at.value = wall() + 0.2
    if opts["mode"] == "storm":
        print("ready", flush=True)  # the driver restarts the server now
    go.set()
    cpu_server = None
    if server_pid and opts["mode"] in ("closed", "open", "hold"):
        time.sleep(max(0.0, start_at.value + opts["warmup"] - wall()))
        s0 = tree_cpu_s(server_pid)
        time.sleep(max(0.0, start_at.value + opts["warmup"] + opts["duration"] - wall()))
        cpu_server = (tree_cpu_s(server_pid) - s0) / opts["duration"] * 100
    rss_after = tree_rss_kb(server_pid) if server_pid and opts["mode"] != "storm" else None
    wait = opts["warmup"] + opts["duration"] + DRAIN_S + ACK_TIMEOUT_S + 60
    try:
        parts = [results.get(timeout=wait) for _ in workers]
    except queue.Empty:
        raise SystemExit(f"a generator process gave no result within {wait:.0f}s") from None
    for w in workers:
        w.join()
    crashes = [p["crash"] for p in parts if "crash" in p]
    if crashes:
        raise SystemExit(f"a generator process failed: {crashes[0]}")
    return summarise(opts, parts, connected, connect_time, rss_before, rss_connected,
                     rss_after, cpu_server)


def summarise(opts: dict, parts: list[dict], connected: int, connect_time: float,
              rss_before, rss_connected, rss_after, cpu_server) -> dict:
    lat = sorted(x for p in parts for x in p["latencies_ms"])
    lag = sorted(x for p in parts for x in p["send_lag_ms"])
    errors, statuses = Counter(), Counter()
    for p in parts:
        errors.update(p["errors"])
        statuses.update(p["statuses"])
    gen_cpu_s = sum(p["cpu_s"] for p in parts)
    out = {
        "mode": opts["mode"], "terminals": opts["terminals"], "procs": len(parts),
        "connected": connected, "connect_s": round(connect_time, 2),
        "alive_at_end": sum(p["alive_at_end"] for p in parts),
        "durable_per_s": round(sum(p["durable_in_window"] for p in parts) / opts["duration"], 1)
        if opts["mode"] in ("closed", "open") else None,
        "latency_ms": {"n": len(lat), "p50": _r(percentile(lat, 0.50)),
                       "p99": _r(percentile(lat, 0.99)), "max": _r(lat[-1] if lat else None)},
        "statuses": dict(statuses), "errors": dict(errors),
        "rss_kb": {"before": rss_before, "connected": rss_connected, "after": rss_after},
        "rss_per_connection_kb": round((rss_connected - rss_before) / connected, 1)
        if rss_before is not None and connected else None,
        "cpu_percent": {"server": _r(cpu_server),
                        "generator": _r(gen_cpu_s / opts["duration"] * 100)
                        if opts["mode"] != "storm" else None},
    }
    if opts["mode"] == "open":
        out["rate"] = opts["rate"]
        out["send_lag_ms"] = {"p99": _r(percentile(lag, 0.99)), "max": _r(lag[-1] if lag else None)}
    if opts["mode"] == "storm":
        rows = [row for p in parts for row in p["storm"]]
        first_lost = min((r[0] for r in rows), default=0.0)
        every_back = bool(rows) and all(r[1] for r in rows) and len(rows) == connected
        every_done = bool(rows) and all(r[2] for r in rows) and len(rows) == connected
        out["storm"] = {
            "held_per_terminal": opts["held"], "bets": opts["held"] * connected,
            "acked": sum(r[3] for r in rows),
            "all_back_s": _r(max(r[1] for r in rows) - first_lost) if every_back else None,
            "all_acked_s": _r(max(r[2] for r in rows) - first_lost) if every_done else None,
            # how the drain went, not only its end (seconds after the first lost socket)
            "back_by_s": drained_by(rows, connected, first_lost, column=1),
            "acked_by_s": drained_by(rows, connected, first_lost),
            "generator_cpu_s": _r(gen_cpu_s),
        }
    return out


def drained_by(rows: list, connected: int, first_lost: float, column: int = 2) -> dict:
    """Seconds after the first lost socket by which 50, 90 and 99 % of the connected
    terminals had every held bet acked (column 1: were connected again; None: that
    many never were)."""
    done = sorted(r[column] for r in rows if r[column])
    out = {}
    for q in (0.50, 0.90, 0.99):
        need = max(1, -(-int(q * 100) * connected // 100))  # ceil, in whole terminals
        out[f"p{int(q * 100)}"] = _r(done[need - 1] - first_lost) if len(done) >= need else None
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def describe(result: dict) -> str:
    lat, rss, cpu = result["latency_ms"], result["rss_kb"], result["cpu_percent"]
    lines = [f"mode={result['mode']} terminals={result['terminals']} procs={result['procs']} "
             f"connected={result['connected']} (in {result['connect_s']}s) "
             f"alive at end={result['alive_at_end']}"]
    if result["durable_per_s"] is not None:
        lines.append(f"durable bets/s={result['durable_per_s']:,} latency ms p50={lat['p50']} "
                     f"p99={lat['p99']} max={lat['max']} (n={lat['n']})")
    if "send_lag_ms" in result:
        lines.append(f"offered rate={result['rate']}/s; generator send lag ms "
                     f"p99={result['send_lag_ms']['p99']} max={result['send_lag_ms']['max']}")
    if "storm" in result:
        s = result["storm"]
        lines.append(f"storm: {s['acked']}/{s['bets']} bets acked; every terminal back after "
                     f"{s['all_back_s']}s, every bet acked after {s['all_acked_s']}s "
                     f"(from the first lost socket); terminals back by "
                     + ", ".join(f"{k}={v}s" for k, v in s["back_by_s"].items())
                     + "; drained by "
                     + ", ".join(f"{k}={v}s" for k, v in s["acked_by_s"].items()))
    lines.append(f"statuses={result['statuses']} errors={result['errors']}")
    if rss["before"] is not None:
        after = f" after the run={rss['after']:,}" if rss["after"] is not None else ""
        lines.append(f"server RSS kB before={rss['before']:,} connected={rss['connected']:,}"
                     f"{after}; per connection={result['rss_per_connection_kb']} kB")
    if cpu["generator"] is not None:
        lines.append(f"CPU % of one core over the window: server={cpu['server']} "
                     f"generator={cpu['generator']}")
    else:
        lines.append(f"generator CPU: {result['storm']['generator_cpu_s']}s in all")
    return "\n".join(lines)


def add_load_options(ap: argparse.ArgumentParser, terminals: int) -> None:
    """The options of a load (also those of bench/bench_load.py, which passes them on)."""
    ap.add_argument("--mode", choices=["closed", "open", "hold", "storm"], default="closed")
    ap.add_argument("--terminals", type=int, default=terminals)
    ap.add_argument("--duration", type=float, default=20.0,
                    help="measured seconds (storm: the most to wait for the drain)")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--rate", type=float, default=500.0, help="open mode: bets/s in all")
    ap.add_argument("--held", type=int, default=10, help="storm mode: unsent bets per terminal")
    ap.add_argument("--batch", type=int, default=100, help="storm mode: bets per place_bets")
    ap.add_argument("--backoff-max", type=float, default=BACKOFF_MAX_S,
                    help="storm mode: longest wait between reconnect attempts (the terminal's "
                         "own by default; lower it to see the server alone)")


def parse_args(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="http://HOST:PORT of the server")
    ap.add_argument("--creds", required=True, help="JSON file: race and [terminal_id, key_hex]")
    add_load_options(ap, terminals=100)
    ap.add_argument("--procs", type=int, default=1, help="generator processes")
    ap.add_argument("--seq-start", type=int, default=1, help="first seq of every terminal")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--server-pid", type=int, default=None,
                    help="root of the server's process tree, for its RSS and CPU")
    return vars(ap.parse_args(argv))


def main() -> None:
    result = run(parse_args())
    print(describe(result))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
