"""Both web apps: security headers, request body caps, unreadable JSON (docs/security.md).

In-process, through Flask test clients on a fresh store per test.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from guichet.web_security import DEFAULT_BODY_LIMIT, MAX_JSON_DEPTH, PROGRAMME_BODY_LIMIT
from server.web.app import create_app as create_server
from server.services.fleet import create_admin_token
from guichet.clock import utcnow
from tests.server_store import committed, count_rows
from terminal_app.app import create_app as create_terminal

PROGRAMME = Path(__file__).resolve().parents[1] / "data" / "pmu_programme_2021-01-01.json"
TERMINAL = "http://127.0.0.1:8701"  # the terminal's default address (its Host check)
DEEP = "[" * 30_000 + "]" * 30_000  # 60 KB, under the cap; deeper than Python's parser goes


@pytest.fixture
def server(db_url):
    app = create_server({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
    store = app.extensions["guichet.store"]
    with committed(store) as db:
        token = create_admin_token(db, utcnow())
    client = app.test_client()
    client.store, client.admin = store, {"Authorization": f"Bearer {token}"}
    return client


@pytest.fixture
def terminal(tmp_path):
    app = create_terminal(str(tmp_path / "t"))
    store = app.extensions["guichet.terminal"].store
    client = app.test_client()
    client.store = store
    client.bearer = {"Authorization": f"Bearer {store.create_token()}"}
    return client


def _outbox(terminal) -> int:
    return len(terminal.store.outbox.recent(10_000))


# -- headers -------------------------------------------------------------------

def _assert_security_headers(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ") if d}
    assert directives.get("default-src") == ["'self'"], csp
    assert directives.get("script-src") == ["'self'"], csp  # no inline script, no eval
    assert directives.get("style-src") == ["'self'"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert "unsafe" not in csp
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/admin/login", "/healthz", "/api/races",
                                  "/static/guichet.css", "/no/such/page"])
def test_server_answers_carry_the_security_headers(server, path):
    response = server.get(path)
    assert response.status_code in (200, 302, 404)
    _assert_security_headers(response)


@pytest.mark.parametrize("path", ["/setup", "/healthz", "/static/guichet.css", "/no/such/page"])
def test_terminal_answers_carry_the_security_headers(terminal, path):
    response = terminal.get(path, base_url=TERMINAL)
    assert response.status_code in (200, 404)
    _assert_security_headers(response)


def test_terminal_refusals_carry_the_security_headers_too(terminal):
    response = terminal.get("/api/status", base_url=TERMINAL)  # no token
    assert response.status_code == 401
    _assert_security_headers(response)


# -- unreadable JSON -------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP, "{", '{"code": "12', b'{"code": "\xff"}',
                                  "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5)],
                         ids=["30000-deep", "cut", "unterminated", "not-utf8", "37-deep"])
def test_server_refuses_unreadable_json_with_400_bad_json(server, body):
    response = server.post("/api/enrol", data=body, content_type="application/json")
    assert response.status_code == 400, response.data[:200]
    assert response.json["ok"] is False and response.json["error"] == "bad_json"
    assert "JSON" in response.json["message"]
    assert count_rows(server.store, "terminals") == 0


def test_a_nul_character_anywhere_is_a_400_not_a_store_error(server):
    """PostgreSQL's text cannot hold NUL: refused at the edge, on both stores alike."""
    for path in ("/api/races/2021-01-01%00/R1C1", "/api/races?day=2021%0001-01",
                 "/api/tickets/12%0034"):
        response = server.get(path)
        assert response.status_code == 400, (path, response.data[:200])
        assert response.json["error"] == "bad_request" and "NUL" in response.json["message"]
    response = server.post("/api/enrolment-codes", json={"outlet": "Bar\u0000Tabac"},
                           headers=server.admin)
    assert response.status_code == 400 and response.json["error"] == "bad_json"
    assert count_rows(server.store, "enrolment_codes") == 0
    sane = server.post("/api/enrolment-codes", json={"outlet": "Bar Tabac"}, headers=server.admin)
    assert sane.status_code == 201


def test_too_deep_json_from_an_operator_changes_nothing(server):
    response = server.post("/api/enrolment-codes", data=DEEP, content_type="application/json",
                           headers=server.admin)
    assert response.status_code == 400 and response.json["error"] == "bad_json"
    assert "deep" in response.json["message"]
    assert count_rows(server.store, "enrolment_codes") == 0


