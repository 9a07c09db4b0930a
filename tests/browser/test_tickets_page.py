"""The day's tickets in real Chromium: the Tickets page lists what this terminal sold,
searches it as the shopkeeper types, reprints any ticket of the day as a DUPLICATA, and
the ticket card cancels a bet only after an in-page confirmation; "Derniers paris" then
says "annulé"."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..devices_support import sell, sim_jobs, start_device_terminal



@pytest.fixture(scope="module")
def race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "ticketspage", printer="sim:")
    yield t
    t.proc.stop()


@pytest.fixture(scope="module")
def two_bets(term, race) -> list[dict]:
    """A Simple gagnant on the 3, then a Couplé ordre 7-2, both accepted and printed."""
    status, first = sell(term, race, horse=3, stake=200)
    assert status == 201 and first["status"] == "accepted", first
    status, second = term.api("POST", "/api/bets", {
        "race": race, "bet_type": "COUPLE_ORDRE", "formula": "UNITAIRE",
        "selections": [7, 2], "bases": [], "unit_stake_cents": 300})
    assert status == 201 and second["status"] == "accepted", second
    return [first, second]


def rows(page):
    return page.locator("#ticket-rows [data-role='ticket-row']")


def grouped(code: str) -> str:
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))




def shot(page, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def test_the_list_shows_todays_tickets_newest_first_in_words(page, term, two_bets, screens):
    first, second = two_bets
    page.goto(term.url + "/")
    page.get_by_role("link", name="Tickets").click()
    expect(page).to_have_url(term.url + "/tickets")
    expect(page.locator("th").first).to_have_text("Heure (heure de Paris)")
    expect(rows(page)).to_have_count(2)
    newest, oldest = rows(page).nth(0), rows(page).nth(1)
    expect(newest).to_have_attribute("data-ticket", second["ticket"])
    expect(newest).to_contain_text("Couplé ordre")
    expect(newest.locator("[data-role='horses']")).to_have_text("7 - 2")
    expect(newest).to_contain_text(grouped(second["ticket"]))
    expect(newest.locator("[data-role='ticket-state']")).to_have_text("accepté")
    expect(oldest).to_contain_text("Simple gagnant")
    expect(oldest).to_contain_text("2,00 €")
    expect(page.locator("#ticket-rows")).not_to_contain_text("SIMPLE_GAGNANT")
    expect(page.locator("[data-role='ticket-count']")).to_contain_text("2 tickets")
    shot(page, screens, "tickets-list")


def test_search_by_code_as_you_type_then_reprint_the_first_ticket(page, term, two_bets):
    first, _ = two_bets
    page.goto(term.url + "/tickets")
    expect(rows(page)).to_have_count(2)
    search = page.locator("[data-role='ticket-search']")
    # the last eight digits as printed, with the space of the grouping
    search.press_sequentially(grouped(first["ticket"])[-9:], delay=30)
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-ticket", first["ticket"])
    expect(page.locator("[data-role='ticket-count']")).to_contain_text("1 ticket")

    before = len(sim_jobs(term))
    rows(page).first.get_by_role("button", name="Réimprimer").click()
    expect(page.locator("#result .message.ok").last).to_contain_text("Duplicata imprimé")
    jobs = sim_jobs(term)
    assert len(jobs) == before + 1
    assert jobs[-1]["lines"][0].strip() == "DUPLICATA"
    assert any("Simple gagnant" in line for line in jobs[-1]["lines"])

    search.fill("R1C9")                                  # a race with no ticket
    expect(rows(page)).to_have_count(0)
    expect(page.locator("[data-role='ticket-count']")).to_contain_text("Aucun ticket")
    search.fill("")
    expect(rows(page)).to_have_count(2)


def test_cancel_asks_first_then_cancels_and_every_list_says_annule(page, term, server,
                                                                       two_bets, screens):
    _, second = two_bets
    code = second["ticket"]
    page.goto(term.url + "/tickets")
    row = page.locator(f"#ticket-rows [data-role='ticket-row'][data-ticket='{code}']")
    row.get_by_role("button", name="Voir").click()
    card = page.locator("#ticket-panel .ticket-box")
    expect(card).to_have_attribute("data-ticket", code, timeout=10000)
    expect(card).to_have_attribute("data-status", "pending")
    expect(card.locator("[data-role='horses']")).to_have_text("7 - 2")
    expect(card.locator("[data-role='ticket-bet']")).to_contain_text("Couplé ordre unitaire")
    expect(card.locator("[data-role='ticket-bet']")).to_contain_text("3,00 €")

    # the first press only asks; "Non" keeps the bet
    card.locator("[data-role='cancel']").click()
    confirm = card.locator("[data-role='cancel-confirm']")
    expect(confirm).to_contain_text("Annuler ce pari et rembourser 3,00 € ?")
    shot(page, screens, "ticket-card-confirm-cancel")
    confirm.get_by_role("button", name="Non, garder le pari").click()
    expect(card.locator("[data-role='cancel-confirm']")).to_have_count(0)
    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200 and found["bet"]["status"] == "accepted"

    card.locator("[data-role='cancel']").click()
    card.locator("[data-role='confirm-cancel']").click()
    expect(card.locator(".message.ok")).to_contain_text("Pari annulé : rendez 3,00 €",
                                                        timeout=10000)
    expect(row.locator("[data-role='ticket-state']")).to_have_text("annulé")
    expect(row.get_by_role("button", name="Réimprimer")).to_have_count(0)
    status, found = server.api("GET", f"/api/tickets/{code}")
    assert status == 200 and found["bet"]["status"] == "cancelled"

    page.goto(term.url + "/")
    recent = page.locator(f"#recent [data-role='recent-bet'][data-ticket='{code}']")
    expect(recent.locator(".state")).to_have_text("annulé")
    expect(recent).to_contain_text("Couplé ordre 7 - 2")
    expect(recent).to_contain_text(grouped(code))
    expect(page.locator("#recent")).not_to_contain_text("COUPLE_ORDRE")
    shot(page, screens, "counter-recent-cancelled")


def test_recent_list_refreshes_when_a_ticket_is_cancelled_from_the_counter(page, term, race):
    status, bet = sell(term, race, horse=5, stake=200)
    assert status == 201, bet
    page.goto(term.url + "/")
    recent = page.locator(f"#recent [data-role='recent-bet'][data-ticket='{bet['ticket']}']")
    expect(recent.locator(".state")).to_have_text("accepté")
    page.get_by_label("Ticket").fill(bet["ticket"])
    page.get_by_label("Ticket").press("Enter")
    card = page.locator("#ticket-panel .ticket-box")
    expect(card).to_have_attribute("data-ticket", bet["ticket"], timeout=10000)
    card.locator("[data-role='cancel']").click()
    card.locator("[data-role='confirm-cancel']").click()
    expect(card.locator(".message.ok")).to_contain_text("Pari annulé", timeout=10000)
    expect(recent.locator(".state")).to_have_text("annulé")          # without a reload


def test_a_ticket_sold_at_another_counter_shows_what_it_plays(page, term, workdir, server,
                                                               race):
    other = start_device_terminal(workdir, server, "ticketsother", printer="sim:")
    try:
        status, sold = other.api("POST", "/api/bets", {
            "race": race, "bet_type": "COUPLE_ORDRE", "formula": "UNITAIRE",
            "selections": [8, 5], "bases": [], "unit_stake_cents": 200})
        assert status == 201 and sold["status"] == "accepted", sold
    finally:
        other.proc.stop()
    page.goto(term.url + "/")
    entry = page.locator("form.ticket-entry")
    entry.locator("input[name='code']").fill(sold["ticket"])
    entry.get_by_role("button", name="Vérifier").click()
    card = page.locator("#ticket-panel .ticket-box")
    expect(card).to_have_attribute("data-ticket", sold["ticket"], timeout=10000)
    played = card.locator("[data-role='ticket-bet-central']")
    expect(played.locator("[data-role='horses']")).to_have_text("8 - 5")  # in the order sold
    expect(played).to_contain_text("Couplé ordre unitaire")
    expect(played).to_contain_text("2,00 €")
    expect(card.locator("[data-role='ticket-bet']")).to_have_count(0)  # not sold here
