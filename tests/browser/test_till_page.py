"""The till in real Chromium, on the real terminal and server: a clerk logs in with a
PIN, opens the shift with a float, sells one bet, takes cash out, and closes on a
counted amount; the Z report shows the difference, is printed and is listed."""
from __future__ import annotations

import json
import sqlite3

from playwright.sync_api import expect

from ..helpers import run_cli
from .a11y import accessibility_problems




def test_a_clerk_opens_sells_takes_cash_out_and_closes_with_a_difference(
        page, terminal, programme, workdir, screens):
    race = f"{json.loads(programme.read_text())['date']}/R1C1"
    pin_file = workdir / "pin"
    pin_file.write_text("4821\n")
    run_cli("terminal", "clerk", "add", "Camille", "--role", "manager",
            "--pin-file", str(pin_file), "--data", str(terminal.data))

    # no page without a clerk now: the sale screen sends to the login page
    page.goto(terminal.url + "/till")
    expect(page).to_have_url(terminal.url + "/login?next=/till")
    page.locator("[data-role='pin']").fill("0000")
    page.locator("[data-role='login-submit']").click()
    expect(page.locator(".message.error")).to_contain_text("Code PIN erroné (4 essais avant blocage)")
    page.screenshot(path=str(screens / "till-login.png"))
    assert accessibility_problems(page) == []
    page.locator("[data-role='pin']").fill("4821")
    page.locator("[data-role='login-submit']").click()
    expect(page).to_have_url(terminal.url + "/till")
    expect(page.locator("[data-role='clerk']")).to_contain_text("Camille (responsable)")

    # open with a float of 200,00 €
    page.locator("[data-role='float']").fill("200")
    page.get_by_role("button", name="Ouvrir la caisse").click()
    expect(page.locator("[data-role='till-message']")).to_have_text("Caisse ouverte.")
    expect(page.locator("[data-role='expected']")).to_have_text("200,00 €")

    # sell one Simple gagnant of 3,00 € in cash from the sale screen
    page.get_by_role("link", name="Retour à la vente").click()
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    expect(page.locator("form.race-card h2")).to_contain_text(race)
    page.locator("[data-role='bet-type'][data-code='SIMPLE_GAGNANT']").check()
    page.locator("[data-role='runner'][data-number='7']").click()
    page.locator("[data-role='stake']").fill("3")
    page.locator("[data-role='validate']").click()
    expect(page.locator("#result .bet-result")).to_have_attribute("data-status", "accepted",
                                                                  timeout=15000)

    with sqlite3.connect(terminal.data / "terminal.db") as db:   # the sale names its clerk
        assert db.execute("SELECT clerk FROM outbox ORDER BY seq DESC LIMIT 1").fetchone() \
            == ("Camille",)

    # take 50,00 € out for the bank: 200 + 3 − 50 = 153,00 € expected
    page.get_by_role("link", name="Caisse").click()
    expect(page.locator("[data-role='sales-cash']")).to_have_text("3,00 €")
    page.locator("[data-role='cash-amount']").fill("50")
    page.locator("[data-role='cash-reason']").fill("Dépôt à la banque")
    page.locator("[data-role='cash-submit']").click()
    expect(page.locator("[data-role='till-message']")).to_have_text("Retrait enregistré.")
    expect(page.locator("[data-role='expected']")).to_have_text("153,00 €")
    page.screenshot(path=str(screens / "till-open.png"), full_page=True)
    assert accessibility_problems(page) == []

    # close on 150,00 € counted: 3,00 € short
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-role='counted']").fill("150")
    page.locator("[data-role='close-till']").click()
    report = page.locator("[data-role='till-report'][data-kind='Z']")
    expect(report).to_be_visible()
    expect(report.locator("[data-role='report-expected']")).to_have_text("153,00 €")
    expect(report.locator("[data-role='report-counted']")).to_have_text("150,00 €")
    expect(report.locator("[data-role='report-difference']")).to_have_text("-3,00 €")
    expect(report).to_contain_text("Rapport imprimé.")
    expect(report.locator("[data-role='ledger']")).to_contain_text("concorde au centime près")
    expect(page.locator("[data-role='z-reports'] li").first).to_contain_text("écart -3,00 €")
    expect(page.locator("[data-role='till']")).to_have_attribute("data-open", "0")
    page.screenshot(path=str(screens / "till-z-report.png"), full_page=True)
    assert accessibility_problems(page) == []

    # "Changer de caissier" logs out
    page.locator("[data-role='logout']").click()
    expect(page).to_have_url(terminal.url + "/login")
