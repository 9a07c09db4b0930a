"""The central store's repositories: the SQL every store runs, written once.

Exactly-once rests on the schema's unique keys (`bets.uuid`,
`bets (terminal_id, seq)`, `payments.ticket`, `payments.payment_uuid`) and
`INSERT … ON CONFLICT DO NOTHING`: the loser of a race reads back what the
winner stored. Every other change that must happen once is a conditional
`UPDATE … WHERE <still in the old state>` whose row count says who won. None
of this relies on the store serialising writers (SQLite does, PostgreSQL at
READ COMMITTED does not), so the same statements are right on both.

The statements are written in the dialect both stores share: `?` placeholders
(the PostgreSQL adapter turns them into `%s`), `ON CONFLICT`, `RETURNING`,
`CAST(SUM(…) AS BIGINT)` (PostgreSQL's SUM of integers is a numeric). What
differs is a `Dialect` value: SQLite's query planner needs `INDEXED BY` to take
the covering index for settlement, PostgreSQL has no such clause, and locking
a terminal's row is a no-op where writers are serialised anyway.

Repositories speak the services' terms and return `server.records` values.
"""
from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from betting.programme import iso_utc
from betting.states import BetStatus, RaceState, ReviewState

from ..records import (
    Account,
    AuditEntry,
    EnrolmentCode,
    NewBet,
    Payment,
    StakeGroup,
    StoredBet,
    StoredLeg,
    StoredRace,
    StoredResult,
    StoredTerminal,
)

log = logging.getLogger("guichet.server")

# Rows per pool in `pools` (see PoolRepository): enough that concurrent writers rarely meet.
POOL_SHARDS = 16


@dataclass(frozen=True)
class Dialect:
    """What one kind of store says differently."""

    name: str
    shape_index: str = ""  # hint that makes settlement read the covering index
    lock_row: str = ""  # suffix of a SELECT that locks the rows it reads
    # a statement that makes appenders to the audit log wait their turn (SQLite's
    # BEGIN IMMEDIATE already lets one writer at a time)
    audit_lock: str = ""
    # the same for the units of work that move Report+ chains on (ChainRepository.lock)
    chain_lock: str = ""


SQLITE = Dialect("sqlite", shape_index="INDEXED BY bets_shape")
POSTGRESQL = Dialect("postgresql", lock_row="FOR UPDATE",
                     audit_lock="SELECT pg_advisory_xact_lock(7270601)",
                     chain_lock="SELECT pg_advisory_xact_lock(7270602)")

Row = Any  # sqlite3.Row, or the PostgreSQL adapter's row: both by name and by index


def _loads(text: str | None) -> list | None:
    return json.loads(text) if text else None


def _bet(row: Row | None) -> StoredBet | None:
    if row is None:
        return None
    return StoredBet(
        uuid=row["uuid"], terminal_id=row["terminal_id"], seq=row["seq"],
        race_id=row["race_id"], bet_type=row["bet_type"], formula=row["formula"],
        selections=json.loads(row["selections"]), bases=json.loads(row["bases"]),
        partners=_loads(row["partners"]), unit_stake_cents=row["unit_stake_cents"],
        total_cents=row["total_cents"], combinations=row["combinations"],
        placed_at=row["placed_at"], received_at=row["received_at"],
        offline=bool(row["offline"]), status=BetStatus(row["status"]), reason=row["reason"],
        message=row["message"], ticket=row["ticket"], refund_cents=row["refund_cents"],
        review=ReviewState(row["review"]) if row["review"] else None,
        review_max_cents=row["review_max_cents"], complement=row["complement"],
        cancelled_at=row["cancelled_at"],
        reviewed_at=row["reviewed_at"], review_note=row["review_note"])


class _Repository:
    def __init__(self, db: Any, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect


class MetaRepository(_Repository):
    """Counters: the programme version and the last terminal number."""

    def _bump(self, name: str) -> int:
        return self.db.execute("UPDATE meta SET value = value + 1 WHERE name = ? RETURNING value",
                               (name,)).fetchone()[0]

    def bump_programme_version(self) -> int:
        return self._bump("programme_version")

    def programme_version(self) -> int:
        return self.db.execute(
            "SELECT value FROM meta WHERE name = 'programme_version'").fetchone()[0]

    def next_terminal_number(self) -> int:
        return self._bump("last_terminal")


def _race(row: Row) -> StoredRace:
    return StoredRace(row["race_id"], row["state"], row["closed_at"], row["version"], row["card"])


class RaceRepository(_Repository):
    def upsert(self, race_id: str, meeting: int, number: int, post_time: str, card: dict,
               version: int) -> None:
        """Insert or update a card; a closed race stays closed, a removed one comes back open."""
        self.db.execute(
            """INSERT INTO races (race_id, day, meeting, number, post_time, card, version)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (race_id) DO UPDATE SET
                 post_time = excluded.post_time, card = excluded.card,
                 version = excluded.version,
                 closed_at = CASE WHEN races.state = ? THEN NULL ELSE races.closed_at END,
                 state = CASE WHEN races.state = ? THEN ? ELSE races.state END""",
            (race_id, race_id[:10], meeting, number, post_time, json.dumps(card), version,
             RaceState.REMOVED, RaceState.REMOVED, RaceState.OPEN))

    def get(self, race_id: str, removed: bool = False) -> StoredRace | None:
        """The race as stored; a removed one only when `removed` is asked for."""
        if removed:
            row = self.db.execute("SELECT * FROM races WHERE race_id = ?", (race_id,)).fetchone()
        else:
            row = self.db.execute("SELECT * FROM races WHERE race_id = ? AND state != ?",
                                  (race_id, RaceState.REMOVED)).fetchone()
        return _race(row) if row else None

    def listed(self, day: str | None = None, since_version: int | None = None) -> list[StoredRace]:
        """The races on the programme (of one day, or changed after a version), by post time."""
        where, args = ["state != ?"], [RaceState.REMOVED]
        if day:
            where.append("day = ?")
            args.append(day)
        if since_version is not None:
            where.append("version > ?")
            args.append(since_version)
        rows = self.db.execute(f"SELECT * FROM races WHERE {' AND '.join(where)} "
                               "ORDER BY post_time, race_id", args)
        return [_race(r) for r in rows]

    def removed_since(self, version: int) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT race_id FROM races WHERE version > ? AND state = ? ORDER BY race_id",
            (version, RaceState.REMOVED))]

    def due(self, now: datetime) -> list[str]:
        """Open or suspended races whose post time has passed."""
        return [row[0] for row in self.db.execute(
            "SELECT race_id FROM races WHERE state IN (?, ?) AND post_time <= ?",
            (RaceState.OPEN, RaceState.SUSPENDED, iso_utc(now)))]

    def set_state(self, race_id: str, state: RaceState, closed_at: str | None,
                  version: int) -> None:
        self.db.execute("UPDATE races SET state = ?, closed_at = ?, version = ? WHERE race_id = ?",
                        (state, closed_at, version, race_id))


