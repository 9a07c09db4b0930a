"""A terminal's day as the central ledger sees it, for the till's Z report.

The terminal closing its till asks `till_ledger` {"day"} and compares, figure by
figure, with its own records (terminal_app/services/till.py): the same
definitions on both sides, so a day without trouble agrees to the cent and a bet
the server never received shows as a difference. The terminal is always the one
the connection authenticated, never one named in the payload.

The day is a calendar day in Paris (the shops' time); the store keeps UTC.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from betting.errors import ProtocolError
from betting.programme import iso_utc

from ..store import UnitOfWork

try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no time zone database: the day is a UTC day, as the terminal's would be
    PARIS = timezone.utc

FIGURES = ("sales", "cancellations", "payouts", "refunds")
MAX_DAYS_BACK = 400


def parse_day(value: object, today: date) -> date:
    """A `YYYY-MM-DD` no later than tomorrow and no older than MAX_DAYS_BACK days."""
    if not isinstance(value, str) or len(value) != 10:
        raise ProtocolError("day must be YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ProtocolError("day must be YYYY-MM-DD") from None
    if not today - timedelta(days=MAX_DAYS_BACK) <= day <= today + timedelta(days=1):
        raise ProtocolError(f"day must be within {MAX_DAYS_BACK} days of today")
    return day


def day_bounds(day: date) -> tuple[str, str]:
    """The UTC instants, as stored, between which a Paris day runs."""
    start = datetime.combine(day, time(0), PARIS)
    end = datetime.combine(day + timedelta(days=1), time(0), PARIS)
    return iso_utc(start), iso_utc(end)


def terminal_day(uow: UnitOfWork, terminal_id: str, day: date) -> dict:
    """`{"day", "<figure>_cents", "<figure>_count"…}` for sales, cancellations,
    payouts and refunds of `terminal_id` on `day`."""
    start, end = day_bounds(day)
    totals = uow.till_ledger.day_totals(terminal_id, start, end)
    out: dict = {"day": day.isoformat()}
    for figure in FIGURES:
        count, cents = totals.get(figure, (0, 0))
        out[f"{figure}_count"], out[f"{figure}_cents"] = int(count), int(cents)
    return out
