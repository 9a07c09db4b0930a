"""The customer's basket on the counter: bets kept aside, then sold in one go.

The lines wait in the UI's signed session cookie (at most 20, each one a bet
request the quote has accepted); nothing is written to the outbox before
"Encaisser le panier", which sells them all with one payment
(`Sales.sell_basket`): every ticket printed, or none. Each line is priced
again whenever the basket is shown, so a race that closed meanwhile says so
on its line.
"""
from __future__ import annotations

import json

from flask import Blueprint, render_template, request, session

from betting.catalogue import BET_TYPES, FORMULA_LABELS
from betting.errors import BettingError
from betting.money import format_euros
from betting.states import OutboxState, SaleStatus
from device_drivers.preview import barcode_svg, layout_text

from .api import services
from .sale_form import read_sale_form
from .ui import guard_ui_session
from ..adapters.outbox import printable
from ..services.sales import MAX_BASKET_LINES

bp = Blueprint("ui_basket", __name__)
bp.before_request(guard_ui_session)

SESSION_KEY = "basket"
# A basket above this asks "Confirmer l'encaissement de … ?" before it is sold.
LARGE_BASKET_CENTS = 10_000
# The session is a cookie: its lines stay well under the 4 KB a browser keeps.
MAX_STORED_CHARS = 3_000
PAYMENTS = {"cash": "espèces", "card": "carte"}


# A line in the cookie: the bet request's fields in this order, without their names.
FIELDS = ("race", "bet_type", "formula", "selections", "bases", "unit_stake_cents",
          "complement")


def _stored() -> list[dict]:
    lines = session.get(SESSION_KEY)
    if not isinstance(lines, list):
        return []
    return [dict(zip(FIELDS, line)) for line in lines[:MAX_BASKET_LINES]
            if isinstance(line, list) and len(line) == len(FIELDS)]


def _store(lines: list[dict]) -> bool:
    """Keep the lines in the session, unless they would overflow its cookie."""
    packed = [[line[name] for name in FIELDS] for line in lines]
    if len(json.dumps(packed)) > MAX_STORED_CHARS:
        return False
    session[SESSION_KEY] = packed
    return True


def _line_view(index: int, data: dict) -> dict:
    """A line as the basket lists it, priced now (or the reason it cannot be sold now)."""
    bet_type = BET_TYPES.get(data.get("bet_type"))
    view = {"index": index, "number": index + 1,
            "race": str(data.get("race", "")).rsplit("/", 1)[-1],
            "bet_type": bet_type.label if bet_type else str(data.get("bet_type")),
            "formula": FORMULA_LABELS.get(data.get("formula"), str(data.get("formula"))),
            "horses": " - ".join(str(n) for n in data.get("selections") or []),
            "bases": " - ".join(str(n) for n in data.get("bases") or []),
            "complement": data.get("complement"),
            "unit_stake_cents": data.get("unit_stake_cents", 0),
            "combinations": None, "total_cents": None, "error": None}
    try:
        view.update(services().sales.quote(data))
    except BettingError as exc:
        view["error"] = exc.message
    return view


def basket_now() -> dict:
    """The basket in the session as the fragment shows it."""
    lines = [_line_view(i, data) for i, data in enumerate(_stored())]
    return {"lines": lines, "total_cents": sum(line["total_cents"] or 0 for line in lines),
            "sellable": bool(lines) and not any(line["error"] for line in lines)}


@bp.app_context_processor
def _basket_context() -> dict:
    # the counter page includes the fragment without asking this blueprint
    return {"basket_now": basket_now}


def _fragment(status: int = 200, headers: dict | None = None, **context):
    context.setdefault("payment", "cash")
    html = render_template("terminal/_basket.html", basket=basket_now(),
                           max_lines=MAX_BASKET_LINES, payments=PAYMENTS, **context)
    return html, status, headers or {}


@bp.get("/ui/basket")
def show():
    return _fragment()


@bp.post("/ui/basket/add")
def add():
    lines = _stored()
    if len(lines) >= MAX_BASKET_LINES:
        return _fragment(422, error=f"Panier complet ({MAX_BASKET_LINES} paris) : encaissez-le "
                                    "avant d'en ajouter.")
    try:
        data = read_sale_form(request.form)
        quote = services().sales.quote(data)
    except BettingError as exc:
        return _fragment(422, error=f"Pari non ajouté : {exc.message}")
    if not _store(lines + [data]):
        return _fragment(422, error="Pari non ajouté : panier trop chargé, encaissez-le d'abord.")
    return _fragment(added=f"Pari ajouté au panier : {format_euros(quote['total_cents'])}.")


@bp.post("/ui/basket/remove")
def remove():
    lines = _stored()
    index = request.form.get("index", "")
    if not (index.isascii() and index.isdigit() and int(index) < len(lines)):
        return _fragment(422, error="Ce pari n'est plus dans le panier.")
    del lines[int(index)]
    _store(lines)
    return _fragment()


@bp.post("/ui/basket/clear")
def clear():
    session.pop(SESSION_KEY, None)
    return _fragment()


@bp.post("/ui/basket/sell")
def sell():
    """One payment for every line; a large sum is confirmed first, for the total shown."""
    lines = _stored()
    payment = request.form.get("payment", "cash")
    if payment not in PAYMENTS:
        return _fragment(422, error="Choisissez le paiement : espèces ou carte.")
    if not lines:
        return _fragment(422, error="Panier vide : ajoutez au moins un pari.")
    shown = basket_now()
    if shown["total_cents"] > LARGE_BASKET_CENTS and \
            request.form.get("confirm_cents") != str(shown["total_cents"]):
        return _fragment(confirm=shown["total_cents"], payment=payment)
    try:
        sold = services().sales.sell_basket(lines, payment, clerk=session.get("clerk"))
    except BettingError as exc:
        return _fragment(422, error=f"Panier non vendu, rien n'est enregistré : {exc.message}",
                         payment=payment)
    if sold["status"] != SaleStatus.REJECTED:
        session.pop(SESSION_KEY, None)   # written to the outbox: never to be sold twice
    return _fragment(200 if sold["status"] != SaleStatus.REJECTED else 422,
                     {"HX-Trigger": "bet-sold"}, outcome=_outcome(sold), payment=payment)


def _outcome(sold: dict) -> dict:
    printer = services().printer
    tickets = []
    for number, bet in enumerate(sold["bets"], start=1):
        shown = printable(bet) and bet["printed_at"] and not bet.get("cancelled_at")
        bet_type = BET_TYPES.get(bet["bet_type"])
        tickets.append({
            "number": number, "bet": bet,
            "label": f"{bet['race'].rsplit('/', 1)[-1]} · "
                     f"{bet_type.label if bet_type else bet['bet_type']} "
                     f"{' - '.join(str(n) for n in bet['selections'] or [])}",
            "state": _line_state(bet),
            "preview": layout_text(printer.layout(bet)) if shown else None,
            "barcode": barcode_svg(bet["ticket"]) if shown else None,
        })
    return {**sold, "tickets": tickets}


def _line_state(bet: dict) -> str:
    if bet.get("cancelled_at"):
        return "accepté puis annulé"
    if bet["status"] == OutboxState.REJECTED:
        return f"refusé : {bet['message'] or bet['reason']}"
    if printable(bet):
        accepted = bet["status"] == OutboxState.ACCEPTED
        kind = "provisoire" if bet["offline"] and not accepted else "accepté"
        return kind if bet["printed_at"] else f"{kind}, ticket non imprimé"
    return "en attente de la réponse du serveur central"
