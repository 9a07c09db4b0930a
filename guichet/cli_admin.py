"""`guichet admin …`: operator tasks on the central store."""
from __future__ import annotations

import json

import click

from .cli_common import db_option, in_store, load_rates_or_exit


@click.group()
def admin() -> None:
    """Operator tasks on the central store.

    Example: guichet admin import programme.json --db /var/lib/guichet/server.db
    """


@admin.command("token")
@click.option("--user", default=None,
              help="Tie the token to this back-office user: it acts with the user's role "
                   "and stops working when the user is disabled.")
@db_option
def admin_token(user: str | None, db: str) -> None:
    """Create and print an admin API token for this store (an operator's, or USER's).

    Example: curl -H "Authorization: Bearer $(guichet admin token --user alice)" http://127.0.0.1:8700/api/terminals
    """
    from server.services.accounts import AccountError
    from server.services.fleet import create_admin_token
    from guichet.clock import utcnow

    try:
        click.echo(in_store(db, lambda uow: create_admin_token(uow, utcnow(), user)))
    except AccountError as exc:
        raise click.ClickException(exc.message) from None


@admin.command("import")
@click.argument("file", type=click.File("rb"))
@db_option
def admin_import(file, db: str) -> None:
    """Import a programme (the project's JSON format or the operator's).

    Example: guichet admin import programme_2021-01-01.json
    """
    from server.services.programme_import import ProgrammeError, parse_programme
    from server.services.races import import_programme

    try:
        doc = json.load(file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from None
    try:
        races = parse_programme(doc)
    except ProgrammeError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    version = in_store(db, lambda uow: import_programme(uow, races))
    click.echo(f"imported {len(races)} races (programme version {version})")


@admin.command("enrolment-code")
@click.option("--outlet", required=True, help="The shop the terminal is for.")
@db_option
def admin_enrolment_code(outlet: str, db: str) -> None:
    """Create a one-time enrolment code for a new terminal.

    Example: guichet admin enrolment-code --outlet "Bar du Centre, Lyon"
    """
    from server.services.fleet import create_enrolment_code
    from guichet.clock import utcnow

    if not outlet.strip():
        raise click.ClickException("--outlet must not be empty")
    created = in_store(db, lambda uow: create_enrolment_code(uow, outlet.strip(), utcnow()))
    click.echo(f"{created['code']} (expires {created['expires_at']})")


@admin.command("close")
@click.argument("race")
@db_option
def admin_close(race: str, db: str) -> None:
    """Stop betting on all the pools of RACE now.

    Example: guichet admin close 2021-01-01/R1C4
    """
    from server.services.races import close_race
    from guichet.clock import utcnow

    record = in_store(db, lambda uow: close_race(uow, race, utcnow()))
    if record is None:
        raise click.ClickException(f"no race {race} in the programme")
    click.echo(f"{race} closed")


@admin.command("remove-race")
@click.argument("race")
@db_option
def admin_remove_race(race: str, db: str) -> None:
    """Take RACE off the programme (refused once a bet was taken on it: close it then).

    RACE is matched as stored, so a malformed race from an older import can be
    removed too. Terminals drop it at the next programme version.

    Example: guichet admin remove-race 2021-01-01/R1C4
    """
    from server.services.races import RaceRemovalRefused, remove_race

    try:
        version = in_store(db, lambda uow: remove_race(uow, race))
    except RaceRemovalRefused as exc:
        raise click.ClickException(str(exc)) from None
    if version is None:
        raise click.ClickException(f"no race {race!r} in the programme")
    click.echo(f"{race} removed (programme version {version})")


def _arrival(text: str) -> list[list[int]]:
    """'13,7=9,14' -> [[13], [7, 9], [14]]: '=' joins horses in a dead heat."""
    try:
        return [[int(h) for h in place.split("=")] for place in text.split(",") if place.strip()]
    except ValueError:
        raise click.BadParameter("expected horse numbers like 13,7,14,8 (7=9 for a dead heat)")


def _settle(db: str, action):
    from server.services.settlement import SettlementError
    from guichet.clock import utcnow

    try:
        return in_store(db, lambda uow: action(uow, utcnow()))
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
    from server.services.settlement import enter_result

    try:
        nps = [int(h) for h in non_runners.split(",") if h.strip()]
    except ValueError:
        raise click.BadParameter("expected horse numbers like 3,11", param_hint="--non-runners")
    body = {"arrival": _arrival(arrival), "non_runners": nps, "official": official}
    rates = load_rates_or_exit()
    _print_dividends(_settle(db, lambda uow, now: enter_result(uow, race, body, now, rates)))


@admin.command("official")
@click.argument("race")
@db_option
def admin_official(race: str, db: str) -> None:
    """Declare the result of RACE official: dividends frozen, tickets payable.

    Example: guichet admin official 2021-01-01/R1C4
    """
    from server.services.settlement import declare_official

    _print_dividends(_settle(db, lambda uow, now: declare_official(uow, race, now)))


@admin.command("cancel")
@click.argument("race")
@click.option("--reason", required=True,
              help="Why the race is not run (at most 200 characters), e.g. \"reportée au 3 mai\".")
@db_option
def admin_cancel(race: str, reason: str, db: str) -> None:
    """Cancel RACE: it is not run (cancelled, or postponed to another day).

    The race is closed if still open and gets an official result saying it was
    cancelled: every bet on it is refunded. Refused once its result is official.

    Example: guichet admin cancel 2021-01-01/R1C4 --reason "course reportée au lendemain"
    """
    from server.services.settlement import cancel_race

    rates = load_rates_or_exit()
    done = _settle(db, lambda uow, now: cancel_race(uow, race, reason, now, rates))
    bets, cents = done["refunded_bets"], done["refunded_cents"]
    click.echo(f"{race} cancelled: {done['reason']}; {bets} bet{'' if bets == 1 else 's'} "
               f"refunded ({cents // 100}.{cents % 100:02d} EUR)")


@admin.command("non-runners")
@click.argument("race")
@click.argument("horses", nargs=-1, required=True, type=int)
@db_option
def admin_non_runners(race: str, horses: tuple[int, ...], db: str) -> None:
    """Declare HORSES of RACE non-runners (no more bets on them; refund or NP).

    Example: guichet admin non-runners 2021-01-01/R1C4 3 11
    """
    from server.services.settlement import declare_non_runners

    record = _settle(db, lambda uow, now: declare_non_runners(uow, race, list(horses), now))
    gone = [r.number for r in record.race.runners if r.non_runner]
    click.echo(f"{race}: non-runners {gone}")


@admin.command("races")
@db_option
def admin_races(db: str) -> None:
    """List the races of the programme with their state.

    Example: guichet admin races
    """
    from server.services.races import list_races
    from guichet.clock import utcnow

    now = utcnow()
    for r in in_store(db, list_races, read_only=True):
        click.echo(f"{r.race.race_id}\t{r.race.post_time:%Y-%m-%dT%H:%MZ}\t{r.state_at(now)}"
                   f"\t{r.race.name}")


@admin.command("terminals")
@db_option
def admin_terminals(db: str) -> None:
    """List enrolled terminals.

    Example: guichet admin terminals
    """
    from server.services.fleet import list_terminals
    from guichet.clock import utcnow

    for t in in_store(db, lambda uow: list_terminals(uow, utcnow()), read_only=True):
        state = "disabled" if t["disabled"] else ("connected" if t["connected"] else "away")
        click.echo(f"{t['terminal_id']}\t{state}\t{t['last_seen'] or '-'}\t{t['outlet']}")


def _set_disabled(db: str, terminal: str, disabled: bool) -> None:
    from server.services.fleet import set_disabled

    done = in_store(db, lambda uow: set_disabled(uow, terminal.strip().upper(), disabled))
    if done is None:
        raise click.ClickException(f"no terminal {terminal[:20]} in this store "
                                   "(see `guichet admin terminals`)")
    state = "disabled" if disabled else "enabled"
    click.echo(f"{done['terminal_id']} {state}" + ("" if done["changed"] else " (already)"))


@admin.command("disable")
@click.argument("terminal")
@db_option
def admin_disable(terminal: str, db: str) -> None:
    """Cut TERMINAL off at once: every server process drops its socket within
    a couple of seconds and refuses its reconnections and events.

    Example: guichet admin disable T000042
    """
    _set_disabled(db, terminal, True)


@admin.command("enable")
@click.argument("terminal")
@db_option
def admin_enable(terminal: str, db: str) -> None:
    """Let a disabled TERMINAL connect again.

    Example: guichet admin enable T000042
    """
    _set_disabled(db, terminal, False)


@admin.command("review")
@click.argument("ticket", required=False)
@click.option("--refund", "refund_cents", type=int, default=None,
              help="Decide TICKET: refund this many cents (at most the claim and the ceiling).")
@click.option("--void", "void", is_flag=True, help="Decide TICKET: nothing is owed.")
@click.option("--note", default=None, help="Why, recorded with the decision.")
@click.option("--all", "include_decided", is_flag=True, help="List decided tickets too.")
@db_option
def admin_review(ticket: str | None, refund_cents: int | None, void: bool, note: str | None,
                 include_decided: bool, db: str) -> None:
    """List refused offline tickets waiting for review, or decide one.

    Such a ticket is not payable at a counter until decided here (or with
    POST /api/tickets/<code>/review).

    Example: guichet admin review 000001000000042123456784 --refund 300
    """
    from server.services.review import ReviewError, decide, review_queue
    from betting.states import ReviewState
    from guichet.clock import utcnow

    if ticket is None:
        if refund_cents is not None or void or note is not None:
            raise click.ClickException("--refund, --void and --note need a TICKET")
        items = in_store(db, lambda uow: review_queue(uow, include_decided), read_only=True)
        for t in items:
            click.echo(f"{t['ticket']}\t{t['review']}\t{t['terminal_id']}#{t['seq']}\t{t['race']}"
                       f"\t{t['bet_type']}\tclaimed {t['claimed_cents']}\tmax {t['max_refund_cents']}"
                       f"\t{t['reason']}\t{t['received_at']}")
        if not items:
            click.echo("no ticket waiting for review")
        return
    if (refund_cents is None) == (not void):
        raise click.ClickException("give exactly one of --refund CENTS or --void")
    try:
        done = in_store(db, lambda uow: decide(
            uow, ticket, ReviewState.VOID if void else ReviewState.REFUND, refund_cents,
            utcnow(), note))
    except ReviewError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{done['ticket']}: {done['review']} {done['refund_cents']} cents "
               f"({done['reviewed_at']})")


