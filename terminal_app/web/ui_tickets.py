"""The ticket card (scan or type a code: inquire, pay, cancel with a confirmation step,
refund, reprint), the Tickets page (the day's tickets, searchable), held sales' void,
and the live feed of scans to the browser.

A paid or cancelled ticket triggers `ticket-changed`, which refreshes "Derniers
paris" and the Tickets list.

Live scans reach the page by server-sent events (`GET /ui/scans/events`):
one long response per page, closed every 25 s and resumed by the browser
with `Last-Event-ID`, so no scan is lost across a reconnect. A keyboard-wedge
scan is recognised in the page itself (static/guichet-scan.js) and posted
here with `source=wedge`.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, redirect, render_template, request, url_for

from betting.catalogue import BET_TYPES
from betting.errors import BettingError

from .api import services, ticket_status
from .api_tickets import ticket_list
from ..services.scans import MAX_RAW
from ..services.ticket_desk import TicketRefused, check_code
from ..services.ticket_list import BadQuery, parse_query, today
from ..services.wording import ZONE_LABEL
from .ui import guard_ui_session
from .ui_till import approval_panel, needs_approval, ui_approval

bp = Blueprint("ui_tickets", __name__)
bp.before_request(guard_ui_session)

STREAM_S = 25.0


@bp.app_context_processor
def _scan_context() -> dict:
    return {"scan_after": services().devices.feed.last_id, "zone_label": ZONE_LABEL}


@bp.app_template_filter("ticket_entry")
def _ticket_entry(bet: dict) -> dict:
    """An outbox row as the lists show it: labels, grouped code, the real state."""
    return ticket_list().entry(bet)


def _panel(status: int = 200, headers: dict | None = None, **context):
    """The ticket card; a ticket sold here shows its bet as the outbox holds it."""
    code = context.get("code")
    bet = ticket_list().for_code(code) if code else None
    html = render_template("terminal/_ticket.html", bet_labels=BET_TYPES, bet=bet, **context)
    return html, status, headers or {}


def _refused(exc: BettingError, code: str | None = None):
    """The panel with a refusal; a code that is not well formed is not shown as one."""
    if exc.code == "invalid_ticket_code":
        code = None
    return _panel(ticket_status(exc), error=exc, code=code)


@bp.post("/ui/tickets/open")
def open_ticket():
    """A code from a scan (`scan_id`, already checked), a wedge scan or the keyboard."""
    form, feed = request.form, services().devices.feed
    scan_id = form.get("scan_id", "")
    if scan_id.isdigit():
        event = feed.get(int(scan_id))
        if event is None:
            return _panel(404, error=TicketRefused(
                "unknown_scan", "Lecture trop ancienne : scannez le ticket à nouveau."))
        if not event.ok:
            return _panel(422, error=TicketRefused(event.error or "scan_rejected", event.message),
                          raw=event.raw)
        text = event.code
    else:
        text = form.get("code", "")[:MAX_RAW + 1]
        if form.get("source") == "wedge":
            event = feed.add_code(text, "wedge")
            if not event.ok:
                return _panel(422, error=TicketRefused(event.error, event.message),
                              raw=event.raw)
    try:
        code = check_code(text)
    except BettingError as exc:
        return _refused(exc)
    try:
        info = services().tickets.inquire(code)
    except BettingError as exc:
        return _refused(exc, code)
    # "Annuler le pari" asks first: the same card, with the confirmation step
    confirm = form.get("confirm") == "cancel" and info["can_cancel"]
    return _panel(info=info, code=info["ticket"], confirm_cancel=confirm)


CHANGED = {"HX-Trigger": "ticket-changed"}


@bp.post("/ui/tickets/<code>/pay")
def pay(code: str):
    try:
        done = services().tickets.pay(code, approval=ui_approval())
    except BettingError as exc:
        if needs_approval(exc):  # a large payout: a manager's PIN (ui_till.py)
            return approval_panel(exc, code, "pay")
        return _refused(exc, code)
    return _panel(done=done, code=done["ticket"], headers=CHANGED)


@bp.post("/ui/tickets/<code>/cancel")
def cancel(code: str):
    try:
        done = services().tickets.cancel(code, approval=ui_approval())
    except BettingError as exc:
        if needs_approval(exc):  # a void: a manager's PIN (ui_till.py)
            return approval_panel(exc, code, "cancel")
        return _refused(exc, code)
    return _panel(done=done, code=done["ticket"], headers=CHANGED)


@bp.get("/tickets")
def tickets_page():
    s = services()
    if not s.store.settings.enrolled:
        return redirect(url_for("ui.setup"))
    query = parse_query({})
    return render_template("terminal/tickets.html", status=s.status(), zone=ZONE_LABEL,
                           day=query.day, today=query.day, found=ticket_list().day(query),
                           search="")


@bp.get("/ui/tickets/list")
def tickets_rows():
    """The rows for the search box: digits are a ticket code (spaces ignored), anything
    else a race (R1C4)."""
    search = request.args.get("search", "")[:60]
    day = request.args.get("day", "")
    try:
        args = {"day": day}
        if search.strip():
            if code_digits_only(search):
                args["q"] = search
            else:
                args["race"] = search
        query = parse_query(args)
    except BadQuery:
        return render_template(
            "terminal/_ticket_rows.html", found=None, zone=ZONE_LABEL, search=search,
            error="Recherche : tapez des chiffres du code du ticket, ou une course "
                  "(par exemple R1C4), et une date valide."), 422
    return render_template("terminal/_ticket_rows.html", found=ticket_list().day(query),
                           zone=ZONE_LABEL, search=search, day=query.day, today=today())


def code_digits_only(text: str) -> bool:
    return "".join(text.split()).isdigit()


@bp.post("/ui/bets/<uuid>/void")
def void(uuid: str):
    """"Annuler le pari" on a held sale: the answer replaces the sale's result."""
    try:
        done = services().tickets.void_held(uuid, approval=ui_approval())
    except BettingError as exc:
        return render_template("terminal/_message.html", kind="error", message=exc.message), \
            ticket_status(exc), {"HX-Trigger": "bet-sold"}
    return render_template("terminal/_message.html", kind="ok", message=done["message"]), \
        200, {"HX-Trigger": "bet-sold"}


@bp.post("/ui/scans/record")
def record_scan():
    """A wedge scan read on a page that lists scans instead of opening them (diagnostics)."""
    services().devices.feed.add_code(request.form.get("code", "")[:MAX_RAW + 1], "wedge")
    return "", 204


@bp.get("/ui/scans/events")
def scan_events():
    feed = services().devices.feed
    raw = request.headers.get("Last-Event-ID") or request.args.get("after", "")
    after = int(raw) if raw.isdigit() else feed.last_id

    def stream():
        nonlocal after
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + STREAM_S
        while not feed.closed and time.monotonic() < deadline:
            events = feed.wait(after, min(10.0, max(0.0, deadline - time.monotonic())))
            if not events:
                yield ": keep-alive\n\n"
            for event in events:
                after = event.id
                yield f"id: {event.id}\nevent: scan\ndata: {json.dumps(event.to_dict())}\n\n"

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
