"""`guichet admin …`: operator tasks on the central store."""
from __future__ import annotations

import json

import click

from .cli_common import db_option, load_rates_or_exit, open_store


@click.group()
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

    store = open_store(db)
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
    store = open_store(db)
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
    store = open_store(db)
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

    store = open_store(db)
    with store.transaction() as tx:
        record = close_race(tx, race, utcnow())
    if record is None:
        raise click.ClickException(f"no race {race} in the programme")
    click.echo(f"{race} closed")


def _arrival(text: str) -> list[list[int]]:
    """'13,7=9,14' -> [[13], [7, 9], [14]]: '=' joins horses in a dead heat."""
    try:
        return [[int(h) for h in place.split("=")] for place in text.split(",") if place.strip()]
    except ValueError:
        raise click.BadParameter("expected horse numbers like 13,7,14,8 (7=9 for a dead heat)")


def _settle(db: str, action):
    from server.settlement import SettlementError
    from server.store import utcnow

    store = open_store(db)
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
    rates = load_rates_or_exit()
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
    with open_store(db).read() as tx:
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

    with open_store(db).read() as tx:
        for t in list_terminals(tx):
            state = "disabled" if t["disabled"] else ("connected" if t["connected"] else "away")
            click.echo(f"{t['terminal_id']}\t{state}\t{t['last_seen'] or '-'}\t{t['outlet']}")
