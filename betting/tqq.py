"""Tiercé, Quarté+, Quinté+: their dividends as the règlement computes them.

The 2017 annex that now holds the rules could not be read; this follows the
consolidated 1985 text (Tiercé art. 59-68, Quarté+ art. 86-1 to 86-10,
Quinté+ art. 95-1 to 95-10), kept where the newer one is unknown. RULES.md
("Quinté+, Quarté+, Tiercé") gives each rule with its article and says where
the published data of 2025-2026 shows the operator doing otherwise.

The main rapports (ordre, désordre) are computed per **combination**: the set
of horses a dead heat makes payable, with its exact permutations (one in a
normal arrival; two when two horses dead-heat first in a Tiercé, ...).

- Normal arrival: the kind's share of the masse over its stakes, no stake
  reserved (Tiercé art. 63.1, Quarté+ 86-5 I.2). The Quinté+ reserves the
  ordre and désordre stakes first and splits the profit (95-5 I.2).
- Dead heat: the stakes on every payable combination are reserved, the profit
  is cut in equal parts per combination, each part split between its exact and
  its other permutations; dividend = 1 + part / stakes (63.2, 86-5 I.4, 95-5 I.2).
  When every permutation is exact (three horses first together in a Tiercé)
  the combination has one dividend for all its orders (61 a).
- Minimum ratio ordre / désordre per combination, by its number of exact
  permutations (64, 86-6, 95-6); the Quinté+ ordre at most 120 × the désordre
  (95-7-1). Where a ratio fails, the combination's masse is shared again with
  the exact stakes counted k times.
- A désordre below the minimum dividend is paid the minimum out of the ordre's
  masse, and the ratio is then not applied (63.3, 86-5 I.3, 95-5 I.3).
- Bonuses: their share of the masse over their stakes; in a dead heat, stakes
  reserved and equal parts per combination of placed horses. The Quarté+ bonus
  is at most a quarter of each désordre (86-7); the Quinté+ Bonus 4 sur 5 at most
  each désordre (95-7 d), with one set of first horses (a dead heat for the last
  place pools every désordre combination), and never below the Bonus 3 (masses
  pooled when not).
- Quinté+: a Bonus 4 below the minimum and at most a Bonus 3 makes every bonus
  equal (95-5 II.1 b, III b, IV.4).
- A bonus whose rapport is below the minimum is paid it, and what its masse lacks
  is taken from the main masse; the bonus limits do not apply then (86-5 II.3,
  95-5 II.3, IV.3).
- Short arrivals, fewer horses classified than a unit names (86-9 e, 95-9 3, 68 a),
  and the Quarté+ sets of three then pairs when nobody won (86-9 d): the units holding
  the horses paid share the masse in any order (payable.short_shares, `_short_ratios`).
- Tiercé units with non-runners (art. 62 I, 65): the race's Simple or Couplé
  gagnant dividend, at most the Tiercé's base rapport, at least the minimum,
  paid out of the Tiercé masse before its split (specials.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import factorial
from typing import TYPE_CHECKING, Mapping

from .catalogue import BONUS3, BONUS4, DESORDRE, NP, ORDRE, BetType
from .dividends import cascade, per_euro_cents
from .payable import SHORT_KINDS, Payables, np_target
from .rates import Rates
from .results import resolutions
from .specials import special_ratios

if TYPE_CHECKING:
    from .pools import PoolResult

Combo = tuple[int, ...]
Payable = tuple[str, Combo]
MAIN = (ORDRE, DESORDRE)


@dataclass(frozen=True)
class Rules:
    reserve_normal: bool  # Quinté+: the ordre and désordre stakes are reserved in a normal arrival
    floors: Mapping[int, int]  # exact permutations of a combination -> ordre >= k x désordre
    ceiling: int | None = None  # Quinté+: ordre <= 120 x désordre
    bonus_vs_desordre: int | None = None  # désordre >= k x bonus (Quarté+ 4, Quinté+ 1)


RULES = {
    "TIERCE": Rules(False, {1: 5, 2: 2}),  # art. 64 a, b, c
    "QUARTE_PLUS": Rules(False, {1: 8, 2: 4, 4: 3, 6: 2}, bonus_vs_desordre=4),  # 86-6, 86-7
    "QUINTE_PLUS": Rules(True, {1: 50, 2: 25, 4: 12, 6: 8, 12: 4, 24: 2}, ceiling=120,
                         bonus_vs_desordre=1),  # 95-6, 95-7, 95-7-1
}


def _set(payable: Payable) -> Combo:
    return tuple(sorted(payable[1]))


def ratios(bt: BetType, pay: Payables, masse: int, won: Mapping[Payable, int],
           rates: Rates, sources: Mapping[str, "PoolResult"] | None = None
           ) -> dict[Payable, Fraction]:
    """Raw dividend per 1 € of every winning payable of a Tiercé / Quarté+ / Quinté+ pool.

    `pay` holds the pool's payables, `won` the stakes that won each. The masses
    handed out add up to `masse` exactly. `sources`: the race's other pools, settled,
    whose dividends the Tiercé's rapports spéciaux copy (specials.py).
    """
    if bt.np_rapports_of and any(p[0] == NP for p in won):
        main = {p: c for p, c in won.items() if p[0] != NP}
        return special_ratios(bt, masse, won, rates, sources or {},
                              lambda left: _ratios(bt, pay, left, main, rates))
    return _ratios(bt, pay, masse, won, rates)


def _ratios(bt: BetType, pay: Payables, masse: int, won: Mapping[Payable, int],
            rates: Rates) -> dict[Payable, Fraction]:
    if pay.short:
        return _short_ratios(bt, pay, masse, won, rates)
    rules = RULES[bt.code]
    kinds = bt.split_kinds
    shares = pay.shares
    # A unit with non-runners is paid a multiple of a bonus (payable.np_target); its
    # stake counts that many times in that bonus's stakes, so the masse still adds up.
    weighted = {p: c for p, c in won.items() if p[0] != NP}
    targets = {}
    for p, cents in won.items():
        if p[0] == NP:
            kind, combo, times = np_target(bt, p[1], pay.result)
            targets[p] = ((kind, combo), times)
            weighted[(kind, combo)] = weighted.get((kind, combo), 0) + times * cents
    staked = {k: sum(c for (kk, _), c in weighted.items() if kk == k) for k in kinds}
    split = rates.split(bt.code, kinds)
    main_won = staked[ORDRE] + staked[DESORDRE]
    # Ordre and désordre pass their shares to each other, per combination (68 a,
    # 86-9 a, 95-9); only when nobody won either do they go down to the bonuses.
    as_kinds = {k: (1 if k in MAIN and main_won else staked[k]) for k in kinds}
    share = cascade(split, kinds, as_kinds)
    main_share = share[ORDRE] + share[DESORDRE]
    out: dict[Payable, Fraction] = {}
    minimum, grid = rates.minimum(bt.code), rates.grid(bt.code)
    bonuses = [k for k in kinds if k not in MAIN and staked[k]]
    bonus_masse = {k: masse * share[k] for k in bonuses}
    for kind in bonuses:
        _bonus(kind, shares, bonus_masse[kind], weighted, out)
    # Quinté+: a Bonus 4 below the minimum and not above the Bonus 3: equal bonuses
    # (95-5 II.1 b, III b, IV.4).
    equal = _equal_bonuses(bonuses, bonus_masse, staked, out, minimum, grid)
    # A bonus below the minimum is paid it out of the main masse (86-5 II.3, 95-5 II.3).
    charged = _charge_minimum(bonuses, bonus_masse, staked, weighted, out, minimum,
                              grid) if main_won else None
    main_d: dict[Combo, tuple[Fraction, int, Fraction]] = {}  # set -> (masse, S_d, r_d)
    if main_won:
        ordre_part = share[ORDRE] / main_share if main_share else Fraction(1, 2)
        main_d = _main(rules, shares, masse * main_share - (charged or 0), weighted,
                       ordre_part, minimum, out)
    # The bonus limits do not apply after either (86-5 II.3 b, 95-5 II.1 c, II.3 c, III c).
    if charged is None and not equal:
        _bonus_limits(rules, bonuses, bonus_masse, staked, main_d, weighted, out,
                      _one_top(bt, pay))
    for p, (target, times) in targets.items():
        # "deux fois le rapport bonus": the multiple of the bonus as it is paid, rounded
        out[p] = times * Fraction(per_euro_cents(out[target], grid), 100)
    return {p: r for p, r in out.items() if p in won}


def _main(rules: Rules, shares: Mapping[Payable, Fraction], masse: Fraction,
          won: Mapping[Payable, int], ordre_part: Fraction, minimum_cents: int,
          out: dict[Payable, Fraction]) -> dict[Combo, tuple[Fraction, int, Fraction]]:
    """Ordre and désordre per combination; returns each combination's désordre figures."""
    exact: dict[Combo, int] = {}
    for (kind, combo) in shares:
        if kind == ORDRE:
            exact[tuple(sorted(combo))] = exact.get(tuple(sorted(combo)), 0) + 1
    stakes = {c: [0, 0] for c in exact}  # set -> [ordre stakes, désordre stakes]
    for p, cents in won.items():
        if p[0] in MAIN:
            stakes[_set(p)][p[0] == DESORDRE] += cents
    backed = [c for c in exact if sum(stakes[c])]
    normal = len(exact) == 1 and next(iter(exact.values())) == 1
    reserve = not normal or rules.reserve_normal
    profit = masse - sum(sum(stakes[c]) for c in backed) if reserve else masse
    part = profit / len(backed)  # an unbacked combination's part goes to the others
    figures = {}
    for combo in backed:
        s_o, s_d = stakes[combo]
        k = len(combo)
        one_rapport = exact[combo] == factorial(k)  # every order exact (61 a, 86-3 a, 95-3 a)
        share_o = Fraction(1) if one_rapport or not s_d else (0 if not s_o else ordre_part)
        base = 1 if reserve else 0
        r_o = base + part * share_o / s_o if s_o else None
        r_d = base + part * (1 - share_o) / s_d if s_d else None
        whole = part + (s_o + s_d if reserve else 0)  # this combination's masse
        if r_o is not None and r_d is not None:
            r_o, r_d = _ratio(rules, exact[combo], whole, s_o, s_d, r_o, r_d, minimum_cents)
        for (kind, c) in won:
            if kind == ORDRE and _set((kind, c)) == combo:
                out[(kind, c)] = r_o
            elif kind == DESORDRE and c == combo:
                out[(kind, c)] = r_d
        if r_d is not None:
            figures[combo] = (whole - (r_o or 0) * s_o, s_d, r_d)
    return figures


