"""Back office: the racing day — programme, pools, results (pages under /admin).

- Programme: import the operator's programme file (all or nothing), the races
  of a Paris day with their runners, move a post time, declare non-runners.
- Pools: every race's state, its automatic close at the off, live totals and
  Simple gagnant probable odds (a fragment the page polls), close now with a
  reason, suspend and reopen before the off.
- Results: enter an arrival (dead heats with "="), preview its dividends
  (nothing stored), publish it as provisional, correct it, declare it official.

Each POST is the operator's, calls one service (which writes its audit entry)
and redirects back with a French message; a refusal re-renders the page with
the reason in French, nothing changed. Terminals hear of a change at once
(pool states) or through the programme version and results the watch loop
pushes (server/web/app.py).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from flask import (Blueprint, current_app, flash, get_flashed_messages, redirect, render_template,
                   request, url_for)

from betting.catalogue import BET_TYPES
from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import parse_race_id
from betting.reports import LABEL as REPORT_PLUS_LABEL, REPORT_PLUS
from betting.states import RaceState
from guichet.clock import utcnow
from guichet.web_security import PROGRAMME_BODY_LIMIT

from ..services import races, settlement
from ..services.programme_import import ProgrammeError, parse_programme
from .admin import page
from .socket_ns import push_pool_states

bp = Blueprint("admin_races", __name__, url_prefix="/admin")

MAX_UPLOAD_BYTES = PROGRAMME_BODY_LIMIT  # as the JSON API takes; a day is a few hundred kB
MAX_FIELD = 200  # characters of any other form field

STATE_LABELS = {
    RaceState.OPEN: "ouverte", RaceState.SUSPENDED: "suspendue", RaceState.CLOSED: "fermée",
}
KIND_LABELS = {
    "GAGNANT": "Gagnant", "PLACE": "Placé", "ORDRE": "Ordre", "DESORDRE": "Désordre",
    "BONUS4": "Bonus 4", "BONUS3": "Bonus 3", "DEUX_SUR_QUATRE": "2 sur 4",
    "NP": "Non-partant", "DEUX_CHEVAUX": "2 chevaux",
}

# The French reason of each refusal of the services (their messages are English, for the API).
REFUSALS = {
    "unknown_race": "Course inconnue.",
    "race_closed": "La course est fermée : ses masses ne changent plus d'état et son heure de "
                   "départ ne se modifie plus.",
    "bad_post_time": "Heure de départ refusée : elle doit être à venir, et le jour de la course "
                     "(à un jour près).",
    "bad_reason": f"Indiquez un motif (au plus {races.MAX_REASON} caractères, sans caractère "
                  "de contrôle).",
    "race_open": "La course est encore ouverte : fermez-la avant d'entrer son arrivée.",
    "results_official": "Le résultat est officiel : il ne peut plus changer.",
    "no_result": "Aucun résultat n'a été entré pour cette course.",
    "unknown_runner": "Un numéro ne court pas dans cette course.",
    "bad_result": "Arrivée invalide.",
}


def _store():
    return current_app.extensions["guichet.store"]


def _rates():
    return current_app.extensions["guichet.rates"]


def refusal_text(exc: BettingError) -> str:
    """The French sentence for a refusal; an invalid arrival keeps its own French detail."""
    if exc.code == "bad_result" and ": " in exc.message:
        code, detail = exc.message.split(": ", 1)
        if code == "invalid_result":
            return f"Arrivée invalide : {detail}"
    return REFUSALS.get(exc.code, "Demande refusée.")


# -- Paris time ---------------------------------------------------------------

def paris_day(now: datetime | None = None) -> str:
    return (now or utcnow()).astimezone(races.PARIS).date().isoformat()


def _day_arg() -> str:
    """The Paris day asked for (`?day=`), today when absent or malformed."""
    day = request.values.get("day", "")
    try:
        return date.fromisoformat(day[:10]).isoformat() if day else paris_day()
    except ValueError:
        return paris_day()


def _hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(races.PARIS) \
        .strftime("%H:%M")


def _local_input(iso: str) -> str:
    """The value of a datetime-local field: Paris time, to the minute."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(races.PARIS) \
        .strftime("%Y-%m-%dT%H:%M")


def parse_paris_time(text: str) -> datetime | None:
    """'2026-11-29T14:20' in Paris time (a datetime-local field) as an aware UTC time."""
    try:
        local = datetime.strptime(text.strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=races.PARIS).astimezone(timezone.utc)


def _day_of(race_id: str) -> str:
    """The Paris day of a race (its identifier's date), today for a malformed one."""
    try:
        return parse_race_id(race_id)[0].isoformat()
    except BettingError:
        return paris_day()


