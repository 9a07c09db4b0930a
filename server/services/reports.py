"""Reports of one day: the ledger per terminal and outlet, the terminals' Z reports
against it, and the stakes of each race in the minutes before its off.

The figures are `till_ledger`'s, the very ones a till compares with when it closes
(server/adapters/sql.py, `TillLedgerRepository`): a day is a calendar day in Paris,
sales are bets with a ticket sold that day (a provisional ticket refused later is
a sale, and its stake handed back a refund), cancellations, payouts and refunds
are counted on the day they happened, and `rejected` are the provisional
(offline) bets the server refused, by the day they were sold.

A Z report is stored with the terminal of the connection that sent it, once per
(terminal, report id): a resend changes nothing. For each terminal and day the
last Z report closed is compared with the server's figures for that day; a
terminal that sold after its last Z report shows a difference until the next.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from betting.errors import ProtocolError
from betting.money import format_euros
from betting.programme import iso_utc, parse_utc

from . import races, till_ledger
from .till_ledger import PARIS
from ..store import UnitOfWork

LEDGER_FIGURES = till_ledger.FIGURES  # compared with the Z reports
FIGURES = LEDGER_FIGURES + ("rejected",)
LABELS = {"sales": "Ventes", "cancellations": "Annulations", "payouts": "Paiements",
          "refunds": "Remboursements", "rejected": "Provisoires refusés"}
BY = ("terminal", "outlet")
STATUS_LABELS = {"ok": "concorde", "ecart": "écart", "missing": "pas de rapport Z"}

CHART_MINUTES = 30  # the picture: stakes per minute over the half hour before the off

# Bounds of a Z report's fields (the store's integers are 64-bit)
MAX_CENTS = 10**12  # 10 000 000 000,00 €
MAX_COUNT = 10**9
REPORT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
# A till closes a few shifts a day; more reports than this for one terminal and day is
# a terminal misbehaving (or a leaked key filling the store): refused, nothing stored.
MAX_Z_PER_DAY = 48
MAX_TIME_TEXT = 32


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def parse_by(value: object) -> str:
    if value in (None, ""):
        return "terminal"
    if value not in BY:
        raise ProtocolError("by must be terminal or outlet")
    return value


def _figures(totals: dict[str, tuple[int, int]], names=FIGURES) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        count, cents = totals.get(name, (0, 0))
        out[f"{name}_count"], out[f"{name}_cents"] = int(count), int(cents)
    return out


def _net(row: dict) -> int:
    """What the counter keeps for the operator: sales less what it handed back."""
    return (row["sales_cents"] - row["cancellations_cents"] - row["payouts_cents"]
            - row["refunds_cents"])


def day_report(uow: UnitOfWork, day: date, by: str) -> dict:
    """The day's figures per terminal or per outlet (terminals with no operation
    that day are left out), and their totals."""
    start, end = till_ledger.day_bounds(day)
    per_terminal = uow.till_ledger.all_totals(start, end)
    outlets = {t.terminal_id: t.outlet for t in uow.terminals.listed()}
    rows: dict[str, dict] = {}
    for terminal_id in sorted(per_terminal):
        figures = _figures(per_terminal[terminal_id])
        outlet = outlets.get(terminal_id, "")
        if by == "terminal":
            rows[terminal_id] = {"terminal_id": terminal_id, "outlet": outlet, **figures}
            continue
        row = rows.setdefault(outlet, {"outlet": outlet, "terminals": [],
                                       **{k: 0 for k in figures}})
        row["terminals"].append(terminal_id)
        for key, value in figures.items():
            row[key] += value
    listed = [rows[k] for k in sorted(rows, key=lambda k: (k.casefold(), k))]
    totals = {f"{f}_{u}": sum(r[f"{f}_{u}"] for r in listed)
              for f in FIGURES for u in ("count", "cents")}
    for row in (*listed, totals):
        row["net_cents"] = _net(row)
    return {"day": day.isoformat(), "by": by, "time_zone": "Europe/Paris",
            "rows": listed, "totals": totals}


# -- Z reports ---------------------------------------------------------------------------
def _int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProtocolError(f"{name} must be an integer from {low} to {high}")
    return value


def _instant(value: object, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TIME_TEXT:
        raise ProtocolError(f"{name} must be an ISO 8601 time in UTC")
    try:
        return iso_utc(parse_utc(value))
    except (ValueError, OverflowError):
        raise ProtocolError(f"{name} must be an ISO 8601 time in UTC") from None


def parse_z_report(payload: object, today: date) -> dict:
    """A Z report message, checked field by field (ProtocolError names the first
    wrong one). Any terminal named in it is ignored: the caller says whose it is."""
    if not isinstance(payload, dict):
        raise ProtocolError("a Z report is a JSON object")
    report_id = payload.get("report_id")
    if not isinstance(report_id, str) or not REPORT_ID.fullmatch(report_id):
        raise ProtocolError("report_id must be 1 to 64 letters, digits or dashes")
    day = till_ledger.parse_day(payload.get("day"), today)
    figures, shift = payload.get("figures"), payload.get("shift")
    if not isinstance(figures, dict) or not isinstance(shift, dict):
        raise ProtocolError("figures and shift must be JSON objects")
    report = {"report_id": report_id, "day": day.isoformat(),
              "shift": _int(shift.get("id"), "shift.id", 0, 2**62),
              "opened_at": _instant(shift.get("opened_at"), "shift.opened_at"),
              "closed_at": _instant(shift.get("closed_at"), "shift.closed_at")}
    if report["closed_at"] < report["opened_at"]:
        raise ProtocolError("shift.closed_at is before shift.opened_at")
    for name in LEDGER_FIGURES:
        report[f"{name}_count"] = _int(figures.get(f"{name}_count"), f"figures.{name}_count",
                                       0, MAX_COUNT)
        report[f"{name}_cents"] = _int(figures.get(f"{name}_cents"), f"figures.{name}_cents",
                                       0, MAX_CENTS)
    for name in ("float_cents", "sales_cash_cents", "sales_card_cents", "counted_cents"):
        report[name] = _int(shift.get(name), f"shift.{name}", 0, MAX_CENTS)
    # payouts larger than the float and the day's cash make it negative
    report["expected_cents"] = _int(shift.get("expected_cents"), "shift.expected_cents",
                                    -MAX_CENTS, MAX_CENTS)
    return report


def store_z_report(uow: UnitOfWork, terminal_id: str, payload: object, now: datetime) -> dict:
    """Keep a terminal's Z report once: `stored` is False for a resend (the first copy stays)."""
    report = parse_z_report(payload, paris_today(now))
    report.update(terminal_id=terminal_id, received_at=iso_utc(now))
    if uow.reports.z_report(terminal_id, report["report_id"]) is None \
            and uow.reports.z_report_count(terminal_id, report["day"]) >= MAX_Z_PER_DAY:
        raise ProtocolError(f"at most {MAX_Z_PER_DAY} Z reports per terminal and day")
    stored = uow.reports.add_z_report(report)
    kept = report if stored else uow.reports.z_report(terminal_id, report["report_id"])
    return {"report_id": kept["report_id"], "day": kept["day"], "stored": stored}


