"""What the `guichet` commands share: default locations, options, store opening."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import click

from .paths import default_server_db, default_terminal_data, ensure_parent


def default_db() -> str:
    return os.environ.get("GUICHET_DB") or default_server_db()


def default_data() -> str:
    return os.environ.get("GUICHET_DATA") or default_terminal_data()


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def check_server_config(db: str, message_queue: str | None) -> None:
    """Check the settings `guichet server` hands to gunicorn now: a bad `GUICHET_*`
    value is one line here, not a worker that fails to boot."""
    from flask import Config

    from server.config import ConfigError, load

    overrides: dict[str, object] = {"DB": db}
    if message_queue:
        overrides["MESSAGE_QUEUE"] = message_queue
    try:
        load(Config(os.getcwd()), overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def raise_open_files_limit(connections: int) -> None:
    """Let each server process hold `connections` sockets (plus its own files):
    raise the soft open-files limit towards the hard one, and say so when the
    hard limit is lower than asked."""
    import resource

    wanted = connections + 64  # the store, logs, Redis, listening socket
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < wanted:
            click.echo(f"warning: open files limited to {target} per process "
                       f"(--worker-connections {connections} wants {wanted}); "
                       "raise the hard limit (ulimit -Hn) to hold that many terminals",
                       err=True)


def open_store(db: str):
    from server.store import StoreError, open_store as open_server_store

    if db == default_db():
        ensure_parent(db)
    try:
        return open_server_store(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def in_store(db: str, action, read_only: bool = False):
    """Run `action(uow)` in one unit of work of the store `db`, committed unless
    `read_only` or `action` raises; its result is returned. The audit log names
    the operating-system user who ran the command."""
    from server.services.audit import acting_as, cli_actor

    store = open_store(db)
    try:
        with store.unit_of_work(read_only=read_only) as uow, acting_as(cli_actor()):
            result = action(uow)
            if not read_only:
                uow.commit()
        return result
    finally:
        store.close()


db_option = click.option("--db", default=default_db, show_default="~/.config/guichet/server.db",
                         help="SQLite path of the central store (or $GUICHET_DB).")
data_option = click.option("--data", default=default_data,
                           show_default="~/.config/guichet/terminal",
                           help="The terminal's data folder (or $GUICHET_DATA).")


def load_rates_or_exit():
    from server.services.rates_config import RatesError, load_rates

    try:
        return load_rates()
    except RatesError as exc:
        raise click.ClickException(str(exc)) from None


def check_tls_files(certfile: str | None, keyfile: str | None) -> tuple[str, str] | None:
    """The absolute certificate and key paths for gunicorn, checked now.

    gunicorn would only find a bad file when the first client connects (or die
    with a traceback); here a missing, unreadable or mismatched file is one line."""
    import ssl

    if not certfile and not keyfile:
        return None
    if not certfile or not keyfile:
        raise click.ClickException("--certfile and --keyfile go together")
    paths = []
    for option, name in (("--certfile", certfile), ("--keyfile", keyfile)):
        path = Path(name).expanduser().resolve()
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except FileNotFoundError:
            raise click.ClickException(f"{option}: no such file: {name}") from None
        except IsADirectoryError:
            raise click.ClickException(f"{option}: is a folder, not a PEM file: {name}") from None
        except OSError as exc:
            raise click.ClickException(f"{option}: cannot read {name}: {exc.strerror}") from None
        paths.append(str(path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # an encrypted key fails here instead of prompting for its passphrase
        context.load_cert_chain(paths[0], paths[1], password=lambda: b"")
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc) or "key values mismatch" in str(exc):
            raise click.ClickException(f"--keyfile {keyfile} is not the key of the certificate "
                                       f"{certfile}") from None
        raise click.ClickException(f"--certfile/--keyfile: not a PEM certificate and its "
                                   f"unencrypted private key ({exc.reason or exc})") from None
    if os.stat(paths[1]).st_mode & 0o077:
        click.echo(f"warning: the private key {keyfile} is readable by other users; "
                   f"chmod 600 it", err=True)
    return paths[0], paths[1]


def warn_if_cleartext(host: str, tls: bool) -> None:
    """Say so in the log when enrolment keys and bets would cross a network in clear."""
    from terminal_app.services.enrolment import is_loopback

    if not tls and not is_loopback(host):
        click.echo(f"warning: listening on {host} without TLS: enrolment keys and bets cross "
                   f"the network in clear; use --certfile/--keyfile or a TLS reverse proxy",
                   err=True)
