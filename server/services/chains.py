"""Report+ chains on the server: funding each leg, running it when its race is
official, valuing the ticket (betting/reports.py holds the rules, this module
the store's side).

A chain's bet row is an ordinary bet (race and horse of the first leg, the
first stake, bet type `REPORT_PLUS`); its legs are rows of `chain_legs`. The
first leg is funded at the sale: its stake joins its race's Simple pool
(server/services/ledger.py). When a race becomes official (`advance`, called by
`settlement.declare_official` in the same unit of work), every chain whose
current leg is on that race is run: the leg returns what a Simple unitaire of
its stake on its horse earns in that pool (`betting.pools.bet_payout`), or the
stake itself when the race was not run or its Simple pool was never settled
(art. 31, 33). The bettor's choice splits the return (`betting.reports.run_leg`)
and what is carried funds the next leg: into that race's Simple pool while its
pools are open (the stake is then settled with the others), else outside the
pool, executed on the rapport published (art. 33 al. 2), at once when that race
is already official.

Every write happens once (conditional updates in `ChainRepository`), so making
a race official twice, or two processes making two races official at once, never
funds or runs a leg twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from betting.pools import bet_payout
from betting.reports import (
    REPORT_PLUS,
    ChainState,
    Leg,
    LegOutcome,
    chain_state,
    chain_value,
    run_leg,
)
from betting.states import RaceState, TicketValue

from .races import get_race
from ..records import StoredLeg
from ..store import UnitOfWork

log = logging.getLogger("guichet.server")


def _leg(stored: StoredLeg) -> Leg:
    return Leg(stored.race_id, stored.horse, stored.kind, stored.carry)


def _outcome(stored: StoredLeg) -> LegOutcome:
    return LegOutcome(stored.stake_cents, stored.return_cents, stored.carried_cents,
                      stored.kept_cents, stored.void, stored.breakage_cents or 0)


@dataclass(frozen=True)
class Chain:
    """A chain as stored: its legs in order, and the outcomes of those run."""

    legs: tuple[StoredLeg, ...]

    @property
    def outcomes(self) -> list[LegOutcome]:
        return [_outcome(leg) for leg in self.legs if leg.return_cents is not None]

    @property
    def state(self) -> ChainState:
        return chain_state(tuple(_leg(leg) for leg in self.legs), self.outcomes)

    @property
    def value_cents(self) -> int:
        return chain_value(self.outcomes)

    def to_dict(self) -> dict:
        """The `chain` of a ticket's answer (docs/protocol.md)."""
        return {"state": str(self.state), "value_cents": self.value_cents, "legs": [
            {"race": leg.race_id, "horse": leg.horse, "kind": leg.kind, "carry": leg.carry,
             "stake_cents": leg.stake_cents, "return_cents": leg.return_cents,
             "carried_cents": leg.carried_cents, "kept_cents": leg.kept_cents,
             "void": leg.void, "in_pool": leg.in_pool}
            for leg in self.legs]}


def load(uow: UnitOfWork, uuid: str) -> Chain | None:
    """The chain of a Report+ bet, or None when none was stored (a refused bet)."""
    legs = uow.chains.legs(uuid)
    return Chain(tuple(legs)) if legs else None


def ticket_value(chain: Chain | None) -> tuple[TicketValue, int]:
    """What a Report+ ticket is worth now: nothing payable while the chain is alive
    (one payment per ticket, when it is finished); then what it kept. A chain lost
    after a leg that kept part of its return is still owed that part: payable as
    won."""
    if chain is None:
        return TicketValue.PENDING, 0
    state = chain.state
    if state == ChainState.ALIVE:
        return TicketValue.PENDING, 0
    owed = chain.value_cents
    if state == ChainState.REFUNDED:
        return TicketValue.REFUND, owed
    if owed <= 0:
        return TicketValue.LOST, 0
    return TicketValue.WON, owed


def first_pool(uow: UnitOfWork, uuid: str) -> tuple[str, str] | None:
    """(race, Simple bet type) whose pool holds the chain's first stake."""
    legs = uow.chains.legs(uuid)
    if not legs:
        return None
    return legs[0].race_id, _leg(legs[0]).simple_bet_type


