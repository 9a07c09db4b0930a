"""The sale form of the counter, read into the bet request the services take.

One reading for every route that receives the form (sell, quote, add to the
basket), so a bet is understood the same way whichever button sent it:
`race`, `bet_type`, `formula`, `horse` (repeated, in the order clicked or
typed), `base` (repeated), `stake` (euros as typed), `complement` (empty: none).
"""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from betting.errors import BettingError
from betting.money import parse_euros

MAX_HORSES = 40  # betting.bets refuses longer lists; stop reading here


class SaleFormError(BettingError):
    """A field of the form that is not even a bet yet (French, for the shopkeeper)."""

    code = "bad_form"
    default_message = "Formulaire de pari invalide."


def _numbers(form: MultiDict, name: str) -> list[int]:
    values = form.getlist(name)
    if len(values) > MAX_HORSES:
        raise SaleFormError("Trop de chevaux pour un seul pari.")
    out = []
    for value in values:
        if not (value.isascii() and value.isdigit() and len(value) <= 3):
            raise SaleFormError("Numéro de cheval invalide.")
        out.append(int(value))
    return out


def read_sale_form(form: MultiDict) -> dict:
    """The bet request of the form (without the payment), or SaleFormError."""
    try:
        stake = parse_euros(form.get("stake", ""))
    except ValueError:
        raise SaleFormError("Mise invalide : saisissez un montant en euros, par exemple 2 "
                            "ou 2,50.") from None
    horses, bases = _numbers(form, "horse"), _numbers(form, "base")
    complement = form.get("complement", "").strip()
    if complement and not (complement.isascii() and complement.isdigit()
                           and len(complement) <= 3):
        raise SaleFormError("Cheval de complément invalide.")
    return {"race": form.get("race", ""), "bet_type": form.get("bet_type", ""),
            "formula": form.get("formula", "UNITAIRE"), "selections": horses,
            "bases": bases, "unit_stake_cents": stake,
            "complement": int(complement) if complement else None}
