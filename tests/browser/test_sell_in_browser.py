"""A shopkeeper sells a bet in real Chromium, on the real terminal and server."""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect


def race_id(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


def open_race(page, terminal, race):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.locator(f"button.race[data-race='{race}']").click()
    expect(page.locator("form.race-card h2")).to_contain_text(race)


def test_sell_a_simple_gagnant_and_see_the_ticket(page, terminal, server, programme):
    race = race_id(programme)
    open_race(page, terminal, race)
    page.get_by_label("Simple gagnant").check()
    page.locator(".runner[data-number='7']").click()
    page.get_by_label("Mise par combinaison (€)").fill("3")
    page.get_by_role("button", name="Valider le pari").click()

    result = page.locator(".bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    expect(result.locator(".message.ok")).to_contain_text("Pari accepté")
    expect(result.locator(".message.ok")).to_contain_text("3,00 €")
    preview = result.locator(".ticket-preview")
    expect(preview).to_contain_text("Simple gagnant unitaire")
    expect(preview).to_contain_text("TOTAL 3,00 €")
    expect(preview.locator("svg")).to_be_visible()
    code = preview.locator(".ticket-code").get_attribute("data-code")
    assert re.fullmatch(r"\d{24}", code)

    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200
    assert found["bet"]["selections"] == [7] and found["bet"]["total_cents"] == 300


def test_sell_a_simple_place(page, terminal, programme):
    open_race(page, terminal, race_id(programme))
    page.get_by_label("Simple placé").check()
    page.locator(".runner[data-number='2']").click()
    page.get_by_label("Mise par combinaison (€)").fill("2,00")
    page.get_by_role("button", name="Valider le pari").click()
    result = page.locator(".bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    expect(result.locator(".ticket-preview")).to_contain_text("Simple placé unitaire")


def test_mistakes_are_explained_in_french_and_sell_nothing(page, terminal, programme):
    open_race(page, terminal, race_id(programme))
    before = terminal.status()["queue_depth"], _outbox_size(terminal)

    page.get_by_label("Simple gagnant").check()
    page.get_by_role("button", name="Valider le pari").click()  # no horse chosen
    expect(page.locator("#result .message.error")).to_contain_text("cheval")

    page.locator(".runner[data-number='1']").click()
    page.get_by_label("Mise par combinaison (€)").fill("deux euros")
    page.get_by_role("button", name="Valider le pari").click()
    expect(page.locator("#result .message.error")).to_contain_text("Mise invalide")

    page.get_by_label("Mise par combinaison (€)").fill("0,50")
    page.get_by_role("button", name="Valider le pari").click()
    expect(page.locator("#result .message.error")).to_contain_text("mise minimum")

    assert (terminal.status()["queue_depth"], _outbox_size(terminal)) == before


def _outbox_size(terminal) -> int:
    import sqlite3

    with sqlite3.connect(terminal.data / "terminal.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def test_the_horses_are_sold_in_the_order_ticked(page, terminal, server, programme):
    """Couplé ordre 7 then 2 is the bet 7-2: the order of the clicks, not of the numbers."""
    race = race_id(programme)
    open_race(page, terminal, race)
    page.get_by_label("Couplé ordre").check()
    for number in ("7", "3", "2"):
        page.locator(f".runner[data-number='{number}']").click()
    page.locator(".runner[data-number='3']").click()  # untick: 7-2 remain, in that order
    expect(page.locator("[data-role='picked-order']")).to_have_text("Ordre : 7 - 2")
    expect(page.locator(".runner[data-number='7'] .pick")).to_have_text("1")
    expect(page.locator(".runner[data-number='2'] .pick")).to_have_text("2")
    page.get_by_label("Mise par combinaison (€)").fill("1")
    page.get_by_role("button", name="Valider le pari").click()

    result = page.locator(".bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    expect(result.locator(".ticket-preview")).to_contain_text("7 - 2")
    code = result.locator(".ticket-preview .ticket-code").get_attribute("data-code")
    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200 and found["bet"]["selections"] == [7, 2]


def test_only_the_formulas_of_the_chosen_bet_type_are_offered(page, terminal, programme):
    open_race(page, terminal, race_id(programme))
    simplified = page.locator("[data-formula='COMBINE_SIMPLIFIE']")
    page.get_by_label("Tiercé").check()
    expect(simplified).to_be_visible()
    page.get_by_label("combiné simplifié").check()
    page.get_by_label("Simple gagnant").check()           # Simple: unitaire only
    expect(simplified).to_be_hidden()
    expect(page.locator("[data-formula='COMBINE']")).to_be_hidden()
    expect(page.get_by_label("unitaire")).to_be_checked()  # the hidden choice fell back


def test_a_complement_is_offered_only_where_the_race_card_allows_it(page, terminal, server,
                                                                     programme):
    race = race_id(programme)
    open_race(page, terminal, race)
    complement = page.get_by_label("Complément (facultatif)")
    page.get_by_label("Simple gagnant").check()          # no complément on a Simple
    expect(complement).to_be_hidden()
    page.get_by_label("Tiercé").check()
    expect(complement).to_be_visible()
    for number in ("3", "1", "5"):
        page.locator(f".runner[data-number='{number}']").click()
    complement.select_option("7")
    page.get_by_label("Mise par combinaison (€)").fill("1")
    page.get_by_role("button", name="Valider le pari").click()
    result = page.locator(".bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    expect(result.locator(".ticket-preview")).to_contain_text("Complément : 7")
    code = result.locator(".ticket-preview .ticket-code").get_attribute("data-code")
    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200 and found["bet"]["selections"] == [3, 1, 5]
    assert found["bet"]["complement"] == 7
