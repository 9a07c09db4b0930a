"""No web page but the terminal's own can drive the terminal (terminal_app/web/guard.py).

In-process (Flask test client on a fresh data folder): the CSRF token on every
state-changing request that relies on the session cookie, the Origin/Referer check,
the Host check, and refusals that change nothing. The simulated printer counts
drawer kicks, so "the drawer did not open" is observable.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from terminal_app.app import create_app
from terminal_app.web.guard import LISTEN_KEY, own_addresses

PORT = 8701
BASE = f"http://127.0.0.1:{PORT}"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "terminal"


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path), {LISTEN_KEY: ("127.0.0.1", PORT)})
    terminal = app.extensions["guichet.terminal"]
    terminal.store.settings.set(printer=f"sim:guard-{uuid.uuid4().hex}")   # its own drawer counter
    terminal.devices.open_printer()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def kicks(app) -> int:
    return app.extensions["guichet.terminal"].devices.simulator_info()["drawer_kicks"]


def drawer_setting(app) -> str:
    return app.extensions["guichet.terminal"].store.settings.get("drawer", "on")


def page_token(client, path: str = "/diagnostics") -> str:
    """Open a page as the shopkeeper's browser does; the token it carries for htmx."""
    page = client.get(path, base_url=BASE)
    assert page.status_code == 200
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    body = re.search(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page.text)
    assert body and body.group(1) == meta
    return meta


# -- CSRF token -----------------------------------------------------------------------
def test_ui_post_with_the_session_cookie_but_no_token_is_refused_and_opens_nothing(app, client):
    client.get("/diagnostics", base_url=BASE)   # the session cookie, as in the shop's browser
    answer = client.post("/ui/diagnostics/drawer", base_url=BASE)
    assert answer.status_code == 403
    assert "Session expirée : rechargez la page." in answer.text
    assert kicks(app) == 0

    answer = client.post("/ui/diagnostics/drawer-setting", base_url=BASE, data={})
    assert answer.status_code == 403 and drawer_setting(app) == "on"


def test_ui_post_with_the_pages_token_goes_through(app, client):
    token = page_token(client)
    answer = client.post("/ui/diagnostics/drawer", base_url=BASE,
                         headers={"X-CSRFToken": token, "Origin": BASE})
    assert answer.status_code == 200 and "Tiroir-caisse ouvert" in answer.text
    assert kicks(app) == 1
    # a plain form sends it as a field
    answer = client.post("/ui/diagnostics/drawer-setting", base_url=BASE,
                         data={"csrf_token": token})
    assert answer.status_code == 200 and drawer_setting(app) == "off"


def test_a_wrong_or_another_sessions_token_is_refused(app, client):
    other = app.test_client()
    foreign = page_token(other)
    page_token(client)
    for token in (foreign, "x", "IjAi.forged.token"):
        answer = client.post("/ui/diagnostics/drawer", base_url=BASE,
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 403, token
    assert kicks(app) == 0


def test_json_api_on_the_cookie_needs_the_token_but_a_bearer_call_does_not(app, client):
    page_token(client)
    answer = client.post("/api/diagnostics/drawer", base_url=BASE)
    assert answer.status_code == 403
    assert answer.json == {"ok": False, "error": "csrf_failed",
                           "message": "Session expirée : rechargez la page."}
    answer = client.post("/api/diagnostics/drawer-setting", base_url=BASE, json={"enabled": False})
    assert answer.status_code == 403 and drawer_setting(app) == "on"
    assert kicks(app) == 0

    local = app.extensions["guichet.terminal"].store.create_token()
    script = app.test_client()   # no cookie, no CSRF token: a support script
    answer = script.post("/api/diagnostics/drawer", base_url=BASE,
                         headers={"Authorization": f"Bearer {local}"})
    assert answer.status_code == 200 and kicks(app) == 1
    # a wrong bearer token is no way around the CSRF check for a cookie holder
    answer = client.post("/api/diagnostics/drawer", base_url=BASE,
                         headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 403 and kicks(app) == 1


def test_setup_form_carries_the_token_and_a_post_without_it_enrols_nothing(app, client):
    page = client.get("/setup", base_url=BASE)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', page.text)
    answer = client.post("/setup", base_url=BASE,
                         data={"server_url": "http://127.0.0.1:9", "code": "123456"})
    assert answer.status_code == 403 and "Session expirée" in answer.text
    assert not app.extensions["guichet.terminal"].store.settings.enrolled


# -- Origin / Referer ------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:9999"},             # another port on the same host
    {"Origin": "http://evil.example"},
    {"Origin": "null"},                             # sandboxed frame, file:, data:
    {"Referer": "http://127.0.0.1:9999/attack.html"},
    {"Referer": "http://127.0.0.1:8701@evil.example/"},
])
def test_a_request_from_another_origin_is_refused_even_with_the_token(app, client, headers):
    token = page_token(client)
    answer = client.post("/ui/diagnostics/drawer", base_url=BASE,
                         headers={"X-CSRFToken": token, **headers})
    assert answer.status_code == 403
    assert "ne vient pas d'une page de ce terminal" in answer.text.replace("&#39;", "'")
    assert kicks(app) == 0


