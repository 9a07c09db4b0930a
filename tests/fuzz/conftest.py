"""In-process server and terminal for the fuzz tests, and the strategies they share.

Everything runs in this process (Flask test clients, flask_socketio's test
client): no port, no child process, so hundreds of examples take seconds.
Each test module gets its own server store, because some fuzzed admin calls
change it (close a race, enter a result).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid as uuidlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from betting.programme import Race
from betting.protocol import NAMESPACE, connect_signature
from server.services import fleet
from server.web.app import create_app as create_server_app
from server.services.programme_import import sample_programme
from guichet.clock import utcnow
from tests.server_store import committed

# Bounded so that the whole folder runs in well under a minute on two cores.
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FUZZ_SMALL = settings(FUZZ, max_examples=25)
FUZZ_ROUTES = settings(FUZZ, max_examples=300)

# -- any JSON ---------------------------------------------------------------

HUGE_INTS = st.one_of(st.integers(min_value=2**63 - 1, max_value=2**80),
                      st.integers(min_value=-(2**80), max_value=-(2**63)))
LONG_TEXT = st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"),
                      st.integers(1_000, 60_000))
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30), LONG_TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=6),
                            st.dictionaries(st.text(max_size=12), inner, max_size=6)),
    max_leaves=25,
)


def nested(depth: int, leaf: object = 0) -> object:
    """A list nested `depth` deep (deep JSON must be refused, not crash the parser)."""
    value: object = leaf
    for _ in range(depth):
        value = [value]
    return value


DEEP_JSON = st.builds(nested, st.integers(50, 900), JSON_SCALARS)
ANY_JSON = st.one_of(JSON_VALUES, DEEP_JSON)


def json_object_with(keys: list[str]) -> st.SearchStrategy:
    """Objects that use the route's own keys with values of any type (the likely mistakes)."""
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), ANY_JSON, max_size=6)


# -- the server ---------------------------------------------------------------

class ServerEnv:
    """The in-process server, its fuzz terminal, and what the fuzzer saw the server do.

    A plain class (not a dataclass) so that Hypothesis prints it in one line."""

    def __init__(self, app, store, admin_token: str, terminal_id: str, key: bytes,
                 races: dict[str, Race]) -> None:
        self.app, self.store = app, store
        self.socketio = app.extensions["socketio"]
        self.http = app.test_client()
        self.admin_token, self.terminal_id, self.key = admin_token, terminal_id, key
        self.races = races
        # (race, bet_type) -> [total_cents, bets]: acked `accepted` minus cancelled.
        self.ledger: dict[tuple[str, str], list[int]] = {}
        self.tickets: list[dict] = []  # accepted bets: ticket, race, bet_type, total_cents
        self.sent: list[dict] = []  # well-formed bets sent, for resends
        self._seq = itertools.count(1)
        # Signatures are fresh within ±300 s: start in the past to leave room for
        # hundreds of connections at one new ts each.
        self._last_ts = int(time.time()) - 250
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # Hypothesis prints it with every falsifying example
        return f"<ServerEnv terminal {self.terminal_id}, {len(self.tickets)} tickets>"

    @property
    def admin(self) -> dict:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def next_seq(self) -> int:
        return next(self._seq)

    def next_ts(self) -> int:
        """Connect signatures may be accepted once per ts, strictly increasing."""
        with self._lock:
            self._last_ts = max(self._last_ts + 1, int(time.time()) - 250)
            return self._last_ts

    def connect(self):
        ts = self.next_ts()
        client = self.socketio.test_client(
            self.app, namespace=NAMESPACE,
            auth={"terminal_id": self.terminal_id, "ts": ts,
                  "sig": connect_signature(self.terminal_id, ts, self.key)})
        assert client.is_connected(NAMESPACE), "the fuzz terminal could not connect"
        client.get_received(NAMESPACE)  # the `policy` push
        return client

    def open_races(self) -> list[str]:
        return sorted(self.races)

    def good_bet(self, race: str | None = None, number: int = 1,
                 bet_type: str = "SIMPLE_GAGNANT", stake: int = 100) -> dict:
        """A bet the server must accept: a SIMPLE on a declared horse of an open race."""
        return {"uuid": str(uuidlib.uuid4()), "seq": self.next_seq(),
                "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
                "race": race or self.open_races()[0], "bet_type": bet_type,
                "formula": "UNITAIRE", "selections": [number], "bases": [],
                "unit_stake_cents": stake, "total_cents": stake, "offline": False}

    def record_acks(self, bets: list[object], ack: object) -> None:
        """Add what the server acked `accepted` to the fuzzer's own ledger."""
        if not (isinstance(ack, dict) and ack.get("ok") is True):
            return
        for raw, result in zip(bets, ack.get("results", [])):
            if result.get("status") != "accepted" or not isinstance(raw, dict):
                continue
            key = (raw["race"], raw["bet_type"])
            entry = self.ledger.setdefault(key, [0, 0])
            entry[0] += raw["total_cents"]
            entry[1] += 1
            self.tickets.append({"ticket": result["ticket"], "race": raw["race"],
                                 "bet_type": raw["bet_type"], "total_cents": raw["total_cents"]})

    def record_cancel(self, ticket: dict, ack: object) -> None:
        if isinstance(ack, dict) and ack.get("ok") is True:
            entry = self.ledger[(ticket["race"], ticket["bet_type"])]
            entry[0] -= ack["refund_cents"]
            entry[1] -= 1

    def pools_via_api(self, race: str) -> dict[str, tuple[int, int]]:
        resp = self.http.get(f"/api/races/{race}")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        return {p["bet_type"]: (p["total_cents"], p["bets"]) for p in resp.get_json()["pools"]
                if p["bets"] or p["total_cents"]}

    def expected_pools(self, race: str) -> dict[str, tuple[int, int]]:
        return {bt: (total, n) for (r, bt), (total, n) in self.ledger.items()
                if r == race and (total or n)}


