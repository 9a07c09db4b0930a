"""Fuzzing every event of the /terminal namespace (Hypothesis), in-process.

Properties, whatever a terminal (or an attacker with a terminal's key) sends:
- every ack is an object with `ok` true or false; a refusal carries `error`
  and `message` strings, and is never `internal_error` (a handler that crashed);
- the server keeps serving: a well-formed bet is accepted afterwards;
- the ledger stays consistent through the API: each race's pools
  (`GET /api/races/<race>`) hold exactly the stakes this fuzzer saw acked
  `accepted`, minus those it cancelled.
"""
from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from betting.bets import make_request, price_bet
from betting.catalogue import FORMULAS
from betting.errors import BettingError
from betting.protocol import NAMESPACE

from .conftest import ANY_JSON, FUZZ, FUZZ_SMALL, HUGE_INTS, LONG_TEXT, assert_error_shape

EVENTS = ("place_bets", "inquire_ticket", "pay_ticket", "cancel_ticket", "get_programme",
          "heartbeat")
BET_FIELDS = ("uuid", "seq", "placed_at", "race", "bet_type", "formula", "selections", "bases",
              "unit_stake_cents", "total_cents", "offline", "complement")
# Values of the wrong type or out of range that a field is most likely to meet.
EDGE_VALUES = st.one_of(
    HUGE_INTS, st.just(-1), st.just(0), st.just(True), st.just(False), st.just(1.5),
    st.just(""), st.just([]), st.just({}), st.just(None), LONG_TEXT,
    st.lists(HUGE_INTS, min_size=1, max_size=3),
    st.lists(st.integers(-5, 40), max_size=40),
    st.just([1, 1]), st.just(["1"]), st.just([True]),
)


def check_ack(ack: object, event: str) -> dict:
    assert isinstance(ack, dict), f"{event}: the ack is not an object: {ack!r:.300}"
    assert isinstance(ack.get("ok"), bool), f"{event}: {ack!r:.300}"
    if not ack["ok"]:
        assert_error_shape(ack, event)
    assert ack.get("error") != "internal_error", f"{event}: a handler crashed: {ack!r:.300}"
    return ack


def check_place_bets_ack(ack: object, bets: object) -> None:
    check_ack(ack, "place_bets")
    if ack["ok"]:
        assert isinstance(bets, list) and len(ack["results"]) == len(bets), ack
        for result in ack["results"]:
            assert result["status"] in ("accepted", "duplicate", "rejected"), result
            if result["status"] == "rejected":
                assert isinstance(result.get("reason"), str) and result["reason"], result
            else:
                assert isinstance(result.get("ticket"), str) and result["ticket"], result


class Session:
    """One fuzz terminal's socket, reconnected (with a fresh ts) if the server drops it."""

    def __init__(self, env) -> None:
        self.env = env
        self.client = env.connect()

    def call(self, event: str, *args) -> object:
        if not self.client.is_connected(NAMESPACE):
            self.client = self.env.connect()
        return self.client.emit(event, *args, namespace=NAMESPACE, callback=True)

    def close(self) -> None:
        if self.client.is_connected(NAMESPACE):
            self.client.disconnect(namespace=NAMESPACE)


@pytest.fixture(scope="module")
def session(server_env):
    """One socket for the whole module (a new connection per example would soon
    run the connect timestamps out of their freshness window)."""
    live = Session(server_env)
    yield live
    live.close()


def assert_still_serving(env, session: Session) -> None:
    bet = env.good_bet()
    ack = session.call("place_bets", {"bets": [bet]})
    check_place_bets_ack(ack, [bet])
    assert ack["ok"] and ack["results"][0]["status"] == "accepted", ack
    env.record_acks([bet], ack)


def assert_ledger(env) -> None:
    for race in env.open_races():
        assert env.pools_via_api(race) == env.expected_pools(race), race


