"""The diagnostics page in real Chromium: scans listed live, printer state and faults."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..devices_support import start_device_terminal


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "browserdiag", args=["--scanner", "sim:"])
    yield t
    t.proc.stop()


def test_last_scans_are_listed_live_and_do_not_open_the_panel(page, term):
    page.goto(term.url + "/diagnostics")
    expect(page.locator("body[data-scan-stream='1']")).to_be_attached()
    page.get_by_label("Lecteur simulé :").fill("42")
    page.get_by_role("button", name="Scanner").click()
    entry = page.locator("#scan-log li.scan").first
    expect(entry).to_contain_text("24 chiffres", timeout=10000)
    expect(entry).to_have_attribute("data-source", "sim")
    expect(page.locator("#ticket-panel .ticket-box")).to_have_count(0)


def test_a_simulated_fault_shows_in_the_printer_state(page, term):
    page.goto(term.url + "/diagnostics")
    page.get_by_label("Panne simulée :").select_option("cover_open")
    page.get_by_role("button", name="Appliquer").click()
    expect(page.locator("#diag-result")).to_contain_text("capot ouvert")
    expect(page.locator("#diag-states .printer")).to_have_attribute("data-state", "cover_open")
    expect(page.locator("#diag-states .printer")).to_contain_text("Capot de l'imprimante ouvert")
    page.get_by_role("button", name="Imprimer une page de test").click()
    expect(page.locator("#diag-result .message.error")).to_contain_text("Capot")
    page.get_by_label("Panne simulée :").select_option("none")
    page.get_by_role("button", name="Appliquer").click()
    expect(page.locator("#diag-states .printer")).to_have_attribute("data-state", "ok")
    page.get_by_role("button", name="Imprimer une page de test").click()
    expect(page.locator("#diag-result .message.ok")).to_contain_text("Page de test envoyée")
    page.get_by_role("button", name="Ouvrir le tiroir").click()
    expect(page.locator("#diag-result .message.ok")).to_contain_text("Tiroir-caisse ouvert")


def test_a_wedge_scan_on_the_diagnostics_page_is_listed(page, term):
    from .test_scan_in_browser import wedge_scan

    page.goto(term.url + "/diagnostics")
    expect(page.locator("body[data-scan-stream='1']")).to_be_attached()
    wedge_scan(page, "000042000000017123456781")
    entry = page.locator("#scan-log li.scan").first
    expect(entry).to_have_attribute("data-source", "wedge", timeout=10000)
    expect(entry).to_contain_text("mal lu")
    expect(page.locator("#ticket-panel .ticket-box")).to_have_count(0)
