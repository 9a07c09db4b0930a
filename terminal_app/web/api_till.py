"""Local JSON API of the till (CONTRACT.md, "Terminal local HTTP API"; docs/protocol.md).

`GET /api/till`, `POST /api/till/open|cash|close`, `POST /api/till/x`, the kept
reports. With the bearer token the caller acts as the terminal itself; with the
UI's session, the clerk logged in is recorded.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, session

from .api import local_auth, services
from ..services.clerks import ClerkError
from ..services.ticket_desk import Approval
from ..services.till import TillError

bp = Blueprint("api_till", __name__, url_prefix="/api/till")


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _clerk() -> str | None:
    return session.get("clerk")


def api_approval() -> Approval:
    """A ticket operation's approval on the API: `"manager_pin"` in the JSON body, or
    the manager logged in on the UI's session (terminal_app/web/ui_till.py)."""
    pin = _body().get("manager_pin")
    clerk = g.get("clerk")
    return Approval(clerk=clerk["name"] if clerk else None,
                    manager=clerk["name"] if clerk and clerk["role"] == "manager" else None,
                    manager_pin=pin if isinstance(pin, str) and len(pin) <= 16 else None)


def _answer(action, *args, status: int = 200, **kwargs):
    try:
        return jsonify(ok=True, **action(*args, **kwargs)), status
    except (TillError, ClerkError) as exc:
        return jsonify(ok=False, error=exc.code, message=exc.message), exc.status


@bp.get("")
@local_auth
def state():
    return _answer(services().till.state)


@bp.post("/open")
@local_auth
def open_shift():
    return _answer(services().till.open, _body().get("float_cents"), clerk=_clerk(), status=201)


@bp.post("/cash")
@local_auth
def cash():
    body = _body()
    return _answer(services().till.cash, body.get("kind"), body.get("amount_cents"),
                   body.get("reason"), clerk=_clerk())


@bp.post("/x")
@local_auth
def x_report():
    return _answer(services().till.x_report, clerk=_clerk())


@bp.post("/close")
@local_auth
def close():
    return _answer(services().till.close, _body().get("counted_cents"), clerk=_clerk())


@bp.get("/reports")
@local_auth
def reports():
    kind = request.args.get("kind", "Z")
    if kind not in ("X", "Z"):
        return jsonify(ok=False, error="bad_kind", message="Rapport X ou Z."), 400
    return jsonify(ok=True, reports=services().till.reports(kind))


@bp.get("/reports/<int(max=2000000000):report_id>")
@local_auth
def report(report_id: int):
    found = services().till.report(report_id)
    if found is None:
        return jsonify(ok=False, error="unknown_report", message="Rapport inconnu."), 404
    return jsonify(ok=True, **found)


@bp.post("/reports/<int(max=2000000000):report_id>/print")
@local_auth
def reprint(report_id: int):
    return _answer(services().till.print_report, report_id)