def leg_return(uow: UnitOfWork, leg: StoredLeg, settled: dict | None = None
               ) -> tuple[int, bool]:
    """(return, void) of a funded leg whose race is official: the Simple's payout of
    its stake on its horse; the stake itself when the race was not run, when its
    Simple pool was never settled (no stake in it), or the pool was void. `settled`
    keeps what was read per race and pool, for the next legs on the same race."""
    from .settlement import bet_combinations, pool_result  # settlement imports this module

    settled = {} if settled is None else settled
    if leg.race_id not in settled:
        settled[leg.race_id] = uow.results.get(leg.race_id).result.get("cancelled") is True
    if settled[leg.race_id]:
        return leg.stake_cents, True  # art. 33: as if every horse were a non-runner
    bet_type = _leg(leg).simple_bet_type
    if (leg.race_id, bet_type) not in settled:
        settled[leg.race_id, bet_type] = pool_result(uow, leg.race_id, bet_type)
    pool = settled[leg.race_id, bet_type]
    if pool is None:
        return leg.stake_cents, True
    payout = bet_payout(pool, bet_combinations(bet_type, "UNITAIRE", [leg.horse], [], None),
                        leg.stake_cents)
    # A non-runner, or a void pool: the stake comes back as it was (art. 31).
    return payout.amount_cents + payout.refund_cents, \
        payout.amount_cents == 0 and payout.refund_cents > 0


def _is_official(uow: UnitOfWork, race_id: str) -> bool:
    stored = uow.results.get(race_id)
    return bool(stored and stored.official)


def advance(uow: UnitOfWork, race_id: str, now: datetime) -> int:
    """Run every chain's current leg on `race_id` (official now), fund the next legs,
    and run at once those whose race is already official. Returns the legs run."""
    uow.chains.lock()  # before reading which race is official (ChainRepository.lock)
    pending = [race_id]
    run = 0
    settled: dict = {}  # the races' results and Simple pools, read once
    while pending:
        race = pending.pop(0)
        if not _is_official(uow, race):
            continue
        for leg in uow.chains.current(race):
            chain = uow.chains.legs(leg.uuid)
            last = leg.leg == len(chain) - 1
            returned, void = leg_return(uow, leg, settled)
            outcome = run_leg(leg.stake_cents, _leg(leg), returned, void, leg.base_cents, last)
            if not uow.chains.record_run(leg.uuid, leg.leg, outcome.return_cents,
                                         outcome.carried_cents, outcome.kept_cents,
                                         outcome.breakage_cents, outcome.void, now):
                continue  # run meanwhile by another unit of work
            run += 1
            if last or outcome.carried_cents <= 0:
                # finished: lost here, or its last leg run, or a share below the
                # minimum stake carried nothing (kept whole: the chain ends won)
                continue
            following = chain[leg.leg + 1]
            if _fund(uow, following, outcome.carried_cents, now):
                pending.append(following.race_id)
    return run


def _fund(uow: UnitOfWork, leg: StoredLeg, stake_cents: int, now: datetime) -> bool:
    """Give the next leg its stake: into its race's Simple pool while its pools are
    open (suspended: not closed yet), else outside it. True when that race is
    already official (the leg is to run at once)."""
    record = get_race(uow, leg.race_id)
    in_pool = record is not None and record.state_at(now) in (RaceState.OPEN,
                                                               RaceState.SUSPENDED)
    if not uow.chains.fund(leg.uuid, leg.leg, stake_cents, in_pool, now):
        return False
    if in_pool:
        uow.pools.add(leg.race_id, _leg(leg).simple_bet_type, stake_cents)
    elif record is None:
        log.warning("Report+ %s: leg %d on race %.60r, not in the programme, waits for "
                    "its result", leg.uuid[:64], leg.leg + 1, leg.race_id)
    return not in_pool and _is_official(uow, leg.race_id)


__all__ = ["REPORT_PLUS", "Chain", "advance", "first_pool", "leg_return", "load",
           "ticket_value"]