def _numbers_json(numbers) -> str:
    """A list of horse numbers as `json.dumps` writes it ("[3, 7]"), without its
    general encoder: every bet stores two or three of them."""
    if all(type(n) is int for n in numbers):
        return "[" + ", ".join(map(str, numbers)) + "]"
    return json.dumps(numbers)


# A new bet's columns are NewBet's fields, in order (a StoredBet begins with them).
_BET_COLUMNS = tuple(f.name for f in fields(NewBet))
_bet_columns = attrgetter(*_BET_COLUMNS)
_SELECTIONS, _BASES, _PARTNERS, _OFFLINE = (
    _BET_COLUMNS.index(name) for name in ("selections", "bases", "partners", "offline"))


class BetRepository(_Repository):
    _COLUMNS = _BET_COLUMNS
    _INSERT = (f"INSERT INTO bets ({', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(_COLUMNS))}) ON CONFLICT DO NOTHING")

    def add_or_get(self, bet: NewBet) -> tuple[StoredBet, bool]:
        """Store `bet` unless its uuid or (terminal, seq) is already taken.

        Returns (the stored bet, True if this call stored it). On a conflict the
        stored bet is the one holding the uuid, else the one holding the seq.
        """
        given = _bet_columns(bet)
        values = list(given)
        values[_SELECTIONS], values[_BASES] = _numbers_json(bet.selections), _numbers_json(bet.bases)
        if bet.partners is not None:
            values[_PARTNERS] = _numbers_json(bet.partners)
        values[_OFFLINE] = int(bet.offline)
        if self.db.execute(self._INSERT, values).rowcount == 1:
            # Stored as given: no need to read it back (the hot path of a burst).
            return StoredBet(*given), True
        stored = self.by_uuid(bet.uuid) or self.by_seq(bet.terminal_id, bet.seq)
        return stored, False

    def by_uuid(self, uuid: str) -> StoredBet | None:
        return _bet(self.db.execute("SELECT * FROM bets WHERE uuid = ?", (uuid,)).fetchone())

    def by_seq(self, terminal_id: str, seq: int) -> StoredBet | None:
        return _bet(self.db.execute("SELECT * FROM bets WHERE terminal_id = ? AND seq = ?",
                                    (terminal_id, seq)).fetchone())

    def by_ticket(self, ticket: str) -> StoredBet | None:
        return _bet(self.db.execute("SELECT * FROM bets WHERE ticket = ?", (ticket,)).fetchone())

    def refunds_granted_since(self, terminal_id: str, since: datetime) -> int:
        """Refunds granted on arrival (not by the operator) to this terminal's bets."""
        return self.db.execute(
            "SELECT CAST(COALESCE(SUM(refund_cents), 0) AS BIGINT) FROM bets WHERE terminal_id = ? "
            "AND review IS NULL AND refund_cents > 0 AND received_at >= ?",
            (terminal_id, iso_utc(since))).fetchone()[0]

    def count_taken(self, race_id: str) -> int:
        """Bets on the race that were not refused, a Report+ counted on every race of
        its chain (its ticket needs each of them)."""
        return self.db.execute(
            "SELECT (SELECT COUNT(*) FROM bets WHERE race_id = ? AND status != ?) + "
            "(SELECT COUNT(*) FROM chain_legs l JOIN bets b ON b.uuid = l.uuid "
            " WHERE l.race_id = ? AND l.leg > 0 AND b.status != ?)",
            (race_id, BetStatus.REJECTED, race_id, BetStatus.REJECTED)).fetchone()[0]

    def cancel(self, uuid: str, at: datetime) -> bool:
        """Cancel an accepted bet, once (a conditional update)."""
        return self.db.execute(
            "UPDATE bets SET status = ?, cancelled_at = ? WHERE uuid = ? AND status = ?",
            (BetStatus.CANCELLED, iso_utc(at), uuid, BetStatus.ACCEPTED)).rowcount == 1

    def stake_groups(self, race_id: str) -> list[StakeGroup]:
        """Unit stakes of the race's accepted bets summed per bet shape, in the store."""
        rows = self.db.execute(
            f"""SELECT bet_type, formula, selections, bases, partners, complement,
                       CAST(SUM(unit_stake_cents) AS BIGINT) AS stake
                FROM bets {self.dialect.shape_index} WHERE race_id = ? AND status = ?
                GROUP BY bet_type, formula, selections, bases, partners, complement""",
            (race_id, BetStatus.ACCEPTED))
        return [StakeGroup(r["bet_type"], r["formula"], json.loads(r["selections"]),
                           json.loads(r["bases"]), _loads(r["partners"]), r["stake"],
                           r["complement"])
                for r in rows]

    def under_review(self, include_decided: bool = False) -> list[StoredBet]:
        """Refused provisional tickets waiting for the operator (or decided too), oldest first."""
        where, args = (("review IS NOT NULL", ()) if include_decided
                       else ("review = ?", (ReviewState.OPEN,)))
        rows = self.db.execute(
            f"SELECT * FROM bets WHERE {where} ORDER BY received_at, terminal_id, seq", args)
        return [_bet(r) for r in rows]

    def decide_review(self, uuid: str, decision: ReviewState, refund_cents: int,
                      at: datetime, note: str | None) -> bool:
        """Record the operator's decision on a bet still open for review."""
        return self.db.execute(
            "UPDATE bets SET review = ?, refund_cents = ?, reviewed_at = ?, review_note = ? "
            "WHERE uuid = ? AND review = ?",
            (decision, refund_cents, iso_utc(at), note, uuid, ReviewState.OPEN)).rowcount == 1

    def seq_summary(self) -> dict[str, tuple[int | None, int]]:
        """(highest seq, number of bets) per terminal."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT terminal_id, MAX(seq), COUNT(*) FROM bets GROUP BY terminal_id")}

    def sequence_gaps(self, terminal_id: str) -> list[list[int]]:
        """Ranges [first, last] of sequence numbers below the highest one received
        that the store does not hold."""
        rows = self.db.execute(
            """SELECT seq + 1 AS first,
                      (SELECT MIN(n.seq) - 1 FROM bets n
                       WHERE n.terminal_id = b.terminal_id AND n.seq > b.seq) AS last
               FROM bets b
               WHERE terminal_id = ?
                 AND NOT EXISTS (SELECT 1 FROM bets x WHERE x.terminal_id = b.terminal_id
                                 AND x.seq = b.seq + 1)
                 AND seq < (SELECT MAX(seq) FROM bets WHERE terminal_id = ?)
               ORDER BY seq""", (terminal_id, terminal_id)).fetchall()
        first_seen = self.db.execute("SELECT MIN(seq) FROM bets WHERE terminal_id = ?",
                                     (terminal_id,)).fetchone()[0]
        gaps = [[1, first_seen - 1]] if first_seen and first_seen > 1 else []
        return gaps + [[r["first"], r["last"]] for r in rows]


class PoolRepository(_Repository):
    """Running totals of accepted stakes per pool, shown to the operator.

    Kept as per-writer counters, not one row per pool: each unit of work adds
    to its own shard, one of `POOL_SHARDS` rows of the pool picked at random,
    so concurrent writers on a store that allows them (PostgreSQL) do not all
    wait on the same hot row. A pool's total is the sum of its shards. A
    cancel takes its stake off this unit of work's shard, which may then go
    below zero: only the sum means anything.
    """

    def __init__(self, db: Any, dialect: Dialect) -> None:
        super().__init__(db, dialect)
        self.shard = random.randrange(POOL_SHARDS)
        # (race, bet type) -> [cents, bets] added by this unit of work, written
        # by `flush` (at commit): one statement per pool, not per bet
        self._pending: dict[tuple[str, str], list[int]] = {}

    def _count(self, race_id: str, bet_type: str, total_cents: int, bets: int) -> None:
        counted = self._pending.setdefault((race_id, bet_type), [0, 0])
        counted[0] += total_cents
        counted[1] += bets

    def flush(self) -> None:
        """Write what this unit of work counted (the units of work call it before
        committing, and before reading totals)."""
        pending, self._pending = self._pending, {}
        for (race_id, bet_type), (total_cents, bets) in pending.items():
            self._write(race_id, bet_type, total_cents, bets)

    def _write(self, race_id: str, bet_type: str, total_cents: int, bets: int) -> None:
        self.db.execute(
            """INSERT INTO pools (race_id, bet_type, shard, total_cents, bets)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (race_id, bet_type, shard) DO UPDATE SET
                 total_cents = pools.total_cents + excluded.total_cents,
                 bets = pools.bets + excluded.bets""",
            (race_id, bet_type, self.shard, total_cents, bets))

    def add(self, race_id: str, bet_type: str, total_cents: int) -> None:
        """Count an accepted bet; written at commit, so call it once nothing else
        about the bet can fail (a savepoint rolled back would not undo it)."""
        self._count(race_id, bet_type, total_cents, 1)

    def remove(self, race_id: str, bet_type: str, total_cents: int) -> None:
        self._count(race_id, bet_type, -total_cents, -1)

    def totals(self, race_id: str) -> list[dict]:
        self.flush()
        return [dict(r) for r in self.db.execute(
            "SELECT bet_type, CAST(SUM(total_cents) AS BIGINT) AS total_cents, "
            "CAST(SUM(bets) AS BIGINT) AS bets FROM pools "
            "WHERE race_id = ? GROUP BY bet_type ORDER BY bet_type", (race_id,))]

    def all_totals(self) -> dict[tuple[str, str], dict]:
        self.flush()
        return {(r["race_id"], r["bet_type"]): dict(r) for r in self.db.execute(
            "SELECT race_id, bet_type, CAST(SUM(total_cents) AS BIGINT) AS total_cents, "
            "CAST(SUM(bets) AS BIGINT) AS bets "
            "FROM pools GROUP BY race_id, bet_type")}

    def drop_race(self, race_id: str) -> None:
        self.flush()
        self.db.execute("DELETE FROM pools WHERE race_id = ?", (race_id,))

    # -- live pools of the open races (probable odds, server/services/odds.py) --
    def open_race_stakes(self, now: datetime, runner_bet_type: str
                         ) -> list[tuple[str, str, str | None, int]]:
        """Every race still open at `now`, in one statement: (race, bet type, None,
        pool total) per pool, and (race, `runner_bet_type`, selections as stored,
        stakes) per selection of that bet type's accepted bets (read from the
        covering index, as settlement does)."""
        self.flush()
        at = iso_utc(now)
        rows = self.db.execute(
            f"""SELECT p.race_id, p.bet_type, CAST(NULL AS TEXT) AS selections,
                       CAST(SUM(p.total_cents) AS BIGINT) AS cents
                FROM races r JOIN pools p ON p.race_id = r.race_id
                WHERE r.state = ? AND r.post_time > ?
                GROUP BY p.race_id, p.bet_type
                UNION ALL
                SELECT b.race_id, b.bet_type, b.selections,
                       CAST(SUM(b.unit_stake_cents) AS BIGINT) AS cents
                FROM races r JOIN bets AS b {self.dialect.shape_index}
                  ON b.race_id = r.race_id AND b.status = ? AND b.bet_type = ?
                WHERE r.state = ? AND r.post_time > ?
                GROUP BY b.race_id, b.bet_type, b.selections
                UNION ALL
                SELECT l.race_id, CAST(? AS TEXT) AS bet_type,
                       '[' || CAST(l.horse AS TEXT) || ']' AS selections,
                       CAST(SUM(l.stake_cents) AS BIGINT) AS cents
                FROM races r JOIN chain_legs l ON l.race_id = r.race_id
                  AND l.in_pool = 1 AND l.kind = ?
                  JOIN bets b ON b.uuid = l.uuid AND b.status = ?
                WHERE r.state = ? AND r.post_time > ?
                GROUP BY l.race_id, l.horse""",
            (RaceState.OPEN, at, BetStatus.ACCEPTED, runner_bet_type, RaceState.OPEN, at,
             runner_bet_type, _leg_kind(runner_bet_type), BetStatus.ACCEPTED,
             RaceState.OPEN, at))
        return [(r[0], r[1], r[2], r[3]) for r in rows]


class ResultRepository(_Repository):
    """Results entered by the operator and each pool's settlement."""

    def get(self, race_id: str) -> StoredResult | None:
        row = self.db.execute("SELECT * FROM results WHERE race_id = ?", (race_id,)).fetchone()
        if row is None:
            return None
        return StoredResult(row["race_id"], json.loads(row["result"]), bool(row["official"]),
                            row["entered_at"], row["official_at"])

    def save_provisional(self, race_id: str, result: dict, at: datetime) -> bool:
        """Enter or correct a race's result; False if it became official meanwhile.

        The official check is in the statement: on PostgreSQL a concurrent entry that
        made the result official first is waited for and then seen, never overwritten.
        """
        return self.db.execute(
            """INSERT INTO results (race_id, result, official, entered_at) VALUES (?, ?, 0, ?)
               ON CONFLICT (race_id) DO UPDATE SET result = excluded.result,
                 entered_at = excluded.entered_at WHERE results.official = 0""",
            (race_id, json.dumps(result), iso_utc(at))).rowcount == 1

    def mark_official(self, race_id: str, at: datetime) -> None:
        self.db.execute("UPDATE results SET official = 1, official_at = ? "
                        "WHERE race_id = ? AND official = 0", (iso_utc(at), race_id))

    def replace_pools(self, race_id: str, pools: list[dict]) -> None:
        """The settled pools of a race (each `PoolResult.to_dict()`), replacing earlier ones."""
        self.db.execute("DELETE FROM pool_results WHERE race_id = ?", (race_id,))
        self.db.executemany(
            "INSERT INTO pool_results (race_id, bet_type, result) VALUES (?, ?, ?)",
            [(race_id, p["bet_type"], json.dumps(p)) for p in pools])

    def pool(self, race_id: str, bet_type: str) -> dict | None:
        row = self.db.execute("SELECT result FROM pool_results WHERE race_id = ? "
                              "AND bet_type = ?", (race_id, bet_type)).fetchone()
        return json.loads(row["result"]) if row else None

    def pools(self, race_id: str) -> list[dict]:
        return [json.loads(r["result"]) for r in self.db.execute(
            "SELECT result FROM pool_results WHERE race_id = ? ORDER BY bet_type", (race_id,))]

    def marks(self) -> dict[str, tuple[str, int]]:
        """(entered_at, official) per race: what changed since a watch pass looked."""
        return {row[0]: (row[1], row[2]) for row in
                self.db.execute("SELECT race_id, entered_at, official FROM results")}

    def drop_race(self, race_id: str) -> None:
        self.db.execute("DELETE FROM pool_results WHERE race_id = ?", (race_id,))
        self.db.execute("DELETE FROM results WHERE race_id = ?", (race_id,))