@admin.group("audit")
def admin_audit() -> None:
    """The audit log: every operator action and pool event, chained by hash.

    Example: guichet admin audit verify
    """


@admin_audit.command("verify")
@click.option("--anchor", type=click.File("r"), default=None,
              help="An earlier export (JSON Lines): its last entry must still be in the log.")
@db_option
def admin_audit_verify(anchor, db: str) -> None:
    """Check the whole chain; name the first entry that does not match (exit status 1).

    Example: guichet admin audit verify --anchor audit-2026-11-28.jsonl
    """
    from server.services.audit import verify

    mark = _anchor(anchor) if anchor else None
    verdict = in_store(db, lambda uow: verify(uow, mark), read_only=True)
    if not verdict.ok:
        click.echo(f"audit log BROKEN at entry {verdict.first_bad}: {verdict.reason}", err=True)
        raise SystemExit(1)
    extra = f", anchored at entry {mark[0]}" if mark else ""
    click.echo(f"audit log intact: {_entries(verdict.entries)}{extra}")


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _anchor(file) -> tuple[int, str]:
    last = None
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            last = (int(entry["seq"]), str(entry["hash"]))
        except (ValueError, KeyError, TypeError):
            raise click.ClickException(f"{file.name}: line {number} is not an audit entry") \
                from None
    if last is None:
        raise click.ClickException(f"{file.name}: no audit entry in this file")
    return last


