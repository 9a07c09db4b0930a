"""The operator's bet catalogue.

Values the operator publishes per race (base stake `miseBase`, which bet types
are on sale) come from the programme and always win; the constants here are
the defaults used when a programme does not say, and the rules that never
change per race. Sources and the choices made where a source is silent are in
RULES.md ("Catalogue").
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import FormulaNotAllowed, UnknownBetType, UnknownFormula

UNITAIRE = "UNITAIRE"
COMBINE = "COMBINE"
CHAMP_TOTAL = "CHAMP_TOTAL"
CHAMP_REDUIT = "CHAMP_REDUIT"
# "Formule simplifiée" (Couplé ordre, Tiercé, Quarté+, Quinté+ only): each set of horses is
# played in ONE order, the order stated on the bet, instead of every order.
COMBINE_SIMPLIFIE = "COMBINE_SIMPLIFIE"
CHAMP_TOTAL_SIMPLIFIE = "CHAMP_TOTAL_SIMPLIFIE"
CHAMP_REDUIT_SIMPLIFIE = "CHAMP_REDUIT_SIMPLIFIE"
# Multi and Mini Multi "combiné en n": every set of n of the horses named, each set one
# Multi en n unit (a combiné of 7 horses en 5 is C(7, 5) = 21 units en 5).
COMBINE_EN_5 = "COMBINE_EN_5"
COMBINE_EN_6 = "COMBINE_EN_6"
COMBINE_EN_7 = "COMBINE_EN_7"
_COMBINE_EN = {COMBINE_EN_5: 5, COMBINE_EN_6: 6, COMBINE_EN_7: 7}
FORMULAS = (UNITAIRE, COMBINE, CHAMP_TOTAL, CHAMP_REDUIT,
            COMBINE_SIMPLIFIE, CHAMP_TOTAL_SIMPLIFIE, CHAMP_REDUIT_SIMPLIFIE,
            COMBINE_EN_5, COMBINE_EN_6, COMBINE_EN_7)

# Each simplified formula and the formula of the same shape played in every order.
_EVERY_ORDER_OF = {COMBINE_SIMPLIFIE: COMBINE, CHAMP_TOTAL_SIMPLIFIE: CHAMP_TOTAL,
                   CHAMP_REDUIT_SIMPLIFIE: CHAMP_REDUIT}
SIMPLIFIED_FORMULAS = frozenset(_EVERY_ORDER_OF)

# As said to the shopkeeper and printed on the ticket.
FORMULA_LABELS = {
    UNITAIRE: "unitaire", COMBINE: "combiné",
    CHAMP_TOTAL: "champ total", CHAMP_REDUIT: "champ réduit",
    COMBINE_SIMPLIFIE: "combiné simplifié",
    CHAMP_TOTAL_SIMPLIFIE: "champ total simplifié",
    CHAMP_REDUIT_SIMPLIFIE: "champ réduit simplifié",
    COMBINE_EN_5: "combiné en 5", COMBINE_EN_6: "combiné en 6", COMBINE_EN_7: "combiné en 7",
}

# every formula played in every order
_ALL = frozenset(FORMULAS) - SIMPLIFIED_FORMULAS - frozenset(_COMBINE_EN)
# Couplé ordre (art. 45), Tiercé (66), Quarté+ (86-8), Quinté+ (95-8): every formula,
# simplified ones too
_WITH_SIMPLIFIED = frozenset(FORMULAS) - frozenset(_COMBINE_EN)
_UNIT_ONLY = frozenset({UNITAIRE})


def is_simplified(formula: str) -> bool:
    """Is this a "formule simplifiée": one stated order per set of horses?"""
    return formula in SIMPLIFIED_FORMULAS


def shape_of(formula: str) -> str:
    """The formula's shape, simplified or not: UNITAIRE, COMBINE, CHAMP_TOTAL or CHAMP_REDUIT."""
    if formula in _COMBINE_EN:
        return COMBINE
    return _EVERY_ORDER_OF.get(formula, formula)


def combined_size(formula: str) -> int | None:
    """The n of a Multi "combiné en n", else None (a combiné of `horses`)."""
    return _COMBINE_EN.get(formula)