@bp.app_template_filter("paris_hm")
def _paris_hm(iso: str) -> str:
    return _hhmm(iso)


@bp.app_template_filter("euros")
def _euros(cents) -> str:
    return format_euros(int(cents))


@bp.app_template_filter("bet_label")
def _bet_label(code: str) -> str:
    bet_type = BET_TYPES.get(code)
    if bet_type is None and code == REPORT_PLUS:
        return REPORT_PLUS_LABEL
    return bet_type.label if bet_type else code


@bp.app_template_filter("kind_label")
def _kind_label(kind: str) -> str:
    if kind.startswith("MULTI_EN_"):
        return f"Multi en {kind.rsplit('_', 1)[1]}"
    return KIND_LABELS.get(kind, kind)


@bp.app_template_filter("state_label")
def _state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


@bp.app_template_filter("odds_text")
def _odds_text(odds: int) -> str:
    return f"{odds // 100},{odds % 100 // 10}"


def _short(race_id: str) -> str:
    return race_id[11:] if len(race_id) > 11 else race_id


@bp.app_template_filter("short_race")
def _short_race(race_id: str) -> str:
    return _short(race_id)


# -- form fields ----------------------------------------------------------------

def _field(name: str) -> str:
    """A form field, bounded; one character over the bound, so a service still
    refuses a value that was too long rather than taking it cut short."""
    value = request.form.get(name, "")
    return value[:MAX_FIELD + 1] if isinstance(value, str) else ""


def parse_numbers(text: str) -> list[int] | None:
    """'3, 11' -> [3, 11]; None when a part is not a horse number."""
    numbers = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 2:
            return None
        numbers.append(int(part))
    return numbers


def parse_arrival(text: str) -> list[list[int]] | None:
    """'13, 7=9, 14' -> [[13], [7, 9], [14]] ('=' joins horses in a dead heat)."""
    places = []
    for place in text.split(","):
        if not place.strip():
            continue
        horses = parse_numbers(place.replace("=", ","))
        if not horses or len(horses) != place.count("=") + 1:
            return None
        places.append(horses)
    return places or None


def _messages() -> list[tuple[str, str]]:
    return get_flashed_messages(with_categories=True)


# -- programme -------------------------------------------------------------------

def _programme_page(day: str, error: str | None = None, status: int = 200, **extra):
    now = utcnow()
    with _store().unit_of_work(read_only=True) as uow:
        records = races.list_races(uow, day)
    shown = [{**r.to_dict(now), "post_input": _local_input(r.to_dict(now)["post_time"])}
             for r in records]
    return render_template("server/admin/programme.html", day=day, races=shown, error=error,
                           messages=_messages(), max_upload_mb=MAX_UPLOAD_BYTES // 2**20,
                           **extra), status


@bp.get("/programme")
@page("operator")
def programme():
    return _programme_page(_day_arg())


def _import_answer(ok: bool, text: str, status: int, day: str | None = None):
    """A fragment for htmx (always 200: htmx swaps nothing for an error status; the
    fragment says whether it was refused), else the page, redirected after success."""
    if request.headers.get("HX-Request") == "true":
        return render_template("server/admin/_import_result.html", ok=ok, text=text,
                               day=day or _day_arg())
    if ok:
        flash(text, "ok")
        return redirect(url_for("admin_races.programme", day=day or _day_arg()))
    return _programme_page(_day_arg(), error=text, status=status)


@bp.post("/programme/import")
@page("operator")
def programme_import():
    """The operator's file, all or nothing: every race stored, or none and the reason."""
    upload = request.files.get("programme")
    if upload is None or not upload.filename:
        return _import_answer(False, "Choisissez le fichier du programme (JSON).", 400)
    raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        return _import_answer(False, f"Fichier trop gros : au plus "
                                     f"{MAX_UPLOAD_BYTES // 2**20} Mo. Rien n'a été importé.",
                              413)
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _import_answer(False, "Programme refusé : le fichier n'est pas du texte UTF-8. "
                                     "Rien n'a été importé.", 400)
    except (ValueError, RecursionError) as exc:
        where = (f" (ligne {exc.lineno}, colonne {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        return _import_answer(False, f"Programme refusé : le fichier n'est pas du JSON "
                                     f"valide{where}. Rien n'a été importé.", 400)
    try:
        parsed = parse_programme(doc)
    except ProgrammeError as exc:
        return _import_answer(False, f"Programme refusé, rien n'a été importé. Motif (tel que "
                                     f"le lecteur du programme le donne) : {exc}", 400)
    with _store().unit_of_work() as uow:
        version = races.import_programme(uow, parsed)
        uow.commit()
    runners = sum(len(r.runners) for r in parsed)
    days = sorted({r.race_id[:10] for r in parsed})
    text = (f"Programme importé : {len(parsed)} course{'s' if len(parsed) > 1 else ''}, "
            f"{runners} partant{'s' if runners > 1 else ''} "
            f"({', '.join(days)}) — version {version}, envoyée aux terminaux.")
    return _import_answer(True, text, 200, days[0])


