"""Race cards: what a race offers, as both sides see it.

Race identifier: `YYYY-MM-DD/R<meeting>C<race>` (CONTRACT.md).
"""
from __future__ import annotations

import functools

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from .errors import UnknownRace

_RACE_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})/R([1-9]\d{0,1})C([1-9]\d{0,1})$")


def make_race_id(day: date, meeting: int, race: int) -> str:
    return f"{day.isoformat()}/R{meeting}C{race}"


def parse_race_id(race_id: object) -> tuple[date, int, int]:
    """Raise UnknownRace for anything that is not a well-formed race identifier."""
    m = _RACE_ID.match(race_id) if isinstance(race_id, str) else None
    if not m:
        raise UnknownRace(f"Course inconnue : {str(race_id)[:40]}.")
    try:
        day = date.fromisoformat(m.group(1))
    except ValueError:
        raise UnknownRace(f"Course inconnue : {race_id[:40]}.") from None
    return day, int(m.group(2)), int(m.group(3))


@dataclass(frozen=True)
class Runner:
    number: int  # numPmu
    name: str
    non_runner: bool = False
    coupled_with: str | None = None  # écurie mark, e.g. "E1"; same mark = coupled entry


@dataclass(frozen=True)
class Offer:
    bet_type: str  # catalogue code without E_
    base_stake_cents: int
    # The bettor may name a "cheval de complément" on this bet type (règlement
    # art. 13 II; the operator's programme says so per bet type): betting/complement.py.
    complement: bool = False


@dataclass(frozen=True)
class Race:
    race_id: str
    meeting: int
    number: int
    name: str
    venue: str
    post_time: datetime  # UTC, aware
    runners: tuple[Runner, ...]
    offers: tuple[Offer, ...]

    @property
    def declared_runners(self) -> int:
        return len(self.runners)

    def runner(self, number: int) -> Runner | None:
        for r in self.runners:
            if r.number == number:
                return r
        return None

    def offer(self, bet_type: str) -> Offer | None:
        for o in self.offers:
            if o.bet_type == bet_type:
                return o
        return None

    def to_dict(self) -> dict:
        return {
            "race": self.race_id,
            "meeting": self.meeting,
            "number": self.number,
            "name": self.name,
            "venue": self.venue,
            "post_time": iso_utc(self.post_time),
            "runners": [
                {"number": r.number, "name": r.name, "non_runner": r.non_runner,
                 "coupled_with": r.coupled_with}
                for r in self.runners
            ],
            "bet_types": [
                {"bet_type": o.bet_type, "base_stake_cents": o.base_stake_cents,
                 "complement": o.complement}
                for o in self.offers
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Race":
        _, meeting, number = parse_race_id(d["race"])
        return cls(
            race_id=d["race"],
            meeting=meeting,
            number=number,
            name=d.get("name", ""),
            venue=d.get("venue", ""),
            post_time=parse_utc(d["post_time"]),
            runners=tuple(
                Runner(int(r["number"]), r.get("name", ""), bool(r.get("non_runner")),
                       r.get("coupled_with"))
                for r in d["runners"]
            ),
            offers=tuple(
                Offer(o["bet_type"], int(o["base_stake_cents"]), o.get("complement") is True)
                for o in d["bet_types"]
            ),
        )


@functools.lru_cache(maxsize=4096)  # the same instant is written for every bet of a commit
def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, second precision: '2021-01-01T12:58:00Z'."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are UTC and must say so")
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z"
    )


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return moment.astimezone(timezone.utc)
