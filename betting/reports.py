"""Report+: the "pari par reports", Simple bets over several races of one meeting,
the return of each leg carried into the next (arrêté du 13 septembre 1985, titre II,
chapitre II, art. 30 to 33, art. 30 as rewritten in 2016; betting/RULES.md,
"Report+").

A chain is sold once: its ticket costs the stake of the first leg. Each leg is a
Simple gagnant or placé unitaire on one horse of one race, priced in that race's
Simple pool like any other stake of it. When a leg's race is official its return
(the Simple's dividend for that stake, the stake itself for a non-runner or a race
not run) is split by the bettor's choice for that leg: all of it, three quarters,
half or a quarter carried into the next leg, the rest kept, owed to the bettor
whatever the next legs do. A leg whose horse is not paid ends the chain.

Pure: the server (server/services/chains.py) stores the legs and their outcomes,
funds the next leg and values the ticket; the terminal prices a sale with the same
`price_chain` against its cached programme.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping

from .errors import (
    BadChain,
    BetTypeNotOffered,
    ProtocolError,
    RunnerNotDeclared,
    StakeBelowBase,
    StakeNotMultipleOfBase,
    StakeTooHigh,
    UnknownRace,
)
from .money import format_euros
from .programme import Race, parse_race_id

REPORT_PLUS = "REPORT_PLUS"
LABEL = "Report+"
MIN_LEGS = 2
MAX_LEGS = 6  # our bound: the règlement sets none within a meeting
# Art. 30: the first stake, and every carried amount, at most 1,000 × the minimum stake.
MAX_STAKE_BASES = 1000

KINDS = {"GAGNANT": "SIMPLE_GAGNANT", "PLACE": "SIMPLE_PLACE"}
KIND_LABELS = {"GAGNANT": "gagnant", "PLACE": "placé"}
# The share of a leg's return carried into the next leg (art. 30, 2016 wording:
# "la totalité, les trois quarts, la moitié ou le quart").
ALL, THREE_QUARTERS, HALF, QUARTER = "ALL", "THREE_QUARTERS", "HALF", "QUARTER"
CARRY_SHARES = {ALL: (1, 1), THREE_QUARTERS: (3, 4), HALF: (1, 2), QUARTER: (1, 4)}
CARRY_LABELS = {ALL: "tout", THREE_QUARTERS: "les trois quarts", HALF: "la moitié",
                QUARTER: "le quart"}
MAX_RACE_ID = 40


class ChainState(StrEnum):
    ALIVE = "en_cours"
    LOST = "perdu"
    WON = "gagne"
    REFUNDED = "rembourse"


STATE_LABELS = {ChainState.ALIVE: "en cours", ChainState.LOST: "perdu",
                ChainState.WON: "gagné", ChainState.REFUNDED: "remboursé"}


@dataclass(frozen=True)
class Leg:
    race: str
    horse: int
    kind: str  # "GAGNANT" or "PLACE"
    carry: str = ALL  # a key of CARRY_SHARES

    @property
    def simple_bet_type(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        return {"race": self.race, "horse": self.horse, "kind": self.kind, "carry": self.carry}

    @classmethod
    def from_dict(cls, d: dict) -> "Leg":
        return _leg(d, 0)

    def carry_text(self) -> str:
        """The bettor's choice in French, as the ticket says it."""
        return CARRY_LABELS[self.carry]


def _leg(item: object, index: int) -> Leg:
    where = f"Report+, course {index + 1}"
    if not isinstance(item, dict):
        raise ProtocolError(f"{where} : objet attendu.")
    race, horse, kind = item.get("race"), item.get("horse"), item.get("kind")
    carry = item.get("carry", ALL)
    if not isinstance(race, str) or not race or len(race) > MAX_RACE_ID \
            or not race.isprintable():
        raise ProtocolError(f"{where} : course manquante ou invalide.")
    if isinstance(horse, bool) or not isinstance(horse, int) or not 1 <= horse <= 999:
        raise ProtocolError(f"{where} : numéro de cheval invalide.")
    if kind not in KINDS:
        raise ProtocolError(f"{where} : gagnant ou placé attendu.")
    if carry is None:
        carry = ALL
    if not isinstance(carry, str) or carry not in CARRY_SHARES:
        raise ProtocolError(f"{where} : report invalide (tout, les trois quarts, la moitié "
                            "ou le quart).")
    return Leg(race, horse, kind, carry)


def parse_legs(value: object) -> tuple[Leg, ...]:
    """The legs of a wire request, bounded; ProtocolError (French) when malformed.
    The last leg carries nothing: its choice is stored as ALL."""
    if not isinstance(value, (list, tuple)) or not MIN_LEGS <= len(value) <= MAX_LEGS:
        raise ProtocolError(f"Un Report+ se joue sur {MIN_LEGS} à {MAX_LEGS} courses.")
    legs = [_leg(item, i) for i, item in enumerate(value)]
    last = legs[-1]
    legs[-1] = Leg(last.race, last.horse, last.kind, ALL)
    return tuple(legs)


