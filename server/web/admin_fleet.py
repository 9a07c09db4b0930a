"""Back office: the fleet of terminals (pages under /admin/fleet), for operators
and technicians.

- The list, updated live (a fragment the page polls): each terminal's outlet,
  state (online, offline, disabled), last heartbeat in Paris time, outbox depth,
  provisional bets, printer, version and clock offset; offline first; filtered
  by a piece of the outlet's name and by state.
- Enrolment codes: create one for an outlet; the pending ones are listed without
  the code itself, which is shown on its printable receipt (big digits and a QR
  code drawn on the server).
- Disable / enable, renew a terminal's key, replace a terminal: each through a
  confirmation page, then one service call (which writes its audit entry).
  Renewing and replacing both issue a one-time code bound to the terminal; the
  old key stops working the moment that code is used (docs/security.md).
"""
from __future__ import annotations

import re

from flask import (Blueprint, current_app, flash, get_flashed_messages, redirect,
                   render_template, request, url_for)

from betting.programme import parse_utc
from guichet.clock import utcnow

from ..services import fleet, races
from .admin import page
from .qr import qr_svg
from .socket_ns import DISABLED_MESSAGE, cut_off

bp = Blueprint("admin_fleet", __name__, url_prefix="/admin")

ROLES = ("operator", "technician")
MAX_OUTLET = 100
TERMINAL_ID = re.compile(r"^T\d{6}$")
CLOCK_WARN_MS = 2000  # a terminal's clock this far from the server's is shown as a gap
POLL_S = 3

STATE_LABELS = {"online": "en ligne", "offline": "hors ligne", "disabled": "désactivé"}

# What each action does, as the confirmation page says it before anything happens.
ACTIONS = {
    "disable": ("Désactiver le terminal",
                "Le terminal est coupé du serveur central à l'instant : sa connexion est "
                "fermée et il ne vend plus, même hors ligne, jusqu'à sa réactivation."),
    "enable": ("Réactiver le terminal",
               "Le terminal peut de nouveau se connecter au serveur central et vendre."),
    "rotate": ("Renouveler la clé du terminal",
               "Un code à usage unique est créé pour ce terminal. Le technicien arrête le "
               "terminal, vérifie que sa file d'attente est vide, puis lance sur la même "
               "machine « guichet enrol --code … » : le terminal reçoit une nouvelle clé et "
               "l'ancienne cesse de fonctionner à cet instant. D'ici là, l'ancienne clé "
               "reste valable : si elle a fuité, désactivez d'abord le terminal."),
    "replace": ("Remplacer le terminal",
                "Un code à usage unique est créé pour la machine qui prend la place de "
                "celle-ci. Enrôlée avec ce code, elle garde l'identifiant, le point de vente "
                "et l'historique du terminal, et continue ses numéros de séquence ; la clé "
                "de l'ancienne machine cesse de fonctionner à cet instant. Si l'ancienne "
                "machine est perdue ou volée, désactivez d'abord le terminal."),
}
PURPOSE_LABELS = {"enrol": "nouveau terminal", "rotate": "nouvelle clé",
                  "replace": "remplacement"}


def _store():
    return current_app.extensions["guichet.store"]


# -- display helpers (filters for the fleet's templates) ------------------------

@bp.app_template_filter("paris_seconds")
def paris_seconds(iso: str | None) -> str:
    """A stored UTC time as "12/03/2024 14:03:12" in Paris time (the page says so)."""
    if not iso:
        return "—"
    try:
        moment = parse_utc(iso)
    except (TypeError, ValueError):
        return "—"
    return moment.astimezone(races.PARIS).strftime("%d/%m/%Y %H:%M:%S")


@bp.app_template_filter("clock_offset")
def clock_offset(ms: int | None) -> str:
    """+1,2 s: the terminal's clock minus the server's, French decimal comma."""
    if ms is None:
        return "—"
    sign = "+" if ms > 0 else ("−" if ms < 0 else "")
    return f"{sign}{abs(ms) / 1000:.1f} s".replace(".", ",")


