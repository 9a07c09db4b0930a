"""The racing day in real Chromium on a real server process: an operator logs in,
imports the day's programme (upload progress, then the count of races), closes a
race with a reason, enters an arrival with a dead heat, previews its dividends,
publishes them, declares them official and reads them; each screen is kept and
checked with axe-core."""
from __future__ import annotations

import json
import uuid as uuidlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services.programme_import import sample_programme
from server.services.races import PARIS

from ..admin_support import PASSWORD, add_user_cli
from ..helpers import start_server
from ..integration.socket_client import connect, enrol_another
from .a11y import accessibility_problems


def iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def empty_server(workdir):
    srv = start_server(workdir, None, name="races-server", db=workdir / "races.db")
    yield srv
    srv.proc.stop()


def log_in(page, server, name):
    page.goto(server.url + "/admin/programme")
    page.get_by_label("Nom").fill(name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def sell(server, race, bets):
    terminal_id, key = enrol_another(server, "Bar du Centre")
    client = connect(server.url, terminal_id, key)
    try:
        wire = [{"uuid": str(uuidlib.uuid4()), "seq": seq, "placed_at": iso(utcnow()),
                 "race": race, "bet_type": bet_type, "formula": "UNITAIRE",
                 "selections": horses, "bases": [], "unit_stake_cents": cents,
                 "total_cents": cents, "offline": False}
                for seq, (bet_type, horses, cents) in enumerate(bets, 1)]
        ack = client.call("place_bets", {"bets": wire}, namespace=NAMESPACE, timeout=10)
        assert [r["status"] for r in ack["results"]] == ["accepted"] * len(bets), ack
    finally:
        client.disconnect()


def test_an_operator_runs_a_race_from_import_to_official_dividends(page, empty_server, workdir,
                                                                   screens):
    server = empty_server
    now = utcnow()
    day = now.astimezone(PARIS).date().isoformat()
    doc = sample_programme(now.astimezone(PARIS).date(), now + timedelta(hours=1),
                           meetings=2, races_per_meeting=3)
    good = workdir / "programme-du-jour.json"
    good.write_text(json.dumps(doc, indent=2))
    bad = workdir / "programme-casse.json"
    bad.write_text('{"format": "guichet-programme", "meetings": [')
    add_user_cli(server.db, "olga", "operator", workdir)
    log_in(page, server, "olga")
    expect(page.get_by_role("heading", name="Programme", exact=True)).to_be_visible()

    # a broken file: refused in French, nothing imported
    page.get_by_label("Fichier du programme").set_input_files(str(bad))
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("[data-role='import-result']")).to_contain_text(
        "Programme refusé : le fichier n'est pas du JSON valide")
    expect(page.locator("[data-role='no-race']")).to_be_visible()

    # the day's file: the upload's progress, then what was imported
    page.get_by_label("Fichier du programme").set_input_files(str(good))
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("[data-role='import-result']")).to_contain_text(
        "Programme importé : 6 courses")
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    page.get_by_role("link", name=f"Afficher les courses du {day}").click()
    first = page.locator(f"article[data-race='{day}/R1C1']")
    hm = (now + timedelta(hours=1)).astimezone(PARIS).strftime("%H:%M")
    expect(first).to_contain_text(f"Départ à {hm} (heure de Paris)")
    expect(first.locator("table.runners tbody tr")).to_have_count(10)
    page.screenshot(path=str(screens / "admin-programme.png"), full_page=True)
    assert accessibility_problems(page) == []

    race = f"{day}/R1C1"
    sell(server, race, [("SIMPLE_GAGNANT", [3], 500), ("SIMPLE_GAGNANT", [5], 1500),
                        ("SIMPLE_GAGNANT", [7], 1000), ("COUPLE_GAGNANT", [3, 5], 200)])

    # the pools: live totals and odds, then close now with a reason
    page.get_by_role("link", name="Masses").click()
    row = page.locator(f"#pools-live tr[data-race='{race}']")
    expect(row.locator("[data-role='closing']")).to_contain_text(
        f"fermeture automatique à {hm}, heure de Paris")
    expect(row.locator("[data-role='totals']")).to_contain_text("Simple gagnant : 30,00 €")
    expect(row.locator("[data-role='odds']")).to_contain_text("n° 3 :")
    actions = page.locator(f"table.actions tr[data-race='{race}']")
    actions.get_by_role("button", name="Fermer maintenant").click()
    expect(page.locator("[data-role='error']")).to_contain_text("Indiquez un motif")
    actions = page.locator(f"table.actions tr[data-race='{race}']")
    actions.get_by_label("Motif pour R1C1").fill("Orage sur la piste")
    actions.get_by_role("button", name="Fermer maintenant").click()
    expect(page.locator("[data-role='message']")).to_contain_text("R1C1 : paris fermés")
    expect(page.locator(f"#pools-live tr[data-race='{race}'] [data-role='state']")) \
        .to_have_text("fermée")
    page.screenshot(path=str(screens / "admin-pools.png"), full_page=True)
    assert accessibility_problems(page) == []

    # the result: a dead heat for second, previewed, published, then official
    page.get_by_role("link", name="Résultats").click()
    page.get_by_role("link", name="Saisir ou voir R1C1").click()
    page.get_by_label("Arrivée").fill("3, 5=7, 1")
    page.get_by_role("button", name="Prévisualiser les rapports").click()
    preview = page.locator("[data-role='preview']")
    expect(preview).to_contain_text("rien n'est encore publié")
    expect(preview.locator("[data-role='arrival']")).to_have_text("3 – 5=7 – 1")
    expect(preview.locator("table[data-bet-type='SIMPLE_GAGNANT']")).to_contain_text("Gagnant")
    expect(preview.locator("table[data-bet-type='COUPLE_GAGNANT']")).to_contain_text(
        "Couplé gagnant")
    page.screenshot(path=str(screens / "admin-results-preview.png"), full_page=True)
    assert accessibility_problems(page) == []
    expect(page.locator(f"tr[data-race='{race}'] [data-role='result-state']")).to_have_text("—")
    page.get_by_role("button", name="Confirmer la publication (résultat provisoire)").click()
    expect(page.locator("[data-role='published']")).to_contain_text(
        "Rapports publiés — provisoires")
    page.get_by_role("button", name="Déclarer officiel…").click()
    page.get_by_role("button", name="Confirmer : résultat officiel").click()
    published = page.locator("[data-role='published']")
    expect(published).to_contain_text("Rapports publiés — officiels")
    expect(published.locator("table[data-bet-type='SIMPLE_GAGNANT'] [data-role='dividend']")
           ).to_have_count(1)
    expect(published.locator("table[data-bet-type='SIMPLE_GAGNANT']")).to_contain_text("€")
    expect(page.locator(f"tr[data-race='{race}'] [data-role='result-state']")) \
        .to_have_text("officiel")
    page.screenshot(path=str(screens / "admin-results.png"), full_page=True)
    assert accessibility_problems(page) == []
