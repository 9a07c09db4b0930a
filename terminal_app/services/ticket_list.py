"""The tickets this terminal sold on one day, as `GET /api/tickets` and the Tickets page
show them.

A day is a day in Paris (the shop's day), whatever the UTC date of the rows: a bet
sold at 23:30 UTC on 31 March belongs to 1 April. A ticket's state is what this
terminal knows: the server's answer to the sale (outbox), a cancellation, and a
payment made here (`ticket_ops`); a ticket paid at another counter shows as accepted
until it is scanned.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

from betting.programme import iso_utc, parse_utc
from betting.states import OpResult, SaleStatus
from betting.tickets import group_code

from ..adapters.journals import TicketOps
from ..adapters.outbox import Outbox, printable
from .sales import bet_view
from betting.reports import REPORT_PLUS

from .wording import (PARIS, STATE_LABELS, bet_type_label, describe_bet, formula_label,
                      horses_text, legs_text, local_datetime, local_time)

TIME_ZONE = "Europe/Paris" if PARIS is not None else "UTC"
MAX_LIMIT = 500
MAX_CODE_DIGITS = 24
MAX_RACE = 40
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_RACE = re.compile(r"[A-Za-z0-9/-]+")


class BadQuery(ValueError):
    """A filter that cannot be read; its text is the API's English message."""


@dataclass(frozen=True)
class TicketQuery:
    day: date
    code: str | None = None     # digits of the ticket code, anywhere in it
    race: str | None = None     # a race id, or its end after the date: R1C4
    state: str | None = None    # a key of STATE_LABELS
    limit: int = MAX_LIMIT


@dataclass(frozen=True)
class TicketDay:
    tickets: list[dict]
    truncated: bool             # more tickets matched than `limit`


def today() -> date:
    """Today in Paris (UTC where this machine has no time zone database)."""
    now = datetime.now(timezone.utc)
    return now.astimezone(PARIS).date() if PARIS is not None else now.date()


def day_bounds(day: date) -> tuple[str, str]:
    """The UTC instants a Paris day runs from (included) and to (excluded), as stored."""
    zone = PARIS or timezone.utc
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return iso_utc(start), iso_utc(end)


def code_digits(text: str) -> str | None:
    """Digits of a ticket code as typed or printed (spaces ignored); None when empty."""
    digits = "".join(text.split())
    if not digits:
        return None
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_CODE_DIGITS:
        raise BadQuery(f"q: up to {MAX_CODE_DIGITS} digits of a ticket code")
    return digits


def race_filter(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_RACE or not _RACE.fullmatch(text):
        raise BadQuery("race: a race id such as 2021-01-01/R1C4, or R1C4")
    return text.upper()


def parse_query(args: Mapping[str, str], default_day: date | None = None) -> TicketQuery:
    """The filters of `GET /api/tickets`; BadQuery names the one that is wrong."""
    raw_day = args.get("day", "")
    if raw_day:
        if not _DAY.fullmatch(raw_day):
            raise BadQuery("day: expected YYYY-MM-DD")
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise BadQuery("day: not a date of the calendar") from None
    else:
        day = default_day or today()
    state = args.get("status", "") or None
    if state is not None and state not in STATE_LABELS:
        raise BadQuery("status: one of " + ", ".join(STATE_LABELS))
    raw_limit = args.get("limit", "")
    limit = MAX_LIMIT
    if raw_limit:
        if not raw_limit.isascii() or not raw_limit.isdigit() or len(raw_limit) > 4 \
                or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise BadQuery(f"limit: a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw_limit)
    return TicketQuery(day=day, code=code_digits(args.get("q", "")[:200]),
                       race=race_filter(args.get("race", "")[:200]), state=state, limit=limit)


class TicketList:
    """Reads only: the outbox and the journal of payments and cancellations."""

    def __init__(self, outbox: Outbox, ops: TicketOps) -> None:
        self._outbox, self._ops = outbox, ops

    def day(self, query: TicketQuery) -> TicketDay:
        start, end = day_bounds(query.day)
        # the state is known only once the journal is read: filter on it here
        rows = self._outbox.sold_between(start, end, query.code, query.race,
                                         limit=None if query.state else query.limit + 1)
        tickets = []
        for bet in rows:
            entry = self.entry(bet)
            if query.state and entry["state"] != query.state:
                continue
            tickets.append(entry)
            if len(tickets) > query.limit:
                break
        return TicketDay(tickets[:query.limit], len(tickets) > query.limit)

    def recent(self, limit: int) -> list[dict]:
        return [self.entry(bet) for bet in self._outbox.recent(limit)]

    def for_code(self, code: str) -> dict | None:
        uuid = self._outbox.uuid_for_ticket(code)
        bet = self._outbox.bet(uuid) if uuid else None
        return self.entry(bet) if bet else None

    def entry(self, bet: dict) -> dict:
        """`bet_view` and the words printed on the ticket and shown on screen."""
        view = bet_view(bet)
        paid_cents = self._paid(bet["ticket"]) if bet["ticket"] else None
        state = _state(view, paid_cents)
        sold = parse_utc(bet["created_at"])
        readable = bet["selections"] is not None and bet["bases"] is not None
        chain = bet["bet_type"] == REPORT_PLUS
        return {
            **view,
            "state": state, "state_label": STATE_LABELS[state], "paid_cents": paid_cents,
            "ticket_text": group_code(bet["ticket"]) if bet["ticket"] else None,
            "race_short": bet["race"].rpartition("/")[2] or bet["race"],
            "bet_type_label": bet_type_label(bet["bet_type"]),
            # a Report+ is unitaire by nature: its legs say what it plays
            "formula_label": "" if chain else formula_label(bet["formula"]),
            "horses_text": legs_text(bet.get("legs")) if chain else horses_text(bet["selections"]),
            "is_chain": chain,
            "bases_text": horses_text(bet["bases"]),
            "lines": describe_bet(bet) if readable else [],
            "sold_time": local_time(sold), "sold_at": local_datetime(sold),
            "reprintable": printable(bet) and bool(bet["printed_at"])
            and not bet.get("cancelled_at") and state not in ("paid", "refunded"),
        }

    def _paid(self, ticket: str) -> int | None:
        for op in reversed(self._ops.for_ticket(ticket)):
            if op["op"] == "pay" and op["result"] == OpResult.OK:
                return op["amount_cents"] or 0
        return None


def _state(view: dict, paid_cents: int | None) -> str:
    status = view["status"]
    if view["cancelled"]:
        return "cancelled"
    if paid_cents is not None:
        return "refunded" if status == SaleStatus.REJECTED else "paid"
    if view["refund_due"]:
        return "refund_due"
    return str(status)