def _ratio(rules: Rules, exact: int, whole: Fraction, s_o: int, s_d: int,
           r_o: Fraction, r_d: Fraction, minimum_cents: int) -> tuple[Fraction, Fraction]:
    """Keep ordre / désordre within the règlement's ratios, or pay the désordre the minimum."""
    minimum = Fraction(minimum_cents, 100)
    if r_d < minimum:
        # 63.3, 86-5 I.3, 95-5 I.3: the désordre is paid the minimum out of the ordre's
        # masse, and no ratio is applied then.
        return (whole - minimum * s_d) / s_o, minimum
    floor = rules.floors.get(exact)
    if floor and r_o < floor * r_d:
        r_d = whole / (floor * s_o + s_d)
        if r_d < minimum:
            # the ratio would take the désordre below the minimum: 63.3 again, the
            # minimum out of the ordre's masse
            return (whole - minimum * s_d) / s_o, minimum
        return floor * r_d, r_d
    if rules.ceiling and exact == 1 and r_o > rules.ceiling * r_d:
        r_d = whole / (rules.ceiling * s_o + s_d)
        return rules.ceiling * r_d, r_d
    return r_o, r_d


def _bonus(kind: str, shares: Mapping[Payable, Fraction], masse: Fraction,
           won: Mapping[Payable, int], out: dict[Payable, Fraction]) -> None:
    """A bonus: its masse over its stakes; in a dead heat, equal parts per combination.

    The Quinté+ Bonus 4 sur 5 always has one common dividend (95-5 III).
    """
    paid = {c: cents for (k, c), cents in won.items() if k == kind}
    combos = [c for (k, c) in shares if k == kind]
    if kind == BONUS4 or len(combos) == 1:
        ratio = masse / sum(paid.values())
        for c in paid:
            out[(kind, c)] = ratio
        return
    profit = masse - sum(paid.values())
    part = profit / len(paid)
    for c, cents in paid.items():
        out[(kind, c)] = 1 + part / cents


