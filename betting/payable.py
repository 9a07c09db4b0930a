"""Which combinations a result pays, and which dividend a unit combination earns.

Settlement (pools.py) and the valuation of one ticket (`bet_payout`) both go
through `Payables.classify`, so a ticket is always paid the dividend whose
winning stake counted its stake. Which combinations a result pays is read
from the bet type's catalogue entry (its `pays` rule, `places`, `is_multi`),
never from its code.

A payable is `(kind, combination)` with a share: the fraction of the kind's
profit it receives, averaged over the orders a dead heat allows
(results.resolutions). How a unit combination matches a payable depends on
the kind:
- ORDRE: the very tuple (order counts);
- DESORDRE: the same horses in any order;
- BONUS4 / BONUS3: the unit holds one of the sets of four of the first five
  (Quinté+ "Bonus 4 sur 5") / the first three horses;
- in a short arrival (fewer horses classified than a unit names: Quarté+ art. 86-9 e,
  Quinté+ 95-9 3, Tiercé 68 a; the Quarté+ sets paid when nobody won, 86-9 d),
  BONUS4 / BONUS3 / DEUX_CHEVAUX: the unit's running horses hold the four / three /
  two horses paid, in any order;
- MULTI_EN_n: the unit of n horses holds the first four;
- every other kind: the same sorted tuple.
A unit earns only the first kind, in the catalogue's order, that it matches.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import combinations
from typing import Callable, Iterable, Sequence

from .catalogue import (
    BET_TYPES, BONUS3, BONUS4, CHAMP_REDUIT, CHAMP_TOTAL, DESORDRE, DEUX_CHEVAUX, NP, ORDRE,
    BetType, PayRule,
    multi_kind, shape_of,
)
from .results import OfficialResult, places_paid_simple_place, resolutions

Combo = tuple[int, ...]
Payable = tuple[str, Combo]


def _srt(horses: Combo) -> Combo:
    return tuple(sorted(horses))


def _each(kind: str, combos: list[Combo]) -> list[tuple[str, Combo, Fraction]]:
    """Equal parts: one share per combination, e.g. each placed horse."""
    return [(kind, c, Fraction(1, len(combos))) for c in combos]


def _tqq(order: Combo) -> list[tuple[str, Combo, Fraction]]:
    """Tiercé, Quarté+, Quinté+: the exact order, its horses, and the bonuses.

    Quinté+ "Bonus 4 sur 5": any four of the first five (the operator publishes five
    combinations at one dividend); "Bonus 3" (Quinté+, Quarté+): the first three.
    The shares are not used: betting/tqq.py splits the masse per combination.
    """
    out = [(ORDRE, order, Fraction(1)), (DESORDRE, _srt(order), Fraction(1))]
    if len(order) == 5:
        out.extend((BONUS4, _srt(four), Fraction(1)) for four in combinations(order, 4))
    if len(order) >= 4:
        out.append((BONUS3, _srt(order[:3]), Fraction(1)))
    return out


# Payables of one strict order of arrival, per pay rule: (kind, combination, share).
_PAYS: dict[PayRule, Callable[[BetType, Combo], list[tuple[str, Combo, Fraction]]]] = {
    PayRule.SET: lambda bt, o: [(bt.dividend_kinds[0], _srt(o), Fraction(1))],
    PayRule.ORDER: lambda bt, o: [(bt.dividend_kinds[0], o, Fraction(1))],
    PayRule.EACH: lambda bt, o: _each(bt.dividend_kinds[0],
                                      [_srt(c) for c in combinations(o, bt.horses)]),
    PayRule.TQQ: lambda bt, o: _tqq(o),
}

# (places read from the arrival, payables of one strict order of arrival)
Rule = tuple[int, Callable[[Combo], list[tuple[str, Combo, Fraction]]]]


def _rule(bet_type: BetType) -> Rule:
    pays = _PAYS[bet_type.pays]
    return (bet_type.places or bet_type.horses, lambda order: pays(bet_type, order))


# Built from the catalogue at import: a bet type whose rule is unknown fails here.
_RULES: dict[str, Rule] = {code: _rule(bt) for code, bt in BET_TYPES.items()}


def canonical(bet_type: BetType, combo: Combo) -> Combo:
    """The pool key of a unit combination: sorted unless order counts."""
    return tuple(combo) if bet_type.ordered else _srt(tuple(combo))


@dataclass(frozen=True)
class Payables:
    """The payable combinations of one pool under one result."""

    bet_type: BetType
    result: OfficialResult
    shares: dict[Payable, Fraction]  # within its kind, averaged over dead-heat orders
    void: bool  # too few starters or classified horses: every bet is refunded
    ecurie_of: dict[int, int]  # Simple Gagnant: horse -> representative of its écurie
    # The official result when `result` is a reallocation (payable.reallocations): the
    # Tiercé's rapports spéciaux are read on the race as it was run.
    official: OfficialResult | None = None
    # A short arrival (`short_shares`): the horses paid, in any order, whatever the
    # unit's other horses, its non-runners included.
    short: bool = False

    def rep(self, horse: int) -> int:
        return self.ecurie_of.get(horse, horse)

    def refunded(self, key: Combo) -> bool:
        """A unit naming a non-runner is refunded, unless it may earn an NP dividend.

        A Multi unit loses its non-runners and plays on as a smaller one ("en 5" with
        a non-runner is an "en 4"), refunded only when fewer than four horses remain
        (règlement art. 91).
        """
        out = sum(1 for h in key if h in self.result.non_runners)
        if out == 0:
            return False
        if self.bet_type.pays == PayRule.TQQ or self.bet_type.np_rapports_of:
            return out >= self.bet_type.np_refund_from
        if self.bet_type.is_multi:
            return len(key) - out < self.bet_type.horses
        np_unit = self.bet_type.np_dividend or self.bet_type.np_own_masse
        return not (np_unit and out == 1 and len(key) > 1)

    def classify(self, key: Combo) -> Payable | None:
        """The payable whose dividend this unit earns, or None if it loses."""
        if self.void or self.refunded(key):
            return None
        if self.short:
            runners = tuple(h for h in key if h not in self.result.non_runners)
            if not (self.bet_type.np_rapports_of and len(runners) < len(key)):
                return self._classify_short(runners)
        if self.bet_type.is_multi:
            key = tuple(h for h in key if h not in self.result.non_runners)
        elif any(h in self.result.non_runners for h in key):
            runners = tuple(h for h in key if h not in self.result.non_runners)
            if self.bet_type.np_rapports_of:
                copied = special_source(self.bet_type, runners)
                paid = special_paid(runners, self.official or self.result, copied.ordered)
                return (NP, canonical(copied, runners)) if paid else None
            if self.bet_type.pays == PayRule.TQQ:
                target = np_target(self.bet_type, runners, self.result)
                return None if target is None else (NP, _srt(runners))
            return self._classify_np(key)
        if self.bet_type.ecurie_coupling:
            key = tuple(self.rep(h) for h in key)
        for kind in self.bet_type.dividend_kinds:
            for (k, combo) in self.shares:
                if k == kind and _matches(kind, combo, key):
                    return (kind, combo)
        return None

    def _classify_short(self, runners: Combo) -> Payable | None:
        """A short arrival: the best kind whose horses the running horses hold (the
        four classified before the first three, 95-9 3 a)."""
        for kind in SHORT_KINDS:
            for (k, combo) in self.shares:
                if k == kind and set(combo) <= set(runners):
                    return (k, combo)
        return None

    @property
    def np_rank(self) -> bool:
        """Does this pool have an NP dividend: its bet type has one and a horse did not run."""
        return self.bet_type.np_dividend and bool(self.result.non_runners)

    def _classify_np(self, key: Combo) -> Payable | None:
        """One non-runner: an NP dividend when the other horses hold the first places.

        Couplé gagnant: the other horse won (the online règlement's "1 NP" rank; the
        operator publishes "5-NP" for the winner only, never for the second).
        Couplé placé: the other horse is among the first three (the first two with
        fewer than 8 declared runners, art. 43 I c). Pick 5: the four
        others are among the first five.
        """
        runners = tuple(h for h in key if h not in self.result.non_runners)
        depth = self.bet_type.np_places
        if self.bet_type.np_places_by_field:  # Couplé placé, art. 43 I c: 2 or 3 places
            depth = places_paid_simple_place(self.result.declared_runners)
        top = {h for order in resolutions(self.result.arrival, depth)
               for h in order}
        if set(runners) <= top:
            return (NP, _srt(runners))
        return None


def refunded_whole(bet_type: BetType, formula: str, bases: Sequence[int],
                   complement: int | None, non_runners: Iterable[int]) -> bool:
    """Is this bet a champ whose bases all did not run, refunded whole?

    The règlement refunds such a formula instead of settling its units (Couplé art.
    43 I d, Tiercé 62 I d, Quarté+ 86-4 c, Quinté+ 95-4 f): a Couplé champ on a
    withdrawn base would otherwise earn NP dividends on every unit. A complément
    that ran takes the base's place first (art. 13 II), so the bet is not refunded.
    """
    out = frozenset(non_runners)
    if not bet_type.champ_refunded_without_bases or not bases \
            or shape_of(formula) not in (CHAMP_TOTAL, CHAMP_REDUIT):
        return False
    if complement is not None and complement not in out:
        return False
    return all(b in out for b in bases)


def np_target(bet_type: BetType, runners: Combo, result: OfficialResult
              ) -> tuple[str, Combo, int] | None:
    """A Quarté+ / Quinté+ unit with non-runners: the bonus it earns a multiple of.

    (kind, bonus combination, multiple), or None when it loses. Quarté+, one
    non-runner, the three others the first three: 2 x the bonus (art. 86-4). Quinté+
    (art. 95-4): two non-runners, the three others the first three: 4 x the Bonus 3;
    one non-runner, the four others among the first five: 4 x the Bonus 4 (sur 5);
    else the first three and a horse beyond the fifth: 2 x the Bonus 3. The Tiercé's
    rapports spéciaux are copied from other pools instead (`special_paid`, tqq.py).
    """
    if bet_type.pays != PayRule.TQQ or bet_type.horses < 4:
        return None
    horses = set(runners)
    firsts = {tuple(sorted(o[:3])) for o in resolutions(result.arrival, 3) if len(o) >= 3}
    fives = [set(o) for o in resolutions(result.arrival, 5) if len(o) == 5]
    missing = bet_type.horses - len(runners)
    if bet_type.horses == 4 and missing == 1 and tuple(sorted(horses)) in firsts:
        return (BONUS3, tuple(sorted(horses)), 2)
    if bet_type.horses == 5 and missing == 2 and tuple(sorted(horses)) in firsts:
        return (BONUS3, tuple(sorted(horses)), 4)
    if bet_type.horses == 5 and missing == 1:
        if any(horses <= five for five in fives):
            return (BONUS4, tuple(sorted(horses)), 4)
        placed = set().union(*fives) if fives else set()
        for three in firsts:
            if set(three) <= horses and not (horses - set(three)) & placed:
                return (BONUS3, three, 2)
    return None


def special_source(bet_type: BetType, runners: Combo) -> BetType:
    """The bet type whose rapport a unit with these running horses copies
    (`BetType.np_rapports_of`): the Simple gagnant for one, the Couplé for two."""
    code = dict(bet_type.np_rapports_of).get(len(runners))
    return BET_TYPES[code] if code else bet_type


def special_paid(runners: Combo, result: OfficialResult, ordered: bool = False) -> bool:
    """A Tiercé, Trio or Trio ordre unit with non-runners: does it earn a rapport spécial?

    One non-runner: treated as a Couplé gagnant on the two others, paid if they
    finished first and second in either order (art. 62 I c, 70); Trio ordre (`ordered`):
    a Couplé ordre, paid if the first of the two in the unit finished first (74-5,
    74-8 4: never with the third). Two: a Simple gagnant on the third horse, paid if
    it finished first (62 I b), the horse itself, never one coupled with the winner. A
    dead heat pays every set its orders allow. Three: refunded (62 I a), never asked
    here. Any other unit with a non-runner loses.
    """
    if not runners or len(runners) > 2:
        return False
    firsts = [order[:len(runners)] for order in resolutions(result.arrival, len(runners))
              if len(order) == len(runners)]
    if ordered:
        return tuple(runners) in firsts
    return tuple(sorted(runners)) in {tuple(sorted(o)) for o in firsts}


# The kinds of a short arrival, best first.
SHORT_KINDS = (BONUS4, BONUS3, DEUX_CHEVAUX)


def short_shares(result: OfficialResult) -> dict[Payable, Fraction]:
    """The payables of a Tiercé, Quarté+ or Quinté+ short arrival, by horses classified.

    Two: the pair, in any order (Quarté+ art. 86-9 e; a Tiercé or Quarté+ paid on a
    pair of its three classified, 68 a, 86-9 e, is a result of two, `reallocations`).
    Three: the three, in any order, one masse (86-9 e, 95-9 3 b), published BONUS3.
    A Quarté+ nobody won is paid on such results of three, then two, of its first four
    (86-9 d, `reallocations`).
    Four (Quinté+, 95-9 3 a): the four, in any order (BONUS4, the Quinté+, Bonus 4 and
    Bonus 4 sur 5 masses together), and the first three as the Bonus 3 (its own masse;
    equal parts per set of three in a dead heat, as its usual rule).
    """
    horses = _srt(tuple(h for place in result.arrival for h in place))
    if len(horses) == 2:
        return {(DEUX_CHEVAUX, horses): Fraction(1)}
    if len(horses) == 3:
        return {(BONUS3, horses): Fraction(1)}
    shares: dict[Payable, Fraction] = {(BONUS4, horses): Fraction(1)}
    orders = resolutions(result.arrival, 3)
    for order in orders:
        key = (BONUS3, _srt(order))
        shares[key] = shares.get(key, 0) + Fraction(1, len(orders))
    return shares


def _short(bet_type: BetType, result: OfficialResult,
           official: OfficialResult | None) -> bool | None:
    """Is this a short arrival of a Tiercé, Quarté+ or Quinté+: True when it pays, None
    when too few horses are classified even for that (every bet refunded), False when
    the arrival is not short. A result of two horses taken from an official one of three
    is the pair paid when nobody won (`BetType.short_pairs`)."""
    if bet_type.pays != PayRule.TQQ or result.classified >= bet_type.horses:
        return False
    least = bet_type.short_arrival_from
    if bet_type.short_pairs and official is not None and official.classified == 3:
        least = 2
    return True if least is not None and result.classified >= least else None


def _set_steps(result: OfficialResult, sets: Sequence[Sequence[int]]) -> list[OfficialResult]:
    """A result per set of places (0 first), in turn, each of the horses at those places
    only: a short arrival, paid in any order (`short_shares`). A set a dead heat leaves
    undecided ends the list (refund, as for the other reallocations in a dead heat)."""
    steps = []
    for places in sets:
        horses = _decided(result.arrival, places)
        if horses is None:
            break
        kept = (tuple(h for h in place if h in horses) for place in result.arrival)
        steps.append(replace(result, arrival=tuple(p for p in kept if p)))
    return steps


def _decided(arrival: Sequence[Sequence[int]], places: Sequence[int]) -> Combo | None:
    """The horses at these places (0 first), when every order a dead heat allows puts
    the same horses there; None otherwise."""
    depth = max(places) + 1
    orders = resolutions(arrival, depth)
    sets = {frozenset(o[i] for i in places) for o in orders if len(o) == depth}
    if len(sets) != 1 or any(len(o) < depth for o in orders):
        return None
    return _srt(tuple(next(iter(sets))))


def _matches(kind: str, combo: Combo, key: Combo) -> bool:
    if kind == ORDRE:
        return key == combo
    if kind == DESORDRE:
        return _srt(key) == combo
    if kind in (BONUS4, BONUS3):
        return set(combo) <= set(key)
    if kind.startswith("MULTI_EN_"):
        return len(key) == int(kind.rsplit("_", 1)[1]) and set(combo) <= set(key)
    return _srt(key) == combo


def payables(bet_type: BetType, result: OfficialResult,
             official: OfficialResult | None = None) -> Payables:
    """Apply the bet type's rule to every order the dead heats allow, and average.

    `official`: the race's result when `result` is a reallocation of it.
    """
    depth, rule = _RULES[bet_type.code]
    if bet_type.places_by_field:
        depth = places_paid_simple_place(result.declared_runners)
    orders = resolutions(result.arrival, depth)
    short = _short(bet_type, result, official)
    void = (result.starters < bet_type.void_below_starters or short is None
            or (not short and len(orders[0]) < bet_type.horses))  # too few classified
    shares: dict[Payable, Fraction] = {}
    if short and not void:
        shares = short_shares(result)
    elif not void:
        for order in orders:
            for kind, combo, share in rule(order):
                shares[(kind, combo)] = shares.get((kind, combo), 0) + share / len(orders)
    if bet_type.is_multi:
        shares = {(multi_kind(n), c): s for (_, c), s in shares.items()
                  for n in range(4, (bet_type.max_selections or 4) + 1)}
    ecurie_of: dict[int, int] = {}
    if bet_type.ecurie_coupling:
        # Each horse gets its part as if alone, then the parts of an écurie's horses are
        # added together (règlement art. 27 2.a): a dead heat for first between two
        # coupled horses and a third gives the écurie two thirds, the third horse one.
        ecurie_of = {h: min(group) for group in result.coupled for h in group}
        coupled: dict[Payable, Fraction] = {}
        for (kind, combo), share in shares.items():
            key = (kind, tuple(ecurie_of.get(h, h) for h in combo))
            coupled[key] = coupled.get(key, 0) + share
        shares = coupled
    return Payables(bet_type, result, shares, void, ecurie_of, official, bool(short))


def reallocations(bet_type: BetType, result: OfficialResult) -> list[OfficialResult]:
    """The results that pay, in turn, when nobody backed the winning combination.

    The place just behind the paid ones moves up in place of each paid place, the last
    first: Couplé 1st-3rd then 2nd-3rd (règlement art. 48); Tiercé 1-2-4, 1-3-4, 2-3-4
    (art. 68); Multi 1-2-3-5, 1-2-4-5, 1-3-4-5, 2-3-4-5 (art. 94). An ordered bet first
    tries other orders of the same horses: Couplé ordre 2-1, then 1-3, 3-1, 2-3, 3-2
    (art. 40 b); Trio ordre 1-3-2, 3-2-1, 2-1-3 (art. 74-8). With a dead heat among the
    places read, the règlement has a rule per case (art. 48 2 B); only "refund" is
    modelled there: no reallocation. With only three horses classified, the Tiercé and
    the Quarté+ are paid on pairs instead (`BetType.short_pairs`, art. 68 a, 86-9 e).
    The Quarté+ with its four places classified is paid on sets of three, then pairs, in
    any order (`BetType.unbacked_sets`, art. 86-9 d).
    """
    if not bet_type.reallocate_unbacked:
        return []
    arrival = result.arrival
    if bet_type.short_pairs and bet_type.pays == PayRule.TQQ and result.classified == 3:
        # Three horses classified and nobody paid: the pairs, in turn (Tiercé art. 68 a,
        # Quarté+ 86-9 e).
        return _set_steps(result, bet_type.short_pairs)
    depth = bet_type.places or bet_type.horses
    if bet_type.unbacked_sets and result.classified >= depth:
        # Quarté+, nobody on the quarté nor the trio (86-9 d): 1-2-4, 1-3-4, 2-3-4, then
        # 1-2, 1-3, 2-3, each paid in any order with the whole masse.
        return _set_steps(result, bet_type.unbacked_sets)
    if len(arrival) <= depth or any(len(place) > 1 for place in arrival[:depth + 1]):
        return []
    order = tuple(place[0] for place in arrival)
    if bet_type.pays == PayRule.ORDER and depth in (2, 3):
        a, b, c = order[:3]
        tries = ([(b, a), (a, c), (c, a), (b, c), (c, b)] if depth == 2
                 else [(a, c, b), (c, b, a), (b, a, c)])
        # the horses not named keep their order behind: they are not paid anyway
        return [replace(result, arrival=tuple((h,) for h in t)
                        + tuple((h,) for h in order if h not in t)) for t in tries]
    # the horse left out is out of the arrival: the one behind takes its place
    return [replace(result, arrival=arrival[:j] + arrival[j + 1:])
            for j in range(depth - 1, -1, -1)]