@bp.post("/races/<path:race_id>/post-time")
@page("operator")
def post_time(race_id: str):
    day = _day_of(race_id)
    moment = parse_paris_time(_field("post_time"))
    if moment is None:
        return _programme_page(day, "Heure de départ illisible : jour et heure attendus "
                                    "(heure de Paris).", 400)
    try:
        with _store().unit_of_work() as uow:
            record = races.set_post_time(uow, race_id, moment, utcnow())
            uow.commit()
    except BettingError as exc:
        return _programme_page(day, f"{_short(race_id)} : {refusal_text(exc)}", 409)
    flash(f"{_short(race_id)} : départ à {_hhmm(record.to_dict(utcnow())['post_time'])} "
          "(heure de Paris), envoyé aux terminaux.", "ok")
    return redirect(url_for("admin_races.programme", day=day))


@bp.post("/races/<path:race_id>/non-runners")
@page("operator")
def non_runners(race_id: str):
    day = _day_of(race_id)
    numbers = parse_numbers(_field("non_runners"))
    if not numbers:
        return _programme_page(day, f"{_short(race_id)} : indiquez les numéros des "
                                    "non-partants, séparés par des virgules.", 400)
    try:
        with _store().unit_of_work() as uow:
            record = settlement.declare_non_runners(uow, race_id, numbers, utcnow())
            uow.commit()
    except BettingError as exc:
        return _programme_page(day, f"{_short(race_id)} : {refusal_text(exc)}", 409)
    withdrawn = [r.number for r in record.race.runners if r.non_runner]
    flash(f"{_short(race_id)} : non-partant{'s' if len(withdrawn) > 1 else ''} "
          f"{', '.join(map(str, withdrawn))}, envoyé aux terminaux.", "ok")
    return redirect(url_for("admin_races.programme", day=day))


# -- pools -----------------------------------------------------------------------

def _board(day: str) -> list[dict]:
    with _store().unit_of_work(read_only=True) as uow:
        return races.pool_board(uow, day, utcnow(), _rates())


def _pools_page(day: str, error: str | None = None, status: int = 200):
    board = _board(day)
    return render_template("server/admin/pools.html", day=day, board=board, error=error,
                           messages=_messages(), now_hm=_hhmm(utcnow().isoformat())), status


@bp.get("/pools")
@page("operator", "auditor")
def pools():
    return _pools_page(_day_arg())


@bp.get("/pools/live")
@page("operator", "auditor")
def pools_live():
    """The table the pools page polls every few seconds."""
    day = _day_arg()
    return render_template("server/admin/_pools_table.html", day=day, board=_board(day),
                           now_hm=_hhmm(utcnow().isoformat()))


def _state_change(race_id: str, change, done: str):
    day = _day_of(race_id)
    now = utcnow()
    try:
        with _store().unit_of_work() as uow:
            record = change(uow, now)
            uow.commit()
    except BettingError as exc:
        return _pools_page(day, f"{_short(race_id)} : {refusal_text(exc)}",
                           400 if exc.code == "bad_reason" else 409)
    if record is None:
        return _pools_page(day, f"{_short(race_id)} : {REFUSALS['unknown_race']}", 404)
    push_pool_states(current_app.extensions["socketio"], [record], now)
    flash(f"{_short(race_id)} : {done}", "ok")
    return redirect(url_for("admin_races.pools", day=day))


@bp.post("/races/<path:race_id>/close")
@page("operator")
def close(race_id: str):
    reason = _field("reason")
    if not reason.strip():
        return _pools_page(_day_of(race_id), f"{_short(race_id)} : {REFUSALS['bad_reason']}",
                           400)
    return _state_change(race_id, lambda uow, now: races.close_race(uow, race_id, now, reason),
                         "paris fermés, terminaux prévenus.")


@bp.post("/races/<path:race_id>/suspend")
@page("operator")
def suspend(race_id: str):
    reason = _field("reason")
    return _state_change(race_id,
                         lambda uow, now: races.suspend_race(uow, race_id, now, reason or None),
                         "paris suspendus, terminaux prévenus.")


