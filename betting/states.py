"""The named states of every state machine in Guichet, one `StrEnum` each.

The values are the strings stored in both databases and sent on the wire, so
they never change; a member compares equal to its string, binds to SQLite as
text and serialises to JSON as the bare string. Several machines share a word
with a different meaning (`pending` is "never sent" in the terminal's outbox
and "no result yet" for a ticket; `open` is a race taking bets and a ticket
waiting for the operator): the enum a value belongs to says which one is meant.
"""
from __future__ import annotations

from enum import StrEnum


class BetStatus(StrEnum):
    """A bet in the server's ledger (`bets.status`).

    Written once when the bet arrives: `accepted` (it joined its pool) or
    `rejected` (final). An accepted bet becomes `cancelled` when the terminal
    that sold it cancels it before the off and within the cancel window.
    """

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    """The server's answer to one bet of a `place_bets` message.

    `accepted` the first time a bet is taken, `duplicate` when it is sent
    again (same ticket), `rejected` the first and every later time for a bet
    refused. Not stored: derived from `BetStatus` and whether the bet was new.
    """

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class TicketValue(StrEnum):
    """What a ticket is worth now (`inquire_ticket`), derived, never stored.

    `pending` until the result is official, then `won`, `lost` or `refund`;
    `paid` once paid (final); `cancelled` for a cancelled bet. A refused
    provisional ticket is `refund` (the server priced it) or `review` until
    the operator decides `refund` or `void`.
    """

    PENDING = "pending"
    WON = "won"
    LOST = "lost"
    REFUND = "refund"
    REVIEW = "review"
    VOID = "void"
    PAID = "paid"
    CANCELLED = "cancelled"


class RaceState(StrEnum):
    """A race on the programme (`races.state`, and the state pushed to terminals).

    `open` → `closed` by the operator or at its post time (never back);
    `open` ⇄ `suspended` by the operator before the off (a suspended race takes
    no bet, and closes at its post time like an open one); `open` or `closed`
    → `removed` only while nobody has bet on it; a removed race imported again
    comes back `open`.
    """

    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    REMOVED = "removed"


class ReviewState(StrEnum):
    """The operator's review of a refused provisional ticket (`bets.review`).

    NULL when there is nothing to review; `open` while waiting, then the
    operator's final decision: `refund` (an amount) or `void` (nothing owed).
    """

    OPEN = "open"
    REFUND = "refund"
    VOID = "void"


class OutboxState(StrEnum):
    """An entry of the terminal's outbox (`outbox.status`).

    `pending` (written, never sent) → `sent` (sent, no answer stored) →
    `accepted` or `rejected` (the server's answer, final). An unreadable
    `pending` or `sent` entry is set aside as `corrupt`.
    """

    PENDING = "pending"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CORRUPT = "corrupt"

    @classmethod
    def from_answer(cls, answer: object) -> OutboxState:
        """The outbox state an `Answer` leads to: a duplicate is an accepted bet."""
        return cls.ACCEPTED if answer in (Answer.ACCEPTED, Answer.DUPLICATE) else cls.REJECTED


# Outbox entries still waiting for the server's answer (they are sent again).
UNANSWERED: tuple[OutboxState, ...] = (OutboxState.PENDING, OutboxState.SENT)


class SaleStatus(StrEnum):
    """A bet as the terminal's JSON API and UI show it (`bet_view`).

    `pending` (sent, no answer yet, no ticket) or `provisional` (sold
    offline, not answered yet) → `accepted` or `rejected`; `corrupt` for an
    unreadable outbox entry.
    """

    PENDING = "pending"
    PROVISIONAL = "provisional"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CORRUPT = "corrupt"


class PrintState(StrEnum):
    """One attempt to print a ticket in the terminal's journal (`prints.result`).

    `sending` is written before the bytes go out, then `printed` or `failed`;
    a row left `sending` means the terminal stopped in the middle of the job.
    """

    SENDING = "sending"
    PRINTED = "printed"
    FAILED = "failed"


class OpResult(StrEnum):
    """A payment or cancellation asked of the server (`ticket_ops.result`).

    NULL while asked; then `ok`, `refused`, or `no_answer` (a payment with no
    answer is asked again with the same payment id, never a new one).
    """

    OK = "ok"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
