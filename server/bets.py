"""Taking bets: validate again, commit, then answer.

Exactly-once in effect over an at-least-once wire: `uuid` and
`(terminal_id, seq)` are unique in the store, and a resend is answered with
the answer recorded the first time (`duplicate` with the same ticket for an
accepted bet, the same rejection for a rejected one).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from betting.bets import price_bet, running_numbers
from betting.catalogue import CHAMP_TOTAL
from betting.errors import BettingError, ClosedPool, ProtocolError, UnknownRace, WrongTotal
from betting.programme import iso_utc
from betting.protocol import ACCEPTED, DUPLICATE, REJECTED, WireBet, parse_wire_bet
from betting.tickets import make_ticket_code

from .races import OPEN, RaceRecord, get_race


def _answer(row: sqlite3.Row, first_time: bool) -> dict:
    status = row["status"]
    if status == ACCEPTED and not first_time:
        status = DUPLICATE
    return {"uuid": row["uuid"], "status": status, "ticket": row["ticket"],
            "reason": row["reason"], "message": row["message"], "seq": row["seq"]}


def _rejection(uuid: object, exc: BettingError) -> dict:
    return {"uuid": uuid if isinstance(uuid, str) else None, "status": REJECTED,
            "ticket": None, "reason": exc.code, "message": exc.message}


def _validate(bet: WireBet, record: RaceRecord | None, now: datetime) -> int:
    """Return the number of combinations, or raise why the bet cannot join its pool."""

    if record is None:
        raise UnknownRace(f"Course inconnue : {bet.request.race[:40]}.")
    if record.state_at(now) != OPEN:
        raise ClosedPool(f"Les paris sont fermés pour {record.race.race_id}.")
    priced = price_bet(bet.request, record.race)
    if priced.total_cents != bet.total_cents:
        raise WrongTotal(
            f"Total annoncé {bet.total_cents} c, calculé {priced.total_cents} c."
        )
    return priced.combinations


def place_one(db: sqlite3.Connection, terminal_id: str, key: bytes, raw: object,
              now: datetime, races: dict[str, RaceRecord | None]) -> dict:
    """Decide one bet inside the caller's transaction."""
    try:
        bet = parse_wire_bet(raw)
    except ProtocolError as exc:
        return _rejection(raw.get("uuid") if isinstance(raw, dict) else None, exc)

    row = db.execute("SELECT * FROM bets WHERE uuid = ?", (bet.uuid,)).fetchone()
    if row is not None:
        if row["terminal_id"] != terminal_id or row["seq"] != bet.seq:
            return _rejection(bet.uuid, ProtocolError("uuid already used by another bet"))
        return _answer(row, first_time=False)
    clash = db.execute("SELECT uuid FROM bets WHERE terminal_id = ? AND seq = ?",
                       (terminal_id, bet.seq)).fetchone()
    if clash is not None:
        return _rejection(bet.uuid, ProtocolError(f"sequence {bet.seq} already used"))

    race_id = bet.request.race
    if race_id not in races:
        races[race_id] = get_race(db, race_id)
    partners = None
    try:
        combinations = _validate(bet, races[race_id], now)
        status, reason, message = ACCEPTED, None, None
        ticket = make_ticket_code(terminal_id, bet.seq, key)
        if bet.request.formula == CHAMP_TOTAL:
            # The horses that complete the bases now; a later non-runner is
            # refunded at settlement, not removed from the bet.
            partners = json.dumps([n for n in running_numbers(races[race_id].race)
                                   if n not in bet.request.bases])
    except BettingError as exc:
        combinations, status, reason, message, ticket = 0, REJECTED, exc.code, exc.message, None
        if bet.offline:
            # Its provisional ticket is already in the customer's hands: keep
            # the code so that scanning it says "refund the stake".
            ticket = make_ticket_code(terminal_id, bet.seq, key)

    r = bet.request
    db.execute(
        """INSERT INTO bets (uuid, terminal_id, seq, race_id, bet_type, formula, selections,
             bases, unit_stake_cents, total_cents, combinations, placed_at, received_at,
             offline, status, reason, message, ticket, partners)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (bet.uuid, terminal_id, bet.seq, r.race[:40], r.bet_type[:40], r.formula[:40],
         json.dumps(r.selections), json.dumps(r.bases), r.unit_stake_cents, bet.total_cents,
         combinations, iso_utc(bet.placed_at), iso_utc(now), int(bet.offline), status,
         reason, message, ticket, partners),
    )
    if status == ACCEPTED:
        db.execute(
            """INSERT INTO pools (race_id, bet_type, total_cents, bets) VALUES (?, ?, ?, 1)
               ON CONFLICT (race_id, bet_type) DO UPDATE SET
                 total_cents = total_cents + excluded.total_cents, bets = bets + 1""",
            (r.race, r.bet_type, bet.total_cents),
        )
    return {"uuid": bet.uuid, "status": status, "ticket": ticket, "reason": reason,
            "message": message, "seq": bet.seq}


def bet_by_ticket(db: sqlite3.Connection, ticket: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM bets WHERE ticket = ?", (ticket,)).fetchone()


def bet_to_dict(row: sqlite3.Row) -> dict:
    return {
        "uuid": row["uuid"], "terminal_id": row["terminal_id"], "seq": row["seq"],
        "race": row["race_id"], "bet_type": row["bet_type"], "formula": row["formula"],
        "selections": json.loads(row["selections"]), "bases": json.loads(row["bases"]),
        "unit_stake_cents": row["unit_stake_cents"], "total_cents": row["total_cents"],
        "combinations": row["combinations"], "placed_at": row["placed_at"],
        "received_at": row["received_at"], "offline": bool(row["offline"]),
        "status": row["status"], "reason": row["reason"], "ticket": row["ticket"],
    }
