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
from betting.reports import ALL, CARRY_SHARES, KINDS, MAX_LEGS, REPORT_PLUS

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


# -- the Report+ form (terminal_app/web/ui_report.py) ----------------------------------
# One row per leg, numbered from 0: `leg<i>_race`, `leg<i>_horse`, `leg<i>_kind`
# (GAGNANT or PLACE), `leg<i>_carry` (ALL, THREE_QUARTERS, HALF or QUARTER: the share
# of the leg's return carried into the next; none on the last leg); then `stake` (the
# first stake, euros).


def _horse(value: str, leg: int) -> int:
    value = value.strip()
    if not value:
        raise SaleFormError(f"Course {leg} du Report+ : choisissez un cheval.")
    if not (value.isascii() and value.isdigit() and len(value) <= 3):
        raise SaleFormError(f"Course {leg} du Report+ : numéro de cheval invalide.")
    return int(value)


def leg_count(form: MultiDict) -> int:
    """How many leg rows the form holds (at most betting.reports.MAX_LEGS)."""
    n = 0
    while n < MAX_LEGS and f"leg{n}_race" in form:
        n += 1
    return n


def read_report_form(form: MultiDict) -> dict:
    """The Report+ request of the form (without the payment), or SaleFormError."""
    legs = []
    count = leg_count(form)
    for i in range(count):
        race = form.get(f"leg{i}_race", "").strip()
        if not race:
            raise SaleFormError(f"Course {i + 1} du Report+ : choisissez la course.")
        kind = form.get(f"leg{i}_kind", "GAGNANT")
        if kind not in KINDS:
            raise SaleFormError(f"Course {i + 1} du Report+ : gagnant ou placé.")
        leg = {"race": race[:40], "horse": _horse(form.get(f"leg{i}_horse", ""), i + 1),
               "kind": kind}
        if i < count - 1:
            carry = form.get(f"leg{i}_carry", ALL)
            if carry not in CARRY_SHARES:
                raise SaleFormError(f"Course {i + 1} du Report+ : report invalide.")
            leg["carry"] = carry
        legs.append(leg)
    try:
        stake = parse_euros(form.get("stake", ""))
    except ValueError:
        raise SaleFormError("Mise invalide : saisissez un montant en euros, par exemple 2 "
                            "ou 2,50.") from None
    return {"race": legs[0]["race"] if legs else "", "bet_type": REPORT_PLUS,
            "formula": "UNITAIRE", "selections": [legs[0]["horse"]] if legs else [],
            "bases": [], "unit_stake_cents": stake, "legs": legs}
