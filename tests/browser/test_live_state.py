"""The sale screen follows the server live, in real Chromium on the real terminal and
server: a race closed by the central disables its open form within a second, with the
reason; probable odds and the pool total appear after bets on the race."""
from __future__ import annotations

import json
import re
import time

from playwright.sync_api import expect


def race_of(programme, meeting: int, number: int) -> str:
    return f"{json.loads(programme.read_text())['date']}/R{meeting}C{number}"


def open_race(page, terminal, race):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    expect(page.locator(f"form.race-card[data-race='{race}']")).to_be_visible()
    return page.locator(f"form.race-card[data-race='{race}']")


def sell(terminal, race, horse, cents):
    status, answer = terminal.api("POST", "/api/bets", {
        "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
        "selections": [horse], "bases": [], "unit_stake_cents": cents})
    assert status in (200, 201) and answer["status"] == "accepted", answer


def test_a_race_closed_by_the_central_is_disabled_within_a_second(page, terminal, server,
                                                                  programme, screens):
    race = race_of(programme, 2, 1)
    form = open_race(page, terminal, race)
    button = page.locator(f"[data-role='race'][data-race='{race}']")
    expect(form.locator("[data-role='race-closed']")).to_be_hidden()
    expect(form.locator("[data-role='validate']")).to_be_enabled()
    # the stream is up: the page got the state of the races
    expect(button).to_have_attribute("data-state", "open")

    status, _ = server.api("POST", f"/api/races/{race}/close")
    assert status == 200
    started = time.monotonic()
    expect(form.locator("[data-role='race-closed']")).to_be_visible(timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(form.locator("[data-role='race-closed']")).to_have_text("Paris fermés par le central")
    expect(form.locator("[data-role='validate']")).to_be_disabled()
    expect(button).to_have_attribute("data-state", "closed")
    expect(button).to_contain_text("fermée")
    page.screenshot(path=str(screens / "live-race-closed.png"))

    # opened again later, the form of a closed race stays shut
    page.reload()
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    expect(form.locator("[data-role='validate']")).to_be_disabled()


def test_probable_odds_and_the_pool_appear_after_bets(page, terminal, programme, screens):
    race = race_of(programme, 1, 2)
    form = open_race(page, terminal, race)
    form.locator("[data-role='bet-type'][data-code='SIMPLE_GAGNANT']").check()
    expect(form.locator("[data-role='odds'][data-number='3']")).to_have_text("")

    sell(terminal, race, 3, 200)
    sell(terminal, race, 5, 600)
    # Simple gagnant pool 8,00 €; deduction 13.9 % -> 1,11 €; masse 6,89 €.
    # The 3: 6.89 / 2 = 3.445 -> 3,4. The 5: 6.89 / 6 = 1.148 -> 1,1.
    expect(form.locator("[data-role='odds'][data-number='3']")).to_have_text("3,4",
                                                                             timeout=10000)
    expect(form.locator("[data-role='odds'][data-number='5']")).to_have_text("1,1")
    expect(form.locator("[data-role='odds'][data-number='1']")).to_have_text("")
    expect(form.locator("[data-role='pool-total']")).to_have_text("8,00 €")
    page.screenshot(path=str(screens / "live-odds.png"))


def test_each_race_counts_down_to_its_off(page, terminal, programme):
    race = race_of(programme, 1, 1)
    page.goto(terminal.url + "/")
    countdown = page.locator(f"[data-role='race'][data-race='{race}'] [data-role='countdown']")
    # the first race of the sample programme is about an hour away
    expect(countdown).to_have_text(re.compile(r"^dans (\d+ h \d\d|\d+ min \d\d s)$"))


def test_official_dividends_appear_on_the_race_s_screen(page, terminal, server, programme,
                                                        screens):
    """Sold, closed, result official at the central: the race's screen shows the arrival
    and the dividends by itself. 2 € and 8 € on the 3 and the 5, 13.9 % off (the default
    Simple gagnant rate): masse 861 cents over 200 on the winner, 4.305 → 4,30 € for 1 €."""
    race = race_of(programme, 2, 2)
    sell(terminal, race, 3, 200)
    sell(terminal, race, 5, 800)
    form = open_race(page, terminal, race)
    status, _ = server.api("POST", f"/api/races/{race}/close")
    assert status == 200
    expect(form.locator("[data-role='race-closed']")).to_be_visible(timeout=3000)
    button = page.locator(f"[data-role='race'][data-race='{race}']")
    expect(button.locator("[data-role='countdown']")).to_have_text("")  # no countdown once closed
    status, published = server.api("POST", f"/api/races/{race}/result",
                                    {"arrival": [[3], [5], [1]], "official": True})
    assert status == 200, published
    results = page.locator(f"[data-role='race-results'][data-race='{race}']")
    expect(results.locator("[data-role='arrival']")).to_have_text("3 - 5 - 1", timeout=10000)
    expect(results).to_contain_text("Arrivée officielle")
    expect(results.locator("[data-role='dividends']").filter(has_text="Simple gagnant")
           ).to_contain_text("4,30 €")
    page.screenshot(path=str(screens / "live-results.png"))


def test_a_suspended_race_says_so_and_sells_again_once_reopened(page, terminal, server,
                                                                 programme):
    race = race_of(programme, 2, 3)  # a race no other test closes
    form = open_race(page, terminal, race)
    button = page.locator(f"[data-role='race'][data-race='{race}']")
    expect(button).to_have_attribute("data-state", "open")

    status, _ = server.api("POST", f"/api/races/{race}/suspend", {"reason": "incident"})
    assert status == 200
    note = form.locator("[data-role='race-closed']")
    expect(note).to_be_visible(timeout=1000)
    expect(note).to_contain_text("Paris suspendus par le central")
    expect(form.locator("[data-role='validate']")).to_be_disabled()
    expect(button).to_have_attribute("data-state", "suspended")
    expect(button).to_contain_text("suspendue")
    expect(button).not_to_contain_text("fermée")
    page.reload()  # drawn by the server: the same words
    expect(page.locator(f"[data-role='race'][data-race='{race}']")).to_contain_text("suspendue")
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    expect(form.locator("[data-role='race-closed']")).to_contain_text("suspendus")

    status, _ = server.api("POST", f"/api/races/{race}/reopen")
    assert status == 200
    expect(form.locator("[data-role='validate']")).to_be_enabled(timeout=1000)
    expect(button).to_have_attribute("data-state", "open")
    expect(button).not_to_contain_text("suspendue")


def _terminal_says(terminal, race, state):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        races = terminal.api("GET", "/api/races")[1]["races"]
        if any(r["race"] == race and r["state"] == state for r in races):
            return
        time.sleep(0.05)
    raise AssertionError(f"the terminal never said {race} is {state}")


def test_a_form_drawn_suspended_opens_even_if_the_page_hears_of_it_only_once_reopened(
        page, terminal, server, programme):
    """The page's event stream may connect after the race opened again (a busy
    machine): it then never hears 'suspended', only 'open', and the form the terminal
    drew shut must still open."""
    race = race_of(programme, 2, 4)  # a race no other test closes
    status, _ = server.api("POST", f"/api/races/{race}/suspend", {"reason": "incident"})
    assert status == 200
    _terminal_says(terminal, race, "suspended")
    page.route("**/ui/events", lambda route: route.abort())  # the stream is late
    form = open_race(page, terminal, race)
    validate = form.locator("[data-role='validate']")
    expect(validate).to_be_disabled()
    expect(form.locator("[data-role='race-closed']")).to_contain_text("suspendus")

    status, _ = server.api("POST", f"/api/races/{race}/reopen")
    assert status == 200
    _terminal_says(terminal, race, "open")
    page.unroute("**/ui/events")  # the stream connects: its first word is 'open'
    expect(validate).to_be_enabled(timeout=10000)
    expect(form.locator("[data-role='race-closed']")).to_be_hidden()
