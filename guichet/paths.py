"""Where Guichet keeps things: web assets, default stores, default ports.

Templates and vendored static files are the top-level `templates/` and
`static/` folders in a source checkout, shipped inside this package in an
installed copy. The default server store and terminal data folder are defined
here once, so `create_app`, gunicorn started by hand and every `guichet`
command open the same store when none is named.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import click

_HERE = Path(__file__).resolve().parent

DEFAULT_SERVER_PORT = 8700
DEFAULT_TERMINAL_PORT = 8701


def _find(name: str) -> Path:
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"Guichet is missing its {name}/ folder; reinstall it.")


TEMPLATES = _find("templates")
STATIC = _find("static")


def app_dir() -> Path:
    """`$GUICHET_HOME`, else the per-user folder (`~/.config/guichet` on Linux)."""
    return Path(os.environ.get("GUICHET_HOME") or click.get_app_dir("guichet"))


def default_server_db() -> str:
    """The server store used when neither `--db` nor `$GUICHET_DB` names one."""
    return str(app_dir() / "server.db")


def default_terminal_data() -> str:
    """The terminal's data folder used when neither `--data` nor `$GUICHET_DATA` names one."""
    return str(app_dir() / "terminal")


def ensure_parent(path: str) -> None:
    """Create the default store's folder 0700 (it holds every terminal's key); the
    default `~/.config/guichet` left 0755 by older versions is tightened. A folder
    the operator chose (`--db /var/lib/…`) is created 0700 but never changed."""
    if "://" not in path:
        from .private_files import private_dir

        parent = Path(path).expanduser().parent
        if parent == app_dir().expanduser():
            private_dir(parent, logging.getLogger("guichet"))
        else:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
