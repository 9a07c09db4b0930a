"""Results and dividends: from the stored bets to every ticket's value.

Stakes are added up in the store (GROUP BY each distinct bet shape), so a
race of a million simple bets costs one aggregate query and a few dozen
expansions, not a Python loop over every bet. `betting.pools` does the
pricing; this module only feeds it and keeps what it returns.

A result may be entered and corrected while it is provisional; once declared
official it is frozen and tickets can be paid. A race that is not run
(cancelled, or postponed to another day) gets an official result saying so
(`cancel_race`): every bet of the race is refunded.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone

from betting.catalogue import get_bet_type
from betting.combinations import expand
from betting.complement import with_complement
from betting.errors import BettingError, OperatorRefusal
from betting.payable import refunded_whole
from betting.pools import PoolResult, pool_stakes, settle_pool
from betting.rates import DEFAULT_RATES, Rates
from betting.results import OfficialResult, make_result
from betting.states import RaceState

from . import audit, chains
from .races import RaceRecord, close_race, get_race, import_races
from ..store import UnitOfWork


try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no time zone database: the UTC day, wrong only near midnight
    PARIS = timezone.utc


MAX_REASON = 200  # characters of the reason a race is cancelled


class SettlementError(OperatorRefusal):
    """The operator's request cannot be applied; nothing was changed."""


