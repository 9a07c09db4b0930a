"""The named states keep the exact strings stored in the databases and sent on the wire."""
import json
import sqlite3

import pytest

from betting.states import (
    UNANSWERED,
    Answer,
    BetStatus,
    OpResult,
    OutboxState,
    PrintState,
    RaceState,
    ReviewState,
    SaleStatus,
    TicketValue,
)

WIRE_VALUES = {
    BetStatus: {"accepted", "rejected", "cancelled"},
    Answer: {"accepted", "duplicate", "rejected"},
    TicketValue: {"pending", "won", "lost", "refund", "review", "void", "paid", "cancelled"},
    RaceState: {"open", "suspended", "closed", "removed"},
    ReviewState: {"open", "refund", "void"},
    OutboxState: {"pending", "sent", "accepted", "rejected", "corrupt"},
    SaleStatus: {"pending", "provisional", "accepted", "rejected", "corrupt"},
    PrintState: {"sending", "printed", "failed"},
    OpResult: {"ok", "refused", "no_answer"},
}


@pytest.mark.parametrize("enum", list(WIRE_VALUES), ids=lambda e: e.__name__)
def test_values_are_the_stored_strings(enum):
    assert {m.value for m in enum} == WIRE_VALUES[enum]
    assert all(m == m.value and str(m) == m.value and f"{m}" == m.value for m in enum)


def test_members_serialise_to_json_as_bare_strings():
    body = {"status": TicketValue.WON, RaceState.OPEN: [Answer.DUPLICATE]}
    assert json.dumps(body) == '{"status": "won", "open": ["duplicate"]}'


def test_members_bind_to_sqlite_as_text():
    db = sqlite3.connect(":memory:")
    assert db.execute("SELECT ?, typeof(?)", (BetStatus.CANCELLED,) * 2).fetchone() == (
        "cancelled", "text")
    db.execute("CREATE TABLE t (status TEXT)")
    db.execute("INSERT INTO t VALUES ('accepted')")
    assert db.execute("SELECT COUNT(*) FROM t WHERE status = ?",
                      (OutboxState.ACCEPTED,)).fetchone()[0] == 1


def test_a_duplicate_answer_is_an_accepted_outbox_entry():
    assert OutboxState.from_answer("duplicate") is OutboxState.ACCEPTED
    assert OutboxState.from_answer(Answer.ACCEPTED) is OutboxState.ACCEPTED
    assert OutboxState.from_answer("rejected") is OutboxState.REJECTED


def test_unanswered_outbox_entries_are_pending_and_sent():
    assert UNANSWERED == ("pending", "sent")
