"""Clerk login, the "Caisse" page (shift, cash in and out, X and Z reports), and the
manager's approval asked on the ticket panel.

While the terminal has no clerk it sells without login. Once one exists every UI
page but /setup and /login needs a clerk session (`clerk_gate`, installed on the
whole app); the local JSON API with the bearer token acts as the terminal itself
and is not gated, the same API on the UI's cookie is.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, Flask, g, jsonify, redirect, render_template, request, session,
                   url_for)

from betting.errors import BettingError
from betting.money import parse_euros
from betting.programme import parse_utc

from .api import services
from .guard import bearer_ok
from ..services.clerks import ROLE_LABELS, ClerkError
from ..services.ticket_desk import APPROVAL_THRESHOLD_CENTS, Approval
from ..services.till import MAX_REASON, TillError, ledger_lines
from ..services.wording import local_datetime
from .ui import guard_ui_session

bp = Blueprint("ui_till", __name__)
bp.before_request(guard_ui_session)

OPEN_PATHS = frozenset({"/setup", "/login", "/healthz"})
APPROVAL_CODES = frozenset({"manager_pin_required", "bad_manager_pin", "locked"})


# -- who is at the till -----------------------------------------------------------------
def clerk_gate():
    """Every request once clerks exist: a clerk session, or the bearer token under /api."""
    path = request.path
    if path in OPEN_PATHS or path.startswith("/static/"):
        return None
    clerks = services().clerks
    if not clerks.exist():
        return None
    if path.startswith("/api/") and bearer_ok():
        return None
    clerk = clerks.is_active(session.get("clerk"))
    if clerk is not None:
        g.clerk = clerk
        return None
    session.pop("clerk", None)
    message = "Identifiez-vous : choisissez votre nom et saisissez votre code PIN."
    if path.startswith("/api/"):
        return jsonify(ok=False, error="login_required", message=message), 401
    if request.method == "GET" and not request.headers.get("HX-Request"):
        return redirect(url_for("ui_till.login", next=path))
    return render_template("terminal/_message.html", kind="error", message=message), 401, \
        {"HX-Redirect": url_for("ui_till.login")}


def install(app: Flask) -> None:
    """The clerk gate after the Host, Origin and CSRF checks (terminal_app/web/guard.py)."""
    app.before_request(clerk_gate)


@bp.app_context_processor
def _clerk_context() -> dict:
    return {"current_clerk": g.get("clerk"), "role_labels": ROLE_LABELS}


@bp.app_template_filter("paris")
def _paris(iso: str | None) -> str:
    """A stored UTC time as the shop reads it (the page says "heure de Paris")."""
    try:
        return local_datetime(parse_utc(iso))[:16]
    except (TypeError, ValueError):
        return ""


def _safe_next(target: str | None) -> str:
    """Only a path of this terminal (no scheme, no host) after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    clerks = services().clerks
    if not clerks.exist():
        return redirect("/")
    error = None
    if request.method == "POST":
        try:
            clerk = clerks.login(request.form.get("name", "")[:80], request.form.get("pin", "")[:16])
        except ClerkError as exc:
            error = exc
        else:
            session["clerk"] = clerk["name"]
            target = _safe_next(request.form.get("next"))
            if request.headers.get("HX-Request"):
                return "", 204, {"HX-Redirect": target}
            return redirect(target)
    # the page's form posts through htmx (a plain form post would carry `Origin: null`
    # under the no-referrer policy, which the origin check refuses)
    template = "terminal/_login_form.html" if request.headers.get("HX-Request") \
        else "terminal/login.html"
    return render_template(template, clerks=clerks.active(), error=error,
                           next=_safe_next(request.values.get("next")),
                           chosen=request.form.get("name", "")), \
        (error.status if error else 200)


@bp.post("/logout")
def logout():
    """"Changer de caissier": the session forgets the clerk, the login page opens."""
    session.pop("clerk", None)
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": url_for("ui_till.login")}
    return redirect(url_for("ui_till.login"))


def clerk_name() -> str | None:
    clerk = g.get("clerk")
    return clerk["name"] if clerk else None


# -- manager's approval on the ticket panel -------------------------------------------------
def ui_approval() -> Approval:
    """The clerk at the till, the manager if a manager is logged in, and a manager's PIN
    typed in the panel (`manager_pin`)."""
    clerk = g.get("clerk")
    pin = request.form.get("manager_pin", "")[:16] or None
    return Approval(clerk=clerk["name"] if clerk else None,
                    manager=clerk["name"] if clerk and clerk["role"] == "manager" else None,
                    manager_pin=pin)


def needs_approval(exc: BettingError) -> bool:
    return isinstance(exc, ClerkError) and exc.code in APPROVAL_CODES


def approval_panel(exc: ClerkError, code: str, op: str):
    """The ticket panel asking for a manager's PIN before `op` (pay or cancel) goes on."""
    return render_template("terminal/_manager_pin.html", error=exc, code=code, op=op,
                           threshold=APPROVAL_THRESHOLD_CENTS), exc.status


# -- the "Caisse" page ---------------------------------------------------------------------
@bp.get("/till")
def page():
    till = services().till
    return render_template("terminal/till.html", till=till.state(), reports=till.reports("Z"),
                           status=services().status(), max_reason=MAX_REASON)


def _panel(status: int = 200, report: dict | None = None, error: str | None = None,
           message: str | None = None):
    till = services().till
    return render_template("terminal/_till.html", till=till.state(), reports=till.reports("Z"),
                           report=report, error=error, message=message,
                           max_reason=MAX_REASON), status


def _euros(name: str, label: str) -> int:
    try:
        return parse_euros(request.form.get(name, "")[:20])
    except ValueError:
        raise TillError("bad_amount", f"Montant invalide ({label}) : saisissez un montant en "
                                      "euros, par exemple 150 ou 150,50.") from None


def _run(action, message: str | None = None):
    try:
        report = action()
    except (TillError, ClerkError) as exc:
        return _panel(exc.status, error=exc.message)
    shown = report if isinstance(report, dict) and report.get("kind") else None
    return _panel(report=shown, message=message)


@bp.post("/ui/till/open")
def open_shift():
    return _run(lambda: services().till.open(_euros("float", "fond de caisse"), clerk_name()),
                "Caisse ouverte.")


@bp.post("/ui/till/cash")
def cash():
    kind = request.form.get("kind", "")
    return _run(lambda: services().till.cash(kind, _euros("amount", "mouvement"),
                                             request.form.get("reason", "")[:MAX_REASON + 1],
                                             clerk_name()),
                "Apport enregistré." if kind == "in" else "Retrait enregistré.")


@bp.post("/ui/till/x")
def x_report():
    return _run(lambda: services().till.x_report(clerk_name()))


@bp.post("/ui/till/close")
def close():
    return _run(lambda: services().till.close(_euros("counted", "montant compté"), clerk_name()))


@bp.get("/ui/till/reports/<int(max=2000000000):report_id>")
def report(report_id: int):
    found = services().till.report(report_id)
    if found is None:
        return _panel(404, error="Rapport inconnu.")
    return _panel(report=found)


@bp.post("/ui/till/reports/<int(max=2000000000):report_id>/print")
def reprint(report_id: int):
    return _run(lambda: services().till.print_report(report_id), "Rapport réimprimé.")


@bp.app_template_filter("ledger_lines")
def _ledger_lines(ledger: dict | None) -> list[str]:
    return ledger_lines(ledger)
