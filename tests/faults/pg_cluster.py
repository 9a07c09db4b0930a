"""Private PostgreSQL clusters for fault tests: a primary, a streaming standby,
and the faults a database host meets (kill -9, restart, promotion).

Never the shared server on 127.0.0.1:5432, which other tests use: each
cluster is a fresh `initdb` in a temporary folder, on a free loopback port,
trust authentication, its Unix socket inside the folder. PostgreSQL refuses
to run as root, so under root every command runs as the `postgres` account,
which is given the folder. Without PostgreSQL's binaries the caller is
skipped, with the reason.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from ..helpers import free_port, wait_until

DB_USER = "postgres"


def bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout, then PATH)."""
    versions = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin")
                       if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_owner() -> list[str]:
    """The prefix that runs a command as the cluster's owner: `postgres` under root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' account to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--"]


def require_binaries() -> Path:
    found = bindir()
    if found is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return found


def new_root(prefix: str = "guichet-pg-") -> Path:
    """A folder the clusters' owner can use: pytest's own tmp folders are
    root's and mode 700, which the `postgres` account cannot enter."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


class Cluster:
    """One PostgreSQL instance: its data folder, port and postmaster."""

    def __init__(self, root: Path, name: str, bins: Path, port: int | None = None) -> None:
        self.root, self.name, self.bins = root, name, bins
        self.data = root / name
        self.port = port or free_port()
        self.log = root / f"{name}.log"

    # -- running commands as the owner --------------------------------------

    def _run(self, *argv: str, timeout: float = 120) -> str:
        proc = subprocess.run([*_as_owner(), *argv], capture_output=True, text=True,
                              cwd=self.root, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): "
                               f"{proc.stderr.strip() or proc.stdout.strip()}\n{self.tail_log()}")
        return proc.stdout

    def tail_log(self, lines: int = 20) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _configure(self, settings: dict[str, str]) -> None:
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/faults/pg_cluster.py\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _base_settings(self) -> dict[str, str]:
        return {"port": str(self.port), "listen_addresses": "'127.0.0.1'",
                "unix_socket_directories": f"'{self.root}'",
                "wal_level": "replica", "max_wal_senders": "10",
                "max_replication_slots": "10", "wal_keep_size": "'256MB'",
                "hot_standby": "on", "max_connections": "100",
                "shared_buffers": "'64MB'", "logging_collector": "off"}

    # -- life cycle -----------------------------------------------------------

    def init(self, settings: dict[str, str] | None = None) -> "Cluster":
        self._run(str(self.bins / "initdb"), "-D", str(self.data), "-U", DB_USER,
                  "--auth=trust", "--encoding=UTF8", "--no-instructions")
        self._configure({**self._base_settings(), **(settings or {})})
        return self

    def start(self) -> "Cluster":
        self._run(str(self.bins / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """A clean shutdown (`fast`: sessions are ended, the WAL is flushed)."""
        if self.pid() is not None:
            self._run(str(self.bins / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> float:
        """Fast shutdown and start again, as an operator's `pg_ctl restart`; the seconds it took."""
        t0 = time.monotonic()
        self._run(str(self.bins / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-m", "fast", "-w", "-t", "60", "restart")
        return time.monotonic() - t0

    def pid(self) -> int | None:
        """The postmaster's pid while it runs (`head -1 postmaster.pid`)."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def kill(self) -> None:
        """The host dies: SIGKILL to the postmaster, then to its children, so no
        backend of the dead instance answers a client afterwards."""
        pid = self.pid()
        if pid is None:
            return
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(lambda: not _alive(pid) and not any(_alive(c) for c in children),
                   timeout=10, what=f"{self.name}'s processes to die")

    def promote(self) -> float:
        """The standby becomes a primary (`pg_ctl promote -w`); the seconds it took."""
        t0 = time.monotonic()
        self._run(str(self.bins / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote")
        return time.monotonic() - t0

    def remove(self) -> None:
        """Stop hard and delete the data folder."""
        try:
            self.kill()
        finally:
            shutil.rmtree(self.data, ignore_errors=True)

    # -- talking to it --------------------------------------------------------

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{DB_USER}@{self.host}/{db}"

    def sql(self, statement: str, args: tuple = (), db: str = "postgres") -> list[tuple]:
        """One statement in autocommit on a connection of its own; its rows."""
        import psycopg

        with psycopg.connect(self.url(db), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, args or None)
            return cursor.fetchall() if cursor.description else []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def primary(root: Path, name: str = "primary", settings: dict[str, str] | None = None,
            databases: tuple[str, ...] = ("guichet",)) -> Cluster:
    """A new, started primary with `databases` created."""
    cluster = Cluster(root, name, require_binaries()).init(settings).start()
    for db in databases:
        cluster.sql(f'CREATE DATABASE "{db}"')
    return cluster


def standby(of: Cluster, name: str = "standby", synchronous: bool = False) -> Cluster:
    """A streaming standby of `of` (pg_basebackup -R, its own replication slot),
    started and caught up. With `synchronous`, the primary then waits for it
    at every commit (`synchronous_standby_names='*'`, `synchronous_commit=on`);
    the setting is made on the primary alone after the copy, so a promoted
    standby does not wait for a standby it does not have."""
    cluster = Cluster(of.root, name, of.bins)
    slot = f"{name}_slot"
    of._run(str(of.bins / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(of.port), "-U", DB_USER,
            "-D", str(cluster.data), "-R", "-X", "stream", "-C", "-S", slot, "--checkpoint=fast")
    cluster._configure({"port": str(cluster.port), "synchronous_standby_names": "''"})
    cluster.start()
    wait_until(lambda: of.sql("SELECT count(*) FROM pg_stat_replication "
                              "WHERE state = 'streaming'")[0][0] >= 1,
               timeout=30, what=f"{name} to stream from {of.name}")
    if synchronous:
        of.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        of.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
        of.sql("SELECT pg_reload_conf()")
        wait_until(lambda: of.sql("SELECT count(*) FROM pg_stat_replication "
                                  "WHERE sync_state = 'sync'")[0][0] >= 1,
                   timeout=30, what=f"{name} to be a synchronous standby")
    return cluster


def failover_url(*clusters: Cluster, db: str = "guichet") -> str:
    """libpq's multi-host URL: whichever host is the primary takes the connection."""
    hosts = ",".join(c.host for c in clusters)
    return f"postgresql://{DB_USER}@{hosts}/{db}?target_session_attrs=read-write"
