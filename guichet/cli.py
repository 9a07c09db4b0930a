"""The `guichet` command line (CONTRACT.md, "Command line").

Each command is a few lines around one library call; user mistakes become a
one-line `click.ClickException` and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import json
import os
import socket
import sys
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


def _ensure_parent(path: str) -> None:
    if "://" not in path:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _open_store(db: str):
    from server.store import Store, StoreError

    if db == default_db():
        _ensure_parent(db)
    try:
        return Store(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


db_option = click.option("--db", default=default_db, show_default="~/.config/guichet/server.db",
                         help="SQLite path of the central store (or $GUICHET_DB).")
data_option = click.option("--data", default=default_data,
                           show_default="~/.config/guichet/terminal",
                           help="The terminal's data folder (or $GUICHET_DATA).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="guichet")
def main() -> None:
    """Guichet: shop terminals and the central pari-mutuel pool server."""


# -- server ------------------------------------------------------------------
@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_SERVER_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--message-queue", default=None, metavar="URL",
              help="redis://… to share Socket.IO events between several server processes.")
def server(db: str, host: str, port: int, message_queue: str | None) -> None:
    """Run the central pool server under gunicorn (gevent worker).

    Deduction rates: the defaults, or the JSON file named by $GUICHET_RATES.

    Example: guichet server --db /var/lib/guichet/server.db --port 8700
    """
    _open_store(db).close()  # create or migrate now, so errors are reported here
    _load_rates()
    if message_queue and not message_queue.startswith(("redis://", "rediss://")):
        raise click.ClickException("--message-queue takes a redis:// URL")
    _check_port_free(host, port)
    env = dict(os.environ, GUICHET_DB=db)
    if message_queue:
        env["GUICHET_MESSAGE_QUEUE"] = message_queue
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
            "--bind", f"{host}:{port}", "--graceful-timeout", "5", "--timeout", "30",
            "--access-logfile", "-", "--log-level", "info", "server.wsgi:app"]
    click.echo(f"Guichet server on http://{host}:{port} (store {db})", err=True)
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
    from terminal_app.store import TerminalStore, TerminalStoreError

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
    from terminal_app.diagnose import DiagnoseError, diagnose, lines

    try:
        report = diagnose(data, printer, test_page, open_drawer)
    except DiagnoseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json
               else "\n".join(lines(report)))
    if report["failures"]:
        raise click.ClickException("; ".join(report["failures"]))


@main.command()
@click.option("--server", "server_url", required=True, help="URL of the central server.")
@click.option("--code", required=True, help="One-time enrolment code from the operator.")
@data_option
def enrol(server_url: str, code: str, data: str) -> None:
    """Enrol this terminal with the central server.

    Example: guichet enrol --server http://central:8700 --code 123456789012
    """
    from terminal_app.enrolment import EnrolError, enrol as do_enrol
    from terminal_app.store import TerminalStore, TerminalStoreError

    try:
        result = do_enrol(TerminalStore(data), server_url, code)
    except (EnrolError, TerminalStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"enrolled as {result['terminal_id']} ({result['outlet']})")


# -- admin -------------------------------------------------------------------
@main.group()
def admin() -> None:
    """Operator tasks on the central store.

    Example: guichet admin import programme.json --db /var/lib/guichet/server.db
    """


@admin.command("token")
@db_option
def admin_token(db: str) -> None:
    """Create and print an admin API token for this store.

    Example: curl -H "Authorization: Bearer $(guichet admin token)" http://127.0.0.1:8700/api/terminals
    """
    from server.fleet import create_admin_token
    from server.store import utcnow

    store = _open_store(db)
    with store.transaction() as tx:
        click.echo(create_admin_token(tx, utcnow()))


@admin.command("import")
@click.argument("file", type=click.File("rb"))
@db_option
def admin_import(file, db: str) -> None:
    """Import a programme (the project's JSON format or the operator's).

    Example: guichet admin import programme_2021-01-01.json
    """
    from server.programme_import import ProgrammeError, parse_programme
    from server.races import import_races

    try:
        doc = json.load(file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from None
    try:
        races = parse_programme(doc)
    except ProgrammeError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    store = _open_store(db)
    with store.transaction() as tx:
        version = import_races(tx, races)
    click.echo(f"imported {len(races)} races (programme version {version})")


@admin.command("enrolment-code")
@click.option("--outlet", required=True, help="The shop the terminal is for.")
@db_option
def admin_enrolment_code(outlet: str, db: str) -> None:
    """Create a one-time enrolment code for a new terminal.

    Example: guichet admin enrolment-code --outlet "Bar du Centre, Lyon"
    """
    from server.fleet import create_enrolment_code
    from server.store import utcnow

    if not outlet.strip():
        raise click.ClickException("--outlet must not be empty")
    store = _open_store(db)
    with store.transaction() as tx:
        created = create_enrolment_code(tx, outlet.strip(), utcnow())
    click.echo(f"{created['code']} (expires {created['expires_at']})")


@admin.command("close")
@click.argument("race")
@db_option
def admin_close(race: str, db: str) -> None:
    """Stop betting on all the pools of RACE now.

    Example: guichet admin close 2021-01-01/R1C4
    """
    from server.races import close_race
    from server.store import utcnow

    store = _open_store(db)
    with store.transaction() as tx:
        record = close_race(tx, race, utcnow())
    if record is None:
        raise click.ClickException(f"no race {race} in the programme")
    click.echo(f"{race} closed")


def _load_rates():
    from server.rates_config import RatesError, load_rates

    try:
        return load_rates()
    except RatesError as exc:
        raise click.ClickException(str(exc)) from None


def _arrival(text: str) -> list[list[int]]:
    """'13,7=9,14' -> [[13], [7, 9], [14]]: '=' joins horses in a dead heat."""
    try:
        return [[int(h) for h in place.split("=")] for place in text.split(",") if place.strip()]
    except ValueError:
        raise click.BadParameter("expected horse numbers like 13,7,14,8 (7=9 for a dead heat)")


def _settle(db: str, action):
    from server.settlement import SettlementError
    from server.store import utcnow

    store = _open_store(db)
    try:
        with store.transaction() as tx:
            return action(tx, utcnow())
    except SettlementError as exc:
        raise click.ClickException(exc.message) from None


def _print_dividends(published: dict) -> None:
    from betting.money import format_euros

    state = "official" if published["official"] else "provisional"
    click.echo(f"{published['race']} {state}: arrival {published['arrival']}")
    for pool in published["pools"]:
        click.echo(f"  {pool['bet_type']}: {format_euros(pool['total_cents'])} staked")
        for d in pool["dividends"]:
            combo = "-".join(str(h) for h in d["combination"])
            click.echo(f"    {d['kind']:<12} {combo:<14} {format_euros(d['per_euro_cents'])} per 1 €")


@admin.command("result")
@click.argument("race")
@click.option("--arrival", required=True, help="Finishing order, e.g. 13,7,14,8 (7=9: dead heat).")
@click.option("--non-runners", default="", help="Withdrawn horses, e.g. 3,11.")
@click.option("--official", is_flag=True, help="Declare the result official at once (frozen).")
@db_option
def admin_result(race: str, arrival: str, non_runners: str, official: bool, db: str) -> None:
    """Enter (or correct, until official) the result of RACE and compute its dividends.

    Example: guichet admin result 2021-01-01/R1C4 --arrival 13,7,14,8 --non-runners 3
    """
    from server.settlement import enter_result

    try:
        nps = [int(h) for h in non_runners.split(",") if h.strip()]
    except ValueError:
        raise click.BadParameter("expected horse numbers like 3,11", param_hint="--non-runners")
    body = {"arrival": _arrival(arrival), "non_runners": nps, "official": official}
    rates = _load_rates()
    _print_dividends(_settle(db, lambda tx, now: enter_result(tx, race, body, now, rates)))


@admin.command("official")
@click.argument("race")
@db_option
def admin_official(race: str, db: str) -> None:
    """Declare the result of RACE official: dividends frozen, tickets payable.

    Example: guichet admin official 2021-01-01/R1C4
    """
    from server.settlement import declare_official

    _print_dividends(_settle(db, lambda tx, now: declare_official(tx, race, now)))


@admin.command("non-runners")
@click.argument("race")
@click.argument("horses", nargs=-1, required=True, type=int)
@db_option
def admin_non_runners(race: str, horses: tuple[int, ...], db: str) -> None:
    """Declare HORSES of RACE non-runners (no more bets on them; refund or NP).

    Example: guichet admin non-runners 2021-01-01/R1C4 3 11
    """
    from server.settlement import declare_non_runners

    record = _settle(db, lambda tx, now: declare_non_runners(tx, race, list(horses), now))
    gone = [r.number for r in record.race.runners if r.non_runner]
    click.echo(f"{race}: non-runners {gone}")


@admin.command("races")
@db_option
def admin_races(db: str) -> None:
    """List the races of the programme with their state.

    Example: guichet admin races
    """
    from server.races import list_races
    from server.store import utcnow

    now = utcnow()
    with _open_store(db).read() as tx:
        for r in list_races(tx):
            click.echo(f"{r.race.race_id}\t{r.race.post_time:%Y-%m-%dT%H:%MZ}\t{r.state_at(now)}"
                       f"\t{r.race.name}")


@admin.command("terminals")
@db_option
def admin_terminals(db: str) -> None:
    """List enrolled terminals.

    Example: guichet admin terminals
    """
    from server.fleet import list_terminals

    with _open_store(db).read() as tx:
        for t in list_terminals(tx):
            state = "disabled" if t["disabled"] else ("connected" if t["connected"] else "away")
            click.echo(f"{t['terminal_id']}\t{state}\t{t['last_seen'] or '-'}\t{t['outlet']}")


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


if __name__ == "__main__":
    main()