def _charge_minimum(bonuses: list[str], masses: dict[str, Fraction],
                    staked: Mapping[str, int], won: Mapping[Payable, int],
                    out: dict[Payable, Fraction], minimum_cents: int, grid: int
                    ) -> Fraction | None:
    """A bonus whose rapport, rounded, is below the minimum: paid the minimum, and what
    its own masse lacks is taken from the main masse (returned, to be deducted from it).

    Quarté+ art. 86-5 II.3 a: "la masse à partager affectée au calcul des rapports
    quarté est obtenue en défalquant de la masse à partager totale le montant des
    paiements à 1,10 des mises bonus"; Quinté+ 95-5 II.3 a, III, IV.3 a likewise, from
    the Quinté+ masse and that bonus's. Per payable combination, its stakes counting
    the units with non-runners paid a multiple of it. Quinté+ bonuses made equal
    (`_equal_bonuses`) are charged on their pooled masses and stakes (95-5 II.3 b);
    otherwise the Bonus 4 below the Bonus 3 is pooled with it first (our floor). None
    when no bonus is below the minimum.
    """
    trial, pooled_masses = dict(out), dict(masses)
    if all(len([p for p in won if p[0] == k]) == 1 for k in bonuses if k != BONUS4):
        _bonus_floor(bonuses, pooled_masses, staked, trial)
    low = [p for p, r in trial.items()
           if p[0] in bonuses and per_euro_cents(r, grid) < minimum_cents]
    if not low:
        return None
    minimum = Fraction(minimum_cents, 100)
    out.update(trial)
    deficit = sum(((minimum - out[p]) * won[p] for p in low), Fraction(0))
    for p in low:
        out[p] = minimum
    return deficit


