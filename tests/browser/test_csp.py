"""The terminal UI works in real Chromium under its Content-Security-Policy, and the
browser reports no violation: no inline script, style or eval is left anywhere a
shopkeeper goes (docs/security.md)."""
from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from .test_scan_in_browser import wedge_scan

# Recorded from the page itself before any of its scripts run.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' '
                    + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.add_init_script(LISTEN)
    page.console_log = console
    return page


def _violations(page) -> list[str]:
    recorded = page.evaluate("window.__csp || []")
    return recorded + [m for m in page.console_log if "Content Security Policy" in m]


def test_the_terminal_serves_its_policy_and_hides_its_server(terminal):
    with urllib.request.urlopen(terminal.url + "/healthz", timeout=10) as resp:
        headers = {k.lower(): v for k, v in resp.getheaders()}
    assert headers["server"] == "guichet"
    assert "werkzeug" not in json.dumps(headers).lower()
    assert "python" not in json.dumps(headers).lower()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_selling_and_the_ticket_panel_raise_no_csp_violation(watched, terminal, programme):
    page = watched
    race = f"{json.loads(programme.read_text())['date']}/R1C1"
    response = page.goto(terminal.url + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator(".badge.online")).to_be_visible()
    expect(page.locator("body[data-scan-stream='1']")).to_be_attached()  # EventSource allowed

    page.locator(f"button.race[data-race='{race}']").click()
    expect(page.locator("form.race-card h2")).to_contain_text(race)
    page.get_by_label("Simple gagnant").check()
    page.locator(".runner[data-number='5']").click()
    page.get_by_label("Mise par combinaison (€)").fill("2")
    page.get_by_role("button", name="Valider le pari").click()
    result = page.locator(".bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    code = result.locator(".ticket-code").get_attribute("data-code")

    wedge_scan(page, code)
    box = page.locator("#ticket-panel .ticket-box")
    expect(box).to_have_attribute("data-ticket", code, timeout=10000)
    box.locator("button.close").click()
    expect(box).to_have_count(0)

    page.goto(terminal.url + "/diagnostics")
    expect(page.locator("#diag-states")).to_be_visible()
    page.wait_for_timeout(500)  # a polling swap or two
    assert _violations(page) == []


def test_a_violation_would_be_seen(watched, terminal):
    """The listener above does catch what the policy blocks (so the test above can fail)."""
    page = watched
    page.goto(terminal.url + "/")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in _violations(page))
