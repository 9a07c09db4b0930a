"""Taking bets: validate again, commit, then answer.

Exactly-once in effect over an at-least-once wire: `uuid` and
`(terminal_id, seq)` are unique in the store, and a resend is answered with
the answer recorded the first time (`duplicate` with the same ticket for an
accepted bet, the same rejection for a rejected one).

The server never owes money it did not validate: a refused offline bet keeps
its ticket code (the customer holds the provisional paper) but the refund it
may be paid is what the server itself priced, recorded in `refund_cents`, and
only for an honest late bet (`pool_closed`, valid against the card, claimed
total equal to the server's price, within the offline ceiling). Anything else
is left for the operator's review (server/services/review.py), never payable at a counter.

Named `ledger`, not `bets`, because `betting/bets.py` already means pricing one bet.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from betting.bets import price_bet, running_numbers
from betting.catalogue import is_champ_total
from betting.errors import (
    BadChain,
    BettingError,
    ClosedPool,
    ProtocolError,
    UnknownRace,
    WrongTotal,
)
from betting.programme import Race, iso_utc
from betting.protocol import WireBet, parse_wire_bet
from betting.reports import REPORT_PLUS, price_chain
from betting.states import Answer, BetStatus, RaceState, ReviewState
from betting.tickets import make_ticket_code

from .races import RaceRecord, get_race
from ..records import NewBet, StoredBet
from ..store import UnitOfWork

log = logging.getLogger("guichet.server")

# The server's offline policy when the caller does not say (server/web/app.py's defaults).
DEFAULT_OFFLINE_CEILING_CENTS = 20_000
DEFAULT_OFFLINE_MARGIN_S = 300
# How far a terminal's sale stamp may run ahead of the server's clock.
CLOCK_SLACK = timedelta(seconds=120)


def _answer(bet: StoredBet, first_time: bool) -> dict:
    status = bet.status
    if status == BetStatus.ACCEPTED and not first_time:
        status = Answer.DUPLICATE
    return {"uuid": bet.uuid, "status": status, "ticket": bet.ticket,
            "reason": bet.reason, "message": bet.message, "seq": bet.seq}


def _rejection(uuid: object, exc: BettingError) -> dict:
    return {"uuid": uuid if isinstance(uuid, str) else None, "status": Answer.REJECTED,
            "ticket": None, "reason": exc.code, "message": exc.message}


def _validate(bet: WireBet, record: RaceRecord | None, now: datetime) -> int:
    """Return the number of combinations, or raise why the bet cannot join its pool."""

    if record is None:
        raise UnknownRace(f"Course inconnue : {bet.request.race[:40]}.")
    if record.state_at(now) != RaceState.OPEN:
        raise ClosedPool(f"Les paris sont fermés pour {record.race.race_id}.")
    priced = price_bet(bet.request, record.race)
    if priced.total_cents != bet.total_cents:
        raise WrongTotal(
            f"Total annoncé {bet.total_cents} c, calculé {priced.total_cents} c."
        )
    return priced.combinations


# A Report+ is sold online only: its legs are funded by the server's own results.
CHAIN_OFFLINE = ("Report+ refusé : il se vend uniquement en ligne, jamais en mode "
                 "hors connexion.")


def _validate_chain(bet: WireBet, races: dict[str, RaceRecord | None], now: datetime) -> int:
    """A Report+ (betting/reports.py): online only, its first race open, none of its
    races closed, every check of `price_chain` against the stored programme, and the
    claimed total equal to the first stake. Returns its one combination."""
    if bet.offline:
        raise BadChain(CHAIN_OFFLINE)
    legs = bet.request.legs
    first = races.get(bet.request.race)
    if first is None:
        raise UnknownRace(f"Course inconnue : {bet.request.race[:40]}.")
    if first.state_at(now) != RaceState.OPEN:
        raise ClosedPool(f"Les paris sont fermés pour {first.race.race_id}.")
    cards = {}
    for leg in legs:
        record = races.get(leg.race)
        if record is None:
            raise UnknownRace(f"Course inconnue : {leg.race[:40]}.")
        if record.state_at(now) == RaceState.CLOSED:
            raise ClosedPool(f"Les paris sont fermés pour {record.race.race_id} : "
                             "elle ne peut plus entrer dans un Report+.")
        cards[leg.race] = record.race
    priced = price_chain(bet.request, legs, cards)
    if priced.total_cents != bet.total_cents:
        raise WrongTotal(f"Total annoncé {bet.total_cents} c, calculé {priced.total_cents} c.")
    return priced.combinations


def _all_declared(race: Race) -> Race:
    """The card with its withdrawals undone: an offline bet may have been sold
    before a horse was withdrawn, and its stake is what it cost then."""
    return dataclasses.replace(race, runners=tuple(
        dataclasses.replace(r, non_runner=False) for r in race.runners))


@dataclass(frozen=True)
class OfflineRule:
    """The offline policy in force on this server (pushed to every terminal as
    `policy`): what a refused provisional ticket may be worth."""

    ceiling_cents: int = DEFAULT_OFFLINE_CEILING_CENTS
    margin_s: int = DEFAULT_OFFLINE_MARGIN_S

    @classmethod
    def from_policy(cls, policy: dict) -> "OfflineRule":
        return cls(int(policy["offline_ceiling_cents"]), int(policy["offline_margin_s"]))


def offline_refund(bet: WireBet, record: RaceRecord | None, exc: BettingError,
                   rule: OfflineRule, now: datetime) -> tuple[int, ReviewState | None]:
    """(refund owed, review state) for a refused offline bet.

    Only an honest late bet is refunded at once: refused because its pool
    closed, sold (by its own stamp) before the offline margin of the off and
    not in the future, priced by the server at exactly the claimed total,
    within the offline ceiling. Everything else goes to the operator (`open`,
    nothing owed).
    """
    if not isinstance(exc, ClosedPool) or record is None \
            or not 0 < bet.total_cents <= rule.ceiling_cents:
        return 0, ReviewState.OPEN
    latest_sale = record.race.post_time - timedelta(seconds=rule.margin_s) + CLOCK_SLACK
    if not bet.placed_at <= min(latest_sale, now + CLOCK_SLACK):
        return 0, ReviewState.OPEN
    for card in (record.race, _all_declared(record.race)):
        try:
            priced = price_bet(bet.request, card)
        except BettingError:
            continue
        if priced.total_cents == bet.total_cents:
            return priced.total_cents, None
    return 0, ReviewState.OPEN


def _refunds_owed_today(uow: UnitOfWork, terminal_id: str, now: datetime) -> int:
    """The refunds this terminal's refused provisional tickets were granted on
    arrival since midnight UTC (operator decisions not counted)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # Two processes deciding this terminal's refunds at once (PostgreSQL lets them)
    # take turns on its row, so neither decides from a sum the other is changing.
    uow.terminals.lock(terminal_id)
    return uow.bets.refunds_granted_since(terminal_id, midnight)


