"""Validating and pricing a bet against a race card.

Both the terminal (before the bet is written to its outbox) and the server
(before it is committed) call `price_bet` with the same race card, so they
agree on what is valid and what it costs. Whether the pool is still open is
not decided here: that is the server's state, not the card's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .catalogue import STAKE_CAP_ARTICLES, get_bet_type, is_champ_total
from .combinations import count_combinations, expand
from .errors import (
    BetTypeNotOffered,
    ComplementInBet,
    ComplementNotAllowed,
    ComplementNotRunning,
    NotEnoughRunners,
    ProtocolError,
    RunnerNotDeclared,
    StakeBelowBase,
    StakeNotMultipleOfBase,
    StakeTooHigh,
    UnknownRace,
)
from .money import format_euros
from .programme import Race
from .reports import REPORT_PLUS, parse_legs

# The most one ticket may cost; larger bets are split by the shopkeeper.
MAX_TICKET_CENTS = 1_000_000
# Bounds of the integers a request may carry at all. Anything outside is
# malformed (not merely invalid): refused before it reaches a price or a
# store, whose integers stop at 2**63.
MAX_AMOUNT_CENTS = 10**10
MAX_RUNNER_NUMBER = 999


@dataclass(frozen=True)
class BetRequest:
    race: str
    bet_type: str
    formula: str
    selections: tuple[int, ...]
    bases: tuple[int, ...]
    unit_stake_cents: int
    # The "cheval de complément" (betting/complement.py): one extra horse that
    # replaces a horse of the bet withdrawn after the sale. Free: it changes
    # neither the units nor the price.
    complement: int | None = None
    # A Report+ (betting/reports.py): its legs, the first one being `race` and
    # `selections`. Empty for every other bet type.
    legs: tuple = ()


@dataclass(frozen=True)
class PricedBet:
    request: BetRequest
    base_stake_cents: int
    combinations: int
    total_cents: int


def _int_list(value: object, field: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > 40:
        raise ProtocolError(f"Champ {field} invalide.")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) \
                or not 1 <= item <= MAX_RUNNER_NUMBER:
            raise ProtocolError(f"Champ {field} invalide : numéros de chevaux attendus.")
        out.append(item)
    return tuple(out)


# Longest race id, bet type or formula name a request may carry.
MAX_NAME_LENGTH = 40


def make_request(data: dict) -> BetRequest:
    """Turn a loosely typed mapping (JSON body, form, wire message) into a request."""
    if not isinstance(data, dict):
        raise ProtocolError()
    stake = data.get("unit_stake_cents")
    if isinstance(stake, bool) or not isinstance(stake, int) \
            or not 0 <= stake <= MAX_AMOUNT_CENTS:
        raise ProtocolError("Mise invalide : un montant en centimes est attendu.")
    for name in ("race", "bet_type", "formula"):
        text = data.get(name)
        # a short printable name: no store need hold a control character (PostgreSQL's
        # text cannot hold NUL at all)
        if not isinstance(text, str) or len(text) > MAX_NAME_LENGTH \
                or not text.isprintable():
            raise ProtocolError(f"Champ {name} manquant ou invalide.")
    return BetRequest(
        race=data["race"],
        bet_type=data["bet_type"],
        formula=data["formula"],
        selections=_int_list(data.get("selections"), "selections"),
        bases=_int_list(data.get("bases"), "bases"),
        unit_stake_cents=stake,
        complement=_complement(data.get("complement")),
        legs=_legs(data["bet_type"], data.get("legs")),
    )


def _legs(bet_type: str, value: object) -> tuple:
    """A Report+'s legs (betting/reports.py); none on any other bet type."""
    if bet_type == REPORT_PLUS:
        return parse_legs(value)
    if value not in (None, [], ()):
        raise ProtocolError("Champ legs réservé au Report+.")
    return ()


