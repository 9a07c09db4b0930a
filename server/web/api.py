"""The central server's JSON API under /api (CONTRACT.md)."""
from __future__ import annotations

import functools
import re
from datetime import date

from flask import Blueprint, current_app, jsonify, request

from betting.errors import (
    BettingError,
    InvalidTicketCode,
    OperatorRefusal,
    UnknownRace,
    UnknownTicket,
)
from betting.programme import parse_race_id, parse_utc
from betting.tickets import parse_ticket_code
from guichet.clock import utcnow

from ..services import audit, fleet, races
from .qr import qr_svg
from ..services.ledger import bet_to_dict
from ..services.programme_import import ProgrammeError, parse_programme
from ..services.review import decide, review_queue
from ..services.settlement import (
    cancel_race,
    declare_non_runners,
    declare_official,
    dividends,
    enter_result,
    preview_result,
)
from .socket_ns import DISABLED_MESSAGE, REKEYED_MESSAGE, cut_off, push_pool_states
from ..services.throttle import FailureThrottle
from ..services.payouts import inquire

bp = Blueprint("api", __name__)

# Changes to the programme and results reach the terminals through the
# server's watch loop (server/web/app.py), whichever process made them.


class ApiError(OperatorRefusal):
    """A request this edge refuses before any service sees it."""


# The HTTP status of each refusal, chosen here only; any other code is a conflict.
STATUS = {
    "unauthorized": 401, "forbidden": 403,
    "bad_request": 400, "bad_race_id": 400, "bad_programme": 400, "bad_outlet": 400,
    "bad_code": 400, "bad_result": 400, "unknown_runner": 400, "invalid_ticket_code": 400,
    "bad_decision": 400, "bad_note": 400, "bad_amount": 400, "bad_reason": 400,
    "bad_post_time": 400,
    "unknown_code": 403, "code_expired": 403,
    "unknown_race": 404, "unknown_terminal": 404, "unknown_ticket": 404,
}


def status_of(exc: BettingError) -> int:
    """The HTTP status of a refusal. A result asked for before one is entered
    is not there yet (404); declaring it official then is a conflict (409)."""
    if exc.code == "no_result" and request.method == "GET":
        return 404
    return STATUS.get(exc.code, 409)


@bp.errorhandler(BettingError)
def _refused(exc: BettingError):
    return jsonify(ok=False, error=exc.code, message=exc.message), status_of(exc)


def _store():
    return current_app.extensions["guichet.store"]


def _socketio():
    return current_app.extensions["socketio"]


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        with _store().unit_of_work(read_only=True) as uow:
            holder = fleet.token_holder(uow, token) if token else None
        if holder is None:
            raise ApiError("unauthorized",
                           "admin token required: Authorization: Bearer <token> "
                           "(create one with `guichet admin token`)")
        who, role = holder
        if not may(role, request.endpoint, request.method):
            raise ApiError("forbidden", f"the {role} role may not do this")
        with audit.acting_as(who):
            return view(*args, **kwargs)
    return wrapper


# What the technician's role reaches (the fleet); the auditor reads everything, changes nothing.
FLEET_ENDPOINTS = frozenset({"api.enrolment_code", "api.terminals", "api.disable_terminal",
                             "api.enable_terminal", "api.terminal_gaps",
                             # the fleet page's own (end of this file)
                             "api.fleet", "api.pending_codes", "api.code_receipt",
                             "api.rotate_key", "api.replace_terminal"})


def may(role: str, endpoint: str | None, method: str) -> bool:
    if role == "operator":
        return True
    if role == "auditor":
        return method in ("GET", "HEAD")
    if role == "technician":
        return endpoint in FLEET_ENDPOINTS
    return False


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("bad_request", "the body must be a JSON object")
    return body


def _race_record(race_id: str):
    try:
        parse_race_id(race_id)
    except UnknownRace:
        raise ApiError("bad_race_id",
                       f"not a race identifier: {race_id[:40]!r} (expected YYYY-MM-DD/R1C1)")
    with _store().unit_of_work(read_only=True) as uow:
        record = races.get_race(uow, race_id)
    if record is None:
        raise ApiError("unknown_race", f"no race {race_id} in the programme")
    return record


@bp.get("/healthz")
def healthz():
    if _store().ping():
        return jsonify(ok=True)
    return jsonify(ok=False, error="store_unavailable", message="the store does not answer"), 503