def _equal_bonuses(bonuses: list[str], masses: dict[str, Fraction],
                   staked: Mapping[str, int], out: dict[Payable, Fraction],
                   minimum_cents: int, grid: int) -> bool:
    """Quinté+: a Bonus 4 (sur 5) whose net rapport is below the minimum and at most a
    Bonus 3's (one of them, in a dead heat): every bonus gets one rapport, their masses
    pooled over their stakes. True when applied.

    95-5 II.1 b: "si le rapport Bonus 4 est inférieur à 1,10 EUR et, simultanément,
    inférieur ou égal aux rapports Bonus 4 sur 5 et Bonus 3 ou à l'un des deux rapports
    seulement, les calculs de répartition sont faits en sorte que les rapports nets Bonus
    4, Bonus 4 sur 5 et Bonus 3 payés aux parieurs soient égaux"; III b the same for the
    Bonus 4 sur 5 and "l'un des rapports Bonus 3 s'il y en a plusieurs"; IV.4. Here the
    Bonus 4 and Bonus 4 sur 5 are one kind (BONUS4). Article 95-7 does not apply then
    (II.1 c, III c); the minimum is charged on the pooled masses and stakes (II.3 b).
    """
    if BONUS4 not in bonuses or BONUS3 not in bonuses:
        return False
    r4 = per_euro_cents(_kind_ratio(BONUS4, out), grid)
    r3 = max(per_euro_cents(r, grid) for (k, _), r in out.items() if k == BONUS3)
    if r4 >= minimum_cents or r4 > r3:
        return False
    pooled = (masses[BONUS4] + masses[BONUS3]) / (staked[BONUS4] + staked[BONUS3])
    for kind in (BONUS4, BONUS3):
        _set_kind(kind, pooled, out)
        masses[kind] = pooled * staked[kind]
    return True


def _one_top(bt: BetType, pay: Payables) -> bool:
    """Does the arrival give one combination of the first `horses - 1` horses: the three
    of the Quarté+'s trio (86-7), the four of the Quinté+'s Bonus 4 (95-7)?"""
    depth = bt.horses - 1
    orders = resolutions(pay.result.arrival, depth)
    return len({frozenset(o) for o in orders}) == 1 and len(orders[0]) == depth


