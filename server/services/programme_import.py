"""Reading a day's programme: the project's own format or the operator's.

Own format (documented in docs/programme-format.md):

    {"format": "guichet-programme", "version": 1, "date": "2026-11-29",
     "meetings": [{"number": 1, "venue": "VINCENNES", "races": [
        {"number": 1, "name": "PRIX D'AMERIQUE", "post_time": "2026-11-29T14:15:00Z",
         "runners": [{"number": 1, "name": "IDAO DE TILLARD"}, ...],
         "bet_types": ["SIMPLE_GAGNANT", {"bet_type": "TIERCE", "base_stake_cents": 100}]}]}]}

Operator format: the public programme JSON (`programme.reunions[].courses[]`),
e.g. shared/data/pmu_programme_2021-01-01.json. Bet types the catalogue does
not know (Tic Trois…) are skipped, not refused. The Report+ (`REPORT_PLUS`,
betting/reports.py) is kept as an offer of its own though it is no pool: its
base stake is the chain's minimum stake; in the own format it is written like
any bet type (base 1 € when not given), never with a complément.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from betting.catalogue import BET_TYPES
from betting.programme import Offer, Race, Runner, iso_utc, make_race_id, parse_utc
from betting.reports import REPORT_PLUS


class ProgrammeError(ValueError):
    """The file cannot be imported; the message says where and why (English)."""


# Bounds on every field, so that nothing an import stores can later break a
# reader (the race id pattern allows numbers 1-99), overflow the store (no
# integer reaches 2**63) or swamp a terminal's screen.
MAX_NUMBER = 99  # meetings, races, runners: race ids are R<1-99>C<1-99>
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MAX_RACES = 1000  # in one programme; a busy day has about a hundred
MAX_BET_ENTRIES = 100  # bet type entries of one race (the operator lists unknown ones too)
MAX_BASE_STAKE_CENTS = 10_000  # the operator's bases are 1 € to 3 €
MAX_TZ_OFFSET_MS = 14 * 3600 * 1000  # the widest offset of a real time zone
MAX_RACE_NAME, MAX_VENUE, MAX_RUNNER_NAME, MAX_MARK, MAX_TIME_TEXT = 200, 100, 100, 20, 40
# A post time lies within a day of the programme's date: the date is the local
# day, and foreign and night meetings run across midnight UTC.
POST_TIME_BEFORE, POST_TIME_AFTER = timedelta(days=1), timedelta(days=2)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Offers kept beside the catalogue's bet types, with their default base stake: a
# Report+ is a chain of Simple bets, priced in their pools (betting/reports.py).
CHAIN_OFFERS = {REPORT_PLUS: 100}


def _known(code: object) -> bool:
    return isinstance(code, str) and (code in BET_TYPES or code in CHAIN_OFFERS)


def parse_programme(doc: object) -> list[Race]:
    """Every race of a programme, or ProgrammeError naming the first bad field.

    All or nothing: one bad field refuses the whole file, so an import never
    leaves half a programme behind.
    """
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
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError,
            RecursionError) as exc:
        # Every field is checked above; this is the last guard, never a 500.
        raise ProgrammeError(f"malformed programme: {type(exc).__name__}: {str(exc)[:200]}") \
            from None
    if not races:
        raise ProgrammeError("the programme holds no race")
    if len(races) > MAX_RACES:
        raise ProgrammeError(f"the programme holds {len(races)} races: at most {MAX_RACES}")
    ids = [r.race_id for r in races]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ProgrammeError(f"the programme names the same race twice: {twice}")
    return races


# -- field checks: each names where it looked --------------------------------

def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _required(obj: dict, key: str, where: str) -> object:
    if key not in obj or obj[key] is None:
        raise ProgrammeError(f"{where}: {key} is missing")
    return obj[key]


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise ProgrammeError(f"{where}: expected a JSON object, got {_show(value)}")
    return value


def _list(value: object, where: str, what: str, most: int) -> list:
    if not isinstance(value, list):
        raise ProgrammeError(f"{where}: {what} must be a list, got {_show(value)}")
    if len(value) > most:
        raise ProgrammeError(f"{where}: {len(value)} {what}, at most {most}")
    return value


def _int(value: object, where: str, what: str, low: int, high: int) -> int:
    """An integer (not a boolean, not a float, not a string) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgrammeError(f"{where}: {what} must be an integer {low}–{high}, "
                             f"got {_show(value)}")
    if not low <= value <= high:
        raise ProgrammeError(f"{where}: {what} must be {low}–{high}, got {_show(value)}")
    return value


def _number(value: object, where: str, what: str) -> int:
    return _int(value, where, what, 1, MAX_NUMBER)