@bp.post("/api/programme")
@admin_required
def import_programme():
    try:
        parsed = parse_programme(request.get_json(silent=True))
    except ProgrammeError as exc:
        raise ApiError("bad_programme", str(exc))
    with _store().unit_of_work() as uow:
        version = races.import_programme(uow, parsed)
        uow.commit()
    return jsonify(ok=True, races=len(parsed), version=version)


@bp.get("/api/races")
def list_races():
    day = request.args.get("day")
    now = utcnow()
    with _store().unit_of_work(read_only=True) as uow:
        records = races.list_races(uow, day)
    return jsonify(ok=True, races=[r.to_dict(now) for r in records])


@bp.get("/api/races/<path:race_id>")
def race_card(race_id: str):
    record = _race_record(race_id)
    with _store().unit_of_work(read_only=True) as uow:
        pools = uow.pools.totals(race_id)
    return jsonify(ok=True, **record.to_dict(utcnow()), pools=pools)


@bp.post("/api/races/<path:race_id>/close")
@admin_required
def close_race(race_id: str):
    """Stop betting now; an optional `{"reason"}` is kept in the audit log."""
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    _race_record(race_id)
    now = utcnow()
    with _store().unit_of_work() as uow:
        record = races.close_race(uow, race_id, now, reason)
        uow.commit()
    push_pool_states(_socketio(), [record], now)
    return jsonify(ok=True, race=race_id, state=record.state_at(now), closed_at=record.closed_at)


@bp.delete("/api/races/<path:race_id>")
@admin_required
def remove_race(race_id: str):
    """Take a race nobody bet on off the programme. The id is looked up as
    stored, not parsed: a malformed race from an older import must go too.
    Terminals learn of it through the programme version (watch loop)."""
    if len(race_id) > 100:
        raise ApiError("unknown_race", f"no race {race_id[:40]!r}… in the programme")
    with _store().unit_of_work() as uow:
        version = races.remove_race(uow, race_id)
        uow.commit()
    if version is None:
        raise ApiError("unknown_race", f"no race {race_id!r} in the programme")
    return jsonify(ok=True, race=race_id, removed=True, version=version)


@bp.post("/api/enrolment-codes")
@admin_required
def enrolment_code():
    outlet = _json_body().get("outlet")
    if not isinstance(outlet, str) or not outlet.strip() or len(outlet) > 100:
        raise ApiError("bad_outlet", "outlet must be a non-empty string of at most 100 characters")
    with _store().unit_of_work() as uow:
        created = fleet.create_enrolment_code(uow, outlet.strip(), utcnow())
        uow.commit()
    return jsonify(ok=True, **created), 201


def _enrol_throttle() -> FailureThrottle:
    """Failed enrolment codes per remote address, in this process's memory
    (`ENROL_FAILURES` per `ENROL_WINDOW_S`, default 10 per 10 minutes)."""
    ext = current_app.extensions
    if "guichet.enrol_throttle" not in ext:
        settings = ext["guichet.config"]  # server/config.py
        ext["guichet.enrol_throttle"] = FailureThrottle(settings.enrol_failures,
                                                        settings.enrol_window_s)
    return ext["guichet.enrol_throttle"]


@bp.post("/api/enrol")
def enrol():
    # Locked out before the code is even looked at: a right code is refused too.
    address = request.remote_addr or "?"
    wait = _enrol_throttle().retry_after(address)
    if wait:
        answer = jsonify(ok=False, error="too_many_attempts",
                         message=f"too many wrong enrolment codes from this address; "
                                 f"retry in {wait} s")
        return answer, 429, {"Retry-After": str(wait)}
    body = _json_body()
    code = body.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 100:
        raise ApiError("bad_code", "code must be the enrolment code, as a string")
    # an enrolled terminal renewing its key says which one it is (fleet.enrol)
    claimed = body.get("terminal_id")
    if claimed is not None and (not isinstance(claimed, str) or not _TERMINAL_ID.match(claimed)):
        raise ApiError("bad_request", "terminal_id must be a terminal id such as T000042")
    try:
        with _store().unit_of_work() as uow, audit.acting_as(f"enrolment:{address[:45]}"):
            enrolled = fleet.enrol(uow, code, utcnow(), claimed)
            uow.commit()
    except fleet.EnrolmentError:
        _enrol_throttle().fail(address)
        raise
    old_socket = enrolled.pop("live_sid", None)
    if old_socket:  # opened with the key just revoked: cut off at once
        cut_off(_socketio(), old_socket, "disabled", REKEYED_MESSAGE)
    return jsonify(ok=True, **enrolled, server_time=utcnow().isoformat()), 201


