"""Settling a pool and valuing a ticket: the entry points the server calls.

A pool is the stakes of one bet type on one race, as a mapping from unit
combination to cents: `{(7,): 2_000, (13,): 500}` for Simple gagnant,
`{(4, 9): 300}` for Couplé (sorted), `{(13, 7, 14): 100}` for Tiercé (in the
order played). The keys are what `combinations.expand` / `bets.unit_combinations`
yield, each with the bet's unit stake; `pool_stakes` adds bets up. A Multi or
Mini Multi "en n" unit is its n-horse sorted tuple: `{(1, 2, 3, 4, 9): 300}` is
one Multi en 5 at 3 €, paid the MULTI_EN_5 dividend.

`settle_pool` applies the rules (RULES.md) in this order: void pool -> refund
of units naming a non-runner -> deduction -> stakes on payable combinations
reserved (deduction reduced if the masse cannot cover them) -> profit split
per kind and per payable combination -> dividends rounded down to 0.10 € ->
1.10 € minimum, funded by breakage then by the operator. Money is conserved
to the cent:

    total + carried_in = payouts + refunded + deduction + breakage - topup + carry_over
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterable, Mapping

from . import dividends as rule
from . import tqq
from .catalogue import NP, BetType, PayRule, get_bet_type
from .payable import Payable, Payables, canonical, payables, reallocations
from .rates import DEFAULT_RATES, Rates
from .results import OfficialResult
from .specials import special_ratios

Combo = tuple[int, ...]


@dataclass(frozen=True)
class Dividend:
    kind: str  # GAGNANT, PLACE, ORDRE, DESORDRE, BONUS4, BONUS3, MULTI_EN_5, NP, ...
    combination: Combo
    per_euro_cents: int  # paid for 1 € staked, stake included
    winning_stake_cents: int

    def to_dict(self) -> dict:
        return {"kind": self.kind, "combination": list(self.combination),
                "per_euro_cents": self.per_euro_cents,
                "winning_stake_cents": self.winning_stake_cents}


@dataclass(frozen=True)
class PoolResult:
    bet_type: str
    result: OfficialResult
    total_cents: int  # every stake in the pool
    deduction_cents: int  # kept by the operator (after any minus-pool relief)
    breakage_cents: int  # left by rounding dividends down, after funding the minimum
    refunded_cents: int
    topup_cents: int = 0  # paid by the operator to reach the minimum dividend
    carry_over_cents: int = 0  # masse kept for a later pool (nobody won)
    carried_in_cents: int = 0  # masse brought in from an earlier pool
    void: bool = False  # every bet of the pool is refunded
    dividends: tuple[Dividend, ...] = ()
    # Nobody backed the winning combination: the arrival the pool was paid on instead
    # (payable.reallocations), e.g. 1st-3rd for a Couplé.
    reallocated_arrival: tuple[tuple[int, ...], ...] | None = None

    @property
    def paying_result(self) -> OfficialResult:
        """The result tickets are valued against: the official one, or its reallocation."""
        if self.reallocated_arrival is None:
            return self.result
        return replace(self.result, arrival=self.reallocated_arrival)

    @property
    def payout_cents(self) -> int:
        return sum(rule.payout(d.per_euro_cents, d.winning_stake_cents) for d in self.dividends)

    def to_dict(self) -> dict:
        """The CONTRACT.md pool shape, plus the fields needed to rebuild it."""
        return {
            "bet_type": self.bet_type, "total_cents": self.total_cents,
            "deduction_cents": self.deduction_cents, "breakage_cents": self.breakage_cents,
            "refunded_cents": self.refunded_cents,
            "dividends": [d.to_dict() for d in self.dividends],
            "topup_cents": self.topup_cents, "carry_over_cents": self.carry_over_cents,
            "carried_in_cents": self.carried_in_cents, "void": self.void,
            "result": self.result.to_dict(),
            "reallocated_arrival": (None if self.reallocated_arrival is None
                                    else [list(p) for p in self.reallocated_arrival]),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "PoolResult":
        return cls(
            bet_type=d["bet_type"], result=OfficialResult.from_dict(d["result"]),
            total_cents=d["total_cents"], deduction_cents=d["deduction_cents"],
            breakage_cents=d["breakage_cents"], refunded_cents=d["refunded_cents"],
            topup_cents=d.get("topup_cents", 0), carry_over_cents=d.get("carry_over_cents", 0),
            carried_in_cents=d.get("carried_in_cents", 0), void=d.get("void", False),
            dividends=tuple(Dividend(x["kind"], tuple(x["combination"]), x["per_euro_cents"],
                                     x["winning_stake_cents"]) for x in d["dividends"]),
            reallocated_arrival=(None if d.get("reallocated_arrival") is None
                                 else tuple(tuple(p) for p in d["reallocated_arrival"])),
        )


@dataclass(frozen=True)
class Payout:
    amount_cents: int  # winnings, stake included
    refund_cents: int  # stakes given back (non-runner, void pool)
    kinds: tuple[str, ...]  # dividend kinds earned, best first


def pool_stakes(bet_type: str, bets: Iterable[tuple[Iterable[Combo], int]]) -> dict[Combo, int]:
    """Add bets up into a pool: each bet is (its unit combinations, its unit stake)."""
    bt = get_bet_type(bet_type)
    stakes: dict[Combo, int] = {}
    for combos, unit_stake in bets:
        for combo in combos:
            key = canonical(bt, combo)
            stakes[key] = stakes.get(key, 0) + unit_stake
    return stakes


def _check_stakes(bt: BetType, stakes: Mapping[Combo, int]) -> dict[Combo, int]:
    sizes = range(bt.horses, (bt.max_selections or bt.horses) + 1)
    out: dict[Combo, int] = {}
    for combo, cents in stakes.items():
        key = canonical(bt, tuple(combo))
        if len(key) not in sizes or len(set(key)) != len(key) or \
                isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
            raise ValueError(f"bad pool entry for {bt.code}: {combo!r}: {cents!r}")
        out[key] = out.get(key, 0) + cents
    return out


def settle_pool(bet_type: str, stakes: Mapping[Combo, int], result: OfficialResult,
                rates: Rates = DEFAULT_RATES, *, carried_in_cents: int = 0,
                refunded_whole_cents: int = 0,
                sources: Mapping[str, "PoolResult"] | None = None) -> PoolResult:
    """The dividends of one pool under the official result.

    `refunded_whole_cents`: the stakes of bets refunded whole whatever their units
    (a champ whose bases did not run, `payable.refunded_whole`), kept out of `stakes`.
    `sources`: the pools of the same race, settled, whose dividends a bet type copies
    (`BetType.np_rapports_of`: the rapports spéciaux of the Tiercé and the Trio read the
    Simple gagnant and the Couplé gagnant, the Trio ordre's the Couplé ordre); a pool
    missing there pays its copies the minimum (Trio, Trio ordre: half their own rapport
    for a Couplé, art. 74 c, 74-8 6).
    """
    bt = get_bet_type(bet_type)
    pool = _check_stakes(bt, stakes)
    if isinstance(refunded_whole_cents, bool) or not isinstance(refunded_whole_cents, int) \
            or refunded_whole_cents < 0:
        raise ValueError(f"bad refunded_whole_cents: {refunded_whole_cents!r}")
    total = sum(pool.values()) + refunded_whole_cents
    pay = payables(bt, result)
    base = dict(bet_type=bt.code, result=result, total_cents=total,
                carried_in_cents=carried_in_cents)
    refund_all = PoolResult(**base, deduction_cents=0, breakage_cents=0, refunded_cents=total,
                            carry_over_cents=carried_in_cents, void=True)
    if pay.void:
        return refund_all
    refunded = refunded_whole_cents + sum(c for k, c in pool.items() if pay.refunded(k))
    won = _winning_stakes(pay, pool)
    reallocated = None
    for other in ([] if _main(bt, won) else reallocations(bt, result)):
        alternative = payables(bt, other, result)
        won = _winning_stakes(alternative, pool)
        if _main(bt, won):
            pay, reallocated = alternative, other.arrival
            break
    base["reallocated_arrival"] = reallocated
    net = total - refunded
    # 2 sur 4 (art. 53 2): the stakes of units with a non-runner are their own masse
    np_net = sum(c for k, c in pool.items() if _own_np(bt, pay, k))
    parts = (net - np_net, np_net) if np_net else (net,)
    rate = rates.deduction_rate(bt.code)
    ded = _deduction(parts, rate)
    masse = net - ded + carried_in_cents
    if not _main(bt, won):
        # The Tiercé's and the Trio's rapports spéciaux are capped by the pool's own
        # rapport (art. 65 b): with no winner of the pool there is none, and every bet
        # is refunded (RULES.md); likewise a 2 sur 4 with no winning pair.
        return refund_all
    # What the operator may give back of its deduction, so that winners get their
    # stake and the minimum dividend: down to the floor, never below (RULES.md).
    spare = max(0, ded - _deduction(parts, min(rates.deduction_floor, rate)))
    if np_net:
        relief, raw = _own_np_ratios(parts, rate, carried_in_cents, won)
    else:
        relief, raw = rule.minus_pool_relief(masse, sum(won.values()), ded), None
    if relief > spare:
        return refund_all
    ded, masse, spare = ded - relief, masse + relief, spare - relief
    if raw is None:
        raw = _ratios(bt, pay, masse, won, rates, sources or {})
    return _publish(bt, pay, pool, won, raw, masse, spare, rates,
                    PoolResult(**base, deduction_cents=ded, breakage_cents=0,
                               refunded_cents=refunded), refund_all)


def _ratios(bt: BetType, pay: Payables, masse: int, won: dict[Payable, int], rates: Rates,
            sources: Mapping[str, "PoolResult"]) -> dict[Payable, Fraction]:
    """Every winning payable's raw dividend per 1 €, by the bet type's rule."""
    reserved = sum(won.values())
    if bt.is_multi:  # one common dividend per unit size
        return _multi_ratios(masse, won)
    if bt.common_dividend:
        return {p: Fraction(masse, reserved) for p in won}
    if bt.pays == PayRule.TQQ:
        return tqq.ratios(bt, pay, masse, won, rates, sources)
    if bt.np_rapports_of and any(p[0] == NP for p in won):
        main = _main(bt, won)
        main_reserved = sum(main.values())
        return special_ratios(bt, masse, won, rates, sources,
                              lambda left: _part_ratios(bt, pay, left - main_reserved, main,
                                                        rates))
    return _part_ratios(bt, pay, masse - reserved, won, rates)


def _main(bt: BetType, won: dict[Payable, int]) -> dict[Payable, int]:
    """The winning stakes that decide whether the pool has winners: all of them, but
    for a bet type whose NP units copy other pools' dividends (Tiercé, Trio, Trio
    ordre), which still needs winners of its own (and reallocates on them, art. 68 a,
    74 a, 74-8), and the 2 sur 4, whose NP units have their own masse."""
    if not (bt.np_rapports_of or bt.np_own_masse):
        return won
    return {p: c for p, c in won.items() if p[0] != NP}


def _own_np(bt: BetType, pay: Payables, key: Combo) -> bool:
    """Is this unit's stake in the 2 sur 4's masse of units with a non-runner?"""
    return bt.np_own_masse and not pay.refunded(key) \
        and any(h in pay.result.non_runners for h in key)


def _deduction(parts: Iterable[int], rate: Fraction) -> int:
    """The deduction on each masse of the pool, each rounded down to the cent."""
    return sum(rule.deduction(part, rate) for part in parts)


def _own_np_ratios(parts: tuple[int, int], rate: Fraction, carried_in: int,
                   won: dict[Payable, int]) -> tuple[int, dict[Payable, Fraction]]:
    """2 sur 4 in a race with non-runners: two masses, two common dividends (art. 53 2).

    The stakes of units with one non-runner, less their deduction, make the "masse à
    partager transformée", shared by those whose running horse is among the first four
    (the "rapport spécial placé"); the other stakes make the 2 sur 4 masse, shared by
    the winning pairs. Each masse covers its winners' stakes first, its deduction
    reduced as far as needed (the returned relief). When no unit with a non-runner
    won, its masse joins the 2 sur 4 masse (our choice: the text is silent).
    """
    main_net, np_net = parts
    main = {p: c for p, c in won.items() if p[0] != NP}
    np_won = {p: c for p, c in won.items() if p[0] == NP}
    masse_main = main_net - rule.deduction(main_net, rate) + carried_in
    masse_np = np_net - rule.deduction(np_net, rate)
    staked_main, staked_np = sum(main.values()), sum(np_won.values())
    relief = max(0, staked_main - masse_main)
    if staked_np:
        relief_np = max(0, staked_np - masse_np)
        raw = {p: Fraction(masse_np + relief_np, staked_np) for p in np_won}
        relief += relief_np
    else:
        masse_main += masse_np
        relief = max(0, staked_main - masse_main)
        raw = {}
    raw.update({p: Fraction(max(masse_main, staked_main), staked_main) for p in main})
    return relief, raw


def _winning_stakes(pay: Payables, pool: Mapping[Combo, int]) -> dict[Payable, int]:
    won: dict[Payable, int] = {}
    for key, cents in pool.items():
        payable = pay.classify(key)
        if payable is not None and cents:
            won[payable] = won.get(payable, 0) + cents
    return won


def _multi_ratios(masse: int, won: dict[Payable, int]) -> dict[Payable, Fraction]:
    by_size: dict[int, int] = {}
    for (kind, _), cents in won.items():
        size = int(kind.rsplit("_", 1)[1])
        by_size[size] = by_size.get(size, 0) + cents
    ratios = rule.multi_dividends(masse, by_size)
    return {p: ratios[int(p[0].rsplit("_", 1)[1])] for p in won}


def _part_ratios(bt: BetType, pay: Payables, profit: int, won: dict[Payable, int],
                 rates: Rates) -> dict[Payable, Fraction]:
    """Stakes back plus profit split: NP layer, then per kind, then per combination.

    The NP layer exists when the race has a non-runner (an "NP" rank): its share of
    the profit is spread over the winning AND the NP stakes and added to every
    dividend, even when nobody holds an NP unit (the operator's Couplé placé of
    7 July 2026 R1C8, where the three pairs are paid an equal part plus a common one).
    """
    main = {p: c for p, c in won.items() if p[0] != NP}
    np_won = {p: c for p, c in won.items() if p[0] == NP}
    layer = Fraction(0)
    if pay.np_rank:
        np_part = profit * (rates.np_share(bt.code) if main else 1)
        layer = np_part / (sum(main.values()) + sum(np_won.values()))
        profit -= np_part
    ratios = {p: 1 + layer for p in np_won}
    kinds = bt.split_kinds
    by_kind = {k: sum(c for (kk, _), c in main.items() if kk == k) for k in kinds}
    kind_share = rule.cascade(rates.split(bt.code, kinds), kinds, by_kind)
    # Ordered bets pay one dividend per set of horses, whatever the order a dead heat
    # makes exact (règlement art. 37, 44, 74-5): their payables are grouped by set.
    group = (lambda p: (p[0], tuple(sorted(p[1])))) if bt.pays == PayRule.ORDER \
        else (lambda p: p)
    staked: dict[Payable, int] = {}
    for p, cents in main.items():
        staked[group(p)] = staked.get(group(p), 0) + cents
    for kind in kinds:
        shares: dict[Payable, Fraction] = {}
        for p, s in pay.shares.items():
            if p[0] == kind:
                shares[group(p)] = shares.get(group(p), 0) + s
        for g, share in rule.renormalise(shares, staked).items():
            ratio = layer + rule.raw_dividend(profit * kind_share[kind] * share, staked[g])
            for p in main:
                if group(p) == g:
                    ratios[p] = ratio
    return ratios


def _publish(bt: BetType, pay: Payables, pool: dict[Combo, int], won: dict[Payable, int],
             raw: dict[Payable, Fraction], masse: int, spare: int, rates: Rates,
             partial: PoolResult, refund_all: PoolResult) -> PoolResult:
    """Round, apply the minimum, fund it, and list the dividends tickets are paid on.

    Raising dividends to the minimum is paid from the pool's breakage, then from
    the deduction down to its floor (`spare`); when even that cannot pay every
    winner the minimum, every bet of the pool is refunded (règlement art. 18-19).
    """
    grid_paid = paid = 0
    out: list[Dividend] = []
    minimum, grid = rates.minimum(bt.code), rates.grid(bt.code)
    for payable, ratio in raw.items():
        rounded = rule.per_euro_cents(ratio, grid)
        final = rule.apply_minimum(rounded, minimum)
        for combo, cents in _published(bt, pay, pool, payable, won[payable]):
            grid_paid += rule.payout(rounded, cents)
            paid += rule.payout(final, cents)
            out.append(Dividend(payable[0], combo, final, cents))
    funded = rule.fund_minimum(paid - grid_paid, masse - grid_paid, spare)
    if funded is None:
        return refund_all
    breakage, given_back = funded
    order = {k: i for i, k in enumerate(bt.dividend_kinds)}
    out.sort(key=lambda d: (order.get(d.kind, len(order)), d.combination))
    return replace(partial, deduction_cents=partial.deduction_cents - given_back,
                   breakage_cents=breakage, dividends=tuple(out))


def _published(bt: BetType, pay: Payables, pool: dict[Combo, int], payable: Payable,
               cents: int) -> list[tuple[Combo, int]]:
    """Simple gagnant with an écurie: the same dividend for every running member."""
    if not bt.ecurie_coupling:
        return [(payable[1], cents)]
    rep = payable[1][0]
    members = [h for h, r in pay.ecurie_of.items() if r == rep] or [rep]
    running = [h for h in sorted(members) if h not in pay.result.non_runners]
    return [((h,), pool.get((h,), 0)) for h in running]


def bet_payout(pool: PoolResult, combinations: Iterable[Combo], unit_stake_cents: int,
               base_stake_cents: int | None = None) -> Payout:
    """What one bet is worth once its pool is settled.

    `combinations` are the bet's unit combinations (bets.unit_combinations),
    each staked `unit_stake_cents`. Paid per 1 €: amount = sum of
    per_euro_cents * unit stake // 100 over the winning units.
    `base_stake_cents`, when given, is checked against the unit stake: a
    ticket staked below its base was never a valid bet.
    """
    if base_stake_cents is not None and not 0 < base_stake_cents <= unit_stake_cents:
        raise ValueError("unit stake below the base stake")
    combos = list(combinations)
    if pool.void:
        return Payout(0, unit_stake_cents * len(combos), ())
    bt = get_bet_type(pool.bet_type)
    pay = payables(bt, pool.paying_result, pool.result)
    rates = {(d.kind, d.combination): d.per_euro_cents for d in pool.dividends}
    amount = refund = 0
    kinds: set[str] = set()
    for combo in combos:
        key = canonical(bt, combo)
        if pay.refunded(key):
            refund += unit_stake_cents
            continue
        payable = pay.classify(key)
        if payable is None:
            continue
        published = key if bt.ecurie_coupling else payable[1]
        per_euro = rates.get((payable[0], published), 0)
        if per_euro:
            amount += per_euro * unit_stake_cents
            kinds.add(payable[0])
    order = {k: i for i, k in enumerate(bt.dividend_kinds)}
    return Payout(amount // 100, refund, tuple(sorted(kinds, key=lambda k: order.get(k, 99))))
