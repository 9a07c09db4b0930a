"""The `guichet` command line (CONTRACT.md, "Command line").

Each command is a few lines around one library call; user mistakes become a
one-line `click.ClickException` and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys

import click

from . import __version__
from .cli_admin import admin
from .cli_common import (
    check_port_free,
    raise_open_files_limit,
    check_server_config,
    check_tls_files,
    data_option,
    db_option,
    load_rates_or_exit,
    open_store,
    warn_if_cleartext,
)
from .paths import DEFAULT_SERVER_PORT, DEFAULT_TERMINAL_PORT

# gunicorn's gevent worker accepts 1,000 connections unless told otherwise: the
# 1,001st shop would wait in its handshake until it timed out.
DEFAULT_WORKER_CONNECTIONS = 10_000


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guichet")
def main() -> None:
    """Guichet: shop terminals and the central pari-mutuel pool server."""


# -- server ------------------------------------------------------------------
@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_SERVER_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--message-queue", default=None, metavar="URL",
              help="redis://… to share Socket.IO events between several server processes.")
@click.option("--certfile", default=None, metavar="PEM",
              help="Certificate chain (PEM): serve HTTPS and WSS. Needs --keyfile.")
@click.option("--keyfile", default=None, metavar="PEM",
              help="Private key (PEM, unencrypted, mode 600) of --certfile.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the port (more than one needs --message-queue).")
@click.option("--worker-connections", default=DEFAULT_WORKER_CONNECTIONS, show_default=True,
              type=click.IntRange(10, 1_000_000),
              help="Terminal connections one process holds at most.")
def server(db: str, host: str, port: int, message_queue: str | None,
           certfile: str | None, keyfile: str | None, workers: int,
           worker_connections: int) -> None:
    """Run the central pool server under gunicorn (gevent worker).

    Deduction rates: the defaults, or the JSON file named by $GUICHET_RATES.
    Other settings: GUICHET_* variables (docs/configuration.md), checked here.

    Example: guichet server --db /var/lib/guichet/server.db --host 0.0.0.0 --port 8700
    --certfile /etc/guichet/server.pem --keyfile /etc/guichet/server.key
    """
    tls = check_tls_files(certfile, keyfile)
    if message_queue and not message_queue.startswith(("redis://", "rediss://")):
        raise click.ClickException("--message-queue takes a redis:// URL")
    if workers > 1 and not message_queue:
        raise click.ClickException(
            "--workers above 1 needs --message-queue redis://…: each process must hear "
            "the events of the others")
    check_server_config(db, message_queue)  # the GUICHET_* variables gunicorn's app will read
    open_store(db).close()  # create or migrate now, so errors are reported here
    load_rates_or_exit()
    check_port_free(host, port)
    env = dict(os.environ, GUICHET_DB=db)
    if message_queue:
        env["GUICHET_MESSAGE_QUEUE"] = message_queue
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in env:
        # /metrics sums every worker's figures from files in a private folder
        # (0700, new and empty), removed when gunicorn stops (guichet/gunicorn_conf.py)
        import tempfile

        folder = tempfile.mkdtemp(prefix="guichet-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = env["GUICHET_OWN_METRICS_DIR"] = folder
    raise_open_files_limit(worker_connections)
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gevent",
            "--workers", str(workers), "--worker-connections", str(worker_connections),
            "--bind", f"{host}:{port}", "--graceful-timeout", "5", "--timeout", "30",
            "--access-logfile", "-", "--log-level", "info",
            # hooks: no `Server: gunicorn` header (guichet/gunicorn_conf.py)
            "--config", "python:guichet.gunicorn_conf", "server.web.wsgi:app"]
    if tls:  # gunicorn's own TLS: the gevent worker wraps each socket, websockets included
        args += ["--certfile", tls[0], "--keyfile", tls[1]]
    warn_if_cleartext(host, bool(tls))
    from server.adapters.postgres import redact

    click.echo(f"Guichet server on {'https' if tls else 'http'}://{host}:{port} "
               f"(store {redact(db)}, {workers} process{'es' if workers > 1 else ''})", err=True)
    sys.stdout.flush()
    os.execve(sys.executable, args, env)


# -- terminal ----------------------------------------------------------------
@main.group(invoke_without_command=True)
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the local UI.")
@click.option("--port", default=DEFAULT_TERMINAL_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--printer", default=None, metavar="URI",
              help="Ticket printer: sim:, file:PATH, serial:/dev/ttyS0?baudrate=19200, "
                   "usb:0x04b8:0x0e15, tcp://host:9100 (saved in the configuration).")
@click.option("--scanner", default=None, metavar="URI",
              help="Barcode scanner: wedge, sim:, serial:/dev/ttyUSB0?baudrate=9600 (saved).")
@click.option("--drawer", default=None, type=click.Choice(["on", "off"]),
              help="Open the cash drawer on payments and cash sales (saved; default on).")
@click.pass_context
def terminal(ctx: click.Context, data: str, host: str, port: int, printer: str | None,
             scanner: str | None, drawer: str | None) -> None:
    """Run a shop terminal: the UI and local API on HOST:PORT, and the sync client.

    A terminal that is not enrolled yet opens its setup page.

    Example: guichet terminal --data /var/lib/guichet --printer serial:/dev/ttyS0?baudrate=19200
    """
    if ctx.invoked_subcommand is not None:
        return
    from terminal_app.runner import TerminalRunError, run_terminal

    try:
        run_terminal(data, host, port, printer, scanner, drawer)
    except TerminalRunError as exc:
        raise click.ClickException(str(exc)) from None


@terminal.command("token")
@data_option
def terminal_token(data: str) -> None:
    """Print a new token for the terminal's local JSON API.

    Example: curl -H "Authorization: Bearer $(guichet terminal token)" http://127.0.0.1:8701/api/status
    """
    from terminal_app.adapters.store import TerminalStore, TerminalStoreError

    try:
        click.echo(TerminalStore(data).create_token())
    except TerminalStoreError as exc:
        raise click.ClickException(str(exc)) from None


@terminal.command("diagnose")
@data_option
@click.option("--printer", default=None, metavar="URI",
              help="Try this printer instead of the saved one (nothing is saved).")
@click.option("--test-page", is_flag=True, help="Print a test page.")
@click.option("--open-drawer", is_flag=True, help="Send the cash drawer kick.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def terminal_diagnose(data: str, printer: str | None, test_page: bool, open_drawer: bool,
                      as_json: bool) -> None:
    """List serial ports and USB devices, show the printer's state, print a test page.

    Use the terminal's diagnostics page while it runs (a serial device serves one
    program at a time).

    Example: guichet terminal diagnose --printer serial:/dev/ttyS0?baudrate=19200 --test-page
    """
    from terminal_app.services.diagnose import DiagnoseError, diagnose, lines

    try:
        report = diagnose(data, printer, test_page, open_drawer)
    except DiagnoseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json
               else "\n".join(lines(report)))
    if report["failures"]:
        raise click.ClickException("; ".join(report["failures"]))


@terminal.group("clerk")
def terminal_clerk() -> None:
    """Clerks of the till: each logs in with a PIN; a manager approves voids and large payouts.

    While a terminal has no clerk its UI sells without login.

    Example: guichet terminal clerk add Marie --role manager --data /var/lib/guichet
    """


CLERK_ERRORS = {  # the CLI speaks English (the till's French messages are for the UI)
    "bad_name": "the name must be 1 to 40 printable characters",
    "bad_pin_format": "the PIN must be 4 to 8 digits",
    "bad_role": "the role is clerk or manager",
    "clerk_exists": "a clerk of that name already exists",
    "unknown_clerk": "no active clerk of that name",
}


def _clerk_error(exc) -> click.ClickException:
    return click.ClickException(CLERK_ERRORS.get(exc.code, exc.code))


def _clerks(data: str):
    from terminal_app.adapters.store import TerminalStore, TerminalStoreError
    from terminal_app.services.clerks import Clerks

    try:
        return Clerks(TerminalStore(data).database)
    except TerminalStoreError as exc:
        raise click.ClickException(str(exc)) from None


@terminal_clerk.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["clerk", "manager"]), default="clerk",
              show_default=True)
@click.option("--pin-file", type=click.File("r"), default=None,
              help="Read the PIN (4 to 8 digits) from this file instead of asking twice.")
@data_option
def terminal_clerk_add(name: str, role: str, pin_file, data: str) -> None:
    """Add a clerk; the PIN (4 to 8 digits) is asked twice, or read from --pin-file.

    Example: guichet terminal clerk add Paul --role clerk --data /var/lib/guichet
    """
    from terminal_app.services.clerks import ClerkError

    if pin_file is not None:
        pin = pin_file.read(64).strip()
    else:
        pin = click.prompt("PIN (4 to 8 digits)", hide_input=True, confirmation_prompt=True)
    try:
        added = _clerks(data).add(name, role, pin)
    except ClerkError as exc:
        raise _clerk_error(exc) from None
    click.echo(f"clerk {added['name']} added ({added['role']})")


@terminal_clerk.command("list")
@data_option
def terminal_clerk_list(data: str) -> None:
    """List the clerks: name, role, and whether disabled or locked.

    Example: guichet terminal clerk list --data /var/lib/guichet
    """
    for clerk in _clerks(data).listed():
        state = f"disabled {clerk['disabled_at']}" if clerk["disabled_at"] else "active"
        if clerk["locked_until"] and not clerk["disabled_at"]:
            state += f", locked until {clerk['locked_until']} if not past"
        click.echo(f"{clerk['name']}\t{clerk['role']}\t{state}")


@terminal_clerk.command("disable")
@click.argument("name")
@data_option
def terminal_clerk_disable(name: str, data: str) -> None:
    """Disable a clerk: they can no longer log in (their sales keep their name).

    Example: guichet terminal clerk disable Paul --data /var/lib/guichet
    """
    from terminal_app.services.clerks import ClerkError

    try:
        _clerks(data).disable(name)
    except ClerkError as exc:
        raise _clerk_error(exc) from None
    click.echo(f"clerk {name} disabled")


@main.command()
@click.option("--server", "server_url", required=True, help="URL of the central server.")
@click.option("--code", required=True, help="One-time enrolment code from the operator.")
@click.option("--ca-file", default=None, metavar="PEM",
              help="CA certificate (PEM) that signed the server's certificate; kept in the "
                   "configuration and checked on every connection.")
@click.option("--insecure-http", is_flag=True,
              help="Allow an http:// server that is not on this machine (the key crosses "
                   "the network in clear).")
@data_option
def enrol(server_url: str, code: str, ca_file: str | None, insecure_http: bool,
          data: str) -> None:
    """Enrol this terminal with the central server.

    A code the back office made to renew a terminal's key (or to replace it) gives
    the same terminal id a new key. On an enrolled terminal, run it with the
    terminal stopped and its outbox empty.

    Example: guichet enrol --server https://central:8700 --ca-file guichet-ca.pem --code 123456789012
    """
    from terminal_app.adapters.tls import MAX_CA_PEM_CHARS
    from terminal_app.services.enrolment import EnrolError, enrol as do_enrol
    from terminal_app.adapters.store import TerminalStore, TerminalStoreError

    ca_pem = None
    if ca_file:
        try:
            with open(ca_file, encoding="ascii", errors="replace") as handle:
                ca_pem = handle.read(MAX_CA_PEM_CHARS + 1)
        except OSError as exc:
            raise click.ClickException(f"--ca-file: cannot read {ca_file}: "
                                       f"{exc.strerror or exc}") from None
    try:
        result = do_enrol(TerminalStore(data), server_url, code, ca_pem=ca_pem,
                          insecure_http=insecure_http)
    except (EnrolError, TerminalStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    if result.get("renewed"):  # a code bound to a known terminal: rotation or replacement
        click.echo(f"enrolled as {result['terminal_id']} ({result['outlet']}) with a new key; "
                   f"the previous key no longer works; sequence numbers go on from "
                   f"{result['next_seq']}")
    else:
        click.echo(f"enrolled as {result['terminal_id']} ({result['outlet']})")


# -- demo --------------------------------------------------------------------
@main.command()
@click.option("--data", default=None, help="Folder for the demo's files (default: a new temporary folder).")
@click.option("--server-port", default=DEFAULT_SERVER_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--terminal-port", default=DEFAULT_TERMINAL_PORT, show_default=True, type=click.IntRange(1, 65535))
def demo(data: str | None, server_port: int, terminal_port: int) -> None:
    """Central server + one enrolled terminal, sample programme, simulated devices.

    Prints the two URLs; Ctrl-C stops both.

    Example: guichet demo
    """
    from .demo import DemoError, run_demo

    try:
        run_demo(data, server_port, terminal_port)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None


main.add_command(admin)

if __name__ == "__main__":
    main()