@bp.get("/api/terminals")
@admin_required
def terminals():
    with _store().unit_of_work(read_only=True) as uow:
        listed = fleet.list_terminals(uow, utcnow())
    return jsonify(ok=True, terminals=listed)


def _set_disabled(terminal_id: str, disabled: bool):
    with _store().unit_of_work() as uow:
        changed = fleet.set_disabled(uow, terminal_id, disabled)
        uow.commit()
    if changed is None:
        raise ApiError("unknown_terminal", f"no terminal {terminal_id[:20]}")
    if disabled and changed["live_sid"]:
        # At once, on whichever process holds its socket; every watch loop
        # also drops any socket of a disabled terminal within a second.
        cut_off(_socketio(), changed["live_sid"], "disabled", DISABLED_MESSAGE)
    return jsonify(ok=True, terminal_id=terminal_id, disabled=disabled,
                   changed=changed["changed"])


@bp.post("/api/terminals/<terminal_id>/disable")
@admin_required
def disable_terminal(terminal_id: str):
    """Cut a terminal off: refused at connect and on every event (idempotent)."""
    return _set_disabled(terminal_id, True)


@bp.post("/api/terminals/<terminal_id>/enable")
@admin_required
def enable_terminal(terminal_id: str):
    """Let a disabled terminal connect again (idempotent)."""
    return _set_disabled(terminal_id, False)


@bp.get("/api/terminals/<terminal_id>/gaps")
@admin_required
def terminal_gaps(terminal_id: str):
    with _store().unit_of_work(read_only=True) as uow:
        gaps = fleet.sequence_gaps(uow, terminal_id)
    if gaps is None:
        raise ApiError("unknown_terminal", f"no terminal {terminal_id[:20]}")
    return jsonify(ok=True, terminal_id=terminal_id, gaps=gaps)


@bp.get("/api/tickets/<code>")
@admin_required
def ticket(code: str):
    try:
        ref = parse_ticket_code(code)
    except InvalidTicketCode as exc:
        raise ApiError(exc.code, "not a valid ticket code (length or check digit)")
    with _store().unit_of_work(read_only=True) as uow:
        bet = uow.bets.by_ticket(ref.code)
        if bet is None:
            raise ApiError("unknown_ticket", "no such ticket")
        try:
            state = inquire(uow, ref.code)
        except UnknownTicket as exc:
            raise ApiError(exc.code, "no such ticket") from None
    value = {"status": state["status"], "amount_cents": state["amount_cents"]}
    if "chain" in state:  # a Report+: its legs, their stakes and outcomes
        value["chain"] = state["chain"]
    return jsonify(ok=True, bet=bet_to_dict(bet), value=value)


@bp.get("/api/review")
@admin_required
def review_list():
    """Refused offline tickets waiting for the operator (`?all=1`: decided ones too)."""
    include_decided = request.args.get("all", "") in ("1", "true", "yes")
    with _store().unit_of_work(read_only=True) as uow:
        queue = review_queue(uow, include_decided)
    return jsonify(ok=True, tickets=queue)


@bp.post("/api/tickets/<code>/review")
@admin_required
def review_decide(code: str):
    """The operator's decision on one ticket under review: refund an amount, or void."""
    body = _json_body()
    with _store().unit_of_work() as uow:
        decided = decide(uow, code, body.get("decision"), body.get("amount_cents"),
                         utcnow(), body.get("note"))
        uow.commit()
    return jsonify(ok=True, **decided)


@bp.post("/api/races/<path:race_id>/result")
@admin_required
def result(race_id: str):
    body = _json_body()
    _race_record(race_id)
    with _store().unit_of_work() as uow:
        published = enter_result(uow, race_id, body, utcnow(),
                                 current_app.extensions["guichet.rates"])
        uow.commit()
    return jsonify(ok=True, **published)


@bp.post("/api/races/<path:race_id>/official")
@admin_required
def official(race_id: str):
    _race_record(race_id)
    with _store().unit_of_work() as uow:
        published = declare_official(uow, race_id, utcnow())
        uow.commit()
    return jsonify(ok=True, **published)


