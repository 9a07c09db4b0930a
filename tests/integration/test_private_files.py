"""Key material is readable by its owner alone (docs/security.md).

The terminal's database holds its key and the UI's session secret, the server's
every terminal's key: folders 0700, files 0600 (SQLite's -wal/-shm included),
older ones tightened at start with a log line, and `guichet terminal diagnose`
says so when they are not.
"""
from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from server.store import open_store
from terminal_app.adapters.store import TerminalStore

from ..helpers import run_cli


@pytest.fixture(autouse=True)
def usual_umask():
    """The umask most machines run with, which let the files be created 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _companions(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]


def test_a_new_server_store_is_private(tmp_path):
    db = tmp_path / "server.db"
    store = open_store(str(db))
    with store.unit_of_work() as uow:  # a write, so the -wal and -shm files exist
        uow.meta.bump_programme_version()
        uow.commit()
    for path in [db, *_companions(db)]:
        assert path.exists(), path
        assert mode(path) == 0o600, (path, oct(mode(path)))
    store.close()


def test_a_new_terminal_data_folder_is_private(tmp_path):
    data = tmp_path / "terminal"
    store = TerminalStore(data)
    store.settings.set(key="00" * 32)
    store.lock_exclusive()
    assert mode(data) == 0o700
    for path in [data / "terminal.db", *_companions(data / "terminal.db"),
                 data / "terminal.lock"]:
        assert path.exists(), path
        assert mode(path) == 0o600, (path, oct(mode(path)))


def test_files_left_open_by_an_older_version_are_tightened_at_start(tmp_path, caplog):
    data = tmp_path / "terminal"
    TerminalStore(data).settings.set(key="00" * 32)
    db = data / "terminal.db"
    os.chmod(data, 0o755)
    for path in [db, *_companions(db)]:
        os.chmod(path, 0o644)
    server_db = tmp_path / "server.db"
    open_store(str(server_db)).close()
    os.chmod(server_db, 0o644)

    with caplog.at_level(logging.WARNING):
        TerminalStore(data)
        open_store(str(server_db)).close()

    assert mode(data) == 0o700
    assert mode(db) == 0o600 and all(mode(p) == 0o600 for p in _companions(db) if p.exists())
    assert mode(server_db) == 0o600
    logged = caplog.text
    assert f"{db} was readable by other users (mode 0644): now 0600" in logged
    assert f"{data} was readable by other users (mode 0755): now 0700" in logged
    assert f"{server_db} was readable by other users (mode 0644): now 0600" in logged


def test_the_default_server_folder_is_private(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # what ~/.config/guichet was left as by older versions
    proc = run_cli("admin", "token", env={"GUICHET_HOME": str(home), "GUICHET_DB": ""})
    assert proc.stdout.strip()
    assert mode(home) == 0o700
    assert mode(home / "server.db") == 0o600
    assert "readable by other users (mode 0755): now 0700" in proc.stderr


def test_diagnose_names_each_open_file_and_its_fix(tmp_path):
    data = tmp_path / "terminal"
    TerminalStore(data).settings.set(key="00" * 32)
    db = data / "terminal.db"
    os.chmod(data, 0o755)
    os.chmod(db, 0o644)

    text = run_cli("terminal", "diagnose", "--data", str(data), "--printer", "sim:").stdout
    assert (f"WARNING: {db} can be read by other users (mode 0644, should be 0600): "
            f"run `chmod 600 {db}`") in text
    assert f"run `chmod 700 {data}`" in text

    report = json.loads(run_cli("terminal", "diagnose", "--data", str(data), "--printer", "sim:",
                                "--json").stdout)
    assert {"path": str(db), "mode": "0644", "expected": "0600",
            "fix": f"chmod 600 {db}"} in report["permissions"]
    assert mode(db) == 0o644  # diagnose reports; it changes nothing


def test_diagnose_is_quiet_about_a_private_folder(tmp_path):
    data = tmp_path / "terminal"
    TerminalStore(data).settings.set(key="00" * 32)
    report = json.loads(run_cli("terminal", "diagnose", "--data", str(data), "--printer", "sim:",
                                "--json").stdout)
    assert report["permissions"] == []
    text = run_cli("terminal", "diagnose", "--data", str(data), "--printer", "sim:").stdout
    assert "WARNING" not in text
