"""`guichet demo`: a central server and one enrolled terminal on this machine."""
from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path


class DemoError(Exception):
    pass


def _wait_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"the {what} stopped while starting (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise DemoError(f"the {what} did not answer on {url} within {timeout:.0f}s")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


DEMO_OPERATOR = "operateur"


def prepare(folder: Path, server_port: int) -> tuple[str, str]:
    """Store with the sample programme, an enrolment code and a back-office operator;
    returns the code and the operator's password (made for this demo)."""
    import secrets

    from server.services.accounts import add_account
    from server.services.fleet import create_enrolment_code
    from server.services.programme_import import parse_programme, sample_programme
    from server.services.races import import_races
    from guichet.clock import utcnow
    from server.store import open_store

    now = utcnow()
    first = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    store = open_store(str(folder / "server.db"))
    with store.unit_of_work() as uow:
        import_races(uow, parse_programme(sample_programme(now.date(), first)))
        code = create_enrolment_code(uow, "Démo — Bar du Centre", now)["code"]
        password = secrets.token_urlsafe(9)
        add_account(uow, DEMO_OPERATOR, "operator", password, now)
        uow.commit()
    store.close()
    return code, password


def run_demo(data: str | None, server_port: int, terminal_port: int) -> None:
    from terminal_app.services.enrolment import EnrolError, enrol
    from terminal_app.adapters.store import TerminalStore

    folder = Path(data) if data else Path(tempfile.mkdtemp(prefix="guichet-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "server.db").exists():
        raise DemoError(f"{folder} already holds a demo; give an empty --data folder")
    code, password = prepare(folder, server_port)
    server_url = f"http://127.0.0.1:{server_port}"
    terminal_url = f"http://127.0.0.1:{terminal_port}/"
    cmd = [sys.executable, "-m", "guichet"]
    procs: list[subprocess.Popen] = []

    def _interrupt(*_args) -> None:
        raise KeyboardInterrupt

    # The children run in their own sessions: a SIGTERM or a closed terminal
    # must stop them through us, like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        procs.append(subprocess.Popen(
            cmd + ["server", "--db", str(folder / "server.db"), "--port", str(server_port)],
            start_new_session=True))
        _wait_http(f"{server_url}/healthz", procs[0], "central server")
        try:
            enrol(TerminalStore(folder / "terminal"), server_url, code)
        except EnrolError as exc:
            raise DemoError(f"enrolment failed: {exc}") from None
        procs.append(subprocess.Popen(
            cmd + ["terminal", "--data", str(folder / "terminal"), "--port", str(terminal_port),
                   "--printer", "sim:", "--scanner", "sim:"],
            start_new_session=True))
        _wait_http(f"{terminal_url}healthz", procs[1], "terminal")
        print(f"\nGuichet demo running (files in {folder}):\n"
              f"  back office:    {server_url}/admin/ (user {DEMO_OPERATOR}, "
              f"password {password})\n"
              f"  shop terminal:  {terminal_url}\n"
              "  printer and scanner: simulated (tickets are previewed on screen;\n"
              f"  scan and break the printer from {terminal_url}diagnostics)\n"
              "Press Ctrl-C to stop.", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise DemoError("a demo process stopped unexpectedly; see the messages above")
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        _stop(procs)
