"""Properties of pools and combinations over random races (Hypothesis)."""
from fractions import Fraction

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from betting.catalogue import BET_TYPES, FORMULAS
from betting.combinations import count_combinations, expand
from betting.errors import BettingError
from betting import specials, tqq
from betting.payable import canonical
from betting.pools import PoolResult, bet_payout, settle_pool
from betting.rates import Rates
from betting.results import OfficialResult, make_result, resolutions

FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@st.composite
def races(draw):
    code = draw(st.sampled_from(sorted(BET_TYPES)))
    bt = BET_TYPES[code]
    declared = draw(st.integers(max(4, bt.horses), 16))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), max_size=3, unique=True))
    order = draw(st.permutations([h for h in horses if h not in non_runners]))
    order = order[:draw(st.one_of(st.just(len(order)), st.integers(0, len(order))))]
    arrival, i = [], 0
    while i < len(order):
        size = draw(st.sampled_from([1] * 8 + [2, 3]))
        arrival.append(order[i:i + size])
        i += size
    coupled = draw(st.lists(st.lists(st.sampled_from(horses), min_size=2, max_size=3,
                                     unique=True), max_size=1))
    result = make_result(arrival, declared, non_runners, coupled)
    sizes = [n for n in range(bt.horses, (bt.max_selections or bt.horses) + 1) if n <= declared]
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(0, 14))):
        size = draw(st.sampled_from(sizes))
        if len(order) >= size and draw(st.booleans()):  # near the arrival: winners happen
            key = tuple(draw(st.permutations(order[:size + 1]))[:size])
        else:
            key = tuple(draw(st.lists(st.sampled_from(horses), min_size=size, max_size=size,
                                      unique=True)))
        key = canonical(bt, key)
        stakes[key] = stakes.get(key, 0) + 10 * draw(st.integers(1, 500))
    rate = draw(st.sampled_from([Fraction(0), Fraction(139, 1000), Fraction(35, 100),
                                 Fraction(9, 10)]))
    rates = Rates(deductions={c: rate for c in BET_TYPES})
    carried_in = draw(st.sampled_from([0, 0, 0, 12_340]))
    return code, stakes, result, rates, carried_in


@FAST
@given(races())
def test_money_is_conserved_to_the_cent(race):
    code, stakes, result, rates, carried_in = race
    pool = settle_pool(code, stakes, result, rates, carried_in_cents=carried_in)
    assert pool.total_cents == sum(stakes.values())
    assert pool.total_cents + carried_in == (
        pool.payout_cents + pool.refunded_cents + pool.deduction_cents + pool.breakage_cents
        - pool.topup_cents + pool.carry_over_cents)
    assert min(pool.deduction_cents, pool.breakage_cents, pool.topup_cents,
               pool.refunded_cents, pool.carry_over_cents) >= 0


@FAST
@given(races())
def test_no_dividend_below_one_ten_or_off_the_ten_cent_grid(race):
    code, stakes, result, rates, carried_in = race
    pool = settle_pool(code, stakes, result, rates, carried_in_cents=carried_in)
    for d in pool.dividends:
        assert d.per_euro_cents >= 110 and d.per_euro_cents % 10 == 0


@FAST
@given(races())
def test_tickets_are_paid_exactly_what_the_pool_pays_out(race):
    code, stakes, result, rates, carried_in = race
    pool = settle_pool(code, stakes, result, rates, carried_in_cents=carried_in)
    payouts = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in payouts) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts) == pool.refunded_cents


@FAST
@given(races())
def test_pool_result_survives_a_round_trip_through_json_shape(race):
    code, stakes, result, rates, carried_in = race
    pool = settle_pool(code, stakes, result, rates, carried_in_cents=carried_in)
    assert PoolResult.from_dict(pool.to_dict()) == pool