def _z_view(z: dict) -> dict:
    return {"report_id": z["report_id"], "shift": z["shift"], "opened_at": z["opened_at"],
            "closed_at": z["closed_at"], "received_at": z["received_at"],
            "float_cents": z["float_cents"], "sales_cash_cents": z["sales_cash_cents"],
            "sales_card_cents": z["sales_card_cents"], "expected_cents": z["expected_cents"],
            "counted_cents": z["counted_cents"],
            "cash_difference_cents": z["counted_cents"] - z["expected_cents"]}


def z_comparison(uow: UnitOfWork, day: date) -> dict:
    """Each terminal with operations or a Z report that day: the server's figures,
    its last Z report's, and their differences (terminal − server)."""
    start, end = till_ledger.day_bounds(day)
    server = uow.till_ledger.all_totals(start, end)
    latest: dict[str, dict] = {}
    received: dict[str, int] = {}
    for z in uow.reports.z_reports(day.isoformat()):  # last closed last
        latest[z["terminal_id"]] = z
        received[z["terminal_id"]] = received.get(z["terminal_id"], 0) + 1
    outlets = {t.terminal_id: t.outlet for t in uow.terminals.listed()}
    rows = []
    for terminal_id in sorted(set(server) | set(latest)):
        ours = _figures(server.get(terminal_id, {}), LEDGER_FIGURES)
        z = latest.get(terminal_id)
        theirs = {k: z[k] for k in ours} if z else None
        differences = {k: theirs[k] - ours[k] for k in ours if theirs[k] != ours[k]} \
            if theirs else {}
        status = "missing" if z is None else ("ecart" if differences else "ok")
        rows.append({"terminal_id": terminal_id, "outlet": outlets.get(terminal_id, ""),
                     "status": status, "status_label": STATUS_LABELS[status],
                     "server": ours, "terminal": theirs, "differences": differences,
                     "z_reports": received.get(terminal_id, 0),
                     "z": _z_view(z) if z else None})
    summary = {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_LABELS}
    return {"day": day.isoformat(), "time_zone": "Europe/Paris", "terminals": rows,
            "summary": summary}


