"""Back office, « Rapports »: one day's figures per terminal or outlet (on screen and
as CSV), the terminals' Z reports against the central ledger, and the stakes of each
race in the half hour before its off. Read-only: the operator and the auditor."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request

from betting.errors import ProtocolError
from betting.money import format_euros
from betting.programme import parse_utc
from guichet.clock import utcnow

from ..services import reports as day_reports
from .admin import page

bp = Blueprint("admin_reports", __name__, url_prefix="/admin")

BY_LABELS = {"terminal": "Terminal", "outlet": "Point de vente"}


def _store():
    return current_app.extensions["guichet.store"]


def _query() -> tuple[date, str, str | None]:
    """The day and grouping asked for; today in Paris by terminal when not said."""
    today = day_reports.paris_today(utcnow())
    try:
        by = day_reports.parse_by(request.args.get("by"))
    except ProtocolError:
        return today, "terminal", "Regroupement inconnu : par terminal ou par point de vente."
    raw = request.args.get("day") or today.isoformat()
    try:
        return day_reports.till_ledger.parse_day(raw, today), by, None
    except ProtocolError:
        return today, by, (f"Jour invalide : AAAA-MM-JJ, au plus "
                           f"{day_reports.till_ledger.MAX_DAYS_BACK} jours en arrière.")


@bp.app_template_filter("report_euros")
def _euros(cents: int) -> str:
    return format_euros(int(cents))


@bp.app_template_filter("report_paris_hm")
def _paris_hm(iso: str | None) -> str:
    return day_reports.paris_hm(parse_utc(iso)) if iso else "—"


@bp.get("/reports")
@page("operator", "auditor")
def reports():
    day, by, error = _query()
    with _store().unit_of_work(read_only=True) as uow:
        report = day_reports.day_report(uow, day, by)
        comparison = day_reports.z_comparison(uow, day)
        stakes = day_reports.stakes_before_off(uow, day)
    charts = [(s, day_reports.chart(s)) for s in stakes]
    return render_template("server/admin/reports.html", report=report, comparison=comparison,
                           charts=charts, by=by, by_label=BY_LABELS[by], error=error,
                           figures=day_reports.FIGURES,
                           ledger_figures=day_reports.LEDGER_FIGURES,
                           labels=day_reports.LABELS), 400 if error else 200


def _safe_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/reports.csv")
@page("operator", "auditor")
def reports_csv():
    """The day's figures as CSV for a spreadsheet: `;` between fields (French
    spreadsheets), UTF-8 with a BOM, amounts in integer cents, one line per
    terminal or outlet, no total line."""
    day, by, error = _query()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    with _store().unit_of_work(read_only=True) as uow:
        report = day_reports.day_report(uow, day, by)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    head = ["Jour", "Terminal", "Point de vente"] if by == "terminal" \
        else ["Jour", "Point de vente", "Terminaux"]
    for name in day_reports.FIGURES:
        label = day_reports.LABELS[name]
        head += [f"{label} (nombre)", f"{label} (centimes)"]
    writer.writerow(head + ["Solde (centimes)"])
    for row in report["rows"]:
        first = [row["terminal_id"], row["outlet"]] if by == "terminal" \
            else [row["outlet"], " ".join(row["terminals"])]
        cells = [report["day"], *first]
        for name in day_reports.FIGURES:
            cells += [row[f"{name}_count"], row[f"{name}_cents"]]
        writer.writerow([_safe_cell(c) for c in cells + [row["net_cents"]]])
    name = f"guichet-rapport-{report['day']}-{by}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