@FAST
@given(races())
@example(race=(  # found by this property: 63.3, then the bonus limit, then the bonus minimum
    "QUARTE_PLUS",
    {(1, 2, 3, 4): 90, (6, 4, 2, 3): 30, (1, 2, 5, 3): 10, (2, 3, 6, 1): 110,
     (1, 3, 6, 2): 270, (6, 5, 4, 1): 230, (4, 1, 2, 3): 180},
    OfficialResult(arrival=((2,), (3,), (6,), (1,), (4,), (5,)), declared_runners=6,
                   non_runners=frozenset(), coupled=(), cancelled=False),
    Rates(deductions={c: Fraction(9, 10) for c in BET_TYPES}), 0))
def test_tierce_quarte_quinte_keep_the_reglement_ratios_in_a_normal_arrival(race):
    """One combination paid: ordre >= k x désordre (Tiercé 5, Quarté+ 8, Quinté+ 50) and
    the Quinté+ ordre <= 120 x désordre, on the raw values, unless the désordre was paid
    the minimum out of the ordre's masse (art. 63.3); rounding each side down keeps the
    floor within one grid step."""
    code, stakes, result, rates, carried_in = race
    if code not in tqq.RULES:
        return
    pool = settle_pool(code, stakes, result, rates, carried_in_cents=carried_in)
    by_kind: dict[str, set] = {}
    for d in pool.dividends:
        by_kind.setdefault(d.kind, set()).add(d.per_euro_cents)
    rules = tqq.RULES[code]
    if pool.reallocated_arrival or len(by_kind.get("DESORDRE", ())) != 1 \
            or len(by_kind.get("ORDRE", ())) != 1 or len(result.arrival[0]) > 1:
        return
    (o,), (d,) = by_kind["ORDRE"], by_kind["DESORDRE"]
    if d <= rates.minimum(code) + rates.grid(code) or \
            any(len(place) > 1 for place in result.arrival[:5]):
        return
    top = by_kind.get(tqq.BONUS4 if code == "QUINTE_PLUS" else tqq.BONUS3)
    k = rules.bonus_vs_desordre
    if top and k and len(top) == 1 and d <= k * (next(iter(top)) + rates.grid(code)):
        # the bonus limit pooled the désordre with the bonus: the désordre is then k x
        # the bonus (or less, when the bonus is then raised to the minimum), the ordre
        # untouched, whatever their ratio (86-7, 95-7 d)
        return
    assert o + rules.floors[1] * rates.grid(code) >= rules.floors[1] * d
    if rules.ceiling:
        assert o <= rules.ceiling * (d + rates.grid(code))


@st.composite
def special_races(draw):
    """A Tiercé, Trio or Trio ordre with non-runners in its units, and the race's pools
    whose dividends those units copy (Simple gagnant, Couplé gagnant or ordre) settled
    on the same result, either may be missing (art. 62 I, 65, 70, 74 c, 74-5, 74-8)."""
    code = draw(st.sampled_from(["TIERCE", "TRIO", "TRIO_ORDRE"]))
    declared = draw(st.integers(8, 12))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), min_size=1, max_size=3, unique=True))
    running = [h for h in horses if h not in non_runners]
    order = draw(st.permutations(running))
    arrival, i = [], 0
    while i < len(order):
        size = draw(st.sampled_from([1] * 8 + [2, 3]))
        arrival.append(order[i:i + size])
        i += size
    coupled = draw(st.lists(st.lists(st.sampled_from(horses), min_size=2, max_size=3,
                                     unique=True), max_size=1))
    result = make_result(arrival, declared, non_runners, coupled)
    stake = st.integers(1, 300).map(lambda n: 10 * n)
    near = order[:4]
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(1, 14))):
        out = draw(st.integers(0, min(3, len(non_runners))))
        picked = draw(st.permutations(near))[:3 - out] + \
            draw(st.permutations(non_runners))[:out]
        if draw(st.booleans()):
            picked = draw(st.lists(st.sampled_from(horses), min_size=3, max_size=3,
                                   unique=True))
        key = tuple(draw(st.permutations(picked)))
        stakes[key] = stakes.get(key, 0) + draw(stake)
    rate = draw(st.sampled_from([Fraction(0), Fraction(27, 100), Fraction(9, 10)]))
    rates = Rates(deductions={c: rate for c in BET_TYPES})
    sources = {}
    for size, copied in BET_TYPES[code].np_rapports_of:
        if draw(st.booleans()):
            pool = {}
            for _ in range(draw(st.integers(1, 6))):
                key = canonical(BET_TYPES[copied],
                                tuple(draw(st.permutations(order[:3] + horses[-2:]))[:size]))
                if len(set(key)) == size:
                    pool[key] = pool.get(key, 0) + draw(stake)
            if pool:
                sources[copied] = settle_pool(copied, pool, result, rates)
    return code, stakes, result, rates, sources


