"""A web page that is not the terminal's cannot drive it, in real Chromium.

The attacker's page is served on 127.0.0.1 at another port: same *site* as the
terminal, so the SameSite=Strict session cookie goes along with its requests.
It tries a sale and a drawer opening by form and by fetch(); nothing is sold and
the drawer stays shut, while the real UI still sells at 1024×768.
"""
from __future__ import annotations

import http.server
import json
import sqlite3
import threading

import pytest
from playwright.sync_api import expect

from ..devices_support import drawer_kicks, start_device_terminal
from ..helpers import free_port

ATTACK = """<!doctype html>
<html><body>
<form id="sale" method="post" action="{terminal}/ui/sell">
  <input name="race" value="{race}"><input name="bet_type" value="SIMPLE_GAGNANT">
  <input name="formula" value="UNITAIRE"><input name="horse" value="7">
  <input name="stake" value="3"><input name="payment" value="cash">
</form>
<form id="drawer" method="post" action="{terminal}{drawer}"></form>
<script>
  var mode = location.hash.slice(1);
  if (mode === "fetch") {{
    var opts = {{ method: "POST", mode: "no-cors", credentials: "include" }};
    var sale = new URLSearchParams({{ race: "{race}", bet_type: "SIMPLE_GAGNANT",
      formula: "UNITAIRE", horse: "7", stake: "3", payment: "cash" }});
    window.done = Promise.allSettled([
      fetch("{terminal}/ui/sell", Object.assign({{ body: sale }}, opts)),
      fetch("{terminal}/ui/diagnostics/drawer", opts),
      fetch("{terminal}/api/diagnostics/drawer", opts),
      fetch("{terminal}/api/bets", Object.assign({{ body: JSON.stringify({{ race: "{race}",
        bet_type: "SIMPLE_GAGNANT", formula: "UNITAIRE", selections: [7], bases: [],
        unit_stake_cents: 300 }}), headers: {{ "Content-Type": "text/plain" }} }}, opts)),
    ]).then(function (r) {{ return r.map(function (x) {{ return x.status; }}); }});
  }} else if (mode) {{
    document.getElementById(mode).submit();
  }}
</script>
</body></html>"""


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "foreign", printer="sim:")
    yield t
    t.proc.stop()


@pytest.fixture(scope="module")
def race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


@pytest.fixture(scope="module")
def attacker(term, race):
    """A tiny web server on another loopback port, serving the attack page."""
    def page_for(drawer: str) -> bytes:
        return ATTACK.format(terminal=term.url, race=race, drawer=drawer).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = page_for("/api/diagnostics/drawer" if "api" in self.path
                            else "/ui/diagnostics/drawer")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def sold(term) -> int:
    with sqlite3.connect(term.data / "terminal.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


@pytest.fixture
def shop_page(browser, term):
    """The shopkeeper's browser, with the terminal's page open (its session cookie set)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(term.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    yield page
    context.close()


@pytest.mark.parametrize("form,path", [("sale", "/attack.html"), ("drawer", "/attack.html"),
                                       ("drawer", "/attack-api.html")])
def test_a_form_on_another_port_sells_nothing_and_opens_no_drawer(shop_page, term, attacker,
                                                                   form, path):
    before = sold(term), drawer_kicks(term)
    attack = shop_page.context.new_page()
    with attack.expect_navigation(url=f"{term.url}/**"):
        attack.goto(f"{attacker}{path}#{form}")
    assert "ne vient pas d'une page de ce terminal" in attack.content().replace("&#39;", "'")
    assert (sold(term), drawer_kicks(term)) == before


def test_fetch_from_another_port_sells_nothing_and_opens_no_drawer(shop_page, term, attacker):
    before = sold(term), drawer_kicks(term)
    attack = shop_page.context.new_page()
    attack.goto(f"{attacker}/attack.html#fetch")
    statuses = attack.evaluate("window.done")
    assert statuses == ["fulfilled"] * 4      # sent (opaque answers): the terminal said no
    assert (sold(term), drawer_kicks(term)) == before


def test_the_real_ui_still_sells_and_opens_the_drawer_at_1024x768(shop_page, term, race):
    before = sold(term), drawer_kicks(term)
    page = shop_page
    page.locator(f"button.race[data-race='{race}']").click()
    page.get_by_label("Simple gagnant").check()
    page.locator(".runner[data-number='7']").click()
    page.get_by_label("Mise par combinaison (€)").fill("3")
    validate = page.get_by_role("button", name="Valider le pari")
    box = validate.bounding_box()
    assert box and box["y"] + box["height"] <= 768
    validate.click()
    expect(page.locator(".bet-result")).to_have_attribute("data-status", "accepted", timeout=15000)
    assert sold(term) == before[0] + 1 and drawer_kicks(term) == before[1] + 1

    # the diagnostics page's drawer button (a plain htmx POST) still works
    page.goto(term.url + "/diagnostics")
    page.get_by_role("button", name="Ouvrir le tiroir").click()
    expect(page.locator("#diag-result")).to_contain_text("Tiroir-caisse ouvert")
    assert drawer_kicks(term) == before[1] + 2


def test_the_ticket_panel_closes_without_inline_script(shop_page, term):
    page = shop_page
    page.locator("form.ticket-entry input[name=code]").fill("123")
    page.get_by_role("button", name="Vérifier").click()
    panel = page.locator("#ticket-panel .ticket-box")
    expect(panel).to_be_visible()
    page.get_by_role("button", name="Fermer").click()
    expect(panel).to_have_count(0)
