"""The Report+ entry of the counter (pari par reports, betting/reports.py).

One form in the sale column, drawn by the server from what was chosen so far:
the meeting, then 2 to 6 legs in programme order (each a later race than the
one before, a horse, gagnant or placé, the share of its return carried into the
next leg: all, three quarters, half or a quarter), the
first stake. Changing a leg's race, adding or removing a leg posts the form to
`/ui/report/form`, which draws it again (the next legs keep their choices where
they still can); the live cost comes from `/ui/report/quote`; "Valider" sells
through the same sale path as any bet (`Sales.sell`), with the same confirmation
of a large sum. Every post carries the page's CSRF token (htmx, `hx-headers`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Blueprint, render_template, request, session
from werkzeug.datastructures import MultiDict

from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import Race
from betting.reports import CARRY_LABELS, CARRY_SHARES, KINDS, MAX_LEGS, MIN_LEGS, REPORT_PLUS

from ..services.sales import takes_a_leg
from .api import services
from .sale_form import leg_count, read_report_form
from .ui import LARGE_SALE_CENTS, _bet_result, _error, guard_ui_session, unconfirmed

bp = Blueprint("ui_report", __name__)
bp.before_request(guard_ui_session)

MAX_TEXT = 12  # euros as typed: "1000,00"


@dataclass
class LegRow:
    index: int
    options: list[Race]
    race: Race
    horse: int | None = None
    kind: str = "GAGNANT"
    carry: str = "ALL"
    last: bool = False


@dataclass
class ReportForm:
    meetings: list[tuple[str, str]]          # (key "2026-11-30/R1", label "R1 VINCENNES")
    meeting: str | None
    legs: list[LegRow] = field(default_factory=list)
    stake_text: str = ""
    payment: str = "cash"
    note: str | None = None

    @property
    def can_add(self) -> bool:
        return bool(self.legs) and len(self.legs) < MAX_LEGS and self.note is None

    @property
    def can_remove(self) -> bool:
        return len(self.legs) > MIN_LEGS


def _meeting_of(race: Race) -> str:
    return race.race_id.rpartition("C")[0]


def _programme() -> dict[str, list[tuple[Race, str]]]:
    """The cached races offering Report+, by meeting, in race order, each with the
    state the screen shows."""
    s = services()
    meetings: dict[str, list[tuple[Race, str]]] = {}
    for race, state in s.store.programme.races():
        if race.offer(REPORT_PLUS) is None:
            continue
        meetings.setdefault(_meeting_of(race), []).append(
            (race, s.link.live.state_of(race.race_id, state)))
    for races in meetings.values():
        races.sort(key=lambda pair: pair[0].number)
    return meetings


def _options(races: list[tuple[Race, str]], after: int, first: bool) -> list[Race]:
    """The races a leg may take: later than the leg before; the first leg's open
    (its stake joins that race's pool at the sale), a later one not shut."""
    return [race for race, state in races if race.number > after
            and takes_a_leg(state, first)]


def _stake_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def build_form(values: MultiDict, op: str = "") -> ReportForm:
    """The form drawn from what was posted (or asked for in the query string)."""
    meetings = _programme()
    labels = [(key, f"{key.rpartition('/')[2]} {races[0][0].venue}".strip())
              for key, races in meetings.items()]
    start = values.get("race", "")
    meeting = values.get("meeting", "")
    if meeting not in meetings:
        meeting = _meeting_of_race(start, meetings)
    if meeting not in meetings:
        # the first meeting where a chain can start now
        meeting = next((key for key, races in meetings.items()
                        if _options(races, 0, True)), None)
    form = ReportForm(labels, meeting, payment=values.get("payment", "cash"))
    if meeting is None:
        form.note = "Aucune réunion ne propose le Report+ pour l'instant."
        return form
    races = meetings[meeting]
    base = races[0][0].offer(REPORT_PLUS).base_stake_cents
    form.stake_text = values.get("stake", "")[:MAX_TEXT] if op != "reset" else ""
    form.stake_text = form.stake_text or _stake_text(base)
    wanted = leg_count(values) if op != "reset" and values.get("leg0_race") else 0
    chosen = [values.get(f"leg{i}_race", "") for i in range(wanted)]
    if not wanted or _meeting_of_race(chosen[0], meetings) != meeting:
        # a new form, or another meeting chosen: two legs from the race asked for
        wanted, chosen = MIN_LEGS, [start if _meeting_of_race(start, meetings) == meeting
                                    else ""]
    if op == "add":
        wanted = min(wanted + 1, MAX_LEGS)
    elif op == "remove":
        wanted = max(wanted - 1, MIN_LEGS)
    after = 0
    for i in range(wanted):
        options = _options(races, after, i == 0)
        if not options:
            form.note = (f"Pas d'autre course ouverte après C{after} dans cette réunion."
                         if after else "Plus aucune course de cette réunion n'est ouverte.")
            break
        by_id = {race.race_id: race for race in options}
        race = by_id.get(chosen[i] if i < len(chosen) else "", options[0])
        keep = i < len(chosen) and race.race_id == chosen[i] and op != "reset"
        row = LegRow(i, options, race)
        if keep:
            horse = values.get(f"leg{i}_horse", "")
            runner = race.runner(int(horse)) if horse.isascii() and horse.isdigit() \
                and len(horse) <= 3 else None
            row.horse = runner.number if runner and not runner.non_runner else None
            kind, carry = values.get(f"leg{i}_kind"), values.get(f"leg{i}_carry")
            row.kind = kind if kind in KINDS else "GAGNANT"
            row.carry = carry if carry in CARRY_SHARES else "ALL"
        form.legs.append(row)
        after = race.number
    if form.legs:
        form.legs[-1].last = True
    return form


def _meeting_of_race(race_id: str, meetings: dict[str, list[tuple[Race, str]]]) -> str | None:
    for key, races in meetings.items():
        if any(race.race_id == race_id for race, _ in races):
            return key
    return None


def _draw(values: MultiDict, op: str = ""):
    form = build_form(values, op)
    return render_template("terminal/_report.html", form=form, max_legs=MAX_LEGS,
                           carry_labels=CARRY_LABELS)


@bp.get("/ui/report")
def report_form():
    """The Report+ form in the sale column: `race` (optional) starts the chain there."""
    return _draw(request.args)


@bp.post("/ui/report/form")
def report_redraw():
    """The form again after a change of meeting or race, or a leg added or removed
    (`op` add, remove; reset after a sale)."""
    op = request.form.get("op", "")
    return _draw(request.form, op if op in ("add", "remove", "reset") else "")


@bp.post("/ui/report/quote")
def report_quote():
    """The live cost of the chain being built, or why it is not a bet yet: always 200."""
    try:
        quote = services().sales.quote({**read_report_form(request.form), "payment": "cash"})
    except BettingError as exc:
        return render_template("terminal/_report_cost.html", quote=None, reason=exc.message)
    legs = leg_count(request.form)
    return render_template("terminal/_report_cost.html", quote=quote, legs=legs,
                           large=quote["total_cents"] > LARGE_SALE_CENTS)


@bp.post("/ui/report/sell")
def report_sell():
    """Sell the chain. A total above LARGE_SALE_CENTS is first answered with a
    confirmation; its button sends the confirmed total back (`confirm_cents`)."""
    form = request.form
    try:
        data = {**read_report_form(form), "payment": form.get("payment", "cash")}
        sales = services().sales
        total = sales.quote(data)["total_cents"]
        if unconfirmed(total, form):
            return render_template("terminal/_report_confirm.html", total_cents=total,
                                   label=format_euros(total))
        bet = sales.sell(data, clerk=session.get("clerk"))
    except BettingError as exc:
        return _error(exc.message)
    html, status, headers = _bet_result(bet, sold=True)
    events = json.loads(headers["HX-Trigger"])
    if events.get("sale-recorded"):
        events["report-sold"] = True  # the form starts again for the next customer
    return html, status, {"HX-Trigger": json.dumps(events)}
