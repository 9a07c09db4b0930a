"""The "cheval de complément": a horse that takes a withdrawn horse's place.

Règlement, art. 13 II (arrêté du 20 février 2003): at a connected point of
sale the bettor may name one extra horse, on the bet types whose offer allows
it (`Offer.complement`, from the operator's programme). It costs nothing: the
bet keeps its units and its price. If a horse of the bet is withdrawn after
the sale, the complément completes the bet; art. 13 I then has every bet with
a non-runner executed under its bet type's own rules "après prise en compte,
le cas échéant, du cheval de complément".

How it completes the bet is our reading (the text we hold stops short; the
operator's public explanation calls it a "poussette"): in every unit
combination that names a non-runner, the non-runner is taken out, the horses
after it move up one place, and the complément goes LAST. So:

- one complément replaces one non-runner per unit: the first one in the
  unit's order; a second non-runner in the same unit stays, and the ordinary
  rules apply to it (refund, or the NP dividends of the bet type);
- a complément that is itself a non-runner replaces nothing;
- a unit that already holds the complément is left as it is (two places for
  one horse is no combination); the sale refuses a complément the bet plays,
  so only a bet sold before its rules changed could meet this.

Worked example, a Tiercé sold 4-7-2 with complément 9, horse 7 withdrawn:
the unit (4, 7, 2) becomes (4, 2, 9): 4 stays first, 2 moves up from third
to second, 9 is third. Paid ORDRE if the arrival is 4-2-9, DESORDRE for the
same three in another order. The same bet with 7 and 2 withdrawn becomes
(4, 2, 9) with 2 still a non-runner: the Tiercé's non-runner rule applies.

Pure: the caller (server/services/settlement.py and payouts.py) applies it to
a bet's unit combinations before they are added to a pool or valued.
"""
from __future__ import annotations

from typing import AbstractSet, Iterable

Combo = tuple[int, ...]


def complete_unit(combo: Combo, complement: int | None,
                  non_runners: AbstractSet[int]) -> Combo:
    """One unit combination with its first non-runner replaced by the complément."""
    if complement is None or complement in non_runners or complement in combo:
        return combo
    for i, horse in enumerate(combo):
        if horse in non_runners:
            return combo[:i] + combo[i + 1:] + (complement,)
    return combo


def with_complement(combos: Iterable[Combo], complement: int | None,
                    non_runners: Iterable[int]) -> list[Combo]:
    """A bet's unit combinations once its complément has replaced its non-runners.

    Same number of units, in the same order; without a complément, or without
    a non-runner among a unit's horses, a unit is unchanged. For an unordered
    bet type the replaced unit is sorted again where it is used
    (`payable.canonical`).

    >>> with_complement([(4, 7, 2)], 9, {7})
    [(4, 2, 9)]
    >>> with_complement([(4, 7, 2), (4, 2, 7), (2, 4, 5)], 9, {7})
    [(4, 2, 9), (4, 2, 9), (2, 4, 5)]
    >>> with_complement([(4, 7, 2)], 9, {7, 9})  # the complément withdrawn too
    [(4, 7, 2)]
    >>> with_complement([(4, 7, 2)], 9, {7, 2})  # one complément, one non-runner
    [(4, 2, 9)]
    """
    units = list(combos)
    if complement is None:
        return units
    withdrawn = frozenset(non_runners)
    if not withdrawn or complement in withdrawn:
        return units
    return [complete_unit(combo, complement, withdrawn) for combo in units]
