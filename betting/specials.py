"""Rapports spéciaux: units with non-runners paid a rapport copied from another pool.

The Tiercé (règlement art. 62 I, 65), the Trio (art. 70, which applies 62 to 68 to
it, and 74 c) and the Trio ordre (art. 74-5, 74-8) treat a unit with non-runners as
a bet on its running horses: two non-runners, a Simple gagnant on the third horse;
one, a Couplé gagnant (Trio ordre: Couplé ordre) on the other two. Such a unit is
paid the race's own rapport for that bet (`sources`, the race's pools settled
first), never more than the pool's own rapport for the same horses, never below the
minimum, and out of the pool's masse: the special payouts are reserved and the rest
is split by the pool's usual rule (`main`). RULES.md gives the details and choices.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Callable, Mapping

from .catalogue import DESORDRE, NP, BetType
from .dividends import apply_minimum, payout, per_euro_cents
from .payable import canonical, special_source
from .rates import Rates

if TYPE_CHECKING:
    from .pools import PoolResult

Combo = tuple[int, ...]
Payable = tuple[str, Combo]
# The pool's usual split of a masse (cents) over its own winners: raw ratios per 1 €.
MainRatios = Callable[[int], dict[Payable, Fraction]]


def special_ratios(bt: BetType, masse: int, won: Mapping[Payable, int], rates: Rates,
                   sources: Mapping[str, "PoolResult"], main: MainRatios
                   ) -> dict[Payable, Fraction]:
    """Every winning payable's raw ratio, the special units' (NP) included.

    A special unit is paid the copied dividend (65 a, c), at most the pool's rapport
    for the same horses (`cap`: 65 b, d), at least the minimum, also when the copied
    pool refunded or is missing (65 e), on the pool's grid. Where the copied pool did
    not run or paid the first two no rapport, a Trio or Trio ordre pays half the
    capping rapport instead (74 c, 74-8 6). The base rapport depends on what is
    reserved: the special rapports are the largest found, by iteration, that do not
    exceed it once they are reserved (more special stakes, less for the others).
    """
    minimum, grid = rates.minimum(bt.code), rates.grid(bt.code)
    paid_np = {p: c for p, c in won.items() if p[0] == NP}
    copied = {p: _copied(bt, p[1], sources) for p in paid_np}

    def rest(reserved: int) -> dict[Payable, Fraction]:
        return main(max(0, masse - reserved))

    def capped(raw: Mapping[Payable, Fraction]) -> dict[Payable, int]:
        bases = base_rapports(raw, minimum, grid)
        out = {}
        for p in paid_np:
            top = cap(p[1], bases)
            if copied[p] is not None:
                rapport = min(top, copied[p])
            elif bt.np_half_base_without_source and len(p[1]) == 2:
                rapport = top // 2  # 74 c, 74-8 6
            else:
                rapport = minimum  # nothing to copy: the minimum (65 e)
            out[p] = max(minimum, rapport // grid * grid)
        return out

    def cost(rapports: Mapping[Payable, int]) -> int:
        return sum(payout(rapports[p], paid_np[p]) for p in paid_np)

    # More reserved, lower caps, lower special rapports: T(s) = capped(rest(cost(s)))
    # is antitone, so from s = 0 its even iterates rise and never exceed the caps they
    # leave (s <= T(s)), its odd ones fall; stop when the even ones stand still.
    safe = capped(rest(cost(capped(rest(0)))))
    for _ in range(64):
        following = capped(rest(cost(capped(rest(cost(safe))))))
        if following == safe:
            break
        safe = following
    raw = rest(cost(safe))
    raw.update({p: Fraction(r, 100) for p, r in safe.items()})
    return raw


def base_rapports(raw: Mapping[Payable, Fraction], minimum: int, grid: int
                  ) -> dict[Combo, int]:
    """The pool's net rapport per set of horses, as published: what a special caps by.

    Trio: its one rapport; Trio ordre: its ordre rapport (the smallest of a set's
    orders in a dead heat). Tiercé, our reading of "rapport de base": the désordre of
    the combination (the smaller rapport, art. 64); where nobody won its désordre, its
    ordre (the smallest, in a dead heat), the only Tiercé rapport it has.
    """
    desordre: dict[Combo, int] = {}
    other: dict[Combo, int] = {}
    for (kind, combo), ratio in raw.items():
        paid = apply_minimum(per_euro_cents(ratio, grid), minimum)
        horses = tuple(sorted(combo))
        if kind == DESORDRE:
            desordre[horses] = paid
        elif kind != NP:
            other[horses] = min(paid, other.get(horses, paid))
    return {**other, **desordre}


def cap(runners: Combo, bases: Mapping[Combo, int]) -> int:
    """Art. 65 b, d (74 c, 74-8 6 for the halves): the smallest base rapport of a set
    holding every running horse, else the largest of one holding any of them, else the
    largest."""
    every = [r for c, r in bases.items() if set(runners) <= set(c)]
    if every:
        return min(every)
    some = [r for c, r in bases.items() if set(runners) & set(c)]
    return max(some or bases.values())


def _copied(bt: BetType, runners: Combo, sources: Mapping[str, "PoolResult"]) -> int | None:
    """The dividend per 1 € a unit with these running horses copies, or None when the
    pool it copies is missing, void, or paid no such combination."""
    source_type = special_source(bt, runners)
    source = sources.get(source_type.code) if source_type is not bt else None
    if source is None or source.void:
        return None
    kind = source_type.dividend_kinds[0]
    key = canonical(source_type, runners)
    return next((d.per_euro_cents for d in source.dividends
                 if d.kind == kind and tuple(d.combination) == key), None)