@admin_audit.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@db_option
def admin_audit_export(out: str | None, db: str) -> None:
    """Write every entry as JSON Lines, in order (keep a copy elsewhere: an anchor).

    Example: guichet admin audit export --out audit-$(date +%F).jsonl
    """
    from server.services.audit import as_dict, export

    def write(uow, sink) -> int:
        count = 0
        for entry in export(uow):  # a page at a time: the log can be long
            sink(json.dumps(as_dict(entry), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
        return count

    if out:
        with open(out, "w", encoding="utf-8") as f:
            count = in_store(db, lambda uow: write(uow, f.write), read_only=True)
        click.echo(f"{_entries(count)} written to {out}", err=True)
    else:
        in_store(db, lambda uow: write(uow, lambda line: click.echo(line, nl=False)),
                 read_only=True)


@admin.group("user")
def admin_user() -> None:
    """Back-office accounts: operator, auditor (read only) or technician (fleet only).

    Example: guichet admin user add alice --role operator
    """


def _password(password_file) -> str:
    """From a file (first line) for scripts, else asked twice without echo; never an
    argument (it would show in the process list and the shell's history)."""
    if password_file is not None:
        return password_file.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _account_action(db: str, action):
    from server.services.accounts import AccountError

    try:
        return in_store(db, action)
    except AccountError as exc:
        raise click.ClickException(exc.message) from None


_password_file = click.option("--password-file", type=click.File("r"), default=None,
                              help="Read the password from this file's first line "
                                   "('-' for standard input) instead of asking.")


@admin_user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["operator", "auditor", "technician"]),
              help="operator: runs the day; auditor: reads the audit log and reports; "
                   "technician: the fleet only.")
