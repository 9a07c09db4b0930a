import uuid

import pytest

from betting.errors import ProtocolError
from betting.protocol import (
    MAX_BETS_PER_MESSAGE,
    check_connect_auth,
    connect_signature,
    parse_place_bets,
    parse_wire_bet,
)

KEY = b"k" * 32


def wire(**change):
    bet = {"uuid": str(uuid.uuid4()), "seq": 1, "placed_at": "2026-11-29T10:00:00Z",
           "race": "2026-11-29/R1C1", "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
           "selections": [3], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
           "offline": False}
    bet.update(change)
    return bet


def test_a_well_formed_bet_parses():
    bet = parse_wire_bet(wire())
    assert bet.seq == 1 and bet.request.selections == (3,) and bet.total_cents == 100
    assert bet.placed_at.tzinfo is not None


@pytest.mark.parametrize("change", [
    {"uuid": "not-a-uuid"}, {"uuid": None}, {"seq": 0}, {"seq": "1"}, {"seq": True},
    {"total_cents": -1}, {"total_cents": 1.5}, {"placed_at": "yesterday"},
    {"placed_at": "2026-11-29T10:00:00"}, {"selections": "3"}, {"selections": [3.0]},
    {"selections": [True]}, {"unit_stake_cents": 1.0}, {"race": 7}, {"selections": list(range(41))},
])
def test_malformed_bets_are_protocol_errors(change):
    with pytest.raises(ProtocolError):
        parse_wire_bet(wire(**change))


@pytest.mark.parametrize("change", [
    # booleans are JSON booleans: "false" must not count as offline
    {"offline": "false"}, {"offline": "true"}, {"offline": 1}, {"offline": None},
    # every integer is bounded before it reaches a price or the store (2**63)
    {"unit_stake_cents": 2**63}, {"unit_stake_cents": -1}, {"total_cents": 2**64},
    {"total_cents": 10**10 + 1}, {"selections": [2**70]}, {"selections": [0]},
    {"bases": [2**63]}, {"complement": 2**63}, {"complement": "3"}, {"complement": True},
])
def test_flags_and_integers_out_of_bounds_are_protocol_errors(change):
    with pytest.raises(ProtocolError):
        parse_wire_bet(wire(**change))


@pytest.mark.parametrize("change, offline", [
    ({"offline": True}, True), ({"offline": False}, False), ({}, False),
    ({"offline": True, "complement": 7}, True),
])
def test_boolean_flags_parse_as_given(change, offline):
    bet = wire(**change)
    if "offline" not in change:
        del bet["offline"]  # absent: an online bet
    assert parse_wire_bet(bet).offline is offline


@pytest.mark.parametrize("payload", [None, [], "x", {"bets": {}}, {"bets": []},
                                     {"bets": [{}] * (MAX_BETS_PER_MESSAGE + 1)}])
def test_place_bets_envelope(payload):
    with pytest.raises(ProtocolError):
        parse_place_bets(payload)


def test_connect_auth_accepts_a_fresh_signature():
    ts = 1_800_000_000
    auth = {"terminal_id": "T000001", "ts": ts, "sig": connect_signature("T000001", ts, KEY)}
    assert check_connect_auth(auth, lambda t: KEY, now_ts=ts + 5) == "T000001"


@pytest.mark.parametrize("auth, now_delta, key", [
    ({"sig": "00"}, 0, KEY),          # bad signature
    (None, 0, KEY),                   # nothing
    ({}, 400, KEY),                   # stale
    ({}, -400, KEY),                  # from the future
    ({}, 0, None),                    # unknown or disabled terminal
])
def test_connect_auth_refusals(auth, now_delta, key):
    ts = 1_800_000_000
    good = {"terminal_id": "T000001", "ts": ts, "sig": connect_signature("T000001", ts, KEY)}
    if auth is not None:
        auth = {**good, **auth}
    with pytest.raises(ProtocolError):
        check_connect_auth(auth, lambda t: key, now_ts=ts + now_delta)