@FAST
@given(special_races())
def test_special_rapports_keep_the_money_and_the_reglement_caps(race):
    """Money conserved to the cent with the special rapports reserved out of the masse;
    tickets paid what the pool pays; each special rapport at least the minimum, at most
    the rapport it copies (Trio, Trio ordre with nothing to copy for a pair: half the
    capping rapport), and at most the pool's own base rapport (art. 65 b, d, 74 c)."""
    code, stakes, result, rates, sources = race
    bt = BET_TYPES[code]
    pool = settle_pool(code, stakes, result, rates, sources=sources)
    assert pool.total_cents == sum(stakes.values())
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents - pool.topup_cents
                                + pool.carry_over_cents)
    assert min(pool.deduction_cents, pool.breakage_cents, pool.refunded_cents) >= 0
    payouts = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in payouts) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts) == pool.refunded_cents
    minimum = rates.minimum(code)
    bases = specials.base_rapports({(d.kind, d.combination): Fraction(d.per_euro_cents, 100)
                                    for d in pool.dividends if d.kind != "NP"},
                                   minimum, rates.grid(code))
    for d in pool.dividends:
        if d.kind != "NP":
            continue
        copied_code = dict(bt.np_rapports_of)[len(d.combination)]
        copied = [x.per_euro_cents for x in getattr(sources.get(copied_code), "dividends", ())
                  if x.kind != "NP" and x.combination == d.combination]
        assert d.per_euro_cents >= minimum
        if d.per_euro_cents > minimum:
            top = specials.cap(d.combination, bases)
            assert d.per_euro_cents <= top
            if copied:
                assert d.per_euro_cents <= copied[0]
            else:
                assert bt.np_half_base_without_source and len(d.combination) == 2
                assert d.per_euro_cents <= top // 2


@st.composite
def deux_sur_quatre_races(draw):
    """A 2 sur 4 with one to three non-runners and units naming them (art. 53 2)."""
    declared = draw(st.integers(10, 14))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), min_size=1, max_size=3, unique=True))
    order = draw(st.permutations([h for h in horses if h not in non_runners]))
    arrival, i = [], 0
    while i < len(order):
        size = draw(st.sampled_from([1] * 8 + [2, 3]))
        arrival.append(order[i:i + size])
        i += size
    result = make_result(arrival, declared, non_runners)
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(1, 14))):
        near = draw(st.sampled_from(order[:6]))
        other = draw(st.sampled_from(non_runners + order[:6] + horses))
        if near != other:
            key = tuple(sorted((near, other)))
            stakes[key] = stakes.get(key, 0) + 300 * draw(st.integers(1, 20))
    rate = draw(st.sampled_from([Fraction(0), Fraction(1, 4), Fraction(9, 10)]))
    floor = draw(st.sampled_from([Fraction(0), Fraction(1, 10)]))
    rates = Rates(deductions={c: rate for c in BET_TYPES}, deduction_floor=floor)
    return stakes, result, rates


