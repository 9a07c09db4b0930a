"""Scans in real Chromium: a serial scanner through a pseudo-terminal, and a keyboard-wedge
scanner typing on a French AZERTY layout; the ticket panel then inquires, pays, cancels."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest
from playwright.sync_api import expect

from device_drivers.scanner_sim import SimulatedSerialScanner

from ..devices_support import scans, sell, start_device_terminal

# What an AZERTY keyboard types on the digit row without Shift: the keys' `code` is
# Digit1…Digit0, their `key` these characters.
AZERTY = {"1": "&", "2": "é", "3": '"', "4": "'", "5": "(", "6": "-", "7": "è", "8": "_",
          "9": "ç", "0": "à"}


@pytest.fixture(scope="module")
def day(programme) -> str:
    return json.loads(programme.read_text())["date"]


@pytest.fixture(scope="module")
def scanner():
    sim = SimulatedSerialScanner()
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def term(workdir, server, scanner):
    t = start_device_terminal(workdir, server, "browserscan", args=["--scanner", scanner.uri])
    yield t
    t.proc.stop()


def ticket_of(term, race: str, horse: int = 3) -> str:
    status, bet = sell(term, race, horse=horse)
    assert status == 201, bet
    return bet["ticket"]


def open_counter(page, term):
    page.goto(term.url + "/")
    expect(page.locator("body[data-scan-stream='1']")).to_be_attached()


def wedge_scan(page, code: str, gap_s: float = 0.004, enter: bool = True) -> None:
    """Type `code` + Enter as a wedge scanner does on an AZERTY keyboard: by key, one every
    `gap_s` seconds. The keys carry their time (as the OS stamps a real key press), so a
    slow test machine does not change what the page sees."""
    cdp = page.context.new_cdp_session(page)
    start = time.time()
    for n, digit in enumerate(code):
        if gap_s >= 0.05:
            time.sleep(gap_s)
        char, vk = AZERTY[digit], 48 + int(digit)
        key = {"code": f"Digit{digit}", "key": char, "windowsVirtualKeyCode": vk,
               "nativeVirtualKeyCode": vk, "timestamp": start + n * gap_s}
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "unmodifiedText": char, **key})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})
    if enter:
        key = {"code": "Enter", "key": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13,
               "timestamp": start + len(code) * gap_s}
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **key})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})
    cdp.detach()


def panel(page):
    return page.locator("#ticket-panel .ticket-box")


def test_a_serial_scan_opens_the_ticket_panel(page, term, scanner, day):
    code = ticket_of(term, f"{day}/R1C1")
    open_counter(page, term)
    scanner.scan(code)
    expect(panel(page)).to_have_attribute("data-ticket", code, timeout=10000)
    expect(panel(page)).to_have_attribute("data-status", "pending")
    expect(panel(page).locator(".ticket-status")).to_contain_text("En attente du résultat")
    expect(panel(page).get_by_role("button", name="Annuler le pari")).to_be_visible()


def test_serial_noise_shows_a_message_in_the_panel(page, term, scanner):
    open_counter(page, term)
    scanner.send_raw(b"\x02\xff\xfegarbage\r")
    expect(panel(page).locator(".message.error")).to_contain_text("illisible", timeout=10000)


def test_an_azerty_wedge_scan_opens_the_right_ticket(page, term, day):
    other, code = ticket_of(term, f"{day}/R1C1", 2), ticket_of(term, f"{day}/R1C1", 4)
    open_counter(page, term)
    wedge_scan(page, code)
    expect(panel(page)).to_have_attribute("data-ticket", code, timeout=10000)
    assert other != code
    assert scans(term)[-1]["source"] == "wedge" and scans(term)[-1]["code"] == code


def test_these_key_events_type_azerty_characters(page, term):
    open_counter(page, term)
    field = page.get_by_label("Ticket")
    field.focus()
    wedge_scan(page, "1234567890", gap_s=0.15, enter=False)        # slowly: plain typing
    expect(field).to_have_value("&é\"'(-è_çà")


def test_a_wedge_scan_in_a_form_field_neither_types_nor_submits(page, term, day):
    code = ticket_of(term, f"{day}/R1C1", 5)
    open_counter(page, term)
    page.locator(f"button.race[data-race='{day}/R1C1']").click()
    stake = page.get_by_label("Mise par combinaison (€)")
    stake.fill("3")
    page.locator(".runner[data-number='1']").click()
    stake.focus()
    before = _outbox_size(term)
    wedge_scan(page, code)
    expect(panel(page)).to_have_attribute("data-ticket", code, timeout=10000)
    expect(stake).to_have_value("3")
    expect(page.locator("#result .bet-result")).to_have_count(0)
    assert _outbox_size(term) == before


def test_a_wedge_scan_with_a_wrong_check_digit_is_refused_before_the_server(page, term, day):
    code = ticket_of(term, f"{day}/R1C1", 6)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    open_counter(page, term)
    wedge_scan(page, wrong)
    expect(panel(page).locator(".message.error")).to_contain_text("mal lu", timeout=10000)
    expect(panel(page)).to_have_attribute("data-status", "error")


def test_slow_typing_is_typing_not_a_scan(page, term, day):
    code = ticket_of(term, f"{day}/R1C1", 7)
    open_counter(page, term)
    after = max([s["id"] for s in scans(term)] or [0])
    field = page.get_by_label("Ticket")
    field.click()
    field.press_sequentially(code[:8], delay=120)                  # a person, not a scanner
    expect(field).to_have_value(code[:8])
    assert not [s for s in scans(term, after) if s["source"] == "wedge"]
    field.press_sequentially(code[8:], delay=120)
    field.press("Enter")                                           # the form sends it as typed
    expect(panel(page)).to_have_attribute("data-ticket", code, timeout=10000)
    assert not [s for s in scans(term, after) if s["source"] == "wedge"]


def test_pay_a_winner_and_cancel_a_fresh_bet_from_the_panel(page, term, server, day):
    race = f"{day}/R1C4"
    winner = ticket_of(term, race, 1)
    ticket_of(term, race, 2)  # a loser: a pool all on its winner is refunded, not paid
    assert server.api("POST", f"/api/races/{race}/close")[0] == 200
    assert server.api("POST", f"/api/races/{race}/result",
                      {"arrival": [[1], [2], [3], [4]], "official": True})[0] == 200
    open_counter(page, term)
    wedge_scan(page, winner)
    expect(panel(page)).to_have_attribute("data-status", "won", timeout=10000)
    panel(page).get_by_role("button", name="Payer").click()
    expect(panel(page).locator(".message.ok")).to_contain_text("Payé", timeout=10000)
    expect(panel(page).locator(".drawer")).to_contain_text("Tiroir-caisse ouvert")

    wedge_scan(page, winner)                                        # the same ticket again
    expect(panel(page)).to_have_attribute("data-status", "paid", timeout=10000)
    expect(panel(page).get_by_role("button", name="Payer")).to_have_count(0)

    fresh = ticket_of(term, f"{day}/R1C1", 8)
    wedge_scan(page, fresh)
    expect(panel(page)).to_have_attribute("data-ticket", fresh, timeout=10000)
    panel(page).get_by_role("button", name="Annuler le pari").click()
    panel(page).get_by_role("button", name="Oui, annuler et rembourser").click()
    expect(panel(page).locator(".message.ok")).to_contain_text("Pari annulé", timeout=10000)
    panel(page).get_by_role("button", name="Fermer").click()
    expect(panel(page)).to_have_count(0)


def _outbox_size(term) -> int:
    with sqlite3.connect(term.data / "terminal.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