class PaymentRepository(_Repository):
    def get(self, ticket: str) -> Payment | None:
        row = self.db.execute("SELECT * FROM payments WHERE ticket = ?", (ticket,)).fetchone()
        return Payment(**dict(row)) if row else None

    def by_uuid(self, payment_uuid: str) -> Payment | None:
        row = self.db.execute("SELECT * FROM payments WHERE payment_uuid = ?",
                              (payment_uuid,)).fetchone()
        return Payment(**dict(row)) if row else None

    def add_once(self, payment: Payment) -> tuple[Payment, bool]:
        """Record a payment unless its ticket or its payment uuid is already used.

        Returns (the stored payment, True if this call stored it); on a conflict
        the stored payment is the ticket's, else the one holding the uuid.
        """
        inserted = self.db.execute(
            "INSERT INTO payments (ticket, payment_uuid, terminal_id, amount_cents, paid_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (payment.ticket, payment.payment_uuid, payment.terminal_id, payment.amount_cents,
             payment.paid_at)).rowcount == 1
        if inserted:
            return payment, True
        return self.get(payment.ticket) or self.by_uuid(payment.payment_uuid), False


def _terminal(row: Row | None) -> StoredTerminal | None:
    if row is None:
        return None
    return StoredTerminal(
        terminal_id=row["terminal_id"], outlet=row["outlet"], key_hex=row["key_hex"],
        enrolled_at=row["enrolled_at"], disabled=bool(row["disabled"]), live_sid=row["live_sid"],
        last_seen=row["last_seen"], queue_depth=row["queue_depth"], printer=row["printer"],
        version=row["version"], last_auth_ts=row["last_auth_ts"],
        provisional=row["provisional"], clock_offset_ms=row["clock_offset_ms"],
        key_changed_at=row["key_changed_at"])


