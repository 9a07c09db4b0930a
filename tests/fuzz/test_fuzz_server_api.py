"""Fuzzing every JSON route of the central server (Hypothesis), in-process.

The routes are read from the application's own URL map, so a route added
later is fuzzed too. Property: whatever the method, path segments, headers
and body, the answer is never a 5xx, it is JSON, and a 4xx says why
(`{"ok": false, "error", "message"}`), with and without the admin token.
"""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from server.services.programme_import import sample_programme
from guichet.clock import utcnow

from .conftest import ANY_JSON, FUZZ_ROUTES, HUGE_INTS, LONG_TEXT, check_http_answer, nested

LATIN1 = st.characters(min_codepoint=32, max_codepoint=255)
BODY_KEYS = ["outlet", "code", "arrival", "non_runners", "official", "format", "version",
             "date", "meetings", "programme", "decision", "action", "reason", "note", "bets"]
SAMPLE_RESULT = {"arrival": [[1], [2], [3], [4], [5]], "non_runners": [], "official": False}


def api_rules(app) -> list[tuple[str, str]]:
    """(method, rule) of every JSON route: /api/… and /healthz."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, rule.rule))
    return sorted(out)


def segment(env, name: str) -> st.SearchStrategy:
    weird = st.one_of(
        st.text(max_size=30), LONG_TEXT.map(lambda s: s[:5000]),
        st.sampled_from(["..", ".", "%", "%00", "\x00", "../../etc/passwd", " ", "null",
                         "-1", str(2**63), "1e309", "T000001\n", "<script>"]),
    )
    if "race" in name:
        real = st.sampled_from(env.open_races())
        shaped = st.builds(lambda d, m, c: f"{d}/R{m}C{c}",
                           st.sampled_from(["2021-01-01", "2026-13-45", "0000-00-00",
                                            utcnow().date().isoformat()]),
                           st.integers(0, 10**20), st.integers(0, 10**20))
        return st.one_of(real, real, shaped, weird)
    if "terminal" in name:
        return st.one_of(st.just(env.terminal_id), st.just("T999999"), weird)
    if name == "code":
        return st.one_of(st.text(alphabet="0123456789", min_size=0, max_size=40), weird)
    return weird


@st.composite
def mutated_programme(draw) -> dict:
    """The sample programme with one value deep inside replaced by anything."""
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(hours=3), meetings=1,
                           races_per_meeting=2)
    doc["meetings"][0]["number"] = draw(st.integers(3, 9))  # not the races the others use
    spots = [doc, doc["meetings"][0]]
    for race in doc["meetings"][0]["races"]:
        spots += [race, *race["runners"], *[b for b in race["bet_types"] if isinstance(b, dict)]]
    if draw(st.integers(0, 3)) == 0:
        return doc  # valid: a new meeting is imported
    target = spots[draw(st.integers(0, len(spots) - 1))]
    key = draw(st.sampled_from(sorted(target)))
    target[key] = draw(st.one_of(ANY_JSON, HUGE_INTS, st.just(None)))
    return doc


@st.composite
def bodies(draw) -> tuple[bytes | None, str | None]:
    """(raw body, content type)."""
    kind = draw(st.sampled_from(["none", "json", "object", "object", "programme", "result",
                                 "bytes", "text"]))
    if kind == "none":
        return None, draw(st.sampled_from([None, "application/json"]))
    if kind == "json":
        value = draw(ANY_JSON)
    elif kind == "object":
        value = draw(st.dictionaries(st.sampled_from(BODY_KEYS) | st.text(max_size=8),
                                     ANY_JSON, max_size=5))
    elif kind == "programme":
        value = draw(mutated_programme())
    elif kind == "result":
        value = dict(SAMPLE_RESULT)
        if draw(st.booleans()):
            value[draw(st.sampled_from(sorted(SAMPLE_RESULT)))] = draw(ANY_JSON)
    elif kind == "bytes":
        return draw(st.binary(max_size=300)), "application/json"
    else:
        return json.dumps(draw(ANY_JSON)).encode(), draw(
            st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "",
                             "application/json; charset=latin-1"]))
    return json.dumps(value).encode(), "application/json"


def headers_strategy(env) -> st.SearchStrategy:
    return st.one_of(
        st.just({}), st.just(env.admin), st.just(env.admin),
        st.builds(lambda t: {"Authorization": t},
                  st.one_of(st.text(LATIN1, max_size=60), st.just("Bearer "),
                            st.builds(lambda t: f"Bearer {t}", st.text(LATIN1, max_size=100)),
                            st.just(f"Bearer {env.admin_token}x"),
                            st.just(f"bearer {env.admin_token}"))),
    )


def check(resp, where: str) -> None:
    if resp.status_code == 200 and where.split()[1].startswith("/api/audit"):
        return  # JSON Lines by contract
    check_http_answer(resp, where)


@FUZZ_ROUTES
@given(data=st.data())
def test_every_server_route_answers_json_never_5xx(server_env, data):
    env = server_env
    method, rule = data.draw(st.sampled_from(api_rules(env.app)))
    parts = []
    for part in rule.split("/"):
        if part.startswith("<"):
            name = part[1:-1].split(":")[-1]
            value = data.draw(segment(env, name), label=name)
            part = quote(value, safe="/" if "race" in name else "")
        parts.append(part)
    path = "/".join(parts)
    if data.draw(st.integers(0, 9)) == 0:
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    body, content_type = data.draw(bodies()) if method != "GET" else (None, None)
    query = data.draw(st.dictionaries(st.sampled_from(["day", "since", "all", "limit"]),
                                      st.text(max_size=30), max_size=2))
    headers = data.draw(headers_strategy(env))
    resp = env.http.open(path, method=method, data=body, content_type=content_type,
                         headers=headers, query_string=query)
    event(f"{method} {rule} -> {resp.status_code}")  # --hypothesis-show-statistics
    check(resp, f"{method} {path[:120]}")


def post_routes(env) -> list[tuple[str, str]]:
    routes = []
    for method, rule in api_rules(env.app):
        if method == "GET":
            continue
        path = rule.replace("<path:race_id>", env.open_races()[-1])
        path = path.replace("<terminal_id>", "T999999").replace("<code>", "1234")
        routes.append((method, path))
    return routes


@pytest.mark.parametrize("with_token", [True, False])
def test_deep_json_body_on_every_route(server_env, with_token):
    """Nested deeper than the parser can follow: RecursionError is not a ValueError,
    so `get_json(silent=True)` does not catch it."""
    env = server_env
    failures = []
    for method, path in post_routes(env):
        for raw in (b"[" * 100_000, b'{"outlet": ' + b"[" * 100_000,
                    json.dumps({"code": nested(900)}).encode()):
            resp = env.http.open(path, method=method, data=raw, content_type="application/json",
                                 headers=env.admin if with_token else {})
            try:
                check_http_answer(resp, f"{method} {path}")
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0][:200])
    assert not failures, "\n".join(failures)


def test_huge_body_on_every_route(server_env):
    """A body of several megabytes is refused or handled, never a 5xx."""
    env = server_env
    huge = json.dumps({"outlet": "x" * 3_000_000, "code": "1" * 3_000_000}).encode()
    failures = []
    for method, path in post_routes(env):
        resp = env.http.open(path, method=method, data=huge, content_type="application/json",
                             headers=env.admin)
        try:
            check_http_answer(resp, f"{method} {path}")
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:200])
    assert not failures, "\n".join(failures)


def test_the_server_still_answers_after_the_fuzz(server_env):
    env = server_env
    assert env.http.get("/healthz").status_code == 200
    resp = env.http.get("/api/races")
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