@bp.post("/races/<path:race_id>/reopen")
@page("operator")
def reopen(race_id: str):
    return _state_change(race_id, lambda uow, now: races.reopen_race(uow, race_id, now),
                         "paris rouverts, terminaux prévenus.")


# -- results ---------------------------------------------------------------------

def _results_page(day: str, race_id: str | None = None, error: str | None = None,
                  status: int = 200, **extra):
    now = utcnow()
    with _store().unit_of_work(read_only=True) as uow:
        listed = []
        for record in races.list_races(uow, day):
            stored = uow.results.get(record.race.race_id)
            listed.append({**record.to_dict(now),
                           "result": (None if stored is None else
                                      "annulée" if stored.result.get("cancelled") else
                                      "officiel" if stored.official else "provisoire")})
        chosen = published = None
        if race_id:
            record = races.get_race(uow, race_id)
            chosen = record.to_dict(now) if record else None
            if chosen and uow.results.get(race_id) is not None:
                published = settlement.dividends(uow, race_id)
    return render_template("server/admin/results.html", day=day, races=listed, race=chosen,
                           published=published, error=error, messages=_messages(),
                           **extra), status


@bp.get("/results")
@page("operator", "auditor")
def results():
    race_id = request.args.get("race", "")[:40] or None
    return _results_page(_day_of(race_id) if race_id else _day_arg(), race_id)


def _entered() -> tuple[dict | None, str | None, dict]:
    """The result body from the form, or a French reason; and the fields as typed."""
    typed = {"arrival": _field("arrival"), "non_runners": _field("non_runners")}
    arrival = parse_arrival(typed["arrival"])
    if arrival is None:
        return None, ("Arrivée illisible : des numéros séparés par des virgules, « = » entre "
                      "chevaux ex aequo (ex. 13, 7=9, 14)."), typed
    nps = parse_numbers(typed["non_runners"])
    if nps is None:
        return None, "Non-partants illisibles : des numéros séparés par des virgules.", typed
    return {"arrival": arrival, "non_runners": nps}, None, typed


@bp.post("/races/<path:race_id>/result/preview")
@page("operator")
def result_preview(race_id: str):
    """The dividends the arrival would produce; nothing stored, then a button to publish."""
    day = _day_of(race_id)
    body, why, typed = _entered()
    if body is None:
        return _results_page(day, race_id, why, 400, typed=typed)
    try:
        with _store().unit_of_work(read_only=True) as uow:
            preview = settlement.preview_result(uow, race_id, body, utcnow(), _rates())
    except BettingError as exc:
        return _results_page(day, race_id, refusal_text(exc), 409, typed=typed)
    return _results_page(day, race_id, preview=preview, typed=typed)


@bp.post("/races/<path:race_id>/result")
@page("operator")
def result_publish(race_id: str):
    day = _day_of(race_id)
    body, why, typed = _entered()
    if body is None:
        return _results_page(day, race_id, why, 400, typed=typed)
    if request.form.get("confirm") != "1":
        return _results_page(day, race_id, "Prévisualisez les rapports, puis confirmez la "
                                           "publication.", 400, typed=typed)
    try:
        with _store().unit_of_work() as uow:
            settlement.enter_result(uow, race_id, body, utcnow(), _rates())
            uow.commit()
    except BettingError as exc:
        return _results_page(day, race_id, refusal_text(exc), 409, typed=typed)
    flash(f"{_short(race_id)} : résultat provisoire publié (rapports ci-dessous).", "ok")
    return redirect(url_for("admin_races.results", race=race_id))


@bp.post("/races/<path:race_id>/official")
@page("operator")
def official(race_id: str):
    day = _day_of(race_id)
    if request.form.get("confirm") != "1":
        return _results_page(day, race_id, confirm_official=True)
    try:
        with _store().unit_of_work() as uow:
            settlement.declare_official(uow, race_id, utcnow())
            uow.commit()
    except BettingError as exc:
        return _results_page(day, race_id, refusal_text(exc), 409)
    flash(f"{_short(race_id)} : résultat officiel, tickets payables ; envoyé aux terminaux.",
          "ok")
    return redirect(url_for("admin_races.results", race=race_id))


def day_links(day: str) -> dict:
    """The previous and next Paris days, for the day picker."""
    current = date.fromisoformat(day)
    return {"prev": (current - timedelta(days=1)).isoformat(),
            "next": (current + timedelta(days=1)).isoformat()}


@bp.app_context_processor
def _days():
    return {"day_links": day_links}
