"""Cutting a terminal off, one live socket per terminal, no replayed signature,
throttled guessing: in-process, on a fresh store per test."""
from __future__ import annotations

import time

import pytest

from betting.protocol import NAMESPACE, connect_signature
from server.services import fleet
from server.web.app import create_app
from guichet.clock import utcnow
from tests.server_store import committed


@pytest.fixture
def app(db_url):
    app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
    app.testing = True
    return app


@pytest.fixture
def store(app):
    return app.extensions["guichet.store"]


@pytest.fixture
def admin(store):
    with committed(store) as db:
        return {"Authorization": f"Bearer {fleet.create_admin_token(db, utcnow())}"}


@pytest.fixture
def enrolled(store):
    with committed(store) as db:
        code = fleet.create_enrolment_code(db, "Bar du test", utcnow())["code"]
        done = fleet.enrol(db, code, utcnow())
    return done["terminal_id"], bytes.fromhex(done["key"])


_last_ts: dict[str, int] = {}


def auth(terminal_id: str, key: bytes, ts: int | None = None) -> dict:
    if ts is None:  # a fresh, growing ts, as the terminal's sync client does
        ts = max(int(time.time()), _last_ts.get(terminal_id, 0) + 1)
        _last_ts[terminal_id] = ts
    return {"terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)}


def connect(app, terminal_id, key, ts=None):
    socketio = app.extensions["socketio"]
    return socketio.test_client(app, namespace=NAMESPACE, auth=auth(terminal_id, key, ts))


def call(client, event, payload):
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


def pushed(client, name):
    """What the server pushed, readable after it dropped the socket too."""
    return [m["args"][0] for m in client.queue
            if m["namespace"] == NAMESPACE and m["name"] == name]


def stored(store, terminal_id):
    with store.unit_of_work(read_only=True) as uow:
        return uow.terminals.get(terminal_id)


def connected(store, terminal_id) -> bool:
    """As the operator's terminal list says it."""
    return fleet.is_connected(stored(store, terminal_id), utcnow())


# -- disabling ------------------------------------------------------------

def test_disable_and_enable_need_the_admin_token_and_a_known_terminal(app, admin, enrolled):
    http = app.test_client()
    terminal_id, _ = enrolled
    assert http.post(f"/api/terminals/{terminal_id}/disable").status_code == 401
    answer = http.post("/api/terminals/T999999/disable", headers=admin)
    assert answer.status_code == 404 and answer.json["error"] == "unknown_terminal"
    for _ in range(2):  # idempotent
        answer = http.post(f"/api/terminals/{terminal_id}/disable", headers=admin)
        assert answer.status_code == 200 and answer.json["disabled"] is True
    assert answer.json["changed"] is False
    listed = http.get("/api/terminals", headers=admin).json["terminals"]
    assert listed[0]["disabled"] is True
    for _ in range(2):
        answer = http.post(f"/api/terminals/{terminal_id}/enable", headers=admin)
        assert answer.status_code == 200 and answer.json["disabled"] is False
    assert http.get("/api/terminals", headers=admin).json["terminals"][0]["disabled"] is False


def test_disabling_tells_the_open_socket_and_drops_it(app, admin, store, enrolled):
    client = connect(app, *enrolled)
    assert client.is_connected(NAMESPACE)
    answer = app.test_client().post(f"/api/terminals/{enrolled[0]}/disable", headers=admin)
    assert answer.status_code == 200
    assert pushed(client, "disabled") == [{"message": "Terminal désactivé par le centre : "
                                                      "appelez l'assistance."}]
    assert not client.is_connected(NAMESPACE)
    assert not connected(store, enrolled[0])


def test_a_disabled_terminal_is_refused_on_every_event_of_its_open_socket(app, store, enrolled):
    """As `guichet admin disable` does it: only the store changes, the socket stays
    open until a watch loop drops it; meanwhile nothing it asks is done."""
    client = connect(app, *enrolled)
    with committed(store) as db:
        fleet.set_disabled(db, enrolled[0], True)
    asks = [("heartbeat", {"queue_depth": 0}), ("get_programme", {"since_version": 0}),
            ("inquire_ticket", {"ticket": "1" * 24}),
            ("pay_ticket", {"ticket": "1" * 24, "payment_uuid": "p" * 20}),
            ("cancel_ticket", {"ticket": "1" * 24})]
    for event, payload in asks:
        ack = call(client, event, payload)
        assert ack["ok"] is False and ack["error"] == "terminal_disabled", (event, ack)
        assert "désactivé" in ack["message"]
    namespace = app.extensions["socketio"].server.namespace_handlers[NAMESPACE]
    assert namespace.drop_disabled() == 1  # the watch loop's pass
    assert not client.is_connected(NAMESPACE)
    assert pushed(client, "disabled")


def test_a_disabled_terminal_cannot_reconnect_until_enabled(app, admin, enrolled):
    http = app.test_client()
    http.post(f"/api/terminals/{enrolled[0]}/disable", headers=admin)
    assert not connect(app, *enrolled).is_connected(NAMESPACE)
    http.post(f"/api/terminals/{enrolled[0]}/enable", headers=admin)
    client = connect(app, *enrolled)
    assert client.is_connected(NAMESPACE)
    assert call(client, "heartbeat", {"queue_depth": 0})["ok"] is True


# -- one signature, one socket ----------------------------------------------

def test_a_connect_signature_is_accepted_once(app, store, enrolled):
    ts = int(time.time())
    first = connect(app, *enrolled, ts=ts)
    assert first.is_connected(NAMESPACE)
    first.disconnect(namespace=NAMESPACE)
    assert not connect(app, *enrolled, ts=ts).is_connected(NAMESPACE)       # replayed
    assert not connect(app, *enrolled, ts=ts - 1).is_connected(NAMESPACE)   # older
    assert connect(app, *enrolled, ts=ts + 1).is_connected(NAMESPACE)       # fresh
    assert stored(store, enrolled[0]).last_auth_ts == ts + 1


def test_a_new_connection_replaces_the_old_one(app, store, enrolled):
    old = connect(app, *enrolled)
    new = connect(app, *enrolled)
    assert new.is_connected(NAMESPACE)
    assert not old.is_connected(NAMESPACE)
    assert pushed(old, "replaced") and "assistance" in pushed(old, "replaced")[0]["message"]
    # the old socket's goodbye does not mark the terminal away: the new one holds it
    assert connected(store, enrolled[0])
    assert call(new, "heartbeat", {"queue_depth": 0})["ok"] is True
    namespace = app.extensions["socketio"].server.namespace_handlers[NAMESPACE]
    assert list(namespace.sessions.values()) == [enrolled[0]]


# -- throttles ------------------------------------------------------------

def test_ticket_code_guessing_is_throttled_per_terminal(app, enrolled):
    client = connect(app, *enrolled)
    from betting.tickets import make_ticket_code

    guess = make_ticket_code(enrolled[0], 7, b"not the key")  # well formed, wrong MAC
    for i in range(30):
        event = ("inquire_ticket", "pay_ticket", "cancel_ticket")[i % 3]
        ack = call(client, event, {"ticket": guess if i % 2 else "123", "payment_uuid": "p" * 20})
        assert ack["error"] in ("unknown_ticket", "invalid_ticket_code"), ack
    ack = call(client, "inquire_ticket", {"ticket": guess})
    assert ack == {"ok": False, "error": "rate_limited", "message": ack["message"]}
    assert "réessayez dans" in ack["message"]
    # other events still work; another terminal is not affected
    assert call(client, "heartbeat", {"queue_depth": 0})["ok"] is True


def test_enrolment_codes_are_throttled_per_address(app, store):
    http = app.test_client()
    with committed(store) as db:
        good = fleet.create_enrolment_code(db, "Bar", utcnow())["code"]
    for _ in range(10):
        answer = http.post("/api/enrol", json={"code": "000000000000"})
        assert answer.status_code == 403
    locked = http.post("/api/enrol", json={"code": good})
    assert locked.status_code == 429
    assert locked.json["error"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    with store.unit_of_work(read_only=True) as uow:  # the right code was not even looked at
        assert uow.enrolment.get(good).used_at is None
    other = http.post("/api/enrol", json={"code": good},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 201


def test_get_programme_with_a_huge_version_is_an_error_ack(app, enrolled):
    client = connect(app, *enrolled)
    for since in (2**63, 2**64 + 5, -1):
        ack = call(client, "get_programme", {"since_version": since})
        assert ack["ok"] is False and ack["error"] == "bad_request", ack
    assert call(client, "get_programme", {"since_version": 2**63 - 1})["ok"] is True
