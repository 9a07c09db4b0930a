"""The shopkeeper's htmx UI: pages and the fragments they swap in."""
from __future__ import annotations

import json

from flask import Blueprint, redirect, render_template, request, session, url_for

from betting.catalogue import BET_TYPES, FORMULAS, shape_of
from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import iso_utc
from betting.states import SaleStatus
from betting.tickets import group_code
from device_drivers.preview import barcode_svg, layout_text

from .api import services
from ..services.enrolment import EnrolError, enrol
from ..adapters.outbox import printable
from ..services.print_jobs import PrintRefused
from ..services.wording import FORMULA_LABELS, local_time
from ..services.sales import bet_view
from .sale_form import read_sale_form

bp = Blueprint("ui", __name__)

# A sale above this total asks the shopkeeper to press "Valider" a second time.
LARGE_SALE_CENTS = 10_000
# The bet type's letter in the quick entry ("1g7" Entrée: Simple gagnant on the 7 of
# the first open race); shown on the bet type's chip. docs/terminal-ui.md.
QUICK_KEYS = {
    "SIMPLE_GAGNANT": "g", "SIMPLE_PLACE": "p", "COUPLE_GAGNANT": "c", "COUPLE_PLACE": "e",
    "COUPLE_ORDRE": "o", "DEUX_SUR_QUATRE": "d", "TRIO": "r", "TRIO_ORDRE": "i",
    "TIERCE": "t", "QUARTE_PLUS": "q", "QUINTE_PLUS": "u", "MULTI": "m", "MINI_MULTI": "n",
    "SUPER_QUATRE": "s", "PICK5": "k",
}


@bp.app_template_filter("euros")
def _euros(cents: int) -> str:
    return format_euros(cents)


@bp.app_template_filter("ticket_code")
def _ticket_code(code: str) -> str:
    return group_code(code)


@bp.app_template_filter("iso_utc")
def _iso_utc(moment) -> str:
    return iso_utc(moment)


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
                           races=_picker([(race, s.link.live.state_of(race.race_id, state))
                                          for race, state in s.store.programme.races()]),
                           recent=s.store.outbox.recent(8), held=s.printer.held())


def _picker(races: list) -> list[tuple]:
    """Each race with its state and its quick-entry digit (the Nth open race, 1 to 9)."""
    out, n = [], 0
    for race, state in races:
        key = None
        if state == "open" and n < 9:
            n += 1
            key = n
        out.append((race, state, key))
    return out


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
    state = services().link.live.state_of(race_id, state)
    return render_template("terminal/_race.html", race=race, state=state, bet_types=BET_TYPES,
                           formulas=FORMULAS, formula_labels=FORMULA_LABELS,
                           quick_keys=QUICK_KEYS, shape_of=shape_of)


@bp.post("/ui/quote")
def quote_fragment():
    """The live cost of the bet being built: combinations and total, or why it is not
    a bet yet. Always 200: the fragment is the answer either way."""
    form = request.form
    if not form.getlist("horse") and not form.getlist("base"):
        return _cost(reason="Choisissez les chevaux.")
    try:
        quote = services().sales.quote({**read_sale_form(form), "payment": "cash"})
    except BettingError as exc:
        return _cost(reason=exc.message)
    return _cost(quote=quote)


def _cost(quote: dict | None = None, reason: str | None = None):
    return render_template("terminal/_cost.html", quote=quote, reason=reason,
                           large=bool(quote) and quote["total_cents"] > LARGE_SALE_CENTS)


def unconfirmed(total_cents: int, form) -> bool:
    """A total above LARGE_SALE_CENTS not yet confirmed: the confirmation step's
    button sends that very total back (`confirm_cents`)."""
    return total_cents > LARGE_SALE_CENTS and form.get("confirm_cents", "") != str(total_cents)


@bp.post("/ui/sell")
def sell_fragment():
    """Sell the form's bet. A total above LARGE_SALE_CENTS is first answered with a
    confirmation step; the form sends the confirmed total back (`confirm_cents`)."""
    form = request.form
    try:
        data = {**read_sale_form(form), "payment": form.get("payment", "cash")}
        sales = services().sales
        total = sales.quote(data)["total_cents"]
        if unconfirmed(total, form):
            return render_template("terminal/_confirm.html", total_cents=total), 200, \
                {"HX-Trigger": json.dumps({"sale-confirm": {
                    "total_cents": total, "label": format_euros(total)}})}
        bet = sales.sell(data, clerk=session.get("clerk"))
    except BettingError as exc:
        return _error(exc.message)
    return _bet_result(bet, sold=True)


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


def _bet_result(bet: dict, reprinted: bool = False, sold: bool = False):
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
    events = {"bet-sold": True}
    if sold and view["status"] != SaleStatus.REJECTED:
        events["sale-recorded"] = True  # the sale form clears itself for the next bet
    return html, 200, {"HX-Trigger": json.dumps(events)}


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
