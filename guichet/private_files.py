"""Files that hold key material are readable by their owner alone.

The terminal's database holds its key (which signs its connection and its
ticket codes) and the UI's session secret; the server's database holds every
terminal's key and the admin token hashes. Any other account on the machine
that can read those files can sell as that terminal or forge tickets. So the
stores create their files 0600 and their folders 0700, and tighten files left
0644/0755 by older versions at start, saying so in the log (English, for the
technician or operator). SQLite gives its -wal and -shm files the mode of the
database file, and they are checked here too, as they hold recent pages.
"""
from __future__ import annotations

import logging
import os
import shlex
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def tighten(path: Path, wanted: int, log: logging.Logger) -> None:
    """Drop the group/other bits of an existing `path`, with a log line; a file we
    may not chmod (another owner) is reported, never fatal."""
    mode = _mode(path)
    if mode is None or not mode & 0o077:
        return
    try:
        os.chmod(path, mode & ~0o077)  # the owner keeps what it had
    except OSError as exc:
        log.warning("%s is readable by other users (mode %04o) and cannot be changed: %s; "
                    "run: chmod %o %s", path, mode, exc.strerror or exc, wanted, path)
        return
    log.warning("%s was readable by other users (mode %04o): now %04o", path, mode,
                mode & ~0o077)


def private_dir(path: Path, log: logging.Logger) -> None:
    """Create `path` (and its parents) with the folder itself 0700, or tighten it."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tighten(path, PRIVATE_DIR, log)


def private_file(path: Path, log: logging.Logger) -> None:
    """Create `path` empty and 0600 if missing (before SQLite or anyone opens it with
    the process umask), or tighten it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        tighten(path, PRIVATE_FILE, log)
    else:
        os.close(fd)


def private_sqlite(path: Path, log: logging.Logger) -> None:
    """The database file 0600 (created so if new) and its companions tightened."""
    private_file(path, log)
    for suffix in SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE, log)


def loose(paths: list[tuple[Path, int]]) -> list[dict]:
    """The existing paths among `paths` that others can read or enter, each with the
    fix, for `guichet terminal diagnose`."""
    found = []
    for path, wanted in paths:
        mode = _mode(path)
        if mode is not None and mode & 0o077:
            found.append({"path": str(path), "mode": f"{mode:04o}", "expected": f"{wanted:04o}",
                          "fix": f"chmod {wanted:o} {shlex.quote(str(path))}"})
    return found