@pytest.mark.parametrize("headers", [
    {"Origin": BASE},
    {"Origin": f"http://localhost:{PORT}"},
    {"Origin": f"http://[::1]:{PORT}"},
    {"Referer": BASE + "/diagnostics"},
    {},                                             # a script sends neither
])
def test_the_terminals_own_origin_is_accepted(app, client, headers):
    token = page_token(client)
    answer = client.post("/ui/diagnostics/drawer", base_url=BASE,
                         headers={"X-CSRFToken": token, **headers})
    assert answer.status_code == 200 and kicks(app) == 1


def test_a_bearer_call_from_a_foreign_origin_is_refused_too(app):
    local = app.extensions["guichet.terminal"].store.create_token()
    answer = app.test_client().post("/api/diagnostics/drawer", base_url=BASE,
                                    headers={"Authorization": f"Bearer {local}",
                                             "Origin": "http://127.0.0.1:9999"})
    assert answer.status_code == 403 and answer.json["error"] == "foreign_origin"
    assert kicks(app) == 0


# -- Host (DNS rebinding) --------------------------------------------------------------
@pytest.mark.parametrize("host", [
    "evil.example:8701", "rebind.attacker.test", "127.0.0.1:8702", "127.0.0.1",
    "localhost:8701.evil", "127.0.0.1:8701:1", "[::1", "",
])
def test_a_foreign_host_header_is_refused_on_every_request(client, host):
    for method, path in (("GET", "/"), ("GET", "/api/status"), ("POST", "/ui/sell")):
        answer = client.open(path, method=method, base_url=BASE, headers={"Host": host})
        assert answer.status_code == 400, (host, path)
    answer = client.get("/diagnostics", base_url=BASE, headers={"Host": host})
    assert "Adresse inconnue" in answer.text
    assert "Set-Cookie" not in answer.headers     # no session handed to a rebinding page


@pytest.mark.parametrize("host", ["127.0.0.1:8701", "localhost:8701", "LOCALHOST:8701",
                                  "[::1]:8701"])
def test_the_terminals_own_names_are_served(client, host):
    assert client.get("/healthz", base_url=BASE, headers={"Host": host}).status_code == 200


def test_the_configured_host_is_served_and_a_wildcard_adds_no_name(tmp_path):
    app = create_app(str(tmp_path / "a"), {LISTEN_KEY: ("192.0.2.10", 9000)})
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "192.0.2.10:9000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "127.0.0.1:9000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "192.0.2.10:8701"}).status_code == 400
    assert own_addresses("0.0.0.0", 9000) == own_addresses("127.0.0.1", 9000) \
        == {("127.0.0.1", 9000), ("localhost", 9000), ("::1", 9000)}


# -- pages a strict Content-Security-Policy can serve ----------------------------------
def test_terminal_templates_hold_no_inline_script_or_event_handler():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), template.name
        assert "javascript:" not in text and "js:" not in text, template.name