class TerminalRepository(_Repository):
    def get(self, terminal_id: str) -> StoredTerminal | None:
        return _terminal(self.db.execute("SELECT * FROM terminals WHERE terminal_id = ?",
                                         (terminal_id,)).fetchone())

    def listed(self) -> list[StoredTerminal]:
        return [_terminal(r) for r in
                self.db.execute("SELECT * FROM terminals ORDER BY terminal_id")]

    def add(self, terminal_id: str, outlet: str, key_hex: str, at: datetime) -> None:
        self.db.execute("INSERT INTO terminals (terminal_id, outlet, key_hex, enrolled_at) "
                        "VALUES (?, ?, ?, ?)", (terminal_id, outlet, key_hex, iso_utc(at)))

    def enabled_keys(self, terminal_ids: list[str]) -> dict[str, str]:
        """The keys (hex) of those of `terminal_ids` that are enabled, in one read."""
        if not terminal_ids:
            return {}
        marks = ", ".join("?" * len(terminal_ids))
        return {row[0]: row[1] for row in self.db.execute(
            f"SELECT terminal_id, key_hex FROM terminals WHERE terminal_id IN ({marks}) "
            "AND disabled = 0", tuple(terminal_ids))}

    def lock(self, terminal_id: str) -> None:
        """Hold the terminal's row until the unit of work ends: two writers deciding
        from a sum of its rows (the daily refund cap) then take turns."""
        if self.dialect.lock_row:
            self.db.execute(f"SELECT 1 FROM terminals WHERE terminal_id = ? "
                            f"{self.dialect.lock_row}", (terminal_id,)).fetchone()

    def disabled_ids(self) -> set[str]:
        return {r[0] for r in
                self.db.execute("SELECT terminal_id FROM terminals WHERE disabled = 1")}

    def set_disabled(self, terminal_id: str, disabled: bool) -> None:
        self.db.execute("UPDATE terminals SET disabled = ? WHERE terminal_id = ?",
                        (int(disabled), terminal_id))

    def claim(self, terminal_id: str, ts: int, sid: str, at: datetime) -> bool:
        """Make `sid` the live socket if `ts` is newer than every accepted one
        and the terminal is enabled (a conditional update: every process agrees)."""
        return self.db.execute(
            "UPDATE terminals SET last_auth_ts = ?, live_sid = ?, connected = 1, last_seen = ? "
            "WHERE terminal_id = ? AND last_auth_ts < ? AND disabled = 0",
            (ts, sid, iso_utc(at), terminal_id, ts)).rowcount == 1

    def release(self, terminal_id: str, sid: str, at: datetime) -> None:
        """The socket `sid` is gone, unless a newer one took its place."""
        self.db.execute("UPDATE terminals SET connected = 0, live_sid = NULL, last_seen = ? "
                        "WHERE terminal_id = ? AND live_sid = ?", (iso_utc(at), terminal_id, sid))

    def heartbeat(self, terminal_id: str, queue_depth: int | None, printer: str | None,
                  version: str | None, at: datetime, provisional: int | None = None,
                  clock_offset_ms: int | None = None) -> None:
        self.db.execute(
            "UPDATE terminals SET last_seen = ?, queue_depth = ?, printer = ?, version = ?, "
            "provisional = ?, clock_offset_ms = ?, connected = 1 WHERE terminal_id = ?",
            (iso_utc(at), queue_depth, printer, version, provisional, clock_offset_ms,
             terminal_id))

    # -- fleet page: key rotation and replacement -----------------------------
    def rekey(self, terminal_id: str, key_hex: str, at: datetime) -> None:
        """A new key at once: the old one signs nothing more, its socket is no longer
        the live one, and the connect `ts` starts again (no signature under the new
        key exists yet, so none can be replayed)."""
        self.db.execute(
            "UPDATE terminals SET key_hex = ?, key_changed_at = ?, last_auth_ts = 0, "
            "live_sid = NULL, connected = 0 WHERE terminal_id = ?",
            (key_hex, iso_utc(at), terminal_id))

    def last_seq(self, terminal_id: str) -> int:
        """The highest sequence number the server holds from this terminal (0 if none)."""
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM bets WHERE terminal_id = ?",
                               (terminal_id,)).fetchone()[0]

    def rekeyed_since(self, since: datetime) -> dict[str, str]:
        """Terminals whose key changed after `since`: {terminal_id: when}."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT terminal_id, key_changed_at FROM terminals WHERE key_changed_at > ?",
            (iso_utc(since),))}


class EnrolmentRepository(_Repository):
    def add(self, code: str, outlet: str, at: datetime, expires_at: datetime) -> None:
        self.db.execute("INSERT INTO enrolment_codes (code, outlet, created_at, expires_at) "
                        "VALUES (?, ?, ?, ?)", (code, outlet, iso_utc(at), iso_utc(expires_at)))

    CODE_COLUMNS = "code, outlet, expires_at, used_at, for_terminal, purpose, receipt, created_at"

    def get(self, code: str) -> EnrolmentCode | None:
        row = self.db.execute(f"SELECT {self.CODE_COLUMNS} FROM enrolment_codes "
                              "WHERE code = ?", (code,)).fetchone()
        return EnrolmentCode(**dict(row)) if row else None

    # -- fleet page: receipts and codes bound to a terminal -------------------
    def add_code(self, code: str, outlet: str, at: datetime, expires_at: datetime,
                 receipt: str, for_terminal: str | None = None, purpose: str = "enrol") -> None:
        self.db.execute(
            "INSERT INTO enrolment_codes (code, outlet, created_at, expires_at, receipt, "
            "for_terminal, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, outlet, iso_utc(at), iso_utc(expires_at), receipt, for_terminal, purpose))

    def by_receipt(self, receipt: str) -> EnrolmentCode | None:
        row = self.db.execute(f"SELECT {self.CODE_COLUMNS} FROM enrolment_codes "
                              "WHERE receipt = ?", (receipt,)).fetchone()
        return EnrolmentCode(**dict(row)) if row else None

    def pending(self, now: datetime, limit: int) -> list[EnrolmentCode]:
        """Codes neither used nor expired, those expiring first first."""
        return [EnrolmentCode(**dict(r)) for r in self.db.execute(
            f"SELECT {self.CODE_COLUMNS} FROM enrolment_codes WHERE used_at IS NULL "
            "AND expires_at > ? ORDER BY expires_at, code LIMIT ?", (iso_utc(now), limit))]

    def expire_pending_for(self, terminal_id: str, now: datetime) -> int:
        """End the pending codes bound to `terminal_id` (a newer one replaces them)."""
        return self.db.execute(
            "UPDATE enrolment_codes SET expires_at = ? WHERE for_terminal = ? "
            "AND used_at IS NULL AND expires_at > ?",
            (iso_utc(now), terminal_id, iso_utc(now))).rowcount

    def use(self, code: str, terminal_id: str, at: datetime) -> bool:
        """Mark the code used by `terminal_id`, once (a conditional update)."""
        return self.db.execute(
            "UPDATE enrolment_codes SET used_at = ?, terminal_id = ? "
            "WHERE code = ? AND used_at IS NULL", (iso_utc(at), terminal_id, code)).rowcount == 1


class AdminTokenRepository(_Repository):
    def add(self, digest: str, at: datetime, account: str | None = None) -> None:
        self.db.execute("INSERT INTO admin_tokens (token_sha256, created_at, account) "
                        "VALUES (?, ?, ?)", (digest, iso_utc(at), account))

    def holder(self, digest: str) -> tuple[bool, str | None]:
        """(known, account): a token made before accounts, or without one, has none."""
        row = self.db.execute("SELECT account FROM admin_tokens WHERE token_sha256 = ?",
                              (digest,)).fetchone()
        return (row is not None, row[0] if row else None)


class AccountRepository(_Repository):
    """Back-office accounts (server/services/accounts.py)."""

    COLUMNS = "name, role, password_hash, disabled, failures, locked_until, created_at, changed_at"

    def get(self, name: str) -> Account | None:
        row = self.db.execute(f"SELECT {self.COLUMNS} FROM accounts WHERE name = ?",
                              (name,)).fetchone()
        return Account(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7]) \
            if row else None

    def listed(self) -> list[Account]:
        rows = self.db.execute(f"SELECT {self.COLUMNS} FROM accounts ORDER BY name").fetchall()
        return [Account(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def add(self, name: str, role: str, password_hash: str, at: datetime) -> bool:
        return self.db.execute(
            "INSERT INTO accounts (name, role, password_hash, created_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, role, password_hash, iso_utc(at), iso_utc(at))).rowcount == 1

    def update(self, name: str, at: datetime, **fields: object) -> bool:
        allowed = {"role", "password_hash", "disabled", "failures", "locked_until"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"cannot update {sorted(fields)}")
        sets = ", ".join(f"{k} = ?" for k in fields)
        values = tuple(int(v) if isinstance(v, bool) else v for v in fields.values())
        return self.db.execute(f"UPDATE accounts SET {sets}, changed_at = ? WHERE name = ?",
                               (*values, iso_utc(at), name)).rowcount == 1


class SecretRepository(_Repository):
    """Secrets every server process must share (the session-signing key)."""

    def get_or_create(self, name: str, make) -> str:
        self.db.execute("INSERT INTO app_secrets (name, value) VALUES (?, ?) "
                        "ON CONFLICT (name) DO NOTHING", (name, make()))
        return self.db.execute("SELECT value FROM app_secrets WHERE name = ?",
                               (name,)).fetchone()[0]


class LeaseRepository(_Repository):
    def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease `name` for `holder` until `until`: granted when
        nobody holds it, `holder` already does, or the last holder's time ran out."""
        return self.db.execute(
            """INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
               WHERE leases.holder = excluded.holder OR leases.expires_at <= ?""",
            (name, holder, iso_utc(until), iso_utc(now))).rowcount == 1

    def release(self, name: str, holder: str) -> None:
        self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