class NeedsIsolation(Exception):
    """A bet placed without its own savepoint failed: the transaction may hold
    half of it, so the caller rolls back and places the batch again, isolated."""


def place_one(uow: UnitOfWork, terminal_id: str, key: bytes, raw: object,
              now: datetime, races: dict[str, RaceRecord | None],
              rule: OfflineRule = OfflineRule(), isolated: bool = True) -> dict:
    """Decide one bet inside the caller's unit of work.

    The bet is written under its own savepoint: an unexpected failure (a
    bug, an integer the store cannot hold) rejects this bet alone and undoes
    only its writes, never the rest of the batch. Without `isolated`, there is
    no savepoint (two round trips fewer per bet on PostgreSQL) and a failure
    raises NeedsIsolation instead: the caller must roll back and start again
    with `isolated`.
    """
    if not isolated:
        try:
            answer = _place(uow, terminal_id, key, raw, now, races, rule)
        except Exception as exc:
            raise NeedsIsolation() from exc
        _log_answer(terminal_id, answer)
        return answer
    try:
        with uow.savepoint():
            answer = _place(uow, terminal_id, key, raw, now, races, rule)
    except Exception:
        uuid = raw.get("uuid") if isinstance(raw, dict) else None
        uuid = uuid if isinstance(uuid, str) else None
        log.exception("bet from %s could not be placed", terminal_id,
                      extra={"terminal_id": terminal_id, "bet_uuid": uuid and uuid[:64]})
        return {"uuid": uuid, "status": Answer.REJECTED,
                "ticket": None, "reason": "internal_error",
                "message": "Erreur du serveur central sur ce pari : il n'est pas enregistré.",
                "seq": raw.get("seq") if isinstance(raw, dict) else None}
    _log_answer(terminal_id, answer)
    return answer


def _log_answer(terminal_id: str, answer: dict) -> None:
    """One INFO line per rejected bet (the operator asks why a shop's bet was
    refused), DEBUG for the others: at the peak, 2,000 accepted bets a second
    would drown the log. Written when the bet is decided, before its batch
    commits."""
    rejected = answer["status"] == Answer.REJECTED
    if not log.isEnabledFor(logging.INFO if rejected else logging.DEBUG):
        return
    uuid = answer["uuid"]
    fields = {"terminal_id": terminal_id, "bet_uuid": uuid[:64] if isinstance(uuid, str) else None,
              "status": str(answer["status"]), "seq": answer.get("seq")}
    if rejected:
        log.info("bet from %s rejected: %s", terminal_id, answer["reason"],
                 extra={**fields, "reason": answer["reason"]})
    else:
        log.debug("bet from %s %s", terminal_id, answer["status"], extra=fields)


