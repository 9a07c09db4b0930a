"""The official result of a race, as the settlement rules read it.

The arrival is a list of places; each place is a tuple of horses, more than
one when the judges declare a dead heat. A dead heat for second between 2 and
8 after 10 won is `((10,), (2, 8), (3,))`: horse 3 is fourth, since the two
horses in the dead heat fill places two and three.

Dead heats are settled by one rule for every bet type (RULES.md, "Dead
heats"): every order the judges could have given is considered, each equally
likely, and a payable combination receives the average of the shares it gets
in those orders. That is the operator's wording ("the part of the places in
dead heat is shared in equal parts between the horses in dead heat") applied
uniformly, and it makes the Couplé placé and 2 sur 4 dead-heat tables of the
rules fall out instead of being typed in.

A race that is not run (cancelled, or postponed to another day) has a
result too, `cancelled`, with no arrival: nobody is classified, so every pool
of the race is void and every bet refunded (payable.payables).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Iterable, Sequence

from .errors import InvalidResult


def _horse(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 100:
        raise InvalidResult(f"Numéro de cheval invalide : {str(value)[:10]}.")
    return value


@dataclass(frozen=True)
class OfficialResult:
    """What the judges and the programme say, all a pool needs to be settled."""

    arrival: tuple[tuple[int, ...], ...]  # classified horses, place by place
    declared_runners: int  # runners on the race card when betting opened
    non_runners: frozenset[int] = frozenset()  # withdrawn horses (refund or NP)
    coupled: tuple[tuple[int, ...], ...] = ()  # écuries: horses coupled for Simple Gagnant
    cancelled: bool = False  # the race was not run: no arrival, every bet refunded

    def __post_init__(self) -> None:
        if not isinstance(self.cancelled, bool):
            raise InvalidResult("Indication de course annulée invalide.")
        arrival = tuple(tuple(_horse(h) for h in place) for place in self.arrival)
        if self.cancelled and arrival:
            raise InvalidResult("Une course annulée n'a pas d'arrivée.")
        if any(not place for place in arrival):
            raise InvalidResult("Une place de l'arrivée est vide.")
        coupled = tuple(tuple(sorted(_horse(h) for h in group)) for group in self.coupled)
        non_runners = frozenset(_horse(h) for h in self.non_runners)
        placed = [h for place in arrival for h in place]
        if len(set(placed)) != len(placed):
            raise InvalidResult("Un cheval figure deux fois à l'arrivée.")
        if non_runners & set(placed):
            raise InvalidResult("Un non-partant figure à l'arrivée.")
        members = [h for group in coupled for h in group]
        if len(set(members)) != len(members):
            raise InvalidResult("Un cheval figure dans deux écuries.")
        if isinstance(self.declared_runners, bool) or not isinstance(self.declared_runners, int):
            raise InvalidResult("Nombre de partants déclarés invalide.")
        if self.declared_runners < len(placed) + len(non_runners):
            raise InvalidResult("Plus de chevaux à l'arrivée que de partants déclarés.")
        object.__setattr__(self, "arrival", arrival)
        object.__setattr__(self, "coupled", coupled)
        object.__setattr__(self, "non_runners", non_runners)

    @property
    def starters(self) -> int:
        """Horses that took part: declared runners less the non-runners."""
        return self.declared_runners - len(self.non_runners)

    @property
    def classified(self) -> int:
        return sum(len(place) for place in self.arrival)

    def to_dict(self) -> dict:
        """The stored shape; `cancelled` only when true, so results of races run
        keep the shape they always had."""
        d = {
            "arrival": [list(place) for place in self.arrival],
            "declared_runners": self.declared_runners,
            "non_runners": sorted(self.non_runners),
            "coupled": [list(group) for group in self.coupled],
        }
        if self.cancelled:
            d["cancelled"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "OfficialResult":
        return cls(
            arrival=tuple(tuple(place) for place in d["arrival"]),
            declared_runners=d["declared_runners"],
            non_runners=frozenset(d.get("non_runners", ())),
            coupled=tuple(tuple(group) for group in d.get("coupled", ())),
            cancelled=d.get("cancelled", False),
        )


def make_result(arrival: Iterable[Iterable[int]], declared_runners: int,
                non_runners: Iterable[int] = (),
                coupled: Iterable[Iterable[int]] = (),
                cancelled: bool = False) -> OfficialResult:
    """Build a result from JSON-ish lists (`{"arrival": [[13], [7], [14]]}`).

    `cancelled=True` with an empty arrival: the race was not run."""
    try:
        return OfficialResult(
            arrival=tuple(tuple(place) for place in arrival),
            declared_runners=declared_runners,
            non_runners=frozenset(non_runners),
            coupled=tuple(tuple(group) for group in coupled),
            cancelled=cancelled,
        )
    except TypeError:
        raise InvalidResult() from None


def places_paid_simple_place(declared_runners: int) -> int:
    """Simple placé: 2 places for 4 to 7 declared runners, 3 for 8 or more.

    Declared, not starters: the published dividends of 20 October 2017 pay 3
    places in a race of 8 declared runners with one non-runner (RULES.md).
    """
    return 3 if declared_runners >= 8 else 2


def resolutions(arrival: Sequence[Sequence[int]], depth: int) -> list[tuple[int, ...]]:
    """Every strict order of the first `depth` places the dead heats allow.

    Each is equally likely (a tie of g horses straddling the last r places it
    reaches gives g!/(g-r)! orders, each standing for (g-r)! full orders). The
    tuples are shorter than `depth` when fewer horses are classified.
    """
    prefixes: list[tuple[int, ...]] = [()]
    for place in arrival:
        room = depth - len(prefixes[0])
        if room <= 0:
            break
        take = min(room, len(place))
        prefixes = [p + q for p in prefixes for q in permutations(place, take)]
    return prefixes