def is_champ_total(formula: str) -> bool:
    """Is the bet completed by every running horse (its partners snapshotted at sale)?"""
    return shape_of(formula) == CHAMP_TOTAL


# Dividend kinds (CONTRACT.md `kind`).
GAGNANT = "GAGNANT"
PLACE = "PLACE"
ORDRE = "ORDRE"
DESORDRE = "DESORDRE"
BONUS4 = "BONUS4"
BONUS3 = "BONUS3"
DEUX_SUR_QUATRE = "DEUX_SUR_QUATRE"
NP = "NP"
# A short arrival of a Tiercé or Quarté+ paid on two horses, in any order (art. 68 a, 86-9 e).
DEUX_CHEVAUX = "DEUX_CHEVAUX"


def multi_kind(horses: int) -> str:
    """Kind of the Multi / Mini Multi dividend paid to a unit of `horses` horses."""
    return f"MULTI_EN_{horses}"


class PayRule(StrEnum):
    """How one strict order of arrival becomes the combinations a bet type pays.

    A bet type names its rule so that settlement reads it from the catalogue
    entry (payable.py) instead of listing bet type codes.
    """

    SET = "SET"  # the first `horses` horses in any order: Simple gagnant, Couplé gagnant, Trio…
    ORDER = "ORDER"  # the first `horses` horses in that order: Couplé ordre, Trio ordre, Super 4
    EACH = "EACH"  # each set of `horses` horses among the first `places`: Simple placé, 2 sur 4…
    TQQ = "TQQ"  # ordre, désordre and bonuses: Tiercé, Quarté+, Quinté+


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
    pays: PayRule  # which combinations a result pays (always given: no default to forget)
    max_selections: int | None = None  # Multi: a unit "en 5/6/7" names more horses than `horses`
    max_runners: int | None = None  # most declared runners for the pool to be offered
    # Fewer starters than this (declared minus non-runners) and every bet is refunded.
    void_below_starters: int = 1
    # Does a combination naming one non-runner earn an "NP" dividend instead of a refund?
    np_dividend: bool = False
    # Are coupled runners (écuries) one betting interest? Only Simple Gagnant at the PMU.
    ecurie_coupling: bool = False
    # EACH: places of the arrival read (None: `horses`). Simple placé reads 2 or 3 by
    # declared runners instead (`places_by_field`, results.places_paid_simple_place).
    places: int | None = None
    places_by_field: bool = False
    # One dividend for every payable combination, pro rata of the stakes (2 sur 4:
    # the operator publishes a single "rapport").
    common_dividend: bool = False
    # NP dividend: the running horses of a unit with one non-runner must hold the first
    # `np_places` places (Couplé gagnant: the winner, Couplé placé: one of the first three,
    # or of the first two with fewer than 8 declared runners when `np_places_by_field`).
    np_places: int = 0
    np_places_by_field: bool = False
    # Nobody backed the winning combination: pay the next one down (1st-3rd, then 2nd-3rd
    # for Couplé; 1-2-4, 1-3-4, 2-3-4 for Tiercé; Quarté+: `unbacked_sets`) before
    # refunding.
    reallocate_unbacked: bool = False
    # A champ whose bases all did not run is refunded whole, not settled unit by unit
    # (Couplé art. 43 I d, Tiercé 62 I d, Trio 70, Trio ordre 74-4 d, Quarté+ 86-4 c,
    # Quinté+ 95-4 f; 2 sur 4: our choice, RULES.md).
    champ_refunded_without_bases: bool = False
    # Tiercé, Quarté+, Quinté+, Trio, Trio ordre: a unit is refunded from this many
    # non-runners on; with fewer it earns a multiple of a bonus (tqq.np_target), a
    # rapport spécial (`np_rapports_of`) or loses.
    np_refund_from: int = 1
    # Tiercé, Trio, Trio ordre: a unit with non-runners is paid a "rapport spécial" copied
    # from another pool of the race, keyed by its number of running horses: the Simple
    # gagnant of the winner (two non-runners), the Couplé gagnant (Trio ordre: Couplé
    # ordre) of the first two (one); art. 62 I, 65, 70, 74-5.
    np_rapports_of: tuple[tuple[int, str], ...] = ()
    # Trio, Trio ordre: when the pool copied for the first two did not run or paid them no
    # rapport, the special is half the pool's own capping rapport (art. 74 c, 74-8 6);
    # otherwise (Tiercé) the minimum.
    np_half_base_without_source: bool = False
    # 2 sur 4: the stakes of units with one non-runner form their own masse, shared by
    # those whose running horse is among the first `np_places` (the "rapport spécial
    # placé", art. 53 2, published "2sur4 1 NP").
    np_own_masse: bool = False
    # Most a bettor may stake on one unit combination, in base stakes (Tiercé: 20,
    # règlement art. 60); a ticket is one bettor's, so its unit stake is capped.
    max_base_stakes_per_unit: int | None = None
    # Tiercé, Quarté+, Quinté+ with fewer horses classified than a unit names (a "short
    # arrival", payable.payables): the fewest classified it still pays (Quarté+ 2, art.
    # 86-9 e; Quinté+ 3, 95-9 3; the Tiercé none, 68 d) and, with exactly three
    # classified and nobody paid, the pairs of places paid in turn (Tiercé 1st-2nd, 68 a;
    # Quarté+ 1st-2nd, 1st-3rd, 2nd-3rd, 86-9 e).
    short_arrival_from: int | None = None
    short_pairs: tuple[tuple[int, int], ...] = ()
    # Quarté+ with its places all classified and nobody paid (no quarté, no trio): the
    # sets of places paid in turn, their horses in any order, each with the whole masse
    # (art. 86-9 d: 1st-2nd-4th, 1st-3rd-4th, 2nd-3rd-4th, then 1st-2nd, 1st-3rd,
    # 2nd-3rd); empty: the "drop a place" reallocation (`payable.reallocations`).
    unbacked_sets: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        # A simplified unit is an ordered unitaire: only an ordered bet type has one.
        if self.formulas & SIMPLIFIED_FORMULAS and not self.ordered:
            raise ValueError(f"{self.code}: formule simplifiée on an unordered bet type")

    @property
    def is_multi(self) -> bool:
        """Multi-style: a unit names up to `max_selections` horses, each size its own dividend."""
        return self.max_selections is not None

    @property
    def split_kinds(self) -> tuple[str, ...]:
        """The kinds sharing the profit by the operator's split (`Rates.splits`).

        Empty when one rule prices every winner (Multi by size, a common
        dividend); NP is a layer on top of the split, not a part of it.
        """
        if self.is_multi or self.common_dividend:
            return ()
        return tuple(k for k in self.dividend_kinds if k != NP)