@FAST
@given(deux_sur_quatre_races())
def test_deux_sur_quatre_special_place_is_one_rapport_for_the_placed_horses(race):
    """Money conserved; one "rapport spécial placé" for every unit whose running horse
    is among the first four, never for another; a unit of two non-runners refunded."""
    stakes, result, rates = race
    pool = settle_pool("DEUX_SUR_QUATRE", stakes, result, rates)
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents)
    payouts = {key: bet_payout(pool, [key], cents) for key, cents in stakes.items()}
    assert sum(p.amount_cents for p in payouts.values()) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts.values()) == pool.refunded_cents
    specials_paid = {d.per_euro_cents for d in pool.dividends if d.kind == "NP"}
    assert len(specials_paid) <= 1
    placed = {h for order in resolutions(result.arrival, 4) for h in order}
    for d in pool.dividends:
        if d.kind == "NP":
            assert len(d.combination) == 1 and d.combination[0] in placed
    if not pool.void:
        for key, paid in payouts.items():
            out = [h for h in key if h in result.non_runners]
            if len(out) == 2:
                assert paid.refund_cents == stakes[key]
            elif len(out) == 1:
                (runner,) = set(key) - set(out)
                assert paid.refund_cents == 0
                assert (paid.kinds == ("NP",)) == (runner in placed)


@st.composite
def bets(draw):
    bt = BET_TYPES[draw(st.sampled_from(sorted(BET_TYPES)))]
    running = sorted(draw(st.sets(st.integers(1, 14), min_size=1, max_size=12)))
    formula = draw(st.sampled_from(FORMULAS))
    pool = st.sampled_from(range(1, 15))
    bases = draw(st.lists(pool, max_size=4, unique=True)) if formula.startswith("CHAMP") \
        else draw(st.lists(pool, max_size=1))
    selections = draw(st.lists(pool, max_size=9, unique=True))
    return bt, formula, selections, bases, running


@FAST
@given(bets())
def test_count_combinations_equals_the_number_expanded(bet):
    bt, formula, selections, bases, running = bet
    try:
        n = count_combinations(bt, formula, selections, bases, running)
    except BettingError as exc:
        try:
            list(expand(bt, formula, selections, bases, running))
        except BettingError as again:
            assert type(again) is type(exc)
        else:
            raise AssertionError("expand accepted what count refused")
        return
    combos = list(expand(bt, formula, selections, bases, running))
    assert n == len(combos) == len(set(combos))
    if not bt.ordered:
        assert all(list(c) == sorted(c) for c in combos)


@st.composite
def short_arrivals(draw):
    """A Tiercé, Quarté+ or Quinté+ with at most as many horses classified as a unit
    names (art. 68 a, d, 86-9 e, 95-9 3), units near the classified horses, some naming
    non-runners; the Tiercé's copied pools (Simple, Couplé gagnant) there or not."""
    code = draw(st.sampled_from(["TIERCE", "QUARTE_PLUS", "QUINTE_PLUS"]))
    bt = BET_TYPES[code]
    declared = draw(st.integers(bt.horses + 3, 14))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), max_size=3, unique=True))
    running = [h for h in horses if h not in non_runners]
    size = draw(st.sampled_from([0, 1, 2, 2, 3, 3, 3, 4, 4, 5]))
    order = draw(st.permutations(running))[:min(size, bt.horses)]
    arrival, i = [], 0
    while i < len(order):
        size = draw(st.sampled_from([1] * 6 + [2, 3]))
        arrival.append(order[i:i + size])
        i += size
    result = make_result(arrival, declared, non_runners)
    stakes: dict[tuple[int, ...], int] = {}
    shy = draw(st.booleans())  # nobody holds every horse classified: the pairs are tried
    for _ in range(draw(st.integers(0, 14))):
        near = draw(st.permutations(order))[:draw(st.integers(0, max(0, len(order) - shy)))]
        out = draw(st.permutations(non_runners))[:draw(st.integers(0, len(non_runners)))]
        rest = [h for h in draw(st.permutations(horses)) if h not in near and h not in out
                and not (shy and h in order)]
        key = tuple(draw(st.permutations((list(near) + list(out) + rest)[:bt.horses])))
        if len(key) == bt.horses:  # a small field may leave too few horses to fill it
            stakes[key] = stakes.get(key, 0) + 10 * draw(st.integers(1, 500))
    rate = draw(st.sampled_from([Fraction(0), Fraction(27, 100), Fraction(9, 10)]))
    rates = Rates(deductions={c: rate for c in BET_TYPES})
    sources = {}
    for size, copied in bt.np_rapports_of:
        if draw(st.booleans()) and len(order) >= size:
            key = canonical(BET_TYPES[copied], tuple(order[:size]))
            sources[copied] = settle_pool(copied, {key: 1_000, tuple(
                h for h in horses if h not in key)[:size]: 9_000}, result, rates)
    return code, stakes, result, rates, sources