@st.composite
def priced_bet(draw, env) -> dict:
    """A bet of any offered type and formula, its total computed as the server will."""
    race_id = draw(st.sampled_from(env.open_races()))
    race = env.races[race_id]
    offer = draw(st.sampled_from(race.offers))
    numbers = [r.number for r in race.runners]
    bet = env.good_bet(race_id, bet_type=offer.bet_type,
                       stake=offer.base_stake_cents * draw(st.integers(1, 3)))
    bet["formula"] = draw(st.sampled_from(FORMULAS))
    bet["bases"] = draw(st.lists(st.sampled_from(numbers), max_size=2, unique=True))
    bet["selections"] = draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=6,
                                      unique=True))
    try:
        bet["total_cents"] = price_bet(make_request(bet), race).total_cents
    except BettingError:
        bet["total_cents"] = draw(st.integers(0, 10_000))
    return bet


@st.composite
def mutated_bet(draw, env) -> dict:
    """A well-formed bet with one to three fields deleted or given a wrong value."""
    bet = draw(priced_bet(env))
    for name in draw(st.lists(st.sampled_from(BET_FIELDS), min_size=1, max_size=3, unique=True)):
        how = draw(st.sampled_from(["delete", "huge", "edge", "any"]))
        if how == "delete":
            bet.pop(name, None)
        else:
            bet[name] = draw({"huge": HUGE_INTS, "edge": EDGE_VALUES, "any": ANY_JSON}[how])
    if draw(st.booleans()):
        bet.update(draw(st.dictionaries(st.text(max_size=10), ANY_JSON, max_size=2)))
    return bet


@st.composite
def bet_item(draw, env) -> object:
    kind = draw(st.sampled_from(["good", "priced", "mutated", "mutated", "resend", "junk"]))
    if kind == "good":
        race = draw(st.sampled_from(env.open_races()))
        bet = env.good_bet(race, draw(st.integers(1, 8)),
                           draw(st.sampled_from(["SIMPLE_GAGNANT", "SIMPLE_PLACE"])),
                           100 * draw(st.integers(1, 5)))
    elif kind == "priced":
        bet = draw(priced_bet(env))
    elif kind == "mutated":
        return draw(mutated_bet(env))
    elif kind == "resend":
        # Draw the same way whatever was sent before, so that Hypothesis can replay.
        index = draw(st.integers(0, 10**6))
        return dict(env.sent[index % len(env.sent)]) if env.sent else env.good_bet()
    else:
        return draw(ANY_JSON)
    env.sent.append(bet)
    return bet