def test_too_deep_json_on_the_programme_route_is_bad_json(server):
    body = "[" * 100_000 + "]" * 100_000  # under this route's 16 MB cap
    response = server.post("/api/programme", data=body, content_type="application/json",
                           headers=server.admin)
    assert response.status_code == 400 and response.json["error"] == "bad_json"
    assert count_rows(server.store, "races") == 0


def test_100000_levels_to_enrol_are_refused_by_size_not_a_crash(server):
    response = server.post("/api/enrol", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 413 and response.json["error"] == "body_too_large"


def test_json_just_inside_the_depth_bound_is_read(server):
    body = {"outlet": "Bar du coin", "extra": json.loads("[" * 20 + "]" * 20)}
    response = server.post("/api/enrolment-codes", json=body, headers=server.admin)
    assert response.status_code == 201, response.json


def test_a_json_body_that_is_not_an_object_is_still_bad_request(server):
    response = server.post("/api/enrol", json=[1, 2])
    assert response.status_code == 400 and response.json["error"] == "bad_request"


@pytest.mark.parametrize("body", [DEEP, "{\"race\": ", "[" * 40 + "]" * 40],
                         ids=["30000-deep", "cut", "40-deep"])
def test_terminal_refuses_unreadable_json_in_french(terminal, body):
    response = terminal.post("/api/bets", data=body, content_type="application/json",
                             headers=terminal.bearer, base_url=TERMINAL)
    assert response.status_code == 400, response.data[:200]
    assert response.json["error"] == "bad_json"
    assert response.json["message"].startswith("Corps JSON")
    assert _outbox(terminal) == 0


# -- body caps -------------------------------------------------------------------

def test_server_refuses_a_10_mb_body_on_an_unauthenticated_route(server):
    body = b'{"code": "' + b"1" * 10_000_000 + b'"}'
    response = server.post("/api/enrol", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json == {"ok": False, "error": "body_too_large",
                             "limit_bytes": DEFAULT_BODY_LIMIT,
                             "message": "request body too large: at most 64 KB on this route"}


def test_a_body_without_content_length_is_cut_at_the_cap(server):
    body = b'{"code": "' + b"1" * (DEFAULT_BODY_LIMIT + 10) + b'"}'
    response = server.post("/api/enrol", input_stream=io.BytesIO(body),
                           content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.json["error"] == "body_too_large"


def test_the_programme_import_takes_the_operators_file_and_more(server):
    raw = PROGRAMME.read_bytes()
    assert DEFAULT_BODY_LIMIT < len(raw) < PROGRAMME_BODY_LIMIT
    response = server.post("/api/programme", data=raw, content_type="application/json",
                           headers=server.admin)
    assert response.status_code == 200, response.json
    assert response.json["races"] > 0
    padded = raw + b" " * (4 * 1024 * 1024)  # a 4 MB file is still a programme
    response = server.post("/api/programme", data=padded, content_type="application/json",
                           headers=server.admin)
    assert response.status_code == 200, response.json


def test_the_programme_import_has_its_own_cap(server):
    body = b" " * (PROGRAMME_BODY_LIMIT + 1)
    response = server.post("/api/programme", data=body, content_type="application/json",
                           headers=server.admin)
    assert response.status_code == 413
    assert response.json["limit_bytes"] == PROGRAMME_BODY_LIMIT
    assert "16 MB" in response.json["message"]


def test_terminal_refuses_a_large_body_in_french_and_sells_nothing(terminal):
    body = json.dumps({"race": "2021-01-01/R1C1", "pad": "x" * 100_000})
    response = terminal.post("/api/bets", data=body, content_type="application/json",
                             headers=terminal.bearer, base_url=TERMINAL)
    assert response.status_code == 413
    assert response.json["error"] == "body_too_large"
    assert response.json["message"] == "Requête trop volumineuse : 64 Ko au plus."
    assert _outbox(terminal) == 0


def test_terminal_caps_a_form_before_anything_reads_it(terminal):
    response = terminal.post("/ui/sell", data={"race": "x" * 100_000}, base_url=TERMINAL)
    assert response.status_code == 413
    assert _outbox(terminal) == 0


def test_the_ticket_preview_needs_no_inline_style():
    """The barcode SVG is swapped into the page; under `style-src 'self'` a `style="…"`
    attribute is blocked (its white background would turn black)."""
    from device_drivers.preview import barcode_svg

    svg = barcode_svg("000042000000017123456780")
    assert "style=" not in svg
    assert 'fill="white"' in svg and 'fill="black"' in svg