@FAST
@given(short_arrivals())
def test_short_arrivals_keep_the_money_and_pay_every_unit_holding_the_horses_paid(race):
    """Money conserved to the cent, tickets paid what the pool pays, dividends on the
    grid and at least the minimum; in a short arrival every published combination is
    of classified horses, and every unit (not refunded) whose running horses hold one
    is paid."""
    code, stakes, result, rates, sources = race
    bt = BET_TYPES[code]
    pool = settle_pool(code, stakes, result, rates, sources=sources)
    assert pool.total_cents == sum(stakes.values())
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents - pool.topup_cents
                                + pool.carry_over_cents)
    assert min(pool.deduction_cents, pool.breakage_cents, pool.refunded_cents) >= 0
    payouts = {key: bet_payout(pool, [key], cents) for key, cents in stakes.items()}
    assert sum(p.amount_cents for p in payouts.values()) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts.values()) == pool.refunded_cents
    for d in pool.dividends:
        assert d.per_euro_cents >= rates.minimum(code) and d.per_euro_cents % 10 == 0
    classified = {h for place in result.arrival for h in place}
    if pool.void or result.classified >= bt.horses and pool.reallocated_arrival is None:
        return
    paid = [set(d.combination) for d in pool.dividends if d.kind != "NP"]
    assert all(combo <= classified for combo in paid)
    for key, got in payouts.items():
        running = set(key) - result.non_runners
        if got.refund_cents or (bt.np_rapports_of and running != set(key)):
            continue
        assert bool(got.amount_cents) == any(combo <= running for combo in paid)


@st.composite
def heavy_bonuses(draw):
    """A Quarté+ or Quinté+ whose bonus units hold most of the stakes, so that a bonus
    falls below the minimum and is charged to the main masse (86-5 II.3, 95-5 II.3)."""
    code = draw(st.sampled_from(["QUARTE_PLUS", "QUINTE_PLUS"]))
    bt = BET_TYPES[code]
    declared = draw(st.integers(bt.horses + 4, 14))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), max_size=2, unique=True))
    order = draw(st.permutations([h for h in horses if h not in non_runners]))
    arrival = [[h] for h in order]
    if draw(st.booleans()):  # a dead heat somewhere in the first places
        j = draw(st.integers(0, bt.horses))
        arrival[j:j + 2] = [arrival[j] + arrival[j + 1]]
    result = make_result(arrival, declared, non_runners)
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(1, 10))):
        near = list(draw(st.permutations(order[:bt.horses + 1])))
        if non_runners and draw(st.booleans()):
            near[draw(st.integers(0, bt.horses - 1))] = non_runners[0]
        key = tuple(near[:3] + draw(st.permutations(near[3:] + order[-3:]))[:bt.horses - 3])
        if len(set(key)) == bt.horses:
            stakes[key] = stakes.get(key, 0) + 10 * draw(st.integers(1, 2_000))
    rate = draw(st.sampled_from([Fraction(0), Fraction(30, 100)]))
    floor = draw(st.sampled_from([Fraction(0), Fraction(1, 10)]))
    rates = Rates(deductions={c: rate for c in BET_TYPES}, deduction_floor=floor)
    return code, stakes, result, rates


