"""Reading a day's programme: the project's own format or the operator's.

Own format (documented in docs/programme-format.md):

    {"format": "guichet-programme", "version": 1, "date": "2026-11-29",
     "meetings": [{"number": 1, "venue": "VINCENNES", "races": [
        {"number": 1, "name": "PRIX D'AMERIQUE", "post_time": "2026-11-29T14:15:00Z",
         "runners": [{"number": 1, "name": "IDAO DE TILLARD"}, ...],
         "bet_types": ["SIMPLE_GAGNANT", {"bet_type": "TIERCE", "base_stake_cents": 100}]}]}]}

Operator format: the public programme JSON (`programme.reunions[].courses[]`),
e.g. shared/data/pmu_programme_2021-01-01.json. Bet types the catalogue does
not know (Report+, Tic Trois…) are skipped, not refused.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from betting.catalogue import BET_TYPES
from betting.programme import Offer, Race, Runner, make_race_id, parse_utc


class ProgrammeError(ValueError):
    """The file cannot be imported; the message says where and why (English)."""


def parse_programme(doc: object) -> list[Race]:
    if not isinstance(doc, dict):
        raise ProgrammeError("a programme is a JSON object")
    try:
        if doc.get("format") == "guichet-programme":
            races = _parse_own(doc)
        elif isinstance(doc.get("programme"), dict) and "reunions" in doc["programme"]:
            races = _parse_operator(doc["programme"])
        else:
            raise ProgrammeError(
                "unknown programme format: expected {\"format\": \"guichet-programme\"} "
                "or the operator's {\"programme\": {\"reunions\": …}}"
            )
    except ProgrammeError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProgrammeError(f"malformed programme: {type(exc).__name__}: {exc}") from None
    if not races:
        raise ProgrammeError("the programme holds no race")
    ids = [r.race_id for r in races]
    if len(set(ids)) != len(ids):
        raise ProgrammeError("the programme names the same race twice")
    return races


def _offers(entries: list) -> tuple[Offer, ...]:
    offers = []
    for entry in entries:
        code = entry if isinstance(entry, str) else entry["bet_type"]
        if code not in BET_TYPES:
            raise ProgrammeError(f"unknown bet type {code!r}")
        base = (
            BET_TYPES[code].default_base_stake_cents
            if isinstance(entry, str) or entry.get("base_stake_cents") is None
            else entry["base_stake_cents"]
        )
        if isinstance(base, bool) or not isinstance(base, int) or base <= 0:
            raise ProgrammeError(f"bad base stake for {code}: {base!r}")
        offers.append(Offer(code, base))
    return tuple(offers)


def _runners(entries: list, where: str) -> tuple[Runner, ...]:
    runners = []
    for r in entries:
        number = r["number"]
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 100:
            raise ProgrammeError(f"{where}: bad runner number {number!r}")
        runners.append(Runner(number, str(r.get("name", "")), bool(r.get("non_runner", False)),
                              r.get("coupled_with")))
    if len({r.number for r in runners}) != len(runners):
        raise ProgrammeError(f"{where}: a runner number appears twice")
    if len(runners) < 2:
        raise ProgrammeError(f"{where}: a race needs at least two runners")
    return tuple(runners)


def _parse_own(doc: dict) -> list[Race]:
    day = date.fromisoformat(doc["date"])
    races = []
    for meeting in doc["meetings"]:
        m = int(meeting["number"])
        for race in meeting["races"]:
            n = int(race["number"])
            race_id = make_race_id(day, m, n)
            races.append(Race(
                race_id=race_id, meeting=m, number=n,
                name=str(race.get("name", "")), venue=str(meeting.get("venue", "")),
                post_time=parse_utc(race["post_time"]),
                runners=_runners(race["runners"], race_id),
                offers=_offers(race["bet_types"]),
            ))
    return races


def _epoch_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def _parse_operator(prog: dict) -> list[Race]:
    # The programme's date is local midnight; its offset gives the local day.
    offset = timedelta(milliseconds=prog.get("timezoneOffset", 0))
    day = (_epoch_ms(prog["date"]) + offset).date()
    races = []
    for reunion in prog["reunions"]:
        m = int(reunion["numOfficiel"])
        venue = (reunion.get("hippodrome") or {}).get("libelleCourt", "")
        for course in reunion["courses"]:
            n = int(course["numOrdre"])
            race_id = make_race_id(day, m, n)
            participants = course.get("participants") or []
            if participants:
                runners = _runners([
                    {"number": p["numPmu"], "name": p.get("nom", ""),
                     "non_runner": p.get("statut") == "NON_PARTANT",
                     "coupled_with": _ecurie(p)}
                    for p in participants
                ], race_id)
            else:
                count = int(course["nombreDeclaresPartants"])
                runners = _runners(
                    [{"number": i, "name": f"N°{i}"} for i in range(1, count + 1)], race_id
                )
            offers = []
            for pari in course.get("paris", []):
                code = str(pari.get("codePari", "")).removeprefix("E_")
                if code in BET_TYPES and code not in {o["bet_type"] for o in offers}:
                    offers.append({"bet_type": code, "base_stake_cents": pari.get("miseBase")})
            races.append(Race(
                race_id=race_id, meeting=m, number=n,
                name=str(course.get("libelle", "")).strip(), venue=venue,
                post_time=_epoch_ms(course["heureDepart"]),
                runners=runners, offers=_offers(offers),
            ))
    return races


def _ecurie(participant: dict) -> str | None:
    mark = participant.get("ecurie") or participant.get("ecurieCode")
    return str(mark) if mark else None


def sample_programme(day: date, first_post: datetime, meetings: int = 2,
                     races_per_meeting: int = 4, spacing_minutes: int = 30) -> dict:
    """A small programme in the project's own format, for the demo and tests."""
    names = [
        "JOLIE DE VIRE", "ÉCLAIR DU MOULIN", "GAMIN D'ARGENTAN", "HÉLIOS BLEU",
        "IDÉAL DES PRÉS", "JASMIN D'OR", "KAÏD DU BOCAGE", "LOUISON", "MISTRAL NOIR",
        "NÉMO DE L'ISLE", "OURAGAN", "PRINCE D'ANJOU", "QUÉBEC ROYAL", "RUBIS DU VAL",
    ]
    venues = ["VINCENNES", "CHANTILLY", "DEAUVILLE", "CAGNES-SUR-MER"]
    meeting_list = []
    for m in range(1, meetings + 1):
        races = []
        for n in range(1, races_per_meeting + 1):
            post = first_post + timedelta(minutes=spacing_minutes * ((n - 1) * meetings + m - 1))
            field = 8 + (m + n) % 7
            # Base stakes as the operator published them in its 2021-01-01 programme.
            offered = [("SIMPLE_GAGNANT", 100), ("SIMPLE_PLACE", 100), ("COUPLE_GAGNANT", 100),
                       ("COUPLE_PLACE", 100), ("COUPLE_ORDRE", 100), ("TRIO", 100),
                       ("DEUX_SUR_QUATRE", 300)]
            if n == 1:
                offered += [("TIERCE", 100), ("QUARTE_PLUS", 150), ("QUINTE_PLUS", 200),
                            ("MULTI", 300)]
            bet_types = [{"bet_type": code, "base_stake_cents": base} for code, base in offered]
            races.append({
                "number": n,
                "name": f"PRIX DE {venues[(m - 1) % len(venues)]} {n}",
                "post_time": post.astimezone(timezone.utc).replace(microsecond=0)
                .isoformat().replace("+00:00", "Z"),
                "runners": [
                    {"number": i, "name": names[(i + m + n) % len(names)]}
                    for i in range(1, field + 1)
                ],
                "bet_types": bet_types,
            })
        meeting_list.append({"number": m, "venue": venues[(m - 1) % len(venues)],
                             "races": races})
    return {"format": "guichet-programme", "version": 1, "date": day.isoformat(),
            "meetings": meeting_list}