def _bonus_floor(bonuses: list[str], masses: dict[str, Fraction], staked: Mapping[str, int],
                 out: dict[Payable, Fraction]) -> None:
    """Quinté+: the Bonus 4 (sur 5) never below the Bonus 3, their masses pooled if so."""
    if BONUS4 in bonuses and BONUS3 in bonuses:
        r4, r3 = _kind_ratio(BONUS4, out), _kind_ratio(BONUS3, out)
        if r4 < r3:
            pooled = (masses[BONUS4] + masses[BONUS3]) / (staked[BONUS4] + staked[BONUS3])
            _set_kind(BONUS4, pooled, out)
            _set_kind(BONUS3, pooled, out)


def _bonus_limits(rules: Rules, bonuses: list[str], masses: dict[str, Fraction],
                  staked: Mapping[str, int], main_d: dict, won: Mapping[Payable, int],
                  out: dict[Payable, Fraction], one_top: bool) -> None:
    """Quarté+ trio <= désordre / 4 (86-7); Quinté+ Bonus 4 <= désordre (95-7 d) and
    Bonus 4 >= Bonus 3 (our floor: the operator's 1.5 of 95-7 is not in its data).

    The désordre limit holds when the arrival gives one combination of the first three
    (Quarté+) or four (Quinté+) horses (`one_top`), however many désordre combinations
    a dead heat for the last place pays: the bonus is at most 1/k of each of them. When
    it is not, the désordre masses and the bonus masse are pooled over the stakes of the
    most backed désordre combination times k times the number of désordre combinations,
    plus the bonus stakes: that is the bonus; the most backed combination is paid k times
    it, and each other one its own masse, those stakes times k times the bonus, over its
    stakes (86-7 al. 2-6; 95-7 d with k = 1). With a dead heat among those first horses
    the text sets no limit, and none is applied.
    """
    top = BONUS4 if BONUS4 in bonuses else (BONUS3 if BONUS3 in bonuses else None)
    if top is None or not main_d or rules.bonus_vs_desordre is None:
        return
    single = all(len([p for p in won if p[0] == k]) == 1 for k in bonuses if k != BONUS4)
    k = rules.bonus_vs_desordre
    r_b = _kind_ratio(top, out)
    if one_top and single and k * r_b > min(r_d for (_, _, r_d) in main_d.values()):
        most = max(s_d for (_, s_d, _) in main_d.values())
        pooled = (sum(m_d for (m_d, _, _) in main_d.values()) + masses[top]) \
            / (k * most * len(main_d) + staked[top])
        for combo, (_, s_d, _) in main_d.items():
            out[(DESORDRE, combo)] = k * most * pooled / s_d
        _set_kind(top, pooled, out)
        masses[top] = pooled * staked[top]
    if single:
        _bonus_floor(bonuses, masses, staked, out)


def _short_ratios(bt: BetType, pay: Payables, masse: int, won: Mapping[Payable, int],
                  rates: Rates) -> dict[Payable, Fraction]:
    """A short arrival (payable.short_shares): each kind paid over its stakes, no stake
    reserved (as a bonus, 86-5 II.1, 95-5).

    One kind (two or three horses classified): the whole masse (86-9 e: "la totalité de
    la masse à partager"; 95-9 3 b: "une masse à partager unique"). Quinté+ with four
    classified (95-9 3 a): the Quinté+, Bonus 4 and Bonus 4 sur 5 shares go to the four
    horses (BONUS4), the Bonus 3 keeps its own; a kind nobody won passes its share to
    the other (95-9 3 a: nobody on the four, one masse for the three; 95-9 2 e).
    """
    kinds = [k for k in SHORT_KINDS if any(p[0] == k for p in pay.shares)]
    staked = {k: sum(c for (kk, _), c in won.items() if kk == k) for k in bt.split_kinds}
    if len(kinds) == 1:
        share = {kinds[0]: Fraction(1)}
    else:
        share = cascade(rates.split(bt.code, bt.split_kinds), bt.split_kinds, staked)
    out: dict[Payable, Fraction] = {}
    for kind in kinds:
        if any(p[0] == kind for p in won):
            _bonus(kind, pay.shares, masse * share[kind], won, out)
    return out


def _kind_ratio(kind: str, out: Mapping[Payable, Fraction]) -> Fraction | None:
    return next((r for (k, _), r in out.items() if k == kind), None)


def _set_kind(kind: str, ratio: Fraction, out: dict[Payable, Fraction]) -> None:
    for p in out:
        if p[0] == kind:
            out[p] = ratio