@FAST
@given(heavy_bonuses())
def test_a_bonus_charged_to_the_main_masse_keeps_the_money(race):
    code, stakes, result, rates = race
    pool = settle_pool(code, stakes, result, rates)
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents)
    assert min(pool.deduction_cents, pool.breakage_cents, pool.refunded_cents) >= 0
    payouts = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in payouts) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts) == pool.refunded_cents
    for d in pool.dividends:
        assert d.per_euro_cents >= rates.minimum(code) and d.per_euro_cents % 10 == 0


@st.composite
def quarte_unbacked(draw):
    """A Quarté+ with at least four horses classified where no unit holds the first three
    (nobody on the quarté nor the trio), some units naming a non-runner, a dead heat
    sometimes: paid on 1-2-4, 1-3-4, 2-3-4, then 1-2, 1-3, 2-3 (art. 86-9 d)."""
    declared = draw(st.integers(9, 14))
    horses = list(range(1, declared + 1))
    non_runners = draw(st.lists(st.sampled_from(horses), max_size=2, unique=True))
    order = draw(st.permutations([h for h in horses if h not in non_runners]))
    order = order[:draw(st.integers(4, len(order)))]
    arrival = [[h] for h in order]
    if draw(st.integers(0, 3)) == 0:  # a dead heat somewhere in the first places
        j = draw(st.integers(0, min(4, len(arrival) - 2)))
        arrival[j:j + 2] = [arrival[j] + arrival[j + 1]]
    result = make_result(arrival, declared, non_runners)
    first_three = set(order[:3])
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(0, 10))):
        near = list(draw(st.permutations(order[:4])))[:draw(st.integers(0, 3))]
        out = list(draw(st.permutations(non_runners)))[:draw(st.integers(0, 1))]
        rest = [h for h in draw(st.permutations(horses)) if h not in near and h not in out]
        key = tuple(draw(st.permutations((near + out + rest)[:4])))
        if not first_three <= set(key):
            stakes[key] = stakes.get(key, 0) + 10 * draw(st.integers(1, 500))
    rate = draw(st.sampled_from([Fraction(0), Fraction(30, 100), Fraction(9, 10)]))
    return stakes, result, Rates(deductions={c: rate for c in BET_TYPES})


@FAST
@given(quarte_unbacked())
def test_quarte_nobody_on_the_first_three_pays_the_first_set_held_in_the_reglement_order(race):
    """Money conserved, tickets paid what the pool pays; with no dead heat among the first
    four, the set paid is the first of 1-2-4, 1-3-4, 2-3-4, 1-2, 1-3, 2-3 that a unit
    (not refunded) holds with its running horses, every such unit is paid and no other;
    nobody on any: every bet refunded."""
    stakes, result, rates = race
    pool = settle_pool("QUARTE_PLUS", stakes, result, rates)
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents)
    payouts = {key: bet_payout(pool, [key], cents) for key, cents in stakes.items()}
    assert sum(p.amount_cents for p in payouts.values()) == pool.payout_cents
    assert sum(p.refund_cents for p in payouts.values()) == pool.refunded_cents
    for d in pool.dividends:
        assert d.per_euro_cents >= rates.minimum("QUARTE_PLUS") and d.per_euro_cents % 10 == 0
    if any(len(place) > 1 for place in result.arrival[:4]) or len(result.arrival) < 4:
        return
    a = [place[0] for place in result.arrival]
    sets = [{a[0], a[1], a[3]}, {a[0], a[2], a[3]}, {a[1], a[2], a[3]},
            {a[0], a[1]}, {a[0], a[2]}, {a[1], a[2]}]
    running = {key: set(key) - result.non_runners for key in stakes
               if len(set(key) & result.non_runners) < 2}
    held = [s for s in sets if any(s <= r for r in running.values())]
    if not held:
        assert pool.void
        return
    if pool.void:  # art. 19: the net stakes cannot pay the holders the minimum
        holders = sum(c for key, c in stakes.items() if key in running and held[0] <= running[key])
        net = sum(c for key, c in stakes.items() if key in running)
        assert holders * rates.minimum("QUARTE_PLUS") > net * 100
        return
    assert {tuple(sorted(held[0]))} == {d.combination for d in pool.dividends}
    for key, r in running.items():
        assert bool(payouts[key].amount_cents) == (held[0] <= r)


