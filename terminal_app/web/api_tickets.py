"""Local JSON API for tickets, held sales and scans (docs/protocol.md, docs/hardware.md).

`POST /api/tickets/<code>/inquire|pay|cancel` go through the central server
(CONTRACT.md); the code is checked locally first. `GET /api/tickets` lists what
this terminal sold on a Paris day (terminal_app/services/ticket_list.py).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from betting.errors import BettingError
from betting.protocol import ack_from_error

from .api import local_auth, services, ticket_status
from .api_till import api_approval
from ..services.sales import bet_view
from ..services.ticket_list import TIME_ZONE, BadQuery, TicketList, parse_query

bp = Blueprint("api_tickets", __name__, url_prefix="/api")


def _answer(action, *args):
    try:
        return jsonify(action(*args))
    except BettingError as exc:
        return jsonify(ack_from_error(exc)), ticket_status(exc)


def ticket_list() -> TicketList:
    store = services().store
    return TicketList(store.outbox, store.ticket_ops)


@bp.get("/tickets")
@local_auth
def tickets():
    """`?day=YYYY-MM-DD` (Paris; default today), `q` (code digits), `race`, `status`,
    `limit` (at most 500): newest first."""
    try:
        query = parse_query(request.args)
    except BadQuery as exc:
        return jsonify(ok=False, error="bad_request", message=str(exc)), 400
    found = ticket_list().day(query)
    return jsonify(ok=True, day=query.day.isoformat(), time_zone=TIME_ZONE,
                   count=len(found.tickets), truncated=found.truncated, tickets=found.tickets)


@bp.post("/tickets/<code>/inquire")
@local_auth
def inquire(code: str):
    return _answer(services().tickets.inquire, code)


@bp.post("/tickets/<code>/pay")
@local_auth
def pay(code: str):
    return _answer(services().tickets.pay, code, api_approval())


@bp.post("/tickets/<code>/cancel")
@local_auth
def cancel(code: str):
    return _answer(lambda c: services().tickets.cancel(c, approval=api_approval()), code)


@bp.post("/bets/<uuid>/void")
@local_auth
def void(uuid: str):
    return _answer(services().tickets.void_held, uuid, api_approval())


@bp.get("/bets/<uuid>/prints")
@local_auth
def prints(uuid: str):
    store = services().store
    if store.outbox.bet(uuid) is None:
        return jsonify(ok=False, error="unknown_bet", message="Pari inconnu sur ce terminal."), 404
    return jsonify(ok=True, prints=store.prints.for_bet(uuid))


@bp.get("/held")
@local_auth
def held():
    return jsonify(ok=True, bets=[bet_view(b) for b in services().store.outbox.held()])


@bp.get("/scans")
@local_auth
def scans():
    feed = services().devices.feed
    after = request.args.get("after", "")
    events = feed.since(int(after)) if after.isdigit() else feed.recent(20)[::-1]
    return jsonify(ok=True, last_id=feed.last_id, scans=[e.to_dict() for e in events])