@st.composite
def place_bets_payload(draw, env) -> tuple[object, list | None]:
    """(payload, the bets inside it when it has the right shape)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(ANY_JSON), None
    bets = draw(st.lists(bet_item(env), min_size=0, max_size=6))
    payload: dict = {"bets": bets}
    if draw(st.booleans()):
        payload.update(draw(st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=2)))
    return payload, bets


@FUZZ
@given(data=st.data())
def test_place_bets_fuzz(server_env, session, data):
    env = server_env
    for _ in range(data.draw(st.integers(1, 3))):
        payload, bets = data.draw(place_bets_payload(env))
        ack = session.call("place_bets", payload)
        check_place_bets_ack(ack, payload.get("bets") if isinstance(payload, dict) else None)
        if bets is not None:
            env.record_acks(bets, ack)
    assert_still_serving(env, session)
    assert_ledger(env)


def sold_ticket(env, index: int, altered: bool) -> str:
    """One of the tickets sold so far (the fuzzer keeps at least one), maybe one digit off."""
    code = env.tickets[index % len(env.tickets)]["ticket"]
    return code[:-1] + str((int(code[-1]) + 1) % 10) if altered else code


def ticket_payloads(env, with_payment: bool) -> st.SearchStrategy:
    ticket = st.one_of(
        st.builds(lambda i: sold_ticket(env, i, False), st.integers(0, 10**6)),
        st.builds(lambda i: sold_ticket(env, i, True), st.integers(0, 10**6)),
        st.text(alphabet="0123456789", max_size=30), EDGE_VALUES, ANY_JSON,
    )
    fields = {"ticket": ticket}
    if with_payment:
        fields["payment_uuid"] = st.one_of(st.uuids().map(str), EDGE_VALUES, ANY_JSON)
    return st.one_of(st.fixed_dictionaries(fields), ANY_JSON)


@FUZZ
@given(data=st.data())
def test_ticket_events_fuzz(server_env, session, data):
    env = server_env
    if len(env.tickets) < 3:
        for _ in range(3):
            assert_still_serving(env, session)
    for _ in range(data.draw(st.integers(1, 4))):
        event = data.draw(st.sampled_from(["inquire_ticket", "pay_ticket", "cancel_ticket"]))
        payload = data.draw(ticket_payloads(env, event == "pay_ticket"))
        ack = check_ack(session.call(event, payload), event)
        if event == "cancel_ticket" and ack["ok"]:
            sold = [t for t in env.tickets if t["ticket"] == payload["ticket"]]
            assert len(sold) == 1, f"cancelled a ticket the fuzzer never saw sold: {payload}"
            assert ack["refund_cents"] == sold[0]["total_cents"], ack
            env.record_cancel(sold[0], ack)
        if event == "pay_ticket":
            # Nothing is official here: no ticket can be paid.
            assert not ack["ok"], ack
    assert_still_serving(env, session)
    assert_ledger(env)


@FUZZ
@given(data=st.data())
def test_programme_and_heartbeat_fuzz(server_env, session, data):
    env = server_env
    namespace = env.socketio.server.namespace_handlers[NAMESPACE]
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):
            payload = data.draw(st.one_of(
                st.fixed_dictionaries({"since_version": st.one_of(st.integers(-3, 50),
                                                                  EDGE_VALUES, ANY_JSON)}),
                ANY_JSON))
            ack = check_ack(session.call("get_programme", payload), "get_programme")
            if ack["ok"]:
                assert isinstance(ack["version"], int) and isinstance(ack["races"], list)
        else:
            payload = data.draw(st.one_of(
                st.fixed_dictionaries({}, optional={
                    "queue_depth": st.one_of(st.integers(0, 100), EDGE_VALUES, ANY_JSON),
                    "printer": st.one_of(st.just({"state": "ok"}), EDGE_VALUES, ANY_JSON),
                    "version": st.one_of(st.just("0.1.0"), EDGE_VALUES, ANY_JSON)}),
                ANY_JSON))
            ack = check_ack(session.call("heartbeat", payload), "heartbeat")
            assert ack["ok"], ack
    # The watch loop writes the heartbeats: whatever they held, that must not fail
    # (a failing pass also loses every other terminal's heartbeat of that pass).
    namespace.flush_heartbeats()
    fleet = env.http.get("/api/terminals", headers=env.admin)
    assert fleet.status_code == 200, fleet.get_data(as_text=True)[:300]
    assert_still_serving(env, session)


# Names no handler serves (the reserved `connect`/`disconnect` have their own test).
UNKNOWN_EVENTS = st.one_of(
    st.sampled_from(["", "message", "policy", "programme", "results", "disabled", "odds",
                     "pool_state", "place_bet", "PLACE_BETS", "_terminal", "__init__",
                     "sessions", "emit", "close_room", "trigger_event", "x" * 5000]),
    st.text(max_size=40),
).filter(lambda name: name not in EVENTS and name not in ("connect", "disconnect"))


@FUZZ_SMALL
@given(event=UNKNOWN_EVENTS, payload=ANY_JSON)
def test_unknown_events_are_answered_with_an_error(server_env, session, event, payload):
    """A terminal waiting on an ack must get one: an unknown event is refused
    with {"ok": false, "error", "message"}, never left unanswered."""
    check_ack(session.call(event, payload), f"unknown event {event[:40]!r}")
    assert_still_serving(server_env, session)


@FUZZ_SMALL
@given(event=st.sampled_from(EVENTS), extra=st.lists(ANY_JSON, min_size=1, max_size=3))
def test_events_with_several_or_no_arguments(server_env, session, event, extra):
    """A raw Socket.IO client can send any number of arguments with an event."""
    check_ack(session.call(event), f"{event} without argument")
    check_ack(session.call(event, *extra), f"{event} with {len(extra)} arguments")
    assert_still_serving(server_env, session)


RESERVED_PAYLOADS = [None, {"terminal_id": "T000001", "ts": 0, "sig": "00"}]


@pytest.mark.parametrize("payload", RESERVED_PAYLOADS, ids=repr)
@pytest.mark.parametrize("event", ["connect", "disconnect"])
def test_reserved_event_names_sent_as_events_change_nothing(server_env, event, payload):
    """`connect`/`disconnect` sent by the client as ordinary events must not run
    the connection handlers: no exception escapes, the session stays
    authenticated, and the fleet still shows the terminal connected.
    (A fixed list rather than Hypothesis: each case needs a fresh socket.)"""
    env = server_env
    own = Session(env)
    try:
        try:
            ack = own.client.emit(event, payload, namespace=NAMESPACE, callback=True)
        except Exception as exc:  # noqa: BLE001 - the point is that nothing escapes
            raise AssertionError(f"event {event!r} raised {type(exc).__name__}: {exc}") from None
        assert ack in ([], None) or check_ack(ack, event), ack
        beat = own.client.emit("heartbeat", {"queue_depth": 0}, namespace=NAMESPACE,
                               callback=True)
        assert isinstance(beat, dict) and beat.get("ok") is True, \
            f"after a {event!r} event the session is no longer served: {beat!r}"
        fleet = env.http.get("/api/terminals", headers=env.admin).get_json()["terminals"]
        mine = [t for t in fleet if t["terminal_id"] == env.terminal_id]
        assert mine and mine[0]["connected"], mine
    finally:
        own.close()


def test_deeply_nested_message_is_dropped_quietly(server_env, session):
    """A message nested deeper than the JSON parser can follow (well under the
    1 MB message cap) must not raise out of the server's message handling."""
    env = server_env
    depth = 200_000
    raw = f'2{NAMESPACE},99["place_bets",{{"bets":{"[" * depth}{"]" * depth}}}]'
    try:
        env.socketio.server._handle_eio_message(session.client.eio_sid, raw)
    except RecursionError:
        raise AssertionError("a deeply nested Socket.IO message raised RecursionError "
                             "inside the server") from None
    assert_still_serving(env, session)


def test_huge_integers_in_a_bet_are_rejected_not_crashed(server_env, session):
    """The minimal crashes the fuzzer found, kept as plain regression cases."""
    env = server_env
    for name in ("total_cents", "unit_stake_cents"):
        bet = {**env.good_bet(), name: 2**63}
        ack = session.call("place_bets", {"bets": [bet]})
        check_place_bets_ack(ack, [bet])
        assert ack["results"][0]["status"] == "rejected", (name, ack)
    bet = {**env.good_bet(), "selections": [2**63]}
    check_place_bets_ack(session.call("place_bets", {"bets": [bet]}), [bet])
    assert_still_serving(env, session)
    assert_ledger(env)


def test_heartbeat_with_a_huge_queue_depth_is_written(server_env, session):
    env = server_env
    namespace = env.socketio.server.namespace_handlers[NAMESPACE]
    ack = check_ack(session.call("heartbeat", {"queue_depth": 2**63, "version": 2**70}),
                    "heartbeat")
    assert ack["ok"]
    namespace.flush_heartbeats()  # the watch loop's write must not fail
