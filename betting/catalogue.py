"""The operator's bet catalogue.

Values the operator publishes per race (base stake `miseBase`, which bet types
are on sale) come from the programme and always win; the constants here are
the defaults used when a programme does not say, and the rules that never
change per race. Sources and the choices made where a source is silent are in
RULES.md ("Catalogue").
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import FormulaNotAllowed, UnknownBetType, UnknownFormula

UNITAIRE = "UNITAIRE"
COMBINE = "COMBINE"
CHAMP_TOTAL = "CHAMP_TOTAL"
CHAMP_REDUIT = "CHAMP_REDUIT"
FORMULAS = (UNITAIRE, COMBINE, CHAMP_TOTAL, CHAMP_REDUIT)

_ALL = frozenset(FORMULAS)
_UNIT_ONLY = frozenset({UNITAIRE})

# Dividend kinds (CONTRACT.md `kind`).
GAGNANT = "GAGNANT"
PLACE = "PLACE"
ORDRE = "ORDRE"
DESORDRE = "DESORDRE"
BONUS4 = "BONUS4"
BONUS3 = "BONUS3"
DEUX_SUR_QUATRE = "DEUX_SUR_QUATRE"
NP = "NP"


def multi_kind(horses: int) -> str:
    """Kind of the Multi / Mini Multi dividend paid to a unit of `horses` horses."""
    return f"MULTI_EN_{horses}"


@dataclass(frozen=True)
class BetType:
    code: str
    label: str  # French, as printed on the ticket and shown in the UI
    horses: int  # horses in one unit combination (nbChevauxReglementaire)
    ordered: bool  # does the order of the horses count
    formulas: frozenset[str]
    default_base_stake_cents: int
    min_runners: int  # fewest declared runners for the pool to be offered
    # Dividend kinds, best first: a unit combination earns only the first kind it matches.
    dividend_kinds: tuple[str, ...]
    max_selections: int | None = None  # Multi: a unit "en 5/6/7" names more horses than `horses`
    max_runners: int | None = None  # most declared runners for the pool to be offered
    # Fewer starters than this (declared minus non-runners) and every bet is refunded.
    void_below_starters: int = 1
    # Does a combination naming one non-runner earn an "NP" dividend instead of a refund?
    np_dividend: bool = False
    # Are coupled runners (écuries) one betting interest? Only Simple Gagnant at the PMU.
    ecurie_coupling: bool = False


def _multi_kinds(top: int) -> tuple[str, ...]:
    return tuple(multi_kind(n) for n in range(4, top + 1))


BET_TYPES: dict[str, BetType] = {
    b.code: b
    for b in (
        BetType("SIMPLE_GAGNANT", "Simple gagnant", 1, False, _UNIT_ONLY, 200, 2, (GAGNANT,),
                ecurie_coupling=True),
        BetType("SIMPLE_PLACE", "Simple placé", 1, False, _UNIT_ONLY, 200, 4, (PLACE,),
                void_below_starters=4),
        BetType("COUPLE_GAGNANT", "Couplé gagnant", 2, False, _ALL, 200, 8, (GAGNANT, NP),
                void_below_starters=2, np_dividend=True),
        BetType("COUPLE_PLACE", "Couplé placé", 2, False, _ALL, 200, 8, (PLACE,),
                void_below_starters=2),
        BetType("COUPLE_ORDRE", "Couplé ordre", 2, True, _ALL, 100, 4, (ORDRE,),
                max_runners=7, void_below_starters=2),
        BetType("DEUX_SUR_QUATRE", "2 sur 4", 2, False, _ALL, 300, 10, (DEUX_SUR_QUATRE,),
                void_below_starters=5),
        BetType("TRIO", "Trio", 3, False, _ALL, 100, 8, (GAGNANT,), void_below_starters=3),
        BetType("TRIO_ORDRE", "Trio ordre", 3, True, _ALL, 100, 4, (ORDRE,),
                max_runners=7, void_below_starters=3),
        BetType("TIERCE", "Tiercé", 3, True, _ALL, 100, 8, (ORDRE, DESORDRE),
                void_below_starters=3),
        BetType("QUARTE_PLUS", "Quarté+", 4, True, _ALL, 150, 8, (ORDRE, DESORDRE, BONUS3),
                void_below_starters=4),
        BetType("QUINTE_PLUS", "Quinté+", 5, True, _ALL, 200, 10,
                (ORDRE, DESORDRE, BONUS4, BONUS3), void_below_starters=5),
        BetType("MULTI", "Multi", 4, False, _ALL, 300, 14, _multi_kinds(7),
                max_selections=7, void_below_starters=4),
        BetType("MINI_MULTI", "Mini Multi", 4, False, _ALL, 300, 10, _multi_kinds(6),
                max_selections=6, max_runners=13, void_below_starters=4),
        BetType("SUPER_QUATRE", "Super 4", 4, True, _ALL, 100, 7, (ORDRE,),
                max_runners=9, void_below_starters=4),
        BetType("PICK5", "Pick 5", 5, False, _ALL, 100, 10, (GAGNANT, NP),
                void_below_starters=5, np_dividend=True),
    )
}


def get_bet_type(code: str) -> BetType:
    try:
        return BET_TYPES[code]
    except (KeyError, TypeError):
        raise UnknownBetType(f"Type de pari inconnu : {code!s:.40}.") from None


def check_formula(bet_type: BetType, formula: str) -> None:
    if formula not in FORMULAS:
        raise UnknownFormula(f"Formule inconnue : {formula!s:.40}.")
    if formula not in bet_type.formulas:
        raise FormulaNotAllowed(
            f"La formule {formula.lower().replace('_', ' ')} n'est pas permise "
            f"pour le {bet_type.label}."
        )
