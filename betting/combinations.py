"""A bet's unit combinations: how many, and which.

Counting uses closed formulas so that a wide champ costs nothing to price;
`expand` yields the same combinations one by one (tests check they agree).
The count is the multiplier of the unit stake: total = count x unit stake.

Conventions for the fields of a bet:
- UNITAIRE: `selections` holds exactly the horses of one combination, in the
  order played when order counts. Multi and Mini Multi take 4 up to
  `max_selections` horses: a "Multi en 5" unitaire names 5 horses, is ONE
  unit combination (one 5-horse tuple, priced at one unit stake, as the
  operator's rules fix "un seul et même enjeu minimum" whatever the number of
  horses) and is paid the MULTI_EN_5 dividend.
- COMBINE: `selections` holds more horses than one combination needs; every
  subset (every arrangement when order counts) is played. For Multi and Mini
  Multi the subsets are of 4 horses ("en 4"); COMBINE_EN_5, _6, _7 (Multi, and
  Mini Multi up to 6) play every subset of 5, 6 or 7 horses, each one Multi en n
  unit: 7 horses en 5 are C(7, 5) = 21 units, each paid the MULTI_EN_5 dividend.
- CHAMP_TOTAL: `bases` holds the base horses, completed by every other
  running horse of the race; `selections` is empty.
- CHAMP_REDUIT: `bases` holds the base horses, completed by the horses in
  `selections` only.

Ordered bet types (Couplé ordre, Trio ordre, Tiercé, Quarté+, Quinté+,
Super 4) in COMBINE and CHAMP formulas are played "dans tous les ordres":
every arrangement of every set is a unit combination, the bases taking any
place. A combiné of n horses is n!/(n-k)! units; a champ with b bases and m
partners is C(m, k-b) x k! units (the operator's rules: a Tiercé champ total
of two bases in an N-runner race is 6 x (N-2) units).

Couplé ordre, Tiercé, Quarté+ and Quinté+ are also sold in "formule simplifiée"
(the catalogue refuses it for every other bet type), each set played in one
order:
- COMBINE_SIMPLIFIE: every set of k horses, its horses in the order they have
  in `selections` (the order stated by the bettor): C(n, k) units, against
  n!/(n-k)! in every order (a 7-horse Quinté+: 21 units against 2,520).
- CHAMP_TOTAL_SIMPLIFIE, CHAMP_REDUIT_SIMPLIFIE: the bases take the first b
  places in their order in `bases`, the partners fill the k-b places left in
  every order: m!/(m-k+b)! units (a Tiercé champ total of two bases in an
  N-runner race: N-2 units). The operator's rules let the bettor put the
  bases at any stated places; a bet here carries no field for those places,
  so the bases always come first.
A simplified unit combination is an ordered tuple like a unitaire's and is
settled as one: ordre when it is the exact arrival, désordre (or a bonus)
otherwise. See RULES.md.

Unit combinations of unordered bet types are sorted tuples; of ordered bet
types, tuples in the order of arrival played.
"""
from __future__ import annotations

from itertools import combinations, permutations
from math import comb, factorial, perm
from typing import Iterator, Sequence

from .catalogue import (
    CHAMP_TOTAL, COMBINE, UNITAIRE, BetType, check_formula, combined_size, is_simplified,
    shape_of,
)
from .errors import DuplicateRunner, MissingBase, WrongSelectionCount


def check_shape(
    bet_type: BetType, formula: str, selections: Sequence[int], bases: Sequence[int],
    running: Sequence[int],
) -> None:
    """Raise the domain error that explains why this bet cannot be played."""
    check_formula(bet_type, formula)
    shape = shape_of(formula)
    k = bet_type.horses
    chosen = list(bases) + list(selections)
    if len(set(chosen)) != len(chosen):
        raise DuplicateRunner()
    if shape == UNITAIRE:
        top = bet_type.max_selections or k
        if bases or not (k <= len(selections) <= top):
            want = f"{k}" if top == k else f"de {k} à {top}"
            horses = "cheval" if top == 1 else "chevaux"
            raise WrongSelectionCount(
                f"Le {bet_type.label} unitaire se joue avec {want} {horses}."
            )
    elif shape == COMBINE:
        size = combined_size(formula)
        if size is not None:  # Multi combiné en n: more than n horses
            k = size
        if bases or len(selections) <= k:
            en = f" en {size}" if size else ""
            raise WrongSelectionCount(
                f"Le {bet_type.label} combiné{en} demande plus de {k} chevaux."
            )
    else:
        if not bases:
            raise MissingBase()
        if len(bases) >= k:
            raise WrongSelectionCount(
                f"Un champ de {bet_type.label} prend au plus {k - 1} base(s)."
            )
        if shape == CHAMP_TOTAL and selections:
            raise WrongSelectionCount("Un champ total ne prend que des bases.")
        partners = _partners(formula, selections, bases, running)
        if len(partners) < k - len(bases):
            raise WrongSelectionCount("Pas assez de chevaux associés aux bases pour ce champ.")


def _partners(formula: str, selections: Sequence[int], bases: Sequence[int],
              running: Sequence[int]) -> list[int]:
    if shape_of(formula) == CHAMP_TOTAL:
        excluded = set(bases)
        return [n for n in running if n not in excluded]
    return list(selections)


def count_combinations(
    bet_type: BetType, formula: str, selections: Sequence[int], bases: Sequence[int],
    running: Sequence[int],
) -> int:
    """Number of unit combinations played (the multiplier of the unit stake)."""
    check_shape(bet_type, formula, selections, bases, running)
    k = bet_type.horses
    shape, simplified = shape_of(formula), is_simplified(formula)
    if shape == UNITAIRE:
        return 1
    if shape == COMBINE:
        n = len(selections)
        k = combined_size(formula) or k
        return perm(n, k) if bet_type.ordered and not simplified else comb(n, k)
    m = len(_partners(formula, selections, bases, running))
    if simplified:  # bases in their places, the partners in every order after them
        return perm(m, k - len(bases))
    sets = comb(m, k - len(bases))
    return sets * factorial(k) if bet_type.ordered else sets


def expand(
    bet_type: BetType, formula: str, selections: Sequence[int], bases: Sequence[int],
    running: Sequence[int],
) -> Iterator[tuple[int, ...]]:
    """Every unit combination, sorted for unordered bet types."""
    check_shape(bet_type, formula, selections, bases, running)
    k = bet_type.horses
    shape, simplified = shape_of(formula), is_simplified(formula)
    if shape == UNITAIRE:
        yield tuple(selections) if bet_type.ordered else tuple(sorted(selections))
        return
    if shape == COMBINE:
        k = combined_size(formula) or k
        if simplified:  # combinations() keeps the stated order within each set
            yield from combinations(selections, k)
        elif bet_type.ordered:
            yield from permutations(selections, k)
        else:
            yield from combinations(sorted(selections), k)
        return
    partners = _partners(formula, selections, bases, running)
    if simplified:
        for rest in permutations(partners, k - len(bases)):
            yield tuple(bases) + rest
        return
    for rest in combinations(partners, k - len(bases)):
        horses = tuple(bases) + rest
        if bet_type.ordered:
            yield from permutations(horses, k)
        else:
            yield tuple(sorted(horses))