def price_chain(req, legs: tuple[Leg, ...], races: Mapping[str, Race]):
    """Every check of a Report+ sale against the programme; a `PricedBet` of one
    unit at the first stake. `races` holds at least the legs' races."""
    from .bets import MAX_TICKET_CENTS, PricedBet

    if req.bet_type != REPORT_PLUS or not legs:
        raise ProtocolError("Report+ sans courses.")
    if req.formula != "UNITAIRE" or req.bases or req.complement is not None:
        raise ProtocolError("Report+ : formule unitaire, sans base ni complément.")
    if legs[0].race != req.race or tuple(req.selections) != (legs[0].horse,):
        raise ProtocolError("Report+ : la première course ne correspond pas au pari.")
    day = meeting = None
    previous = 0
    cards = []
    for leg in legs:
        race = races.get(leg.race)
        if race is None:
            raise UnknownRace(f"Course inconnue : {leg.race[:MAX_RACE_ID]}.")
        leg_day, leg_meeting, number = parse_race_id(race.race_id)
        if day is None:
            day, meeting = leg_day, leg_meeting
        elif (leg_day, leg_meeting) != (day, meeting):
            raise BadChain("Un Report+ se joue sur les courses d'une seule réunion.")
        if number <= previous:
            raise BadChain("Les courses d'un Report+ se suivent dans l'ordre du programme, "
                           "chacune une seule fois.")
        previous = number
        if race.offer(REPORT_PLUS) is None:
            raise BetTypeNotOffered(f"Le Report+ n'est pas proposé sur {race.race_id}.")
        if race.offer(leg.simple_bet_type) is None:
            raise BetTypeNotOffered(
                f"Le Simple {KIND_LABELS[leg.kind]} n'est pas proposé sur {race.race_id}.")
        runner = race.runner(leg.horse)
        if runner is None:
            raise RunnerNotDeclared(f"Le cheval n°{leg.horse} ne court pas dans {race.race_id}.")
        if runner.non_runner:
            raise RunnerNotDeclared(f"Le cheval n°{leg.horse} de {race.race_id} est non-partant.")
        cards.append(race)
    base = cards[0].offer(REPORT_PLUS).base_stake_cents
    stake = req.unit_stake_cents
    if stake < base:
        raise StakeBelowBase(f"La mise minimum du Report+ est de {format_euros(base)}.")
    if stake % base:
        raise StakeNotMultipleOfBase(f"La mise doit être un multiple de {format_euros(base)}.")
    if stake > min(MAX_STAKE_BASES * base, MAX_TICKET_CENTS):
        raise StakeTooHigh(f"Au Report+, la mise est au plus {MAX_STAKE_BASES} fois la mise "
                           f"minimum, soit {format_euros(MAX_STAKE_BASES * base)} "
                           "(règlement, art. 30).")
    return PricedBet(req, base, 1, stake)


@dataclass(frozen=True)
class LegOutcome:
    stake_cents: int
    return_cents: int  # what the leg's Simple gave for the stake: 0 when not paid
    carried_cents: int  # the next leg's stake: 0 ends the chain
    kept_cents: int  # owed to the bettor whatever comes next
    void: bool  # a non-runner, a race not run: the stake came back as it was
    breakage_cents: int = 0  # the fraction of a cent the split leaves: the operator's

    def to_dict(self) -> dict:
        return {"stake_cents": self.stake_cents, "return_cents": self.return_cents,
                "carried_cents": self.carried_cents, "kept_cents": self.kept_cents,
                "void": self.void, "breakage_cents": self.breakage_cents}


def split(return_cents: int, carry: str, base_cents: int) -> tuple[int, int]:
    """(carried, kept) of a leg's return (art. 30, 2016 wording). The share not
    carried is rounded to the nearest cent (half a cent up) and kept; the share
    carried is rounded down to the cent, and what the two roundings leave (a cent at
    most) goes to the operator ("les millièmes … sont affectés au produit brut"). A
    carried share below the minimum stake is not carried: it is kept. Never more
    than 1,000 minimum stakes carried: the rest is kept."""
    if return_cents <= 0:
        return 0, 0
    num, den = CARRY_SHARES[carry]
    carried = return_cents * num // den
    kept = (2 * return_cents * (den - num) + den) // (2 * den)
    if carried < base_cents:
        return 0, return_cents
    cap = MAX_STAKE_BASES * base_cents
    if carried > cap:
        kept, carried = kept + carried - cap, cap
    return carried, kept


def run_leg(stake_cents: int, leg: Leg, return_cents: int, void: bool, base_cents: int,
            last: bool) -> LegOutcome:
    """One leg settled: its return split between the next leg and the bettor."""
    if return_cents < 0 or stake_cents <= 0:
        raise ValueError("a leg has a positive stake and a return of at least nothing")
    carried, kept = (0, return_cents) if last else split(return_cents, leg.carry, base_cents)
    return LegOutcome(stake_cents, return_cents, carried, kept, void,
                      return_cents - carried - kept)


def chain_state(legs: tuple[Leg, ...], outcomes: list[LegOutcome]) -> ChainState:
    """Lost at the first leg that returned nothing; alive while a leg is to run with
    a stake; refunded when every leg run came back void; else won (a chain also ends
    won when a leg carries nothing: its share was below the minimum stake)."""
    if any(o.return_cents == 0 for o in outcomes):
        return ChainState.LOST
    if len(outcomes) < len(legs) and (not outcomes or outcomes[-1].carried_cents > 0):
        return ChainState.ALIVE
    if all(o.void for o in outcomes):
        return ChainState.REFUNDED
    return ChainState.WON


def chain_value(outcomes: list[LegOutcome]) -> int:
    """Cents owed to the bettor so far: every sum kept, the last leg's return included."""
    return sum(o.kept_cents for o in outcomes)


def next_stake(outcomes: list[LegOutcome], first_stake: int) -> int:
    """The stake of the next leg to run: the first stake, then what the last leg carried."""
    return outcomes[-1].carried_cents if outcomes else first_stake