def _multi_kinds(top: int) -> tuple[str, ...]:
    return tuple(multi_kind(n) for n in range(4, top + 1))


_S, _O, _E, _T = PayRule.SET, PayRule.ORDER, PayRule.EACH, PayRule.TQQ

BET_TYPES: dict[str, BetType] = {
    b.code: b
    for b in (
        BetType("SIMPLE_GAGNANT", "Simple gagnant", 1, False, _UNIT_ONLY, 200, 2, (GAGNANT,), _S,
                ecurie_coupling=True),
        BetType("SIMPLE_PLACE", "Simple placé", 1, False, _UNIT_ONLY, 200, 4, (PLACE,), _E,
                void_below_starters=4, places_by_field=True),
        BetType("COUPLE_GAGNANT", "Couplé gagnant", 2, False, _ALL, 200, 8, (GAGNANT, NP), _S,
                void_below_starters=2, np_dividend=True, np_places=1, reallocate_unbacked=True,
                max_base_stakes_per_unit=200,
                champ_refunded_without_bases=True),
        BetType("COUPLE_PLACE", "Couplé placé", 2, False, _ALL, 200, 8, (PLACE, NP), _E,
                void_below_starters=2, places=3, np_dividend=True, np_places=3,
                np_places_by_field=True,
                max_base_stakes_per_unit=200,
                champ_refunded_without_bases=True),
        BetType("COUPLE_ORDRE", "Couplé ordre", 2, True, _WITH_SIMPLIFIED, 100, 4, (ORDRE,), _O,
                max_runners=7, void_below_starters=2, reallocate_unbacked=True,
                max_base_stakes_per_unit=200,
                champ_refunded_without_bases=True),
        BetType("DEUX_SUR_QUATRE", "2 sur 4", 2, False, _ALL, 300, 10, (DEUX_SUR_QUATRE, NP),
                _E, void_below_starters=5, places=4, common_dividend=True,
                np_own_masse=True, np_places=4,
                champ_refunded_without_bases=True),
        BetType("TRIO", "Trio", 3, False, _ALL, 100, 8, (GAGNANT, NP), _S,
                void_below_starters=3, reallocate_unbacked=True, np_refund_from=3,
                np_rapports_of=((1, "SIMPLE_GAGNANT"), (2, "COUPLE_GAGNANT")),
                np_half_base_without_source=True,
                champ_refunded_without_bases=True),
        BetType("TRIO_ORDRE", "Trio ordre", 3, True, _ALL, 100, 4, (ORDRE, NP), _O,
                max_runners=7, void_below_starters=3, reallocate_unbacked=True,
                max_base_stakes_per_unit=20, np_refund_from=3,
                np_rapports_of=((1, "SIMPLE_GAGNANT"), (2, "COUPLE_ORDRE")),
                np_half_base_without_source=True,
                champ_refunded_without_bases=True),
        BetType("TIERCE", "Tiercé", 3, True, _WITH_SIMPLIFIED, 100, 8, (ORDRE, DESORDRE, NP),
                _T, void_below_starters=3, reallocate_unbacked=True,
                max_base_stakes_per_unit=20, np_refund_from=3,
                np_rapports_of=((1, "SIMPLE_GAGNANT"), (2, "COUPLE_GAGNANT")),
                champ_refunded_without_bases=True, short_pairs=((0, 1),)),
        BetType("QUARTE_PLUS", "Quarté+", 4, True, _WITH_SIMPLIFIED, 150, 8,
                (ORDRE, DESORDRE, BONUS3, NP), _T, void_below_starters=4,
                reallocate_unbacked=True, np_refund_from=2,
                champ_refunded_without_bases=True, short_arrival_from=2,
                short_pairs=((0, 1), (0, 2), (1, 2)),
                unbacked_sets=((0, 1, 3), (0, 2, 3), (1, 2, 3), (0, 1), (0, 2), (1, 2))),
        BetType("QUINTE_PLUS", "Quinté+", 5, True, _WITH_SIMPLIFIED, 200, 10,
                (ORDRE, DESORDRE, BONUS4, BONUS3, NP), _T, void_below_starters=5,
                np_refund_from=3,
                champ_refunded_without_bases=True, short_arrival_from=3),
        BetType("MULTI", "Multi", 4, False, _ALL | {COMBINE_EN_5, COMBINE_EN_6, COMBINE_EN_7},
                300, 14, _multi_kinds(7), _S,
                max_selections=7, void_below_starters=8, reallocate_unbacked=True,
                max_base_stakes_per_unit=200),
        BetType("MINI_MULTI", "Mini Multi", 4, False, _ALL | {COMBINE_EN_5, COMBINE_EN_6},
                300, 10, _multi_kinds(6), _S,
                max_selections=6, max_runners=13, void_below_starters=4),
        BetType("SUPER_QUATRE", "Super 4", 4, True, _ALL, 100, 7, (ORDRE,), _O,
                max_runners=9, void_below_starters=4, reallocate_unbacked=True),
        BetType("PICK5", "Pick 5", 5, False, _ALL, 100, 10, (GAGNANT, NP), _S,
                void_below_starters=5, np_dividend=True, np_places=5),
    )
}


# Where each cap on the base stakes of one combination comes from (règlement, 1985 numbering).
STAKE_CAP_ARTICLES = {"TIERCE": "art. 60", "COUPLE_GAGNANT": "art. 42",
                      "COUPLE_PLACE": "art. 42", "COUPLE_ORDRE": "art. 42",
                      "TRIO_ORDRE": "art. 74-2", "MULTI": "art. 89"}


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
            f"La formule {FORMULA_LABELS[formula]} n'est pas permise "
            f"pour le {bet_type.label}."
        )