@st.composite
def light_bonuses(draw):
    """A Quarté+ or Quinté+ whose désordre units hold most of the stakes, so that the bonus
    would pay more than the désordre allows, sometimes with a dead heat for the last place
    (several désordre combinations, one set of first horses: 86-7, 95-7 d)."""
    code = draw(st.sampled_from(["QUARTE_PLUS", "QUINTE_PLUS"]))
    bt = BET_TYPES[code]
    declared = draw(st.integers(bt.horses + 4, 14))
    horses = list(range(1, declared + 1))
    order = draw(st.permutations(horses))
    arrival = [[h] for h in order]
    if draw(st.booleans()):  # a dead heat for the last place paid, or the one before
        j = draw(st.sampled_from([bt.horses - 1, bt.horses - 1, bt.horses - 2]))
        arrival[j:j + 2] = [arrival[j] + arrival[j + 1]]
    result = make_result(arrival, declared)
    stakes: dict[tuple[int, ...], int] = {}
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["desordre", "desordre", "bonus", "near"]))
        top = list(draw(st.permutations(order[:bt.horses + 1])))[:bt.horses]
        if kind == "desordre":  # the first horses and one of the last place's
            top = order[:bt.horses - 1] + [order[bt.horses - 1 + draw(st.integers(0, 1))]]
        elif kind == "bonus":  # the first three and outsiders
            top = order[:3] + order[-(bt.horses - 3):]
        key = tuple(draw(st.permutations(top)))
        stakes[key] = stakes.get(key, 0) + 10 * draw(st.integers(1, 2_000))
    stakes[tuple(order[-bt.horses:])] = 10 * draw(st.integers(0, 10_000))
    rate = draw(st.sampled_from([Fraction(0), Fraction(30, 100)]))
    return code, stakes, result, Rates(deductions={c: rate for c in BET_TYPES})


@FAST
@given(light_bonuses())
def test_bonus_limits_hold_for_every_desordre_when_one_set_of_first_horses_is_paid(race):
    """Money conserved; with one combination of the first three (Quarté+) or four
    (Quinté+) horses, the bonus is at most a quarter of each désordre (Quarté+, 86-7) or at
    most each désordre (Quinté+, 95-7 d), within a grid step, unless a minimum or the
    Quinté+'s Bonus 4 >= Bonus 3 pooling (equal rapports) stepped in."""
    code, stakes, result, rates = race
    pool = settle_pool(code, stakes, result, rates)
    assert pool.total_cents == (pool.payout_cents + pool.refunded_cents + pool.deduction_cents
                                + pool.breakage_cents)
    payouts = [bet_payout(pool, [key], cents) for key, cents in stakes.items()]
    assert sum(p.amount_cents for p in payouts) == pool.payout_cents
    bt = BET_TYPES[code]
    grid, minimum = rates.grid(code), rates.minimum(code)
    tops = {frozenset(o) for o in resolutions(result.arrival, bt.horses - 1)}
    by_kind: dict[str, list[int]] = {}
    for d in pool.dividends:
        by_kind.setdefault(d.kind, []).append(d.per_euro_cents)
    if len(tops) != 1 or pool.reallocated_arrival or "DESORDRE" not in by_kind \
            or any(c <= minimum + grid for c in sum(by_kind.values(), [])):
        return
    k, top = (4, "BONUS3") if code == "QUARTE_PLUS" else (1, "BONUS4")
    if top not in by_kind or \
            (code == "QUINTE_PLUS" and set(by_kind["BONUS4"]) == set(by_kind.get("BONUS3", ()))):
        return
    (bonus,) = set(by_kind[top])
    assert k * bonus <= min(by_kind["DESORDRE"]) + grid
