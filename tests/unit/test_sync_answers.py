"""The sync client trusts a place_bets answer only if it matches what was sent."""
import pytest

from terminal_app.adapters.sync import _answers

BATCH = [{"uuid": "a"}, {"uuid": "b"}]


def test_matching_answer_is_taken():
    ack = {"ok": True, "results": [{"uuid": "a", "status": "accepted", "ticket": "1"},
                                   {"uuid": "b", "status": "rejected", "reason": "pool_closed"}]}
    assert [a["uuid"] for a in _answers(ack, BATCH)] == ["a", "b"]


@pytest.mark.parametrize("ack", [
    None, "ok", {"ok": False, "error": "bad_request"}, {"ok": True},
    {"ok": True, "results": [{"uuid": "a", "status": "accepted"}]},                 # too short
    {"ok": True, "results": [{"uuid": "b", "status": "accepted"},
                             {"uuid": "a", "status": "accepted"}]},                 # reordered
    {"ok": True, "results": [{"uuid": "a", "status": "accepted"},
                             {"uuid": "c", "status": "accepted"}]},                 # another bet
    {"ok": True, "results": [{"uuid": "a", "status": "accepted"},
                             {"uuid": "b", "status": "maybe"}]},                    # unknown status
    {"ok": True, "results": [{"uuid": "a", "status": "accepted"}, "b"]},
])
def test_an_answer_that_does_not_match_the_request_is_refused(ack):
    # refused means: nothing recorded, the batch stays unanswered and is sent again
    with pytest.raises(RuntimeError):
        _answers(ack, BATCH)