@_password_file
@db_option
def admin_user_add(name: str, role: str, password_file, db: str) -> None:
    """Create a back-office user (password asked twice, at least 10 characters).

    Example: guichet admin user add alice --role operator
    """
    from server.services.accounts import add_account
    from guichet.clock import utcnow

    password = _password(password_file)
    _account_action(db, lambda uow: add_account(uow, name, role, password, utcnow()))
    click.echo(f"user {name} added ({role})")


@admin_user.command("passwd")
@click.argument("name")
@_password_file
@db_option
def admin_user_passwd(name: str, password_file, db: str) -> None:
    """Set a user's password (this also lifts a lock after failed logins).

    Example: guichet admin user passwd alice
    """
    from server.services.accounts import set_password
    from guichet.clock import utcnow

    password = _password(password_file)
    _account_action(db, lambda uow: set_password(uow, name, password, utcnow()))
    click.echo(f"password of {name} changed")


@admin_user.command("disable")
@click.argument("name")
@db_option
def admin_user_disable(name: str, db: str) -> None:
    """Disable a user: sessions and API tokens stop working at once.

    Example: guichet admin user disable alice
    """
    from server.services.accounts import set_disabled
    from guichet.clock import utcnow

    _account_action(db, lambda uow: set_disabled(uow, name, True, utcnow()))
    click.echo(f"user {name} disabled")


@admin_user.command("enable")
@click.argument("name")
@db_option
def admin_user_enable(name: str, db: str) -> None:
    """Enable a disabled user again.

    Example: guichet admin user enable alice
    """
    from server.services.accounts import set_disabled
    from guichet.clock import utcnow

    _account_action(db, lambda uow: set_disabled(uow, name, False, utcnow()))
    click.echo(f"user {name} enabled")


@admin_user.command("list")
@db_option
def admin_user_list(db: str) -> None:
    """List the back-office users, their role and state.

    Example: guichet admin user list
    """
    from server.services.accounts import list_accounts

    for a in in_store(db, list_accounts, read_only=True):
        state = "disabled" if a.disabled else ("locked until " + a.locked_until
                                               if a.locked_until else "active")
        click.echo(f"{a.name}\t{a.role}\t{state}")