@bp.post("/api/races/<path:race_id>/cancel")
@admin_required
def race_cancel(race_id: str):
    """The race is not run (cancelled, or postponed to another day): closed if
    open, and an official result refunds every bet. Terminals are told the
    closing now, the result by the watch loop (as for any official result)."""
    body = _json_body()
    _race_record(race_id)
    now = utcnow()
    with _store().unit_of_work() as uow:
        published = cancel_race(uow, race_id, body.get("reason"), now,
                                current_app.extensions["guichet.rates"])
        record = races.get_race(uow, race_id)
        uow.commit()
    push_pool_states(_socketio(), [record], now)
    return jsonify(ok=True, **published)


@bp.get("/api/races/<path:race_id>/dividends")
def race_dividends(race_id: str):
    _race_record(race_id)
    with _store().unit_of_work(read_only=True) as uow:
        published = dividends(uow, race_id)
    return jsonify(ok=True, **published)


@bp.post("/api/races/<path:race_id>/non-runners")
@admin_required
def non_runners(race_id: str):
    numbers = _json_body().get("non_runners")
    _race_record(race_id)
    with _store().unit_of_work() as uow:
        record = declare_non_runners(uow, race_id, numbers, utcnow())
        uow.commit()
    return jsonify(ok=True, race=race_id,
                   non_runners=[r.number for r in record.race.runners if r.non_runner])


# -- the operator's racing day: post times, suspension, result preview, pool board --

@bp.post("/api/races/<path:race_id>/post-time")
@admin_required
def race_post_time(race_id: str):
    """Move a race's off before it closes: `{"post_time": "2026-11-29T14:20:00Z"}`.
    Terminals get the new card through the programme version (watch loop)."""
    text = _json_body().get("post_time")
    try:
        post_time = parse_utc(text) if isinstance(text, str) and len(text) <= 40 else None
    except (ValueError, OverflowError):
        post_time = None
    if post_time is None:
        raise ApiError("bad_post_time",
                       "post_time must be an ISO 8601 time with a zone, e.g. 2026-11-29T14:20:00Z")
    _race_record(race_id)
    with _store().unit_of_work() as uow:
        record = races.set_post_time(uow, race_id, post_time, utcnow())
        uow.commit()
    return jsonify(ok=True, race=race_id, post_time=record.to_dict(utcnow())["post_time"],
                   version=record.version)


def _pool_state_change(race_id: str, change):
    _race_record(race_id)
    now = utcnow()
    with _store().unit_of_work() as uow:
        record = change(uow, now)
        uow.commit()
    push_pool_states(_socketio(), [record], now)
    return jsonify(ok=True, race=race_id, state=record.state_at(now), version=record.version)


@bp.post("/api/races/<path:race_id>/suspend")
@admin_required
def race_suspend(race_id: str):
    """Stop bets before the off, for a while (optional `{"reason"}`); the off still closes it."""
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    return _pool_state_change(race_id, lambda uow, now: races.suspend_race(uow, race_id, now,
                                                                           reason))


@bp.post("/api/races/<path:race_id>/reopen")
@admin_required
def race_reopen(race_id: str):
    """Take bets again on a suspended race, before its post time only."""
    return _pool_state_change(race_id, lambda uow, now: races.reopen_race(uow, race_id, now))


@bp.post("/api/races/<path:race_id>/result/preview")
@admin_required
def result_preview(race_id: str):
    """The dividends a result would produce (same body as /result): nothing
    stored, no audit entry, the same refusals as /result."""
    body = _json_body()
    _race_record(race_id)
    with _store().unit_of_work(read_only=True) as uow:
        preview = preview_result(uow, race_id, body, utcnow(),
                                 current_app.extensions["guichet.rates"])
    return jsonify(ok=True, **preview)


@bp.get("/api/pools")
@admin_required
def pool_board():
    """Every race of a day (`?day=YYYY-MM-DD`, default today in Paris): state,
    automatic close time (its post time), totals per bet type, probable odds."""
    day = request.args.get("day") or utcnow().astimezone(races.PARIS).date().isoformat()
    try:
        date.fromisoformat(day)
    except ValueError:
        raise ApiError("bad_request", "day must be YYYY-MM-DD")
    with _store().unit_of_work(read_only=True) as uow:
        board = races.pool_board(uow, day, utcnow(), current_app.extensions["guichet.rates"])
    return jsonify(ok=True, day=day, races=board)


# -- the fleet page's calls (server/web/admin_fleet.py does the same in the browser) ----

_TERMINAL_ID = re.compile(r"^T\d{6}$")