def make_server(tmp: Path) -> ServerEnv:
    """A server with a programme whose races are all open for two hours, and one
    enrolled terminal, set up through the API as an operator would."""
    app = create_server_app({"DB": str(tmp / "s.db"), "AUTO_CLOSE_INTERVAL_S": 0})
    store = app.extensions["guichet.store"]
    now = utcnow()
    with committed(store) as db:
        token = fleet.create_admin_token(db, now)
        code = fleet.create_enrolment_code(db, "Fuzz", now)["code"]
    http = app.test_client()
    admin = {"Authorization": f"Bearer {token}"}
    doc = sample_programme(now.date(), now + timedelta(hours=2))
    resp = http.post("/api/programme", json=doc, headers=admin)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = http.post("/api/enrol", json={"code": code})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    enrolled = resp.get_json()
    listing = http.get("/api/races").get_json()["races"]
    races = {card["race"]: Race.from_dict(card) for card in listing}
    return ServerEnv(app, store, token, enrolled["terminal_id"], bytes.fromhex(enrolled["key"]),
                     races)


@pytest.fixture(scope="module")
def server_env(tmp_path_factory) -> ServerEnv:
    env = make_server(tmp_path_factory.mktemp("fuzz-server"))
    yield env
    env.store.close()


def assert_error_shape(body: object, where: str, code_keys: tuple[str, ...] = ("error",)) -> None:
    """A refusal names its reason: {"ok": false, "error": str, "message": str}
    (the terminal's sale answer names it `reason`, CONTRACT.md)."""
    assert isinstance(body, dict), f"{where}: not a JSON object: {body!r:.300}"
    assert body.get("ok") is False, f"{where}: {body!r:.300}"
    assert any(isinstance(body.get(k), str) and body[k] for k in code_keys), \
        f"{where}: no {'/'.join(code_keys)}: {body!r:.300}"
    assert isinstance(body.get("message"), str) and body["message"], f"{where}: {body!r:.300}"


def check_http_answer(resp, where: str, code_keys: tuple[str, ...] = ("error",)) -> object:
    """Never a 5xx; always JSON; a 4xx says why."""
    text = resp.get_data(as_text=True)
    assert resp.status_code < 500, f"{where}: HTTP {resp.status_code}: {text[:300]}"
    if resp.status_code in (301, 308) and "//" in where and resp.headers.get("Location"):
        return None  # Werkzeug's redirect of an empty path segment ("a//b" to "a/b")
    assert resp.mimetype == "application/json", \
        f"{where}: HTTP {resp.status_code} {resp.mimetype}: {text[:300]}"
    body = json.loads(text)
    if resp.status_code >= 400:
        assert_error_shape(body, f"{where} (HTTP {resp.status_code})", code_keys)
    return body
