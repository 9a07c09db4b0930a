"""Every screen of the counter, at 1024×768 in real Chromium: kept as a picture and
checked with axe-core (no serious or critical violation)."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from .a11y import accessibility_problems


def first_race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


def check(page, screens, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"))
    assert accessibility_problems(page) == [], name


def test_the_counter_with_a_bet_in_the_making_and_a_basket(small, terminal, programme, screens):
    page = small
    page.goto(terminal.url + "/")
    expect(page.locator("[data-role='status']")).to_be_visible()
    check(page, screens, "counter-start")
    race = first_race(programme)
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    form = page.locator(f"form.race-card[data-race='{race}']")
    form.locator("[data-role='bet-type'][data-code='COUPLE_GAGNANT']").check()
    form.locator("[data-role='runner'][data-number='3']").click()
    form.locator("[data-role='runner'][data-number='5']").click()
    expect(form.locator("[data-role='cost']")).to_contain_text("1 combinaison")
    check(page, screens, "counter-bet")
    form.locator("[data-role='basket-add']").click()
    expect(page.locator("[data-role='basket-total']")).to_contain_text("1,00 €")
    check(page, screens, "counter-basket")


def test_the_tickets_till_and_diagnostics_pages(small, terminal, screens):
    for path, name in (("/tickets", "tickets"), ("/till", "till"),
                       ("/diagnostics", "diagnostics")):
        small.goto(terminal.url + path)
        expect(small.locator("h1, h2").first).to_be_visible()
        check(small, screens, f"page-{name}")
