"""The fleet page in real Chromium on the real server, as a technician uses it:
create an enrolment code, open and read its receipt (QR decoded from the
screen), disable and enable a terminal through the confirmation page; each
screen kept and checked with axe-core."""
from __future__ import annotations

import io

from playwright.sync_api import expect

from ..admin_support import PASSWORD, add_user_cli
from .a11y import accessibility_problems


def decoded_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_a_technician_enrols_prints_a_receipt_and_disables_a_terminal(page, server, workdir,
                                                                     screens):
    add_user_cli(server.db, "theo", "technician", workdir)
    page.goto(server.url + "/admin/login")
    page.get_by_label("Nom").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Parc des terminaux")).to_be_visible()
    expect(page.locator(".admin-bar nav a")).to_have_count(1)  # the fleet only

    page.get_by_label("Point de vente du nouveau terminal").fill("Bar de la Fontaine")
    page.get_by_role("button", name="Créer un code").click()
    expect(page.get_by_role("heading", name="Code d'enrôlement")).to_be_visible()
    shown = page.locator("[data-role='enrolment-code']")
    code = shown.get_attribute("data-code")
    assert code and len(code) == 12
    expect(shown).to_have_text(f"{code[:4]} {code[4:8]} {code[8:]}")
    expect(page.get_by_role("img", name="Code QR du code d'enrôlement")).to_be_visible()
    assert decoded_qr(page.locator("[data-role='receipt-qr'] svg").screenshot()) == [code]
    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-fleet-receipt.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".admin-bar")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer le reçu")).to_be_hidden()
    page.screenshot(path=str(screens / "admin-fleet-receipt-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # the technician enrols the shop's terminal with it
    status, enrolled = server.api("POST", "/api/enrol", {"code": code}, token=None)
    assert status == 201
    terminal_id = enrolled["terminal_id"]
    page.get_by_role("link", name="Retour au parc").click()
    row = page.locator(f"tr[data-terminal='{terminal_id}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-role='terminal-state']")).to_have_text("hors ligne")
    expect(page.get_by_role("table").filter(has_text="Codes en attente")).not_to_contain_text(
        "Bar de la Fontaine")  # its code is used
    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-fleet.png"), full_page=True)

    row.locator("[data-role='disable']").click()
    expect(page.get_by_role("heading", name=f"Désactiver le terminal {terminal_id} ?")).to_be_visible()
    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-fleet-confirm.png"), full_page=True)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.locator("[data-role='message']")).to_have_text(
        f"Terminal {terminal_id} (Bar de la Fontaine) désactivé.")
    expect(row.locator("[data-role='terminal-state']")).to_have_text("désactivé")
    assert server.api("GET", "/api/fleet?state=disabled")[1]["terminals"][0]["terminal_id"] \
        == terminal_id

    row.locator("[data-role='enable']").click()
    page.get_by_role("button", name="Confirmer").click()
    expect(row.locator("[data-role='terminal-state']")).to_have_text("hors ligne")
    # the list keeps itself up to date: a terminal enrolled meanwhile appears without a reload
    status, created = server.api("POST", "/api/enrolment-codes", {"outlet": "Kiosque du Parc"})
    later = server.api("POST", "/api/enrol", {"code": created["code"]}, token=None)[1]
    expect(page.locator(f"tr[data-terminal='{later['terminal_id']}']")).to_be_visible(timeout=10_000)
