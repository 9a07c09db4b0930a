"""What the `guichet` commands share: default locations, options, store opening."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import click

DEFAULT_SERVER_PORT = 8700
DEFAULT_TERMINAL_PORT = 8701


def app_dir() -> Path:
    return Path(os.environ.get("GUICHET_HOME") or click.get_app_dir("guichet"))


def default_db() -> str:
    return os.environ.get("GUICHET_DB") or str(app_dir() / "server.db")


def default_data() -> str:
    return os.environ.get("GUICHET_DATA") or str(app_dir() / "terminal")


def ensure_parent(path: str) -> None:
    if "://" not in path:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def open_store(db: str):
    from server.store import Store, StoreError

    if db == default_db():
        ensure_parent(db)
    try:
        return Store(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


db_option = click.option("--db", default=default_db, show_default="~/.config/guichet/server.db",
                         help="SQLite path of the central store (or $GUICHET_DB).")
data_option = click.option("--data", default=default_data,
                           show_default="~/.config/guichet/terminal",
                           help="The terminal's data folder (or $GUICHET_DATA).")


def load_rates_or_exit():
    from server.rates_config import RatesError, load_rates

    try:
        return load_rates()
    except RatesError as exc:
        raise click.ClickException(str(exc)) from None