@bp.app_template_filter("group_digits")
def group_digits(code: str) -> str:
    """123456789012 -> "1234 5678 9012": easier to read aloud and to type."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count <= 1 else many}"


def _summary(counts: dict, total: int) -> str:
    return (f"{plural(total, 'terminal', 'terminaux')} : "
            f"{plural(counts['offline'], 'hors ligne', 'hors ligne')}, "
            f"{plural(counts['disabled'], 'désactivé', 'désactivés')}, "
            f"{plural(counts['online'], 'en ligne', 'en ligne')}")


def _filters() -> tuple[str, str, str | None]:
    """(outlet, state, French error): a filter out of bounds is ignored and said."""
    outlet = request.args.get("outlet", "").strip()
    state = request.args.get("state", "")
    error = None
    if len(outlet) > MAX_OUTLET or not outlet.isprintable():
        outlet, error = "", f"Filtre de point de vente ignoré : {MAX_OUTLET} caractères au plus."
    if state not in ("", *fleet.TERMINAL_STATES):
        state, error = "", "Filtre d'état inconnu : tous les terminaux sont montrés."
    return outlet, state, error


def _live_context(outlet: str, state: str) -> dict:
    now = utcnow()
    with _store().unit_of_work(read_only=True) as uow:
        view = fleet.fleet_view(uow, now, outlet, state)
    return {"view": view, "summary": _summary(view["counts"], view["total"]),
            "state_labels": STATE_LABELS, "clock_warn_ms": CLOCK_WARN_MS,
            "updated": paris_seconds(now.isoformat()), "outlet": outlet, "state": state}


def _fleet_page(error: str | None = None, status: int = 200, outlet_value: str = ""):
    outlet, state, filter_error = _filters()
    with _store().unit_of_work(read_only=True) as uow:
        pending = fleet.pending_codes(uow, utcnow())
    return render_template("server/admin/fleet.html", **_live_context(outlet, state),
                           pending=pending, purpose_labels=PURPOSE_LABELS,
                           error=error or filter_error, outlet_value=outlet_value,
                           messages=get_flashed_messages(with_categories=True),
                           poll_s=POLL_S, max_outlet=MAX_OUTLET), status


@bp.get("/fleet", endpoint="fleet")  # the endpoint admin.SECTIONS names
@page(*ROLES)
def fleet_page():
    return _fleet_page()


@bp.get("/fleet/live")
@page(*ROLES)
def fleet_live():
    """The list alone, polled by the page every few seconds."""
    outlet, state, _ = _filters()
    return render_template("server/admin/fleet_rows.html", **_live_context(outlet, state))


# -- enrolment codes and receipts -------------------------------------------------

@bp.post("/fleet/codes")
@page(*ROLES)
def create_code():
    outlet = request.form.get("outlet", "")
    cleaned = " ".join(outlet.split())
    if not cleaned or len(cleaned) > MAX_OUTLET or not cleaned.isprintable():
        return _fleet_page(error=f"Saisissez le nom du point de vente ({MAX_OUTLET} caractères "
                                 "au plus) : aucun code n'a été créé.",
                           status=400, outlet_value=outlet[:MAX_OUTLET])
    with _store().unit_of_work() as uow:
        created = fleet.create_enrolment_code(uow, cleaned, utcnow())
        uow.commit()
    return redirect(url_for("admin_fleet.receipt", ref=created["receipt"], new=1))


@bp.get("/fleet/codes/<ref>")
@page(*ROLES)
def receipt(ref: str):
    """The receipt the technician takes to the shop: the code in big digits and as a QR."""
    with _store().unit_of_work(read_only=True) as uow:
        found = fleet.receipt(uow, ref, utcnow())
    if found is None:
        return render_template("server/admin/message.html", title="Reçu introuvable",
                               message="Ce code n'existe pas, a déjà servi ou a expiré : "
                                       "créez-en un nouveau depuis la page Parc."), 404
    return render_template("server/admin/fleet_receipt.html", code=found,
                           qr=qr_svg(found["code"]), new=request.args.get("new") == "1",
                           server_url=request.url_root.rstrip("/"),
                           purpose_labels=PURPOSE_LABELS)


# -- actions on one terminal, each confirmed first -----------------------------------

def _terminal_or_404(terminal_id: str):
    terminal = None
    if TERMINAL_ID.match(terminal_id):
        with _store().unit_of_work(read_only=True) as uow:
            terminal = uow.terminals.get(terminal_id)
    if terminal is None:
        return None, (render_template("server/admin/message.html", title="Terminal inconnu",
                                      message="Aucun terminal ne porte cet identifiant."), 404)
    return terminal, None


@bp.get("/fleet/terminals/<terminal_id>/<action>")
@page(*ROLES)
def confirm(terminal_id: str, action: str):
    if action not in ACTIONS:
        return render_template("server/admin/message.html", title="Action inconnue",
                               message="Cette action n'existe pas."), 404
    terminal, missing = _terminal_or_404(terminal_id)
    if missing:
        return missing
    title, explanation = ACTIONS[action]
    return render_template("server/admin/fleet_confirm.html", terminal=terminal, action=action,
                           title=title, explanation=explanation,
                           state=STATE_LABELS[fleet.state_of(terminal, utcnow())])


@bp.post("/fleet/terminals/<terminal_id>/<action>")
@page(*ROLES)
def act(terminal_id: str, action: str):
    if action not in ACTIONS:
        return render_template("server/admin/message.html", title="Action inconnue",
                               message="Cette action n'existe pas."), 404
    terminal, missing = _terminal_or_404(terminal_id)
    if missing:
        return missing
    if action in ("disable", "enable"):
        with _store().unit_of_work() as uow:
            done = fleet.set_disabled(uow, terminal_id, action == "disable")
            uow.commit()
        if action == "disable" and done["live_sid"]:
            cut_off(current_app.extensions["socketio"], done["live_sid"], "disabled",
                    DISABLED_MESSAGE)
        verb = "désactivé" if action == "disable" else "réactivé"
        flash(f"Terminal {terminal_id} ({terminal.outlet}) {verb}"
              + ("." if done["changed"] else " : il l'était déjà."), "ok")
        return redirect(url_for("admin_fleet.fleet"))
    with _store().unit_of_work() as uow:
        created = fleet.create_rekey_code(uow, terminal_id, action, utcnow())
        uow.commit()
    return redirect(url_for("admin_fleet.receipt", ref=created["receipt"], new=1))
