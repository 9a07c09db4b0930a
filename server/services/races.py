"""Races and their pools' state in the central store.

A pool is open until the operator closes it or its post time passes,
whichever comes first: stop-betting is decided here, by the server's clock,
never by a terminal.

A stored card that cannot be read (written before imports were fully
checked, or damaged) is logged once and skipped by every reader, so one bad
row never hides the others nor stops the watch loop. The operator removes it
(`remove_race`) or corrects it by importing the race again. A removed race
keeps its row, in state `removed` with a new programme version, so that
terminals asking for what changed since their version learn to drop it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from betting.errors import BettingError, OperatorRefusal
from betting.programme import Race, iso_utc
from betting.rates import DEFAULT_RATES, Rates
from betting.states import RaceState

from . import audit, odds
from ..records import StoredRace
from ..store import UnitOfWork

log = logging.getLogger("guichet.server")

# Cards already reported unreadable, by (race id, version): logged once, not every second.
_reported: set[tuple[str, int]] = set()


class RaceRemovalRefused(BettingError):
    """A race with bets on it cannot be removed (English, for the operator)."""

    code = "race_has_bets"


class RaceChangeRefused(OperatorRefusal):
    """A change to a race the operator may not make now; nothing was changed.

    Codes: `race_closed` (its pools are closed, or its post time has passed),
    `bad_post_time` (a new post time in the past or too far from the race's day),
    `bad_reason` (a reason that is empty, too long or not printable)."""


MAX_REASON = 200  # characters of an operator's reason (closing, suspending)
# A new post time stays within a day of the race's own day (its identifier's date).
POST_TIME_SLACK_DAYS = 1

try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no time zone database: the UTC day, wrong only near midnight
    PARIS = timezone.utc


@dataclass(frozen=True)
class RaceRecord:
    race: Race
    state: RaceState  # as stored: open / suspended / closed
    closed_at: str | None
    version: int

    def state_at(self, now: datetime) -> RaceState:
        """The state now: an open or suspended race is closed once its post time has come."""
        if self.state in (RaceState.OPEN, RaceState.SUSPENDED) and now >= self.race.post_time:
            return RaceState.CLOSED
        return self.state

    def to_dict(self, now: datetime) -> dict:
        return {**self.race.to_dict(), "state": self.state_at(now), "version": self.version}


def _record(row: StoredRace) -> RaceRecord | None:
    """The stored race as a record, or None (logged once) when its card cannot be read."""
    try:
        race = Race.from_dict(json.loads(row.card))
        if race.race_id != row.race_id:
            raise ValueError(f"card names {race.race_id[:40]!r}")
        iso_utc(race.post_time)
        return RaceRecord(race, RaceState(row.state), row.closed_at, row.version)
    except Exception as exc:  # any damage: skip this row, never the others
        mark = (str(row.race_id), row.version)
        if mark not in _reported:
            if len(_reported) > 10_000:
                _reported.clear()
            _reported.add(mark)
            log.error("race %.60r (version %s) cannot be read and is skipped: %s: %.200s; "
                      "remove it (guichet admin remove-race) or import it again",
                      row.race_id, row.version, type(exc).__name__, exc)
        return None


def _records(rows: list[StoredRace]) -> list[RaceRecord]:
    return [r for r in map(_record, rows) if r is not None]


def import_races(uow: UnitOfWork, races: list[Race]) -> int:
    """Insert or update the cards; a closed race stays closed, a removed one comes back open."""
    version = uow.meta.bump_programme_version()
    for race in races:
        uow.races.upsert(race.race_id, race.meeting, race.number, iso_utc(race.post_time),
                         race.to_dict(), version)
    return version


def import_programme(uow: UnitOfWork, races: list[Race]) -> int:
    """An operator's import (API or command line): `import_races`, written in the audit log."""
    version = import_races(uow, races)
    audit.record(uow, "programme.import", f"version {version}",
                 {"races": len(races), "days": sorted({r.race_id[:10] for r in races})[:31]})
    return version


def get_race(uow: UnitOfWork, race_id: str) -> RaceRecord | None:
    """The race, or None when unknown, removed or unreadable."""
    row = uow.races.get(race_id)
    return _record(row) if row else None


def list_races(uow: UnitOfWork, day: str | None = None) -> list[RaceRecord]:
    return _records(uow.races.listed(day=day))


def races_since(uow: UnitOfWork, version: int) -> list[RaceRecord]:
    return _records(uow.races.listed(since_version=version))


def removed_since(uow: UnitOfWork, version: int) -> list[str]:
    """Ids of the races removed after `version`: terminals drop them."""
    return uow.races.removed_since(version)


def remove_race(uow: UnitOfWork, race_id: str) -> int | None:
    """Take a race off the programme; the new programme version, or None if unknown.

    Only a race nobody has bet on can go (a bet's ticket must keep its race):
    otherwise RaceRemovalRefused, and the race is to be closed instead. Works
    on rows whose id or card is malformed, since those are the ones to remove.
    """
    row = uow.races.get(race_id, removed=True)
    if row is None or row.state == RaceState.REMOVED:
        return None
    taken = uow.bets.count_taken(race_id)
    if taken:
        raise RaceRemovalRefused(
            f"{race_id} cannot be removed: {taken} bet(s) were taken on it; "
            "close it instead (POST /api/races/<race>/close or guichet admin close)")
    version = uow.meta.bump_programme_version()
    uow.races.set_state(race_id, RaceState.REMOVED, None, version)
    uow.pools.drop_race(race_id)
    uow.results.drop_race(race_id)
    log.info("race %.60r removed from the programme (version %s)", race_id, version)
    audit.record(uow, "race.remove", race_id, {"version": version})
    return version


def current_version(uow: UnitOfWork) -> int:
    return uow.meta.programme_version()


def close_race(uow: UnitOfWork, race_id: str, now: datetime,
               reason: str | None = None) -> RaceRecord | None:
    """Stop betting now (an open or a suspended race). Closing a closed race
    changes nothing and is not an error. `reason`, when given, is checked
    (`operator_reason`) and kept in the audit entry."""
    record = get_race(uow, race_id)
    if reason is not None:
        reason = operator_reason(reason)
    if record is None or record.state == RaceState.CLOSED:
        return record
    _mark_closed(uow, race_id, now)
    audit.record(uow, "race.close", race_id, {"reason": reason} if reason else None, now=now)
    return get_race(uow, race_id)


def operator_reason(reason: object, required: bool = True) -> str | None:
    """An operator's reason, trimmed: printable, at most MAX_REASON characters."""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if required:
            raise RaceChangeRefused("bad_reason", "reason is required")
        return None
    if not isinstance(reason, str):
        raise RaceChangeRefused("bad_reason", "reason must be a string")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise RaceChangeRefused("bad_reason", f"reason must be at most {MAX_REASON} characters")
    if not reason.isprintable():
        raise RaceChangeRefused("bad_reason", "reason must not contain control characters")
    return reason


def _before_the_off(uow: UnitOfWork, race_id: str, now: datetime) -> RaceRecord:
    record = get_race(uow, race_id)
    if record is None:
        raise RaceChangeRefused("unknown_race", f"no race {race_id} in the programme")
    if record.state_at(now) == RaceState.CLOSED:
        raise RaceChangeRefused("race_closed", f"{race_id} is closed: its pools can no longer "
                                               "change state nor its post time")
    return record


def suspend_race(uow: UnitOfWork, race_id: str, now: datetime,
                 reason: object = None) -> RaceRecord:
    """Stop taking bets for a while before the off (the race can reopen until its
    post time; at the off it closes as an open race does). Suspending a
    suspended race changes nothing."""
    reason = operator_reason(reason, required=False)
    record = _before_the_off(uow, race_id, now)
    if record.state == RaceState.SUSPENDED:
        return record
    uow.races.set_state(race_id, RaceState.SUSPENDED, None, uow.meta.bump_programme_version())
    audit.record(uow, "race.suspend", race_id, {"reason": reason} if reason else None, now=now)
    return get_race(uow, race_id)


def reopen_race(uow: UnitOfWork, race_id: str, now: datetime) -> RaceRecord:
    """Take bets again on a suspended race, before its post time only.
    Reopening an open race changes nothing; a closed race never reopens."""
    record = _before_the_off(uow, race_id, now)
    if record.state == RaceState.OPEN:
        return record
    uow.races.set_state(race_id, RaceState.OPEN, None, uow.meta.bump_programme_version())
    audit.record(uow, "race.reopen", race_id, now=now)
    return get_race(uow, race_id)


def set_post_time(uow: UnitOfWork, race_id: str, post_time: datetime,
                  now: datetime) -> RaceRecord:
    """Move a race's off, before it is closed: the card is imported again with the
    new time (a new programme version, which the terminals are sent). The new
    time is in the future and within a day of the race's own day."""
    record = _before_the_off(uow, race_id, now)
    if post_time.tzinfo is None:
        raise RaceChangeRefused("bad_post_time", "post_time must say its time zone")
    if post_time <= now:
        raise RaceChangeRefused("bad_post_time",
                                f"post_time {iso_utc(post_time)} is in the past")
    day = date.fromisoformat(record.race.race_id[:10])
    if abs((post_time.astimezone(PARIS).date() - day).days) > POST_TIME_SLACK_DAYS:
        raise RaceChangeRefused("bad_post_time",
                                f"post_time {iso_utc(post_time)} is not within a day of "
                                f"the race's day {day.isoformat()}")
    old = iso_utc(record.race.post_time)
    if old == iso_utc(post_time):
        return record
    import_races(uow, [replace(record.race, post_time=post_time.astimezone(timezone.utc))])
    audit.record(uow, "race.post_time", race_id, {"old": old, "new": iso_utc(post_time)},
                 now=now)
    return get_race(uow, race_id)


def _mark_closed(uow: UnitOfWork, race_id: str, now: datetime) -> None:
    version = uow.meta.bump_programme_version()
    uow.races.set_state(race_id, RaceState.CLOSED, iso_utc(now), version)


def close_due_races(uow: UnitOfWork, now: datetime) -> list[RaceRecord]:
    """Record the closing of every open race whose post time has passed.

    Each race on its own: an unreadable card is still closed (no bet must get
    in after its stored post time) but not returned, since nobody was told of
    it; an error on one race is logged and the others are closed all the same.
    """
    closed = []
    for race_id in uow.races.due(now):
        try:
            _mark_closed(uow, race_id, now)
            audit.record(uow, "race.close_at_off", race_id, now=now)
            record = get_race(uow, race_id)
        except Exception:
            log.exception("could not close race %.60r at the off", race_id)
            continue
        if record is not None:
            closed.append(record)
    return closed


def pool_board(uow: UnitOfWork, day: str, now: datetime,
               rates: Rates = DEFAULT_RATES) -> list[dict]:
    """Every race of `day` with its state now, its pools' totals and, while it
    takes bets or is suspended, the Simple gagnant probable odds (×100 per
    runner, as pushed to the terminals): what the operator watches.

    The open races are priced in one read (`odds.open_pools`); a suspended
    race, which takes no bet, from its own stakes; a closed race shows its
    totals only (its dividends come with its result)."""
    records = list_races(uow, day)
    priced = odds.open_pools(uow, now, rates)
    board = []
    for record in records:
        state = record.state_at(now)
        if state == RaceState.OPEN:
            race_odds = {int(h): o for h, o in priced.get(record.race.race_id, {})
                         .get("odds", {}).items()}
        elif state == RaceState.SUSPENDED:
            race_odds = _odds_of(uow, record.race.race_id, now, rates)
        else:
            race_odds = {}
        totals = uow.pools.totals(record.race.race_id)
        board.append({**record.to_dict(now), "closed_at": record.closed_at,
                      "pools": [{"bet_type": t["bet_type"], "total_cents": int(t["total_cents"]),
                                 "bets": int(t["bets"])} for t in totals],
                      "total_cents": sum(int(t["total_cents"]) for t in totals),
                      "odds": {str(h): o for h, o in sorted(race_odds.items())}})
    return board


def _odds_of(uow: UnitOfWork, race_id: str, now: datetime, rates: Rates) -> dict[int, int]:
    stakes: dict[int, int] = {}
    for group in uow.bets.stake_groups(race_id):
        if group.bet_type == odds.ODDS_BET_TYPE and len(group.selections) == 1 \
                and not group.bases:
            horse = group.selections[0]
            stakes[horse] = stakes.get(horse, 0) + int(group.stake_cents)
    total = sum(int(t["total_cents"]) for t in uow.pools.totals(race_id)
                if t["bet_type"] == odds.ODDS_BET_TYPE)
    return odds.probable_odds(total, stakes, rates.deduction_rate(odds.ODDS_BET_TYPE),
                              rates.on(now.date()).minimum(odds.ODDS_BET_TYPE))
