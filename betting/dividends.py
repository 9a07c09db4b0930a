"""The arithmetic of a pari-mutuel pool, one rule per function.

Amounts are integer cents; a dividend is "cents per 1 €" (per_euro_cents), so
a stake of s cents at a dividend of d is paid d * s // 100 cents. Ratios that
are not yet dividends are Fractions, never floats. Each rule has a worked
example in tests/unit/test_dividends_rules.py.
"""
from __future__ import annotations

from fractions import Fraction
from math import comb
from typing import Mapping, Sequence

ONE_EURO = 100


def deduction(net_cents: int, rate: Fraction) -> int:
    """The operator's deduction (prélèvement), rounded down to the cent.

    Taken on the stakes that are not refunded: a refunded stake pays nothing.
    10 000 c at 14 % -> 1 400 c; 999 c at 14 % -> 139 c (139.86 rounded down).
    """
    return int(net_cents * rate)  # int() of a non-negative Fraction floors


def minus_pool_relief(masse_cents: int, reserved_cents: int, deduction_cents: int) -> int:
    """How much of the deduction the operator gives back so winners get their stake.

    When the stakes on the payable combinations exceed the masse (a heavily
    backed favourite), the deduction is reduced until the masse covers them:
    the operator's rule for a negative "excédent à répartir". Never more than
    the deduction itself.
    """
    return min(max(0, reserved_cents - masse_cents), deduction_cents)


def cascade(split: Mapping[str, Fraction], kinds: Sequence[str],
            staked: Mapping[str, int]) -> dict[str, Fraction]:
    """Give the share of a kind nobody won to the next kind down that has winners.

    `kinds` is best first (ORDRE, DESORDRE, BONUS4, BONUS3). If no kind below
    has winners the share climbs to the nearest kind above that has. Kinds
    without a winning stake end with no share; the shares still sum to 1 when
    any kind has a winner.
    """
    out = {k: Fraction(split.get(k, 0)) for k in kinds}
    for i, kind in enumerate(kinds):
        if staked.get(kind, 0) > 0 or out[kind] == 0:
            continue
        lower = [k for k in kinds[i + 1:] if staked.get(k, 0) > 0]
        upper = [k for k in reversed(kinds[:i]) if staked.get(k, 0) > 0]
        heir = (lower or upper or [None])[0]
        if heir is not None:
            out[heir] += out[kind]
        out[kind] = Fraction(0)
    return out


def renormalise(shares: Mapping[object, Fraction], staked: Mapping[object, int]
                ) -> dict[object, Fraction]:
    """Share a payable combination nobody backed among the others, in proportion.

    The operator's rule for Simple placé ("le bénéfice affecté à ce cheval est
    partagé dans les mêmes proportions entre les autres chevaux payables"),
    used for every split into parts. Shares 1/3, 1/3, 1/3 with the third
    unbacked -> 1/2, 1/2.
    """
    backed = {p: s for p, s in shares.items() if staked.get(p, 0) > 0}
    total = sum(backed.values(), Fraction(0))
    return {p: s / total for p, s in backed.items()} if total else {}


def raw_dividend(part_cents: Fraction, winning_stake_cents: int) -> Fraction:
    """Stake back plus the part of the profit per unit staked: 1 + part / stake.

    The stakes on every payable combination are reserved before the profit is
    split, so a winner never gets less than its stake back from the split.
    """
    return 1 + Fraction(part_cents) / winning_stake_cents


def per_euro_cents(ratio: Fraction, grid_cents: int = 10) -> int:
    """A ratio as cents per 1 €, rounded DOWN to the grid (0.10 €).

    Ratio 3.4567 -> 340; 1.0999 -> 100. What the rounding leaves is breakage.
    """
    return int(ratio * ONE_EURO) // grid_cents * grid_cents


def apply_minimum(dividend_cents: int, minimum_cents: int = 110) -> int:
    """No dividend below the minimum (1.10 € per 1 €, a parameter of the pool: the
    operator paid 1.05 € in 2026). Who pays: `fund_minimum`."""
    return max(dividend_cents, minimum_cents)


def payout(dividend_cents: int, stake_cents: int) -> int:
    """What a stake is paid at a dividend per 1 €: 2.50 € at 3.40 -> 8.50 €."""
    return dividend_cents * stake_cents // ONE_EURO


def fund_minimum(floor_cost_cents: int, breakage_cents: int, spare_cents: int
                 ) -> tuple[int, int] | None:
    """Pay for raising dividends to the minimum: breakage first, then the deduction.

    `spare_cents` is how much of its deduction the operator may still give back
    (down to the legal floor). Returns (breakage left, deduction given back), or
    None when both together cannot pay: then every bet is refunded (règlement
    art. 18-19). Cost 50, breakage 80 -> (30, 0); cost 120, breakage 80, spare 100
    -> (0, 40); cost 120, breakage 80, spare 30 -> None.
    """
    from_breakage = min(floor_cost_cents, breakage_cents)
    rest = floor_cost_cents - from_breakage
    if rest > spare_cents:
        return None
    return breakage_cents - from_breakage, rest


def multi_dividends(masse_cents: int, stakes_by_size: Mapping[int, int], four: int = 4
                    ) -> dict[int, Fraction]:
    """Multi: one raw dividend per size n of unit, proportional to 1 / C(n, 4).

    A "Multi en n" unit covers C(n, 4) sets of four horses for one unit stake,
    so its dividend is the "en 4" dividend divided by C(n, 4) (en 5: /5, en 6:
    /15, en 7: /35), and the masse is shared pro rata of the stakes counted in
    "en 4" units. Masse 7 700, 1 000 staked en 4 and 3 500 en 7 (worth 100 en 4):
    en 4 x7, en 7 x0.2.
    """
    units = sum((Fraction(s, comb(n, four)) for n, s in stakes_by_size.items()), Fraction(0))
    if not units:
        return {}
    en_four = Fraction(masse_cents) / units
    return {n: en_four / comb(n, four) for n, s in stakes_by_size.items() if s > 0}