@bp.get("/api/fleet", endpoint="fleet")
@admin_required
def fleet_list():
    """The terminals as the fleet page lists them: offline first, filtered by a piece
    of the outlet (`?outlet=`) and a state (`?state=online|offline|disabled`), with
    the count of each state; no scan of the bets, so it may be asked every few seconds."""
    outlet, state = fleet_filters(request.args)
    with _store().unit_of_work(read_only=True) as uow:
        view = fleet.fleet_view(uow, utcnow(), outlet, state)
    return jsonify(ok=True, **view)


def fleet_filters(args) -> tuple[str, str]:
    outlet = args.get("outlet", "")
    state = args.get("state", "")
    if len(outlet) > 100:
        raise ApiError("bad_request", "outlet: at most 100 characters")
    if state and state not in fleet.TERMINAL_STATES:
        raise ApiError("bad_request", "state must be online, offline or disabled")
    return outlet.strip(), state


@bp.get("/api/enrolment-codes")
@admin_required
def pending_codes():
    """Codes not used yet and not expired (not the codes themselves: see the receipt)."""
    with _store().unit_of_work(read_only=True) as uow:
        codes = fleet.pending_codes(uow, utcnow())
    return jsonify(ok=True, codes=codes)


@bp.get("/api/enrolment-codes/<ref>")
@admin_required
def code_receipt(ref: str):
    """A pending code's receipt: the code, its outlet and expiry, and its QR code (SVG)."""
    with _store().unit_of_work(read_only=True) as uow:
        found = fleet.receipt(uow, ref, utcnow())
    if found is None:
        raise ApiError("unknown_code", "no pending enrolment code with this receipt")
    return jsonify(ok=True, **found, qr_svg=qr_svg(found["code"]))


def _rekey_code(terminal_id: str, purpose: str):
    if not _TERMINAL_ID.match(terminal_id):
        raise ApiError("unknown_terminal", f"no terminal {terminal_id[:20]}")
    with _store().unit_of_work() as uow:
        created = fleet.create_rekey_code(uow, terminal_id, purpose, utcnow())
        uow.commit()
    if created is None:
        raise ApiError("unknown_terminal", f"no terminal {terminal_id[:20]}")
    return jsonify(ok=True, **created), 201


@bp.post("/api/terminals/<terminal_id>/rotate-key")
@admin_required
def rotate_key(terminal_id: str):
    """A one-time code that gives this terminal a new key (`guichet enrol --code`
    on the same machine); the old key works until the code is used."""
    return _rekey_code(terminal_id, "rotate")


@bp.post("/api/terminals/<terminal_id>/replace")
@admin_required
def replace_terminal(terminal_id: str):
    """A one-time code for the machine that takes this terminal's place: same id,
    outlet and history, a new key, the old one revoked when the code is used."""
    return _rekey_code(terminal_id, "replace")


# -- reports (back office « Rapports », server/services/reports.py) ----------------------
from ..services import reports as day_reports  # noqa: E402  (this region's own import)


def _report_day() -> date:
    today = day_reports.paris_today(utcnow())
    try:
        return day_reports.till_ledger.parse_day(request.args.get("day") or today.isoformat(),
                                                 today)
    except BettingError as exc:
        raise ApiError("bad_request", exc.message) from None


@bp.get("/api/reports")
@admin_required
def reports_day():
    """One Paris day's sales, cancellations, payouts, refunds and refused provisional
    bets per terminal (`?by=terminal`, the default) or outlet (`?by=outlet`)."""
    day = _report_day()
    try:
        by = day_reports.parse_by(request.args.get("by"))
    except BettingError as exc:
        raise ApiError("bad_request", exc.message) from None
    with _store().unit_of_work(read_only=True) as uow:
        report = day_reports.day_report(uow, day, by)
    return jsonify(ok=True, **report)


@bp.get("/api/reports/z")
@admin_required
def reports_z():
    """Each terminal's last Z report of the day against the server's own figures."""
    day = _report_day()
    with _store().unit_of_work(read_only=True) as uow:
        comparison = day_reports.z_comparison(uow, day)
    return jsonify(ok=True, **comparison)


@bp.get("/api/reports/stakes")
@admin_required
def reports_stakes():
    """Accepted stakes per minute over the 30 minutes before each race's off."""
    day = _report_day()
    with _store().unit_of_work(read_only=True) as uow:
        stakes = day_reports.stakes_before_off(uow, day)
    return jsonify(ok=True, day=day.isoformat(), time_zone="Europe/Paris", races=stakes)