def _place(uow: UnitOfWork, terminal_id: str, key: bytes, raw: object,
           now: datetime, races: dict[str, RaceRecord | None], rule: OfflineRule) -> dict:
    try:
        bet = parse_wire_bet(raw)
    except ProtocolError as exc:
        return _rejection(raw.get("uuid") if isinstance(raw, dict) else None, exc)

    race_id = bet.request.race
    chain = bet.request.bet_type == REPORT_PLUS
    for wanted in [race_id] + [leg.race for leg in bet.request.legs]:
        if wanted not in races:
            races[wanted] = get_race(uow, wanted)
    partners = None
    refund = review = review_max = None
    try:
        combinations = (_validate_chain(bet, races, now) if chain
                        else _validate(bet, races[race_id], now))
        status, reason, message = BetStatus.ACCEPTED, None, None
        ticket = make_ticket_code(terminal_id, bet.seq, key)
        if is_champ_total(bet.request.formula):
            # The horses that complete the bases now; a later non-runner is
            # refunded at settlement, not removed from the bet.
            partners = [n for n in running_numbers(races[race_id].race)
                        if n not in bet.request.bases]
    except BettingError as exc:
        combinations, status, reason, message, ticket = (0, BetStatus.REJECTED, exc.code,
                                                         exc.message, None)
        if bet.offline:
            # Its provisional ticket is already in the customer's hands: keep
            # the code so that scanning it says what is owed, which the
            # server decides here, not the terminal's claim.
            ticket = make_ticket_code(terminal_id, bet.seq, key)
            refund, review = offline_refund(bet, races[race_id], exc, rule, now)
            if refund and _refunds_owed_today(uow, terminal_id, now) + refund > rule.ceiling_cents:
                # One terminal's refunds paid on its own word stay within one
                # offline ceiling a day; past it, a person looks.
                refund, review = 0, ReviewState.OPEN
            if review is not None:
                review_max = min(bet.total_cents, rule.ceiling_cents)

    r = bet.request
    stored, new = uow.bets.add_or_get(NewBet(
        uuid=bet.uuid, terminal_id=terminal_id, seq=bet.seq, race_id=r.race[:40],
        bet_type=r.bet_type[:40], formula=r.formula[:40], selections=r.selections,
        bases=r.bases, partners=partners, unit_stake_cents=r.unit_stake_cents,
        total_cents=bet.total_cents, combinations=combinations,
        placed_at=iso_utc(bet.placed_at), received_at=iso_utc(now), offline=bet.offline,
        status=status, reason=reason, message=message, ticket=ticket, refund_cents=refund,
        review=review, review_max_cents=review_max, complement=r.complement))
    if not new:
        # Sent before: the unique uuid and (terminal, seq) decide, and the
        # first answer is given again.
        if stored.uuid != bet.uuid:
            return _rejection(bet.uuid, ProtocolError(f"sequence {bet.seq} already used"))
        if stored.terminal_id != terminal_id or stored.seq != bet.seq:
            return _rejection(bet.uuid, ProtocolError("uuid already used by another bet"))
        return _answer(stored, first_time=False)
    if status == BetStatus.ACCEPTED and chain:
        # Its legs beside it, the first funded with the stake, which joins the first
        # race's Simple pool (a Report+ has no pool of its own).
        base = races[race_id].race.offer(REPORT_PLUS).base_stake_cents
        uow.chains.add(bet.uuid, [(leg.race, leg.horse, leg.kind, leg.carry)
                                  for leg in r.legs], base, bet.total_cents, now)
        uow.pools.add(r.race, r.legs[0].simple_bet_type, bet.total_cents)
    elif status == BetStatus.ACCEPTED:
        uow.pools.add(r.race, r.bet_type, bet.total_cents)
    return {"uuid": bet.uuid, "status": Answer(status), "ticket": ticket, "reason": reason,
            "message": message, "seq": bet.seq}


def bet_to_dict(bet: StoredBet) -> dict:
    return {
        "uuid": bet.uuid, "terminal_id": bet.terminal_id, "seq": bet.seq,
        "race": bet.race_id, "bet_type": bet.bet_type, "formula": bet.formula,
        "selections": bet.selections, "bases": bet.bases,
        "unit_stake_cents": bet.unit_stake_cents, "total_cents": bet.total_cents,
        "combinations": bet.combinations, "placed_at": bet.placed_at,
        "received_at": bet.received_at, "offline": bet.offline,
        "status": bet.status, "reason": bet.reason, "ticket": bet.ticket,
        "refund_cents": bet.refund_cents, "review": bet.review,
        "review_max_cents": bet.review_max_cents, "reviewed_at": bet.reviewed_at,
        "complement": bet.complement,
    }
