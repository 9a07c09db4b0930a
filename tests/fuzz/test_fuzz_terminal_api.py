"""Fuzzing every JSON route of the terminal's local API (Hypothesis), in-process.

Two terminals:
- one never enrolled (what a fresh install answers);
- one enrolled against the in-process server of this module (its real
  terminal id and key, the server's race cards and offline policy in its
  store), whose link is down: its sync client exists but never connected, so
  sales go through the offline rules and ticket calls say the server is
  unreachable. Driving it online would need real processes (tests/faults do).

Property: whatever the method, path segments, headers and body, the answer is
never a 5xx, it is JSON, and a 4xx says why (`error`, or `reason` for a sale,
CONTRACT.md, and a `message`).
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from terminal_app.app import VERSION
from terminal_app.app import create_app as create_terminal_app
from terminal_app.web.guard import LISTEN_KEY
from terminal_app.adapters.sync import SyncClient

from .conftest import (
    ANY_JSON,
    FUZZ_ROUTES,
    HUGE_INTS,
    LONG_TEXT,
    check_http_answer,
    make_server,
    nested,
)
from ..helpers import free_port

LISTEN = ("127.0.0.1", 8710)
BASE_URL = f"http://{LISTEN[0]}:{LISTEN[1]}"
BODY_KEYS = ["race", "bet_type", "formula", "selections", "bases", "unit_stake_cents",
             "simplified", "complement", "payment", "bets", "reprint", "enabled", "fault",
             "during_next_job", "code", "float_cents", "kind", "amount_cents", "reason",
             "counted_cents"]


class TerminalEnv:
    def __init__(self, app, token: str, races: list[str]) -> None:
        self.app, self.token, self.races = app, token, races
        self.terminal = app.extensions["guichet.terminal"]
        self.http = app.test_client()
        self.uuids: list[str] = []

    def __repr__(self) -> str:
        return f"<TerminalEnv enrolled={self.terminal.store.settings.enrolled}>"

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self, path: str, **kwargs):
        return self.http.open(path, base_url=BASE_URL, **kwargs)

    def rules(self) -> list[tuple[str, str]]:
        out = []
        for rule in self.app.url_map.iter_rules():
            if rule.rule.startswith("/api/") or rule.rule == "/healthz":
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    out.append((method, rule.rule))
        return sorted(out)

    def stop(self) -> None:
        self.terminal.stop()


def make_terminal(data_dir, server=None) -> TerminalEnv:
    app = create_terminal_app(str(data_dir), {LISTEN_KEY: LISTEN})
    terminal = app.extensions["guichet.terminal"]
    store = terminal.store
    races: list[str] = []
    if server is not None:
        now_cards = server.http.get("/api/races").get_json()["races"]
        store.settings.set(server_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
                           terminal_id=server.terminal_id, key=server.key.hex(), outlet="Fuzz",
                           policy=json.dumps({"offline_margin_s": 300,
                                              "offline_ceiling_cents": 20_000}))
        store.programme.save(now_cards, 1)
        races = [card["race"] for card in now_cards]
        terminal.link.client = SyncClient(store.settings, store.outbox, store.programme,
                                          terminal.devices.printer_state, VERSION)  # never started
    return TerminalEnv(app, store.create_token(), races)


@pytest.fixture(scope="module", params=["unenrolled", "enrolled-offline"])
def terminal_env(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    server = make_server(tmp) if request.param == "enrolled-offline" else None
    env = make_terminal(tmp / "t", server)
    yield env
    env.stop()
    if server is not None:
        server.store.close()


def segment(env: TerminalEnv, name: str) -> st.SearchStrategy:
    weird = st.one_of(st.text(max_size=30), LONG_TEXT.map(lambda s: s[:5000]),
                      st.sampled_from(["..", "%", "\x00", "null", "-1", str(2**63), "<b>"]))
    if name == "uuid":
        known = st.builds(lambda i: env.uuids[i % len(env.uuids)] if env.uuids else "x",
                          st.integers(0, 10**6))
        return st.one_of(known, st.uuids().map(str), weird)
    if name == "code":
        return st.one_of(st.text(alphabet="0123456789", max_size=30), weird)
    return weird


@st.composite
def sale_body(draw, env: TerminalEnv) -> dict:
    """A sale request near a valid one, with one or two fields given anything."""
    body = {"race": env.races[draw(st.integers(0, max(len(env.races) - 1, 0)))]
            if env.races else "2021-01-01/R1C1",
            "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [draw(st.integers(1, 8))], "bases": [],
            "unit_stake_cents": 100 * draw(st.integers(1, 3)), "payment": "cash"}
    fields = sorted(body) + ["simplified", "complement"]
    for name in draw(st.lists(st.sampled_from(fields), min_size=draw(st.sampled_from([0, 0, 1, 2])),
                              max_size=2, unique=True)):
        body[name] = draw(st.one_of(ANY_JSON, HUGE_INTS, st.just(None), st.just("card")))
    return body


@st.composite
def bodies(draw, env: TerminalEnv) -> tuple[bytes | None, str | None]:
    kind = draw(st.sampled_from(["none", "json", "object", "sale", "sale", "basket", "bytes"]))
    if kind == "none":
        return None, draw(st.sampled_from([None, "application/json"]))
    if kind == "json":
        value = draw(ANY_JSON)
    elif kind == "object":
        value = draw(st.dictionaries(st.sampled_from(BODY_KEYS) | st.text(max_size=8),
                                     ANY_JSON, max_size=5))
    elif kind == "sale":
        value = draw(sale_body(env))
    elif kind == "basket":
        value = {"bets": draw(st.lists(sale_body(env), max_size=3)),
                 "payment": draw(st.sampled_from(["cash", "card", 1, None]))}
    else:
        return draw(st.binary(max_size=300)), "application/json"
    return json.dumps(value).encode(), "application/json"


@FUZZ_ROUTES
@given(data=st.data())
def test_every_terminal_route_answers_json_never_5xx(terminal_env, data):
    env = terminal_env
    method, rule = data.draw(st.sampled_from(env.rules()))
    parts = []
    for part in rule.split("/"):
        if part.startswith("<"):
            name = part[1:-1].split(":")[-1]
            part = data.draw(segment(env, name), label=name)
            part = quote(part, safe="")
        parts.append(part)
    path = "/".join(parts)
    if data.draw(st.integers(0, 9)) == 0:
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    body, content_type = data.draw(bodies(env)) if method != "GET" else (None, None)
    headers = data.draw(st.sampled_from([env.auth, env.auth, env.auth, {},
                                         {"Authorization": "Bearer nope"}]))
    query = data.draw(st.dictionaries(st.sampled_from(["after", "day"]), st.text(max_size=20),
                                      max_size=1))
    resp = env.open(path, method=method, data=body, content_type=content_type,
                    headers=headers, query_string=query)
    event(f"{method} {rule} -> {resp.status_code}")  # --hypothesis-show-statistics
    answer = check_http_answer(resp, f"{method} {path[:120]}", ("error", "reason"))
    if isinstance(answer, dict) and isinstance(answer.get("uuid"), str):
        env.uuids.append(answer["uuid"])


def test_deep_and_huge_bodies_on_every_terminal_route(terminal_env):
    env = terminal_env
    failures = []
    for method, rule in env.rules():
        if method == "GET":
            continue
        path = rule.replace("<uuid>", "00000000-0000-0000-0000-000000000000")
        path = path.replace("<code>", "1234")
        for raw in (b"[" * 100_000, json.dumps({"race": nested(900)}).encode(),
                    json.dumps({"race": "x" * 3_000_000}).encode()):
            resp = env.open(path, method=method, data=raw, content_type="application/json",
                            headers=env.auth)
            try:
                check_http_answer(resp, f"{method} {path}", ("error", "reason"))
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0][:200])
    assert not failures, "\n".join(failures)


def test_an_offline_sale_still_works_after_the_fuzz(terminal_env):
    env = terminal_env
    if not env.races:
        resp = env.open("/api/bets", method="POST", headers=env.auth,
                        json={"race": "2021-01-01/R1C1", "bet_type": "SIMPLE_GAGNANT",
                              "formula": "UNITAIRE", "selections": [1], "bases": [],
                              "unit_stake_cents": 100})
        body = check_http_answer(resp, "POST /api/bets", ("error", "reason"))
        assert body["reason"] == "not_enrolled", body
        return
    resp = env.open("/api/status", headers=env.auth)
    assert check_http_answer(resp, "GET /api/status")["ok"] is True
