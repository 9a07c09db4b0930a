"""The terminal's local JSON API under /api (CONTRACT.md)."""
from __future__ import annotations

import functools

from flask import Blueprint, current_app, jsonify, request, session

from betting.errors import BettingError
from betting.states import SaleStatus

from .guard import bearer_ok
from ..bootstrap import Services
from ..adapters.outbox import printable
from ..services.print_jobs import PrintRefused
from ..services.sales import basket_view, bet_view

bp = Blueprint("api", __name__, url_prefix="/api")

# The HTTP status of a refused ticket operation, chosen here only for the JSON
# API and the UI (ui_tickets.py); any other refusal, the server's included, is 409.
TICKET_STATUS = {
    "invalid_ticket_code": 422,
    "unknown_bet": 404,
    "offline": 503,
    "timeout": 504,
    "bad_answer": 504,
    # a manager's approval (terminal_app/services/clerks.py)
    "manager_pin_required": 403,
    "bad_manager_pin": 403,
    "locked": 429,
}


def ticket_status(exc: BettingError) -> int:
    return TICKET_STATUS.get(exc.code, 409)


def services() -> Services:
    return current_app.extensions["guichet.terminal"]


def local_auth(view):
    """The UI's session cookie, or `Authorization: Bearer <guichet terminal token>`.

    A state-changing call on the cookie has already shown the session's CSRF token and
    come from the terminal's own origin (terminal_app/web/guard.py, before any view)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if session.get("ui") or bearer_ok():
            return view(*args, **kwargs)
        return jsonify(ok=False, error="unauthorized",
                       message="Jeton requis : guichet terminal token."), 401
    return wrapper


@bp.get("/status")
@local_auth
def status():
    return jsonify(ok=True, **services().status())


@bp.get("/races")
@local_auth
def races():
    s = services()
    return jsonify(ok=True, races=[{**race.to_dict(),
                                    "state": s.link.live.state_of(race.race_id, state)}
                                   for race, state in s.store.programme.races()])


@bp.post("/bets")
@local_auth
def sell():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(ok=False, uuid=None, status=SaleStatus.REJECTED, reason="bad_request",
                       message="Corps JSON attendu."), 400
    try:
        bet = services().sales.sell(body, clerk=session.get("clerk"))
    except BettingError as exc:
        return jsonify(ok=False, uuid=None, status=SaleStatus.REJECTED, ticket=None,
                       reason=exc.code, message=exc.message), 422
    view = bet_view(bet)
    code = {SaleStatus.ACCEPTED: 201, SaleStatus.PROVISIONAL: 201,
            SaleStatus.PENDING: 202}.get(view["status"], 422)
    return jsonify(ok=view["status"] != SaleStatus.REJECTED, **view), code


@bp.post("/baskets")
@local_auth
def sell_basket():
    """Several bets, one payment: 201 sold (every ticket printed), 202 waiting for the
    server (nothing printed), 422 refused (nothing written, or the lines the server
    accepted cancelled: nothing printed, nothing to collect)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(ok=False, status=SaleStatus.REJECTED, reason="bad_request",
                       message="Corps JSON attendu.", bets=[], total_cents=0), 400
    try:
        sold = services().sales.sell_basket(body.get("bets"), body.get("payment", "cash"),
                                             clerk=session.get("clerk"))
    except BettingError as exc:
        return jsonify(ok=False, status=SaleStatus.REJECTED, reason=exc.code,
                       message=exc.message, line=getattr(exc, "line", None), bets=[],
                       total_cents=0, due_cents=0), 422
    view = basket_view(sold)
    code = {SaleStatus.ACCEPTED: 201, SaleStatus.PROVISIONAL: 201,
            SaleStatus.PENDING: 202}.get(view["status"], 422)
    return jsonify(ok=code != 422, **view), code


@bp.get("/bets/<uuid>")
@local_auth
def bet(uuid: str):
    outbox = services().store.outbox
    found = outbox.bet(uuid)
    if found is None:
        return jsonify(ok=False, error="unknown_bet", message="Pari inconnu sur ce terminal."), 404
    return jsonify(ok=True, **bet_view(found), attempts=outbox.attempts(uuid))


@bp.post("/bets/<uuid>/print")
@local_auth
def print_ticket(uuid: str):
    body = request.get_json(silent=True)
    reprint = isinstance(body, dict) and body.get("reprint") is True
    try:
        found = services().printer.print_bet(uuid, reprint=reprint)
    except PrintRefused as exc:
        return jsonify(ok=False, error=exc.code, message=exc.message), 409
    if found is None:
        return jsonify(ok=False, error="unknown_bet", message="Pari inconnu sur ce terminal."), 404
    if not printable(found):
        return jsonify(ok=False, error="not_accepted",
                       message="Seul un pari accepté (ou vendu hors ligne) a un ticket."), 409
    view = bet_view(found)
    return jsonify(ok=view["print_error"] is None, **view)