def _complement(value: object) -> int | None:
    """None (absent or null: no complément) or a runner number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= MAX_RUNNER_NUMBER:
        raise ProtocolError("Champ complement invalide : un numéro de cheval est attendu.")
    return value


def running_numbers(race: Race) -> list[int]:
    """The horses a champ total is completed with: declared and not withdrawn."""
    return [r.number for r in race.runners if not r.non_runner]


def unit_combinations(req: BetRequest, race: Race) -> Iterator[tuple[int, ...]]:
    """The bet's unit combinations: the keys of its stakes in the pool (see pools.py).

    Expand with the race card the bet was priced against: a champ total is
    completed by the horses running at that moment, and a horse withdrawn later
    is refunded at settlement, not removed from the bet.
    """
    bet_type = get_bet_type(req.bet_type)
    return expand(bet_type, req.formula, req.selections, req.bases, running_numbers(race))


def _check_complement(req: BetRequest, race: Race, allowed: bool, running: list[int]) -> None:
    """The complément: offered on this bet type, a runner, not a horse the bet plays."""
    if not allowed:
        raise ComplementNotAllowed()
    runner = race.runner(req.complement)
    if runner is None or runner.non_runner:
        raise ComplementNotRunning(
            f"Le cheval de complément n°{req.complement} ne court pas dans {race.race_id}."
            if runner is None else
            f"Le cheval de complément n°{req.complement} est non-partant.")
    # A champ total (and its simplified form) plays every running horse already.
    played = set(req.selections) | set(req.bases)
    if is_champ_total(req.formula):
        played |= set(running)
    if req.complement in played:
        raise ComplementInBet(
            f"Le cheval n°{req.complement} est déjà joué dans ce pari : il ne peut pas être "
            "le cheval de complément.")


def price_bet(req: BetRequest, race: Race | None,
              max_total_cents: int = MAX_TICKET_CENTS) -> PricedBet:
    """Validate a bet against the race card and say what it costs.

    Stake rules: the unit stake is at least the base stake the programme
    publishes for this race and bet type, and a whole multiple of it.
    """
    if race is None or race.race_id != req.race:
        raise UnknownRace(f"Course inconnue : {req.race[:40]}.")
    bet_type = get_bet_type(req.bet_type)
    offer = race.offer(bet_type.code)
    if offer is None:
        raise BetTypeNotOffered(f"Le {bet_type.label} n'est pas proposé sur {race.race_id}.")
    for number in req.bases + req.selections:
        runner = race.runner(number)
        if runner is None:
            raise RunnerNotDeclared(f"Le cheval n°{number} ne court pas dans {race.race_id}.")
        if runner.non_runner:
            raise RunnerNotDeclared(f"Le cheval n°{number} est non-partant.")
    running = running_numbers(race)
    if len(running) < bet_type.horses:
        raise NotEnoughRunners()
    if req.complement is not None:
        _check_complement(req, race, offer.complement, running)
    n = count_combinations(bet_type, req.formula, req.selections, req.bases, running)
    base = offer.base_stake_cents
    if req.unit_stake_cents < base:
        raise StakeBelowBase(
            f"La mise minimum du {bet_type.label} est de {format_euros(base)}."
        )
    if req.unit_stake_cents % base:
        raise StakeNotMultipleOfBase(
            f"La mise doit être un multiple de {format_euros(base)}."
        )
    cap = bet_type.max_base_stakes_per_unit
    if cap is not None and req.unit_stake_cents > cap * base:
        raise StakeTooHigh(
            f"Au {bet_type.label}, une même combinaison se joue au plus {cap} fois la mise "
            f"de base, soit {format_euros(cap * base)} "
            f"(règlement, {STAKE_CAP_ARTICLES[bet_type.code]})."
        )
    total = n * req.unit_stake_cents
    if total > max_total_cents:
        raise StakeTooHigh(
            f"Ce pari coûte {format_euros(total)}, au-delà du maximum de "
            f"{format_euros(max_total_cents)} par ticket."
        )
    return PricedBet(req, base, n, total)