# -- the picture: stakes before the off -----------------------------------------------
def paris_hm(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%H:%M")


def stakes_before_off(uow: UnitOfWork, day: date, minutes: int = CHART_MINUTES) -> list[dict]:
    """Per race of the day, the accepted stakes received in each of the `minutes`
    calendar minutes before its post time (the server's reception time: when the
    money joined the pool)."""
    out = []
    for record in races.list_races(uow, day.isoformat()):
        race = record.race
        post = race.post_time
        start = post.replace(second=0, microsecond=0) - timedelta(minutes=minutes)
        buckets = [[0, 0] for _ in range(minutes)]
        for minute, bets, cents in uow.reports.stakes_by_minute(
                race.race_id, iso_utc(start), iso_utc(post)):
            index = int((parse_utc(minute + ":00Z") - start).total_seconds() // 60)
            slot = buckets[min(max(index, 0), minutes - 1)]
            slot[0] += bets
            slot[1] += cents
        out.append({
            "race_id": race.race_id, "label": f"R{race.meeting}C{race.number}",
            "name": race.name, "venue": race.venue, "post_time": iso_utc(post),
            "post_time_paris": paris_hm(post),
            "bets": sum(b[0] for b in buckets), "total_cents": sum(b[1] for b in buckets),
            "minutes": [{"from": iso_utc(start + timedelta(minutes=i)),
                         "paris": paris_hm(start + timedelta(minutes=i)),
                         "before_off": minutes - i, "bets": b[0], "cents": b[1]}
                        for i, b in enumerate(buckets)]})
    return out


# The SVG's geometry, in its own units (the page scales it)
CHART_W, CHART_H = 640, 220
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 78, 12, 14, 40


def chart(stakes: dict) -> dict:
    """Bars and labels of one race's picture, ready for the template to draw."""
    minutes = stakes["minutes"]
    width = CHART_W - PLOT_LEFT - PLOT_RIGHT
    height = CHART_H - PLOT_TOP - PLOT_BOTTOM
    top = max((m["cents"] for m in minutes), default=0)
    step = width / max(len(minutes), 1)
    base = PLOT_TOP + height
    bars = []
    for i, m in enumerate(minutes):
        h = round(height * m["cents"] / top, 1) if top else 0
        bars.append({"x": round(PLOT_LEFT + i * step + 1, 1), "y": round(base - h, 1),
                     "w": round(step - 2, 1), "h": h,
                     "title": f"{m['paris']} : {format_euros(m['cents'])} "
                              f"({m['bets']} pari{'s' if m['bets'] > 1 else ''})"})
    ticks = [{"x": round(PLOT_LEFT + i * step, 1),
              "text": f"−{len(minutes) - i} min" if i < len(minutes) else "départ",
              "anchor": "middle" if i < len(minutes) else "end"}
             for i in range(0, len(minutes) + 1, 5)]
    busiest = max(minutes, key=lambda m: m["cents"]) if top else None
    if busiest:
        until = paris_hm(parse_utc(busiest["from"]) + timedelta(minutes=1))
        desc = (f"Total {format_euros(stakes['total_cents'])} sur les {len(minutes)} minutes ; "
                f"minute la plus chargée : {format_euros(busiest['cents'])} entre "
                f"{busiest['paris']} et {until} (heure de Paris).")
    else:
        desc = f"Aucune mise reçue dans les {len(minutes)} minutes avant le départ."
    return {"w": CHART_W, "h": CHART_H, "left": PLOT_LEFT, "right": CHART_W - PLOT_RIGHT,
            "top": PLOT_TOP, "base": base, "bars": bars, "ticks": ticks,
            "max_label": format_euros(top), "desc": desc, "tick_y": base + 18}
