"""A shopkeeper sells a Report+ (pari par reports) in real Chromium at 1024x768, on the
real terminal and server: the entry beside the races, three legs of one meeting in
order, the live cost, Valider, the ticket with every leg, then the ticket card showing
the chain in progress with nothing to pay.

The sample programme offers REPORT_PLUS on every race of every meeting; here its
meetings have seven races, so that a chain of six legs can be drawn.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .a11y import accessibility_problems


@pytest.fixture(scope="module")
def programme(workdir):
    from guichet.clock import utcnow
    from server.services.programme_import import sample_programme

    now = utcnow()
    path = workdir / "programme.json"
    path.write_text(json.dumps(sample_programme(now.date(), now + timedelta(minutes=60),
                                                races_per_meeting=7)))
    return path

VIEW = {"width": 1024, "height": 768}


def day_of(programme) -> str:
    return json.loads(programme.read_text())["date"]


def inside(box: dict | None) -> bool:
    return bool(box) and box["x"] >= 0 and box["y"] >= 0 \
        and box["x"] + box["width"] <= VIEW["width"] \
        and box["y"] + box["height"] <= VIEW["height"]


def open_report(page, terminal):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.locator("[data-role='report-plus']").click()
    form = page.locator("form[data-role='report-form']")
    expect(form).to_be_visible()
    return form


def leg(form, i: int):
    return form.locator(f"[data-role='leg'][data-index='{i}']")


def test_sell_a_report_plus_at_1024_by_768(small, terminal, server, programme, screens):
    page, day = small, day_of(programme)
    form = open_report(page, terminal)
    # two legs to start with: the first open race of R1 and the next one
    expect(form.locator("[data-role='leg']")).to_have_count(2)
    expect(leg(form, 0)).to_have_attribute("data-race", f"{day}/R1C1")
    expect(leg(form, 1)).to_have_attribute("data-race", f"{day}/R1C2")
    form.locator("[data-role='leg-add']").click()
    form = page.locator("form[data-role='report-form']")
    expect(form.locator("[data-role='leg']")).to_have_count(3)
    expect(leg(form, 2)).to_have_attribute("data-race", f"{day}/R1C3")
    # a later leg offers only later races of the meeting
    offered = leg(form, 1).locator("[data-role='leg-race'] option")
    assert all(int(v.rsplit("C", 1)[1]) > 1 and f"{day}/R1C" in v
               for v in offered.evaluate_all("os => os.map(o => o.value)"))

    leg(form, 0).locator("[data-role='leg-horse']").select_option("3")
    leg(form, 0).locator("[data-role='leg-carry']").select_option("HALF")
    leg(form, 1).locator("[data-role='leg-horse']").select_option("2")
    leg(form, 1).locator("[data-role='leg-kind']").select_option("PLACE")
    expect(form.locator("[data-role='cost']")).to_contain_text("choisissez un cheval")
    leg(form, 2).locator("[data-role='leg-horse']").select_option("1")
    form.locator("[data-role='report-stake']").fill("2")
    expect(form.locator("[data-role='cost']")).to_have_text("Report+ 3 courses · 2,00 €")

    # everything on one screen, six legs included
    for count in (4, 5, 6):
        form.locator("[data-role='leg-add']").click()
        form = page.locator("form[data-role='report-form']")
        expect(form.locator("[data-role='leg']")).to_have_count(count)
    expect(leg(form, 5)).to_have_attribute("data-race", f"{day}/R1C6")
    expect(form.locator("[data-role='leg-add']")).to_be_disabled()  # 6 legs at most
    page.screenshot(path=str(screens / "report-plus-1024.png"))
    assert accessibility_problems(page) == []
    for role in ("report-validate", "report-stake", "cost", "leg-add", "leg-remove"):
        assert inside(form.locator(f"[data-role='{role}']").bounding_box()), role
    for i in range(6):
        assert inside(leg(form, i).bounding_box()), i
        assert leg(form, i).locator("[data-role='leg-horse']").bounding_box()["height"] >= 36
    assert page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight")
    assert page.evaluate("() => { const c = document.querySelector('.sale-col');"
                         " return c.scrollHeight <= c.clientHeight; }") is True
    for count in (5, 4, 3):
        form.locator("[data-role='leg-remove']").click()
        form = page.locator("form[data-role='report-form']")
        expect(form.locator("[data-role='leg']")).to_have_count(count)
    # the first legs kept their choices
    expect(leg(form, 1).locator("[data-role='leg-kind']")).to_have_value("PLACE")
    expect(form.locator("[data-role='cost']")).to_have_text("Report+ 3 courses · 2,00 €")

    form.locator("[data-role='report-validate']").click()
    result = page.locator("#result .bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    preview = result.locator(".ticket-preview")
    expect(preview).to_contain_text("C1 n°3 gagnant — report : la moitié")
    expect(preview).to_contain_text("C2 n°2 placé — report : tout")
    expect(preview).to_contain_text("C3 n°1 gagnant")
    expect(preview).to_contain_text("TOTAL 2,00 €")
    code = preview.locator(".ticket-code").get_attribute("data-code")
    assert re.fullmatch(r"\d{24}", code)
    # the form starts again for the next customer; "Derniers paris" shows the chain
    expect(page.locator("form[data-role='report-form'] [data-role='leg']")).to_have_count(2)
    expect(page.locator("#recent")).to_contain_text("Report+ C1 3g → C2 2p → C3 1g")
    page.screenshot(path=str(screens / "report-plus-sold.png"))

    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200 and found["bet"]["bet_type"] == "REPORT_PLUS"

    # the ticket card: the chain as the central holds it, nothing to pay yet
    page.locator(".ticket-entry input[name='code']").fill(code)
    page.locator(".ticket-entry button").click()
    card = page.locator("#ticket-panel .ticket-box")
    expect(card.locator("[data-role='chain']")).to_have_attribute("data-state", "en_cours")
    expect(card.locator("[data-role='chain-state']")).to_have_text("en cours")
    expect(card.locator("[data-role='chain-leg']")).to_have_count(3)
    expect(card.locator("[data-role='pay']")).to_have_count(0)
    page.screenshot(path=str(screens / "report-plus-card.png"))
