"""The shopkeeper's htmx UI: pages and the fragments they swap in."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from betting.catalogue import BET_TYPES, FORMULAS
from betting.errors import BettingError
from betting.money import format_euros, parse_euros
from betting.tickets import group_code
from device_drivers.preview import barcode_svg, layout_text

from .api import services
from ..services.enrolment import EnrolError, enrol
from ..adapters.outbox import printable
from ..services.print_jobs import PrintRefused
from ..services.wording import FORMULA_LABELS, local_time
from ..services.sales import bet_view

bp = Blueprint("ui", __name__)


@bp.app_template_filter("euros")
def _euros(cents: int) -> str:
    return format_euros(cents)


@bp.app_template_filter("ticket_code")
def _ticket_code(code: str) -> str:
    return group_code(code)


@bp.app_template_filter("heure")
def _heure(moment) -> str:
    return local_time(moment)


def guard_ui_session():
    """The UI's pages carry the session the local API accepts, and its forms need it.
    SameSite=Strict alone does not stop a page on 127.0.0.1 at another port (same
    site): terminal_app/web/guard.py has already checked Host, Origin and the CSRF token."""
    if request.method == "GET":
        session["ui"] = True
    elif not session.get("ui"):
        return render_template("terminal/_message.html", kind="error",
                               message="Session expirée : rechargez la page."), 403
    return None


bp.before_request(guard_ui_session)


@bp.get("/")
def index():
    s = services()
    if not s.store.settings.enrolled:
        return redirect(url_for("ui.setup"))
    return render_template("terminal/index.html", status=s.status(),
                           races=s.store.programme.races(), recent=s.store.outbox.recent(8),
                           held=s.printer.held())


@bp.get("/ui/status")
def status_fragment():
    return render_template("terminal/_status.html", status=services().status())


@bp.get("/ui/race")
def race_fragment():
    race_id = request.args.get("race", "")
    cached = services().store.programme.race(race_id)
    if cached is None:
        return render_template("terminal/_message.html", kind="error",
                               message="Course inconnue : actualisez la liste des courses."), 404
    race, state = cached
    return render_template("terminal/_race.html", race=race, state=state, bet_types=BET_TYPES,
                           formulas=FORMULAS, formula_labels=FORMULA_LABELS)


def _numbers(name: str) -> list[int]:
    out = []
    for value in request.form.getlist(name):
        if not value.isdigit():
            raise ValueError(value)
        out.append(int(value))
    return out


@bp.post("/ui/sell")
def sell_fragment():
    form = request.form
    try:
        stake = parse_euros(form.get("stake", ""))
    except ValueError:
        return _error("Mise invalide : saisissez un montant en euros, par exemple 2 ou 2,50.")
    try:
        horses, bases = _numbers("horse"), _numbers("base")
    except ValueError:
        return _error("Numéro de cheval invalide.")
    # the optional "cheval de complément" select: empty is none
    complement = form.get("complement", "").strip()
    if complement and not (complement.isascii() and complement.isdigit()
                           and len(complement) <= 3):
        return _error("Cheval de complément invalide.")
    data = {"race": form.get("race", ""), "bet_type": form.get("bet_type", ""),
            "formula": form.get("formula", "UNITAIRE"), "selections": horses,
            "bases": bases, "unit_stake_cents": stake, "payment": form.get("payment", "cash"),
            "complement": int(complement) if complement else None}
    try:
        bet = services().sales.sell(data)
    except BettingError as exc:
        return _error(exc.message)
    return _bet_result(bet)


@bp.post("/ui/bets/<uuid>/print")
def print_fragment(uuid: str):
    """"Imprimer" on a held sale (same job id), or "Réimprimer" (reprint=1: DUPLICATA)."""
    try:
        bet = services().printer.print_bet(uuid, reprint=request.form.get("reprint") == "1")
    except PrintRefused as exc:
        return _error(exc.message)
    if bet is None:
        return _error("Pari inconnu sur ce terminal.")
    return _bet_result(bet, reprinted=request.form.get("reprint") == "1")


def _bet_result(bet: dict, reprinted: bool = False):
    printer = services().printer
    preview = svg = None
    if printable(bet):
        preview = layout_text(printer.layout(bet))
        svg = barcode_svg(bet["ticket"])
    view = bet_view(bet)
    held = view["held"]
    reason = printer.held_reason(bet) if held else None
    reprint_error = printer.last_reprint_error(bet["uuid"]) if reprinted else None
    html = render_template("terminal/_result.html", bet=bet, view=view, preview=preview, barcode=svg,
                           held=held, held_reason=reason, reprinted=reprinted,
                           reprint_error=reprint_error)
    return html, 200, {"HX-Trigger": "bet-sold"}


@bp.get("/ui/held")
def held_fragment():
    return render_template("terminal/_held.html", held=services().printer.held())


@bp.get("/ui/recent")
def recent_fragment():
    return render_template("terminal/_recent.html", recent=services().store.outbox.recent(8))


def _error(message: str):
    return render_template("terminal/_message.html", kind="error", message=message), 422


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    s = services()
    saved = s.store.settings
    error = None
    if request.method == "POST" and not saved.enrolled:
        try:
            enrol(s.store, request.form.get("server_url", ""), request.form.get("code", ""),
                  ca_pem=request.form.get("ca_pem", "").strip() or None)
            s.start_sync()
            return redirect(url_for("ui.index"))
        except EnrolError as exc:
            error = exc.french
    # the template reads the saved enrolment as `store` (enrolled, get)
    return render_template("terminal/setup.html", store=saved, error=error,
                           status=s.status()), (422 if error else 200)