def _horses(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise SettlementError("bad_result", f"{what} must be a list")
    return value


def build_result(record: RaceRecord, body: dict) -> OfficialResult:
    """Check an operator's result against the race card (English messages)."""
    race = record.race
    arrival = _horses(body.get("arrival"), "arrival")
    places = []
    for place in arrival:
        place = place if isinstance(place, list) else [place]
        places.append(place)
    non_runners = _horses(body.get("non_runners", []), "non_runners")
    declared = {r.number for r in race.runners}
    for h in [h for p in places for h in p] + list(non_runners):
        if isinstance(h, bool) or not isinstance(h, int) or h not in declared:
            raise SettlementError("unknown_runner",
                                  f"horse {h!r} does not run in {race.race_id}")
    card_np = {r.number for r in race.runners if r.non_runner}
    groups: dict[str, list[int]] = {}
    for r in race.runners:
        if r.coupled_with:
            groups.setdefault(r.coupled_with, []).append(r.number)
    try:
        return make_result(places, race.declared_runners, set(non_runners) | card_np,
                           [g for g in groups.values() if len(g) > 1])
    except BettingError as exc:
        raise SettlementError("bad_result", f"{exc.code}: {exc.message}") from None


def race_stakes(uow: UnitOfWork, race_id: str, non_runners: Iterable[int] = ()
                ) -> dict[str, tuple[dict, int]]:
    """(stakes per unit combination, stakes refunded whole) for every pool of the race.

    Aggregated in the store. `non_runners` are the result's: a bet's cheval de
    complément takes their place in its units before they join the pool
    (betting/complement.py), and a champ whose bases all did not run is refunded
    whole instead of joining it (betting/payable.refunded_whole).

    The legs of Report+ chains funded into the race's pools are Simple unitaire
    stakes of their kind (server/services/chains.py); a Report+ bet itself is no
    pool's stake (its first stake is its first leg's)."""
    non_runners = frozenset(non_runners)
    pools: dict[str, list] = {}
    whole: dict[str, int] = {}
    for group in uow.bets.stake_groups(race_id) + uow.chains.stake_groups(race_id):
        if group.bet_type == chains.REPORT_PLUS:
            continue
        combos = bet_combinations(group.bet_type, group.formula, group.selections,
                                  group.bases, group.partners, group.complement, non_runners)
        if refunded_whole(get_bet_type(group.bet_type), group.formula, group.bases,
                          group.complement, non_runners):
            whole[group.bet_type] = whole.get(group.bet_type, 0) + \
                group.stake_cents * len(combos)
            pools.setdefault(group.bet_type, [])
            continue
        pools.setdefault(group.bet_type, []).append((combos, group.stake_cents))
    return {bet_type: (pool_stakes(bet_type, groups), whole.get(bet_type, 0))
            for bet_type, groups in pools.items()}


def bet_combinations(bet_type: str, formula: str, selections: list, bases: list,
                     partners: list | None, complement: int | None = None,
                     non_runners: Iterable[int] = ()) -> list[tuple[int, ...]]:
    """A stored bet's unit combinations, its complément put in for `non_runners`."""
    combos = expand(get_bet_type(bet_type), formula, selections, bases, partners or [])
    return with_complement(combos, complement, non_runners)


def _settled(uow: UnitOfWork, race_id: str, body: dict, now: datetime,
             rates: Rates) -> tuple[OfficialResult, list[PoolResult]]:
    """The result an operator enters and every pool settled on it, nothing stored."""
    record = get_race(uow, race_id)
    if record is None:
        raise SettlementError("unknown_race", f"no race {race_id} in the programme")
    if record.state_at(now) != RaceState.CLOSED:
        raise SettlementError("race_open", f"{race_id} is still open: close it first")
    current = uow.results.get(race_id)
    if current is not None and current.official:
        raise SettlementError("results_official",
                              f"the result of {race_id} is official and can no longer change")
    result = build_result(record, body)
    # the minimum dividend and the grid in force on the race's day (Paris time)
    rates = rates.on(record.race.post_time.astimezone(PARIS).date())
    return result, settle_race(race_stakes(uow, race_id, result.non_runners), result, rates)


def settle_race(stakes: dict[str, tuple[dict, int]], result: OfficialResult,
                rates: Rates) -> list[PoolResult]:
    """Every pool of a race, in bet type order. A pool whose units copy other pools'
    dividends (the rapports spéciaux of the Tiercé and the Trio copy the Simple gagnant
    and the Couplé gagnant, art. 65, 70; the Trio ordre's the Couplé ordre, 74-5) is
    settled after them and handed them; a race without such a pool pays those units
    the minimum, or for a Trio or Trio ordre pair half its own rapport (RULES.md)."""
    done: dict[str, PoolResult] = {}
    copies = lambda code: bool(get_bet_type(code).np_rapports_of)  # noqa: E731
    for bet_type in sorted(stakes, key=lambda code: (copies(code), code)):
        pool, whole = stakes[bet_type]
        done[bet_type] = settle_pool(bet_type, pool, result, rates, refunded_whole_cents=whole,
                                     sources=done if copies(bet_type) else None)
    return [done[bet_type] for bet_type in sorted(done)]


def preview_result(uow: UnitOfWork, race_id: str, body: dict, now: datetime,
                   rates: Rates = DEFAULT_RATES) -> dict:
    """The dividends `enter_result` would publish for `body`, in the same shape
    (`preview: true`, never official), with nothing stored and no audit entry:
    the same checks and the same settlement, only reads."""
    result, settled = _settled(uow, race_id, body, now, rates)
    pools = []
    for pool in settled:
        shown = pool.to_dict()
        shown.pop("result", None)
        pools.append(shown)
    entered = result.to_dict()
    return {"race": race_id, "official": False, "official_at": None, "preview": True,
            "arrival": entered["arrival"], "non_runners": entered["non_runners"],
            "pools": pools, "cancelled": False}


def enter_result(uow: UnitOfWork, race_id: str, body: dict, now: datetime,
                 rates: Rates = DEFAULT_RATES) -> dict:
    result, settled = _settled(uow, race_id, body, now, rates)
    _save(uow, race_id, result.to_dict(), now)
    uow.results.replace_pools(race_id, [p.to_dict() for p in settled])
    audit.record(uow, "race.result", race_id,
                 {"arrival": result.to_dict()["arrival"],
                  "non_runners": result.to_dict()["non_runners"]}, now=now)
    if body.get("official") is True:
        declare_official(uow, race_id, now)
    return dividends(uow, race_id)


def cancel_reason(reason: object) -> str:
    """The operator's reason for cancelling a race, trimmed, or SettlementError."""
    if not isinstance(reason, str) or not reason.strip():
        raise SettlementError("bad_reason", "reason is required: why the race is not run")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise SettlementError("bad_reason", f"reason must be at most {MAX_REASON} characters")
    if not reason.isprintable():
        raise SettlementError("bad_reason", "reason must not contain control characters")
    return reason


def cancel_race(uow: UnitOfWork, race_id: str, reason: object, now: datetime,
                rates: Rates = DEFAULT_RATES) -> dict:
    """The race is not run (cancelled, or postponed to another day): every bet is refunded.

    In the caller's unit of work: the race is closed if it is still open (as
    `close_race` does), and an official result says it was cancelled: no
    arrival, so every pool with stakes is settled void. Refused, nothing
    changed, for an unknown race, a result already official, or a bad reason.
    Answers the dividends body plus `refunded_bets` and `refunded_cents`.
    """
    record = get_race(uow, race_id)
    if record is None:
        raise SettlementError("unknown_race", f"no race {race_id} in the programme")
    if is_official(uow, race_id):
        raise SettlementError("results_official",
                              f"the result of {race_id} is official and can no longer change")
    reason = cancel_reason(reason)
    close_race(uow, race_id, now)
    result = make_result((), record.race.declared_runners, cancelled=True)
    rates = rates.on(record.race.post_time.astimezone(PARIS).date())
    settled = [settle_pool(bet_type, stakes, result, rates, refunded_whole_cents=whole)
               for bet_type, (stakes, whole) in sorted(race_stakes(uow, race_id).items())]
    if not all(p.void and p.refunded_cents == p.total_cents for p in settled):
        raise RuntimeError(f"a pool of cancelled race {race_id} was not settled void")
    _save(uow, race_id, {**result.to_dict(), "reason": reason}, now)
    uow.results.replace_pools(race_id, [p.to_dict() for p in settled])
    audit.record(uow, "race.cancel", race_id, {"reason": reason}, now=now)
    declare_official(uow, race_id, now)
    published = dividends(uow, race_id)
    published["refunded_bets"] = sum(int(t["bets"]) for t in uow.pools.totals(race_id))
    published["refunded_cents"] = sum(p.refunded_cents for p in settled)
    return published


def _save(uow: UnitOfWork, race_id: str, result: dict, now: datetime) -> None:
    """Store the entered result, unless another entry made it official first."""
    if not uow.results.save_provisional(race_id, result, now):
        raise SettlementError("results_official",
                              f"the result of {race_id} is official and can no longer change")


def declare_official(uow: UnitOfWork, race_id: str, now: datetime) -> dict:
    """Freeze the race's result; in the same unit of work, every Report+ chain whose
    current leg is on this race runs it and funds its next leg (chains.advance)."""
    if uow.results.get(race_id) is None:
        raise SettlementError("no_result", f"no result entered for {race_id}")
    uow.results.mark_official(race_id, now)
    audit.record(uow, "race.official", race_id, now=now)
    chains.advance(uow, race_id, now)
    return dividends(uow, race_id)


def dividends(uow: UnitOfWork, race_id: str) -> dict:
    stored = uow.results.get(race_id)
    if stored is None:
        raise SettlementError("no_result", f"no result entered for {race_id}")
    pools = []
    for d in uow.results.pools(race_id):
        d.pop("result", None)
        pools.append(d)
    published = {"race": race_id, "official": stored.official,
                 "official_at": stored.official_at, "arrival": stored.result["arrival"],
                 "non_runners": stored.result["non_runners"], "pools": pools,
                 "cancelled": stored.result.get("cancelled", False) is True}
    if published["cancelled"]:
        published["reason"] = stored.result.get("reason")
    return published


def pool_result(uow: UnitOfWork, race_id: str, bet_type: str) -> PoolResult | None:
    stored = uow.results.pool(race_id, bet_type)
    return PoolResult.from_dict(stored) if stored else None


def is_official(uow: UnitOfWork, race_id: str) -> bool:
    stored = uow.results.get(race_id)
    return bool(stored and stored.official)


def declare_non_runners(uow: UnitOfWork, race_id: str, numbers: object,
                        now: datetime) -> RaceRecord:
    """Mark horses withdrawn on the card: no more bets on them, refund or NP at settlement."""
    record = get_race(uow, race_id)
    if record is None:
        raise SettlementError("unknown_race", f"no race {race_id} in the programme")
    if is_official(uow, race_id):
        raise SettlementError("results_official", f"the result of {race_id} is official")
    numbers = _horses(numbers, "non_runners")
    declared = {r.number for r in record.race.runners}
    if not numbers or any(isinstance(n, bool) or n not in declared for n in numbers):
        raise SettlementError("unknown_runner",
                              f"non_runners must name horses of {race_id}")
    runners = tuple(replace(r, non_runner=True) if r.number in numbers else r
                    for r in record.race.runners)
    import_races(uow, [replace(record.race, runners=runners)])
    audit.record(uow, "race.non_runners", race_id, {"non_runners": sorted(numbers)}, now=now)
    return get_race(uow, race_id)