class AuditRepository(_Repository):
    """The append-only audit log (server/services/audit.py chains and checks it)."""

    COLUMNS = "seq, at, actor, action, subject, detail, prev_hash, hash"

    def lock(self) -> None:
        if self.dialect.audit_lock:
            self.db.execute(self.dialect.audit_lock).fetchone()

    def last(self) -> AuditEntry | None:
        row = self.db.execute(f"SELECT {self.COLUMNS} FROM audit_log "
                              "ORDER BY seq DESC LIMIT 1").fetchone()
        return AuditEntry(*row) if row else None

    def append(self, entry: AuditEntry) -> None:
        self.db.execute(f"INSERT INTO audit_log ({self.COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        tuple(entry))

    def entries(self, after: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Up to `limit` entries after `after`, in the order they were stored (by seq)."""
        rows = self.db.execute(f"SELECT {self.COLUMNS} FROM audit_log WHERE seq > ? "
                               "ORDER BY seq LIMIT ?", (after, limit)).fetchall()
        return [AuditEntry(*row) for row in rows]


# -- a terminal's day, for its till's Z report (server/services/till_ledger.py) ----------
class TillLedgerRepository(_Repository):
    """The day's figures as the till and the reports both count them (one definition):
    `sales` bets with a ticket placed then (a refused provisional ticket was sold all
    the same), `cancellations` bets cancelled then, `payouts` and `refunds` the
    payments made then (a refund pays a refused provisional ticket back), and
    `rejected` the provisional (offline) bets the server refused, by sale time."""

    def _totals(self, terminal_id: str | None, start: str, end: str) -> list[Row]:
        mine = "AND terminal_id = ?" if terminal_id else ""
        paid = "AND p.terminal_id = ?" if terminal_id else ""
        t = (terminal_id,) if terminal_id else ()
        return self.db.execute(
            f"""SELECT terminal_id, 'sales', COUNT(*),
                       CAST(COALESCE(SUM(total_cents), 0) AS BIGINT)
                  FROM bets WHERE ticket IS NOT NULL AND placed_at >= ? AND placed_at < ? {mine}
                 GROUP BY terminal_id
                UNION ALL
                SELECT terminal_id, 'rejected', COUNT(*),
                       CAST(COALESCE(SUM(total_cents), 0) AS BIGINT)
                  FROM bets WHERE offline = 1 AND status = ?
                   AND placed_at >= ? AND placed_at < ? {mine}
                 GROUP BY terminal_id
                UNION ALL
                SELECT terminal_id, 'cancellations', COUNT(*),
                       CAST(COALESCE(SUM(total_cents), 0) AS BIGINT)
                  FROM bets WHERE status = ? AND cancelled_at >= ? AND cancelled_at < ? {mine}
                 GROUP BY terminal_id
                UNION ALL
                SELECT terminal_id, kind, COUNT(*), CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT)
                  FROM (SELECT p.terminal_id,
                               CASE WHEN b.status = ? THEN 'refunds' ELSE 'payouts' END AS kind,
                               p.amount_cents
                          FROM payments p LEFT JOIN bets b ON b.ticket = p.ticket
                         WHERE p.paid_at >= ? AND p.paid_at < ? {paid}) paid
                 GROUP BY terminal_id, kind""",
            (start, end, *t, BetStatus.REJECTED, start, end, *t,
             BetStatus.CANCELLED, start, end, *t, BetStatus.REJECTED, start, end, *t)).fetchall()

    def day_totals(self, terminal_id: str, start: str, end: str) -> dict[str, tuple[int, int]]:
        """(count, cents) per figure for one terminal between two instants (ISO UTC)."""
        return {r[1]: (r[2], r[3]) for r in self._totals(terminal_id, start, end)}

    def all_totals(self, start: str, end: str) -> dict[str, dict[str, tuple[int, int]]]:
        """The same for every terminal with anything between the two instants."""
        out: dict[str, dict[str, tuple[int, int]]] = {}
        for r in self._totals(None, start, end):
            out.setdefault(r[0], {})[r[1]] = (r[2], r[3])
        return out


# -- reports: the terminals' Z reports and stakes before the off (server/services/reports.py)
class ReportRepository(_Repository):
    Z_COLUMNS = ("terminal_id", "report_id", "day", "shift", "opened_at", "closed_at",
                 "received_at", "sales_count", "sales_cents", "cancellations_count",
                 "cancellations_cents", "payouts_count", "payouts_cents", "refunds_count",
                 "refunds_cents", "float_cents", "sales_cash_cents", "sales_card_cents",
                 "expected_cents", "counted_cents")

    def add_z_report(self, report: dict) -> bool:
        """Store a Z report unless this terminal already sent one with its id (True if stored)."""
        names = self.Z_COLUMNS
        return self.db.execute(
            f"INSERT INTO z_reports ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            "ON CONFLICT (terminal_id, report_id) DO NOTHING",
            tuple(report[n] for n in names)).rowcount == 1

    def z_report(self, terminal_id: str, report_id: str) -> dict | None:
        row = self.db.execute(f"SELECT {', '.join(self.Z_COLUMNS)} FROM z_reports "
                              "WHERE terminal_id = ? AND report_id = ?",
                              (terminal_id, report_id)).fetchone()
        return dict(zip(self.Z_COLUMNS, row)) if row else None

    def z_report_count(self, terminal_id: str, day: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM z_reports WHERE day = ? AND terminal_id = ?",
                               (day, terminal_id)).fetchone()[0]

    def z_reports(self, day: str) -> list[dict]:
        """The Z reports of one Paris day, by terminal, last closed last."""
        rows = self.db.execute(f"SELECT {', '.join(self.Z_COLUMNS)} FROM z_reports "
                               "WHERE day = ? ORDER BY terminal_id, closed_at, received_at",
                               (day,)).fetchall()
        return [dict(zip(self.Z_COLUMNS, r)) for r in rows]

    def stakes_by_minute(self, race_id: str, start: str, end: str) -> list[tuple[str, int, int]]:
        """(minute `YYYY-MM-DDTHH:MM` in UTC, bets, cents) of the race's accepted
        bets received between two instants."""
        rows = self.db.execute(
            """SELECT SUBSTR(received_at, 1, 16) AS minute, COUNT(*),
                      CAST(SUM(total_cents) AS BIGINT)
                 FROM bets WHERE race_id = ? AND status = ?
                  AND received_at >= ? AND received_at < ?
                GROUP BY SUBSTR(received_at, 1, 16) ORDER BY minute""",
            (race_id, BetStatus.ACCEPTED, start, end)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]


# -- Report+ chains: their legs (server/services/chains.py) ------------------------------
def _leg_kind(bet_type: str) -> str:
    """The leg kind whose stakes belong to a Simple pool (`SIMPLE_GAGNANT` -> `GAGNANT`);
    a code of another pool names no kind ('')."""
    return bet_type.removeprefix("SIMPLE_") if bet_type.startswith("SIMPLE_") else ""


def _stored_leg(row: Row) -> StoredLeg:
    return StoredLeg(
        uuid=row["uuid"], leg=row["leg"], race_id=row["race_id"], horse=row["horse"],
        kind=row["kind"], carry=row["carry"], base_cents=row["base_cents"],
        stake_cents=row["stake_cents"],
        in_pool=None if row["in_pool"] is None else bool(row["in_pool"]),
        return_cents=row["return_cents"], carried_cents=row["carried_cents"],
        kept_cents=row["kept_cents"], breakage_cents=row["breakage_cents"],
        void=bool(row["void"]), funded_at=row["funded_at"],
        run_at=row["run_at"])


class ChainRepository(_Repository):
    """The legs of Report+ chains. Every change happens once: a leg is funded only
    while unfunded, run only while not run (conditional updates), so two processes
    making two races official at once never fund or run a leg twice."""

    _COLUMNS = ("uuid, leg, race_id, horse, kind, carry, base_cents, stake_cents, in_pool, "
                "return_cents, carried_cents, kept_cents, breakage_cents, void, funded_at, run_at")

    def add(self, uuid: str, legs: list[tuple[str, int, str, str]], base_cents: int,
            first_stake_cents: int, at: datetime) -> None:
        """A chain sold: its legs (race, horse, kind, carry) in order, the first funded
        with the sale's stake into its race's pool. A leg already stored stays as it is."""
        self.db.executemany(
            "INSERT INTO chain_legs (uuid, leg, race_id, horse, kind, carry, base_cents, "
            "stake_cents, in_pool, funded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (uuid, leg) DO NOTHING",
            [(uuid, i, race_id, horse, kind, carry, base_cents,
              first_stake_cents if i == 0 else None, 1 if i == 0 else None,
              iso_utc(at) if i == 0 else None)
             for i, (race_id, horse, kind, carry) in enumerate(legs)])

    def lock(self) -> None:
        """Make units of work that move chains on take turns, until the end of the
        transaction. Two races made official at once by two processes (PostgreSQL at
        READ COMMITTED): the first funds a leg on the second's race, which it does not
        yet see official; the second, let in after the first commits, then sees that
        leg (each statement reads what is committed) and runs it. SQLite serialises
        writers already."""
        if self.dialect.chain_lock:
            self.db.execute(self.dialect.chain_lock).fetchone()

    def legs(self, uuid: str) -> list[StoredLeg]:
        return [_stored_leg(r) for r in self.db.execute(
            f"SELECT {self._COLUMNS} FROM chain_legs WHERE uuid = ? ORDER BY leg", (uuid,))]

    def stake_groups(self, race_id: str) -> list[StakeGroup]:
        """The stakes of the race's legs that joined its Simple pools, of chains still
        accepted, summed per kind and horse as Simple unitaire bets."""
        rows = self.db.execute(
            """SELECT l.kind, l.horse, CAST(SUM(l.stake_cents) AS BIGINT) AS stake
               FROM chain_legs l JOIN bets b ON b.uuid = l.uuid
               WHERE l.race_id = ? AND l.stake_cents IS NOT NULL AND l.in_pool = 1
                 AND b.status = ?
               GROUP BY l.kind, l.horse ORDER BY l.kind, l.horse""",
            (race_id, BetStatus.ACCEPTED))
        return [StakeGroup(f"SIMPLE_{r['kind']}", "UNITAIRE", [r["horse"]], [], None,
                           r["stake"]) for r in rows]

    def current(self, race_id: str) -> list[StoredLeg]:
        """The legs of accepted chains on this race, funded and not yet run."""
        return [_stored_leg(r) for r in self.db.execute(
            f"""SELECT {', '.join('l.' + c for c in self._COLUMNS.split(', '))}
                FROM chain_legs l JOIN bets b ON b.uuid = l.uuid
                WHERE l.race_id = ? AND l.stake_cents IS NOT NULL
                  AND l.return_cents IS NULL AND b.status = ?
                ORDER BY l.uuid, l.leg""", (race_id, BetStatus.ACCEPTED))]

    def fund(self, uuid: str, leg: int, stake_cents: int, in_pool: bool, at: datetime) -> bool:
        """Give a leg its stake, once."""
        return self.db.execute(
            "UPDATE chain_legs SET stake_cents = ?, in_pool = ?, funded_at = ? "
            "WHERE uuid = ? AND leg = ? AND stake_cents IS NULL",
            (stake_cents, int(in_pool), iso_utc(at), uuid, leg)).rowcount == 1

    def record_run(self, uuid: str, leg: int, return_cents: int, carried_cents: int,
                   kept_cents: int, breakage_cents: int, void: bool, at: datetime) -> bool:
        """A funded leg's outcome, once."""
        return self.db.execute(
            "UPDATE chain_legs SET return_cents = ?, carried_cents = ?, kept_cents = ?, "
            "breakage_cents = ?, void = ?, run_at = ? WHERE uuid = ? AND leg = ? "
            "AND stake_cents IS NOT NULL AND return_cents IS NULL",
            (return_cents, carried_cents, kept_cents, breakage_cents, int(void), iso_utc(at),
             uuid, leg)).rowcount == 1


class _PerUnitOfWork:
    """A unit of work's repository, made the first time the unit of work uses it: a
    connecting terminal's unit of work reads one table, not sixteen."""

    def __init__(self, cls) -> None:
        self.cls = cls

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, uow, owner=None):
        if uow is None:
            return self
        repository = uow.__dict__[self.name] = self.cls(uow._db, uow._dialect)
        return repository


