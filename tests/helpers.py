"""Starting the real server and terminal as processes, and talking to them."""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

GUICHET = [sys.executable, "-m", "guichet"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(method: str, url: str, body: object = None, token: str | None = None,
              cookies: str | None = None, timeout: float = 15,
              context: ssl.SSLContext | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"raw": raw.decode(errors="replace")}


def run_cli(*args: str, env: dict | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run(GUICHET + list(args), capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"guichet {' '.join(args)} failed: {proc.stderr}")
    return proc


def wait_until(predicate, timeout: float = 20, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@dataclass
class Proc:
    popen: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def spawn(args: list[str], log: Path, env: dict | None = None) -> Proc:
    handle = open(log, "wb")
    popen = subprocess.Popen(GUICHET + args, stdout=handle, stderr=subprocess.STDOUT,
                             start_new_session=True, env={**os.environ, **(env or {})})
    return Proc(popen, log)


def _healthy(url: str, proc: Proc, context: ssl.SSLContext | None = None) -> bool:
    if proc.popen.poll() is not None:
        raise AssertionError(f"server exited: {proc.output()}")
    try:
        return http_json("GET", url + "/healthz", timeout=1, context=context)[0] == 200
    except OSError:
        return False


@dataclass
class Server:
    url: str
    db: str  # the store: a SQLite path or a postgresql:// URL
    token: str
    proc: Proc
    env: dict = field(default_factory=dict)
    context: ssl.SSLContext | None = None  # an https server: its CA

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        self.proc.stop(signal.SIGKILL)

    def restart(self) -> None:
        """Start again on the same port and store, after a stop or a kill."""
        log = self.proc.log.with_name(self.proc.log.stem + "-again.log")
        self.proc = spawn(["server", "--db", str(self.db), "--port", str(self.port)], log,
                          env=self.env)
        wait_until(lambda: _healthy(self.url, self.proc), what="server health after restart")

    def api(self, method: str, path: str, body: object = None, token: str | None = "admin"):
        return http_json(method, self.url + path, body,
                         self.token if token == "admin" else token, context=self.context)


@dataclass
class Terminal:
    url: str
    data: Path
    token: str
    proc: Proc
    terminal_id: str = ""
    extra: dict = field(default_factory=dict)

    def api(self, method: str, path: str, body: object = None, token: str | None = "local"):
        return http_json(method, self.url + path, body,
                         self.token if token == "local" else token)

    def status(self) -> dict:
        return self.api("GET", "/api/status")[1]


def start_server(tmp: Path, programme: Path | None = None, env: dict | None = None,
                 args: list[str] | None = None, name: str = "server",
                 ca_file: Path | None = None, db: str | Path | None = None) -> Server:
    """A server process on the store `db` (default `tmp/server.db`; a SQLite path
    or a postgresql:// URL), created and loaded if new; with `ca_file`, an https
    server (`args` has --certfile/--keyfile) signed by it."""
    db = str(db or tmp / "server.db")
    token = run_cli("admin", "token", "--db", str(db)).stdout.strip()
    if programme:
        run_cli("admin", "import", str(programme), "--db", str(db))
    port = free_port()
    proc = spawn(["server", "--db", str(db), "--port", str(port), *(args or [])],
                 tmp / f"{name}.log", env=env)
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    url = f"{'https' if ca_file else 'http'}://127.0.0.1:{port}"
    wait_until(lambda: _healthy(url, proc, context), what="server health")
    return Server(url, db, token, proc, env or {}, context)


def start_terminal(tmp: Path, server: Server, name: str = "terminal",
                   printer: str | None = None, server_url: str | None = None,
                   args: list[str] | None = None, wait_online: bool = True,
                   enrol_args: list[str] | None = None) -> Terminal:
    """Enrol and start a terminal; `server_url` (a proxy) is where it will connect,
    `args` any further options (`--scanner`, `--drawer`, …), `enrol_args` those of
    `guichet enrol` (`--ca-file`). Returns once it is
    online with the programme cached (or, without `wait_online`, once it serves)."""
    data = tmp / name
    status, created = server.api("POST", "/api/enrolment-codes", {"outlet": f"Bar {name}"})
    assert status == 201, created
    run_cli("enrol", "--server", server_url or server.url, "--code", created["code"],
            "--data", str(data), *(enrol_args or []))
    token = run_cli("terminal", "token", "--data", str(data)).stdout.strip()
    port = free_port()
    argv = ["terminal", "--data", str(data), "--port", str(port),
            "--printer", printer or f"file:{tmp / (name + '-tickets.bin')}", *(args or [])]
    proc = spawn(argv, tmp / f"{name}.log")
    term = Terminal(f"http://127.0.0.1:{port}", data, token, proc)

    def ready():
        if proc.popen.poll() is not None:
            raise AssertionError(f"terminal exited: {proc.output()}")
        try:
            status = term.status()
        except OSError:
            return False
        if not wait_online:
            return status
        return status if status.get("online") and term.api("GET", "/api/races")[1]["races"] \
            else False

    term.terminal_id = wait_until(ready, what="terminal online")["terminal_id"]
    term.extra["args"] = argv
    return term


def restart_terminal(tmp: Path, term: Terminal) -> None:
    """Start a stopped or killed terminal again on the same data folder and port."""
    log = tmp / f"{term.data.name}-again.log"
    term.proc = spawn(term.extra["args"], log)

    def serving():
        if term.proc.popen.poll() is not None:
            raise AssertionError(f"terminal exited: {term.proc.output()}")
        try:
            return http_json("GET", term.url + "/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    wait_until(serving, what="terminal serving after restart")


def write_sample_programme(path: Path, minutes_ahead: int = 60) -> dict:
    from datetime import timedelta

    from server.services.programme_import import sample_programme
    from guichet.clock import utcnow

    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=minutes_ahead))
    path.write_text(json.dumps(doc))
    return doc
