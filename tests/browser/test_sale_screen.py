"""The sale screen at rush speed, in real Chromium on the real terminal and server:
the quick entry, the live cost, champ bases, the large-sale confirmation, the form
ready for the next customer, and everything on one 1024x768 screen.

The programme is the sample one with a 16-runner first race (R1C1), which sells the
Quinté+, the bet type with the most formulas (7).
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3

import pytest
from playwright.sync_api import expect

from ..devices_support import set_fault, start_device_terminal
from ..helpers import write_sample_programme

NAMES = ["JOLIE DE VIRE", "ÉCLAIR DU MOULIN", "GAMIN D'ARGENTAN", "HÉLIOS BLEU",
         "IDÉAL DES PRÉS", "JASMIN D'OR", "KAÏD DU BOCAGE", "LOUISON", "MISTRAL NOIR",
         "NÉMO DE L'ISLE", "OURAGAN", "PRINCE D'ANJOU", "QUÉBEC ROYAL", "RUBIS DU VAL",
         "SULTAN DE LA MOTTE", "TORNADE DES CHAMPS"]


@pytest.fixture(scope="module")
def programme(workdir):
    path = workdir / "programme.json"
    doc = write_sample_programme(path)
    first = doc["meetings"][0]["races"][0]
    first["runners"] = [{"number": n, "name": NAMES[n - 1]} for n in range(1, 17)]
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"



def outbox_size(terminal) -> int:
    with sqlite3.connect(terminal.data / "terminal.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def open_race(page, terminal, race):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.locator(f"[data-role='race'][data-race='{race}']").click()
    expect(page.locator("form.race-card h2")).to_contain_text(race)


def bet_type(page, code):
    page.locator(f"[data-role='bet-type'][data-code='{code}']").check()


def formula(page, code):
    page.locator(f"[data-role='formula'][data-code='{code}']").check()


def runner(page, number):
    return page.locator(f"[data-role='runner'][data-number='{number}']")


def sold(page):
    result = page.locator("#result .bet-result")
    expect(result).to_have_attribute("data-status", "accepted", timeout=15000)
    return result


def ticket_of(result) -> str:
    return result.locator(".ticket-preview .ticket-code").get_attribute("data-code")


def test_a_simple_is_sold_from_the_keyboard_in_four_keys(page, terminal, server, race, screens):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    quick = page.locator("[data-role='quick-entry']")
    expect(quick).to_be_focused()   # the page opens ready to type
    keys = ["1", "g", "7", "Enter"]  # first open race, Simple gagnant, horse 7, sell
    for key in keys:
        page.keyboard.press(key)
    assert len(keys) <= 8
    result = sold(page)
    expect(result.locator(".ticket-preview")).to_contain_text("Simple gagnant unitaire")
    expect(result.locator(".ticket-preview")).to_contain_text("TOTAL 1,00 €")
    page.screenshot(path=str(screens / "sale-keyboard.png"))
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert status == 200
    assert (found["bet"]["race"], found["bet"]["bet_type"], found["bet"]["selections"],
            found["bet"]["total_cents"]) == (race, "SIMPLE_GAGNANT", [7], 100)
    # ready for the next customer: the entry is empty and has the focus again
    expect(quick).to_have_value("")
    expect(quick).to_be_focused()


def test_enter_before_the_race_card_settles_still_sells_once(page, terminal, server, race):
    """A fast typist's Enter can land after the race card is swapped in but before
    htmx has bound it (its settle delay). That Enter once sent the card natively: a
    page reload, nothing sold. Widen the window so that it is always hit."""
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    for key in ["1", "g", "7"]:
        page.keyboard.press(key)
    card = page.locator("#sale form.race-card")
    expect(card).to_have_count(1)
    assert card.get_attribute("data-ready") is None   # swapped in, not settled yet
    before = outbox_size(terminal)
    page.keyboard.press("Enter")
    result = sold(page)
    assert page.url == terminal.url + "/"              # no native submission
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert status == 200 and found["bet"]["selections"] == [7]
    assert outbox_size(terminal) == before + 1


def test_the_quick_entry_takes_horses_in_order_and_a_multiplier(page, terminal, server, race):
    page.goto(terminal.url + "/")
    expect(page.locator(".badge.online")).to_be_visible()
    page.keyboard.type("1o7 2*3")   # Couplé ordre 7 then 2, 3 base stakes
    expect(page.locator("[data-role='picked-order']")).to_have_text("Ordre : 7 - 2")
    expect(page.locator("[data-role='stake']")).to_have_value("3,00")
    expect(page.locator("[data-role='cost']")).to_have_text("1 combinaison · 3,00 €")
    page.keyboard.press("Enter")
    result = sold(page)
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert found["bet"]["bet_type"] == "COUPLE_ORDRE" and found["bet"]["selections"] == [7, 2]
    assert found["bet"]["total_cents"] == 300
    # a letter the race does not sell is said, not guessed
    page.keyboard.type("1z")
    expect(page.locator("[data-role='quick-feedback']")).to_contain_text("Pas de pari « z »")


def test_the_cost_of_a_combine_shows_while_it_is_built(page, terminal, race):
    open_race(page, terminal, race)
    cost = page.locator("[data-role='cost']")
    bet_type(page, "COUPLE_GAGNANT")
    formula(page, "COMBINE")
    expect(cost).to_have_text("Choisissez les chevaux.")
    for number in (7, 2):
        runner(page, number).click()
    # two horses are a unitaire, not a combiné: said before anything is sold
    expect(cost).to_have_text("Le Couplé gagnant combiné demande plus de 2 chevaux.")
    runner(page, 5).click()
    expect(cost).to_have_text("3 combinaisons · 3,00 €")  # C(3, 2) = 3 pairs
    page.locator("[data-role='multiplier']").fill("4")
    expect(page.locator("[data-role='stake']")).to_have_value("4,00")
    expect(cost).to_have_text("3 combinaisons · 12,00 €")
    page.locator("[data-role='stake']").fill("0,50")       # below the base stake
    expect(cost).to_contain_text("La mise minimum du Couplé gagnant")
    expect(page.locator("[data-role='multiplier']")).to_have_value("")


def test_a_multi_combine_en_5_is_offered_for_the_multi_only_and_sells(page, terminal, server,
                                                                      race):
    open_race(page, terminal, race)
    en_5 = page.locator("label[data-formula='COMBINE_EN_5']")
    bet_type(page, "TIERCE")
    expect(en_5).to_be_hidden()  # a Tiercé has no "en 5"
    bet_type(page, "MULTI")
    expect(en_5).to_be_visible()
    formula(page, "COMBINE_EN_5")
    for number in (1, 2, 3, 4, 5, 6):
        runner(page, number).click()
    # every set of five of six horses: C(6, 5) = 6 Multi en 5 units at 3 €
    expect(page.locator("[data-role='cost']")).to_have_text("6 combinaisons · 18,00 €")
    page.locator("[data-role='validate']").click()
    result = sold(page)
    expect(result.locator(".ticket-preview")).to_contain_text("Multi combiné en 5")
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert (found["bet"]["formula"], found["bet"]["total_cents"]) == ("COMBINE_EN_5", 1800)


def test_a_champ_with_a_base_horse_sells(page, terminal, server, race):
    open_race(page, terminal, race)
    bet_type(page, "TIERCE")
    formula(page, "CHAMP_REDUIT")
    runner(page, 7).click()
    runner(page, 7).click()          # a second touch makes 7 a base
    runner(page, 2).click()
    runner(page, 4).click()
    expect(runner(page, 7)).to_have_class("runner is-base")
    expect(runner(page, 7).locator(".pick")).to_have_text("B")
    expect(page.locator("[data-role='picked-order']")).to_have_text("Bases : 7 · Associés : 2 - 4")
    # one base, two associates: C(2, 2) x 3! = 6 combinations
    expect(page.locator("[data-role='cost']")).to_have_text("6 combinaisons · 6,00 €")
    page.locator("[data-role='validate']").click()
    result = sold(page)
    expect(result.locator(".ticket-preview")).to_contain_text("Base(s) : 7")
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert (found["bet"]["formula"], found["bet"]["bases"], found["bet"]["selections"],
            found["bet"]["total_cents"]) == ("CHAMP_REDUIT", [7], [2, 4], 600)


def test_a_large_sum_is_confirmed_in_the_page_before_it_sells(page, terminal, server, race,
                                                              screens):
    open_race(page, terminal, race)
    bet_type(page, "SIMPLE_GAGNANT")
    runner(page, 3).click()
    page.locator("[data-role='multiplier']").fill("150")  # 150 x 1,00 € = 150,00 €
    validate = page.locator("[data-role='validate']")
    expect(page.locator("[data-role='cost']")).to_have_text("1 combinaison · 150,00 €")
    before = outbox_size(terminal)
    validate.click()
    expect(validate).to_have_text("Confirmer 150,00 € ?")
    expect(page.locator("#result [data-role='confirm-sale']")).to_contain_text("150,00 €")
    page.screenshot(path=str(screens / "sale-confirm.png"))
    assert outbox_size(terminal) == before
    # changing the bet asks again
    page.locator("[data-role='multiplier']").fill("120")
    expect(validate).to_have_text("Valider le pari")
    validate.click()
    expect(validate).to_have_text("Confirmer 120,00 € ?")
    assert outbox_size(terminal) == before
    validate.click()
    result = sold(page)
    status, found = server.api("GET", f"/api/tickets/{ticket_of(result)}")
    assert found["bet"]["total_cents"] == 12000
    expect(validate).to_have_text("Valider le pari")


def test_after_a_sale_the_form_is_cleared_and_sells_again(page, terminal, server, race):
    open_race(page, terminal, race)
    bet_type(page, "COUPLE_GAGNANT")
    runner(page, 1).click()
    runner(page, 8).click()
    page.locator("[data-role='multiplier']").fill("2")
    page.locator("[data-role='stake']").press("Enter")   # Enter in the stake field sells
    first = ticket_of(sold(page))
    expect(page.locator("[data-role='runner'] input:checked")).to_have_count(0)
    expect(page.locator("[data-role='multiplier']")).to_have_value("1")
    expect(page.locator("[data-role='stake']")).to_have_value("1,00")
    expect(page.locator("[data-role='picked-order']")).to_have_text("Aucun cheval choisi")
    expect(page.locator("[data-role='bet-type'][data-code='COUPLE_GAGNANT']")).to_be_checked()
    runner(page, 3).click()
    runner(page, 4).click()
    page.locator("[data-role='validate']").click()
    result = page.locator("#result .bet-result")
    expect(result.locator(".ticket-code")).not_to_have_attribute("data-code", first)
    second = ticket_of(sold(page))
    status, found = server.api("GET", f"/api/tickets/{second}")
    assert found["bet"]["selections"] == [3, 4] and found["bet"]["total_cents"] == 100

    # Escape clears a bet being built
    runner(page, 5).click()
    page.locator("[data-role='stake']").press("Escape")
    expect(page.locator("[data-role='runner'] input:checked")).to_have_count(0)
    expect(page.locator("[data-role='quick-entry']")).to_be_focused()


@pytest.mark.parametrize("code", ["SIMPLE_GAGNANT", "QUINTE_PLUS"])
def test_everything_a_sale_needs_fits_1024_by_768(small, terminal, race, code, screens):
    page = small
    open_race(page, terminal, race)
    expect(runner(page, 16)).to_be_visible()
    bet_type(page, code)
    if code == "QUINTE_PLUS":   # every formula shown, the simplified ones too
        expect(page.locator("[data-role='formula']:visible")).to_have_count(7)
    for number in (16, 3):
        runner(page, number).click()
    page.screenshot(path=str(screens / f"sale-1024-{code.lower()}.png"))
    view = {"width": 1024, "height": 768}
    for role in ("validate", "basket-add", "stake", "multiplier", "cost"):
        box = page.locator(f"[data-role='{role}']").bounding_box()
        assert box, role
        assert box["x"] >= 0 and box["y"] >= 0, role
        assert box["x"] + box["width"] <= view["width"], role
        assert box["y"] + box["height"] <= view["height"], role
    for number in (1, 16):
        box = runner(page, number).bounding_box()
        assert box["y"] + box["height"] <= view["height"] and box["height"] >= 40  # a finger
    # no scrolling: not the page, nor the sale column
    assert page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight")
    assert page.evaluate("() => { const c = document.querySelector('.sale-col');"
                         " return c.scrollHeight <= c.clientHeight; }") is True
    # the status bar holds one line
    status = page.locator("[data-role='status']").bounding_box()
    assert status["height"] < 30


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "salescreen", printer="sim:")
    yield t
    t.proc.stop()


def test_after_printing_a_held_sale_the_next_sale_works(page, term, race):
    """The held list's "Imprimer" fills #result inside: the next Valider still has
    somewhere to show its ticket."""
    set_fault(term, "paper_out")
    try:
        open_race(page, term, race)
        bet_type(page, "SIMPLE_GAGNANT")
        runner(page, 3).click()
        page.locator("[data-role='validate']").click()
        expect(page.locator("#result .held-sale")).to_contain_text("ticket non imprimé")
        # the form is cleared anyway: the bet is sold, only its ticket waits
        expect(page.locator("[data-role='runner'] input:checked")).to_have_count(0)
        set_fault(term, "none")
        page.locator("#held li.held").get_by_role("button", name="Imprimer").click()
        expect(page.locator("#result .bet-result")).to_have_attribute("data-printed", "1")
        expect(page.locator("#held li.held")).to_have_count(0)
        assert page.locator("#result").count() == 1

        runner(page, 5).click()
        page.locator("[data-role='validate']").click()
        result = sold(page)
        expect(result).to_have_attribute("data-printed", "1")
        expect(result.locator(".ticket-preview")).to_contain_text("Cheval : 5")
    finally:
        set_fault(term, "none")


def test_adding_to_the_basket_sends_the_horses_in_order_and_clears_the_form(page, terminal,
                                                                          race):
    open_race(page, terminal, race)
    add = page.locator("[data-role='basket-add']")
    add.click()                                   # nothing chosen: refused, form kept
    expect(page.locator("#basket .message.error")).to_contain_text("Pari non ajouté")
    bet_type(page, "COUPLE_ORDRE")
    runner(page, 7).click()
    runner(page, 2).click()
    add.click()
    line = page.locator("#basket [data-role='basket-line']")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("7 - 2")          # the order touched, not 2 - 7
    expect(page.locator("[data-role='runner'] input:checked")).to_have_count(0)
    expect(page.locator("[data-role='quick-entry']")).to_be_focused()
    # a refused line leaves the bet on screen to be corrected
    runner(page, 4).click()
    add.click()
    expect(page.locator("#basket .message.error")).to_contain_text("Pari non ajouté")
    expect(page.locator("[data-role='runner'] input:checked")).to_have_count(1)


def test_a_bet_started_while_the_last_answer_is_on_its_way_is_kept(page, terminal, server,
                                                                   race):
    """The central is slow (its processes stopped for a moment): the clerk touches the
    next horse before the answer of the sale comes back; the answer does not wipe it."""
    open_race(page, terminal, race)
    bet_type(page, "SIMPLE_GAGNANT")
    runner(page, 2).click()
    os.killpg(server.proc.popen.pid, signal.SIGSTOP)
    try:
        page.locator("[data-role='validate']").click()
        expect(page.locator("[data-role='validate']")).to_be_disabled()  # in flight
        runner(page, 6).click()  # the next customer's horse
    finally:
        os.killpg(server.proc.popen.pid, signal.SIGCONT)
    expect(page.locator("#result .bet-result")).to_have_attribute(
        "data-status", re.compile("accepted|provisional"), timeout=20000)
    expect(page.locator("[data-role='picked-order']")).to_have_text("Ordre : 6")
    expect(runner(page, 6).locator("input")).to_be_checked()