class Repositories:
    """Every repository over one connection in one transaction (a unit of work's)."""

    meta = _PerUnitOfWork(MetaRepository)
    races = _PerUnitOfWork(RaceRepository)
    bets = _PerUnitOfWork(BetRepository)
    pools = _PerUnitOfWork(PoolRepository)
    results = _PerUnitOfWork(ResultRepository)
    payments = _PerUnitOfWork(PaymentRepository)
    terminals = _PerUnitOfWork(TerminalRepository)
    enrolment = _PerUnitOfWork(EnrolmentRepository)
    admin_tokens = _PerUnitOfWork(AdminTokenRepository)
    leases = _PerUnitOfWork(LeaseRepository)
    audit = _PerUnitOfWork(AuditRepository)
    accounts = _PerUnitOfWork(AccountRepository)
    secrets = _PerUnitOfWork(SecretRepository)
    till_ledger = _PerUnitOfWork(TillLedgerRepository)
    reports = _PerUnitOfWork(ReportRepository)
    chains = _PerUnitOfWork(ChainRepository)

    def __init__(self, db: Any, dialect: Dialect) -> None:
        self._db, self._dialect = db, dialect

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo only the writes of the block if it raises; the transaction goes on
        (on PostgreSQL a failed statement otherwise aborts the whole transaction).
        The same statements on both stores."""
        self._db.execute("SAVEPOINT unit")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO SAVEPOINT unit")
            self._db.execute("RELEASE SAVEPOINT unit")
            raise
        self._db.execute("RELEASE SAVEPOINT unit")