def _text(value: object, where: str, what: str, most: int) -> str:
    """An optional string (absent or null is empty), at most `most` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProgrammeError(f"{where}: {what} must be a string, got {_show(value)}")
    if len(value) > most:
        raise ProgrammeError(f"{where}: {what} is {len(value)} characters long, at most {most}")
    return value


def _bool(value: object, where: str, what: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ProgrammeError(f"{where}: {what} must be true or false, got {_show(value)}")
    return value


def _day(value: object, where: str) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ProgrammeError(f"{where}: date must be YYYY-MM-DD, got {_show(value)}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ProgrammeError(f"{where}: date {value} does not exist") from None
    return _day_in_range(day, where)


def _day_in_range(day: date, where: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ProgrammeError(f"{where}: date {day.isoformat()} is outside "
                             f"{FIRST_DAY.isoformat()} – {LAST_DAY.isoformat()}")
    return day


def _window(day: date) -> tuple[datetime, datetime]:
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return midnight - POST_TIME_BEFORE, midnight + POST_TIME_AFTER


def _post_time_in_window(moment: datetime, day: date, where: str) -> datetime:
    first, last = _window(day)
    if not first <= moment < last:
        raise ProgrammeError(f"{where}: post time {iso_utc(moment)} is not within a day of "
                             f"the programme's date {day.isoformat()}")
    return moment


def _iso_post_time(value: object, day: date, where: str) -> datetime:
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        raise ProgrammeError(f"{where}: post_time must be an ISO 8601 time with a zone, "
                             f"e.g. 2026-11-29T14:15:00Z, got {_show(value)}")
    try:
        moment = parse_utc(value)
    except (ValueError, OverflowError):
        raise ProgrammeError(f"{where}: post_time {_show(value)} is not an ISO 8601 time "
                             "with a zone (e.g. 2026-11-29T14:15:00Z)") from None
    return _post_time_in_window(moment, day, where)


def _base_stake(value: object, where: str, code: str) -> int:
    return _int(value, where, f"base stake of {code} (cents)", 1, MAX_BASE_STAKE_CENTS)


def _offers(entries: object, where: str) -> tuple[Offer, ...]:
    offers: list[Offer] = []
    for entry in _list(entries, where, "bet types", MAX_BET_ENTRIES):
        complement = None
        if isinstance(entry, str):
            code, base = entry, None
        elif isinstance(entry, dict):
            code, base = entry.get("bet_type"), entry.get("base_stake_cents")
            complement = entry.get("complement")
        else:
            raise ProgrammeError(f"{where}: a bet type is a code or an object, got {_show(entry)}")
        if not _known(code):
            raise ProgrammeError(f"{where}: unknown bet type {_show(code)}")
        if any(o.bet_type == code for o in offers):
            raise ProgrammeError(f"{where}: bet type {code} appears twice")
        if base is None:
            base = CHAIN_OFFERS[code] if code in CHAIN_OFFERS \
                else BET_TYPES[code].default_base_stake_cents
        complement = _bool(complement, where, f"complement of {code}")
        if complement and code in CHAIN_OFFERS:
            raise ProgrammeError(f"{where}: {code} takes no complément")
        offers.append(Offer(code, _base_stake(base, where, code), complement))
    return tuple(offers)


def _runners(entries: object, where: str) -> tuple[Runner, ...]:
    runners = []
    for r in _list(entries, where, "runners", MAX_NUMBER):
        r = _object(r, f"{where}, a runner")
        number = _number(_required(r, "number", f"{where}, a runner"), where, "runner number")
        at = f"{where}, runner {number}"
        mark = r.get("coupled_with")
        runners.append(Runner(number, _text(r.get("name"), at, "name", MAX_RUNNER_NAME),
                              _bool(r.get("non_runner"), at, "non_runner"),
                              _text(mark, at, "coupled_with", MAX_MARK) or None))
    if len({r.number for r in runners}) != len(runners):
        raise ProgrammeError(f"{where}: a runner number appears twice")
    if len(runners) < 2:
        raise ProgrammeError(f"{where}: a race needs at least two runners")
    return tuple(runners)


def _meeting_number(value: object, where: str) -> int:
    return _number(value, f"{where} {_show(value)}", "meeting number")


def _race_number(value: object, where: str) -> int:
    return _number(value, f"{where}, race {_show(value)}", "race number")


def _parse_own(doc: dict) -> list[Race]:
    version = doc.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise ProgrammeError(f"programme format version {_show(version)} is not supported "
                             "(expected 1)")
    day = _day(_required(doc, "date", "programme"), "programme")
    races = []
    meetings = _list(_required(doc, "meetings", "programme"), "programme", "meetings", MAX_NUMBER)
    for meeting in meetings:
        meeting = _object(meeting, "programme, a meeting")
        m = _meeting_number(_required(meeting, "number", "a meeting"), "meeting")
        where_m = f"meeting {m}"
        venue = _text(meeting.get("venue"), where_m, "venue", MAX_VENUE)
        for race in _list(_required(meeting, "races", where_m), where_m, "races", MAX_NUMBER):
            race = _object(race, f"{where_m}, a race")
            n = _race_number(_required(race, "number", f"{where_m}, a race"), where_m)
            where = f"{where_m}, race {n}"
            races.append(Race(
                race_id=make_race_id(day, m, n), meeting=m, number=n,
                name=_text(race.get("name"), where, "name", MAX_RACE_NAME), venue=venue,
                post_time=_iso_post_time(_required(race, "post_time", where), day, where),
                runners=_runners(_required(race, "runners", where), where),
                offers=_offers(_required(race, "bet_types", where), where),
            ))
    return races


def _epoch_ms(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=value)


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


# Epoch milliseconds the operator's format may hold: the range of days, with
# a day of margin either side for the offset and the post times.
_FIRST_MS = _ms(_window(FIRST_DAY)[0])
_LAST_MS = _ms(_window(LAST_DAY)[1])


def _parse_operator(prog: dict) -> list[Race]:
    # The programme's date is local midnight; its offset gives the local day.
    offset_ms = _int(prog.get("timezoneOffset", 0), "programme", "timezoneOffset (ms)",
                     -MAX_TZ_OFFSET_MS, MAX_TZ_OFFSET_MS)
    stamp = _int(_required(prog, "date", "programme"), "programme", "date (epoch ms)",
                 _FIRST_MS, _LAST_MS)
    day = _day_in_range((_epoch_ms(stamp) + timedelta(milliseconds=offset_ms)).date(),
                        "programme")
    races = []
    for reunion in _list(prog["reunions"], "programme", "reunions", MAX_NUMBER):
        reunion = _object(reunion, "programme, a reunion")
        m = _meeting_number(_required(reunion, "numOfficiel", "a reunion"), "meeting")
        where_m = f"meeting {m}"
        hippodrome = reunion.get("hippodrome")
        if hippodrome is not None:
            hippodrome = _object(hippodrome, f"{where_m}, hippodrome")
        venue = _text((hippodrome or {}).get("libelleCourt"), where_m, "hippodrome.libelleCourt",
                      MAX_VENUE)
        courses = _list(_required(reunion, "courses", where_m), where_m, "courses", MAX_NUMBER)
        for course in courses:
            course = _object(course, f"{where_m}, a course")
            n = _race_number(_required(course, "numOrdre", f"{where_m}, a course"), where_m)
            where = f"{where_m}, race {n}"
            participants = course.get("participants")
            if participants:
                participants = _list(participants, where, "participants", MAX_NUMBER)
                runners = _runners([_participant(p, where) for p in participants], where)
            else:
                count = _int(_required(course, "nombreDeclaresPartants", where), where,
                             "nombreDeclaresPartants", 2, MAX_NUMBER)
                runners = _runners(
                    [{"number": i, "name": f"N°{i}"} for i in range(1, count + 1)], where
                )
            offers = []
            paris = course.get("paris")
            for pari in _list([] if paris is None else paris, where, "paris", MAX_BET_ENTRIES):
                pari = _object(pari, f"{where}, a pari")
                code = _text(pari.get("codePari"), where, "codePari", 40).removeprefix("E_")
                if _known(code) and code not in {o["bet_type"] for o in offers}:
                    offers.append({"bet_type": code, "base_stake_cents": pari.get("miseBase"),
                                   # the operator's flag means nothing on a Report+
                                   "complement": pari.get("complement")
                                   if code in BET_TYPES else None})
            start = _int(_required(course, "heureDepart", where), where,
                         "heureDepart (epoch ms)", _FIRST_MS, _LAST_MS)
            races.append(Race(
                race_id=make_race_id(day, m, n), meeting=m, number=n,
                name=_text(course.get("libelle"), where, "libelle", MAX_RACE_NAME).strip(),
                venue=venue,
                post_time=_post_time_in_window(_epoch_ms(start), day, where),
                runners=runners, offers=_offers(offers, where),
            ))
    return races


def _participant(p: object, where: str) -> dict:
    p = _object(p, f"{where}, a participant")
    number = _required(p, "numPmu", f"{where}, a participant")
    statut = p.get("statut")
    if statut is not None and not isinstance(statut, str):
        raise ProgrammeError(f"{where}, runner {_show(number)}: statut must be a string")
    return {"number": number, "name": p.get("nom"), "non_runner": statut == "NON_PARTANT",
            "coupled_with": _ecurie(p, f"{where}, runner {_show(number)}")}


def _ecurie(participant: dict, where: str) -> str | None:
    mark = participant.get("ecurie") or participant.get("ecurieCode")
    if mark is None or mark == "" or mark is False:
        return None
    if isinstance(mark, int) and not isinstance(mark, bool) and 0 <= mark < 10**MAX_MARK:
        return str(mark)
    return _text(mark, where, "ecurie", MAX_MARK)


_COMPLEMENT_IN_SAMPLE = {"COUPLE_GAGNANT", "COUPLE_PLACE", "DEUX_SUR_QUATRE", "TIERCE",
                         "QUARTE_PLUS", "QUINTE_PLUS"}


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
            offered.append((REPORT_PLUS, 100))  # every race of every meeting, as the operator
            # A complément where the operator's 2025 programme offers one.
            bet_types = [{"bet_type": code, "base_stake_cents": base,
                          "complement": code in _COMPLEMENT_IN_SAMPLE}
                         for code, base in offered]
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
