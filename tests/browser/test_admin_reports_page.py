"""« Rapports » in real Chromium on a real server process: an auditor logs in, opens the
day's reports, sees the stakes chart of a race and its table, and a terminal whose Z
report disagrees with the ledger marked « écart »; the screen is kept and checked with
axe-core."""
from __future__ import annotations

import json
import uuid as uuidlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services.reports import paris_today

from ..admin_support import PASSWORD, add_user_cli
from ..helpers import start_server
from ..integration.socket_client import connect, enrol_another
from .a11y import accessibility_problems


def iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def day_server(workdir):
    """A server whose first race runs in about 10 minutes (its stakes fall in the chart)."""
    day = paris_today(utcnow())
    post = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=11)
    path = workdir / "reports-programme.json"
    path.write_text(json.dumps({"format": "guichet-programme", "version": 1,
                                "date": day.isoformat(), "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": 1, "name": "PRIX DES RAPPORTS", "post_time": iso(post),
             "runners": [{"number": r, "name": f"CHEVAL {r}"} for r in range(1, 11)],
             "bet_types": [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100}]}]}]}))
    srv = start_server(workdir, path, name="reports-server", db=workdir / "reports.db")
    yield srv, day
    srv.proc.stop()


def test_an_auditor_sees_the_chart_and_the_difference(page, day_server, workdir, screens):
    server, day = day_server
    race = f"{day}/R1C1"
    terminal_id, key = enrol_another(server, "Bar des Sports")
    client = connect(server.url, terminal_id, key)
    try:
        bets = [{"uuid": str(uuidlib.uuid4()), "seq": seq, "placed_at": iso(utcnow()),
                 "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                 "selections": [horse], "bases": [], "unit_stake_cents": cents,
                 "total_cents": cents, "offline": False}
                for seq, horse, cents in ((1, 3, 500), (2, 4, 1_500))]
        ack = client.call("place_bets", {"bets": bets}, namespace=NAMESPACE, timeout=10)
        assert [r["status"] for r in ack["results"]] == ["accepted", "accepted"]
        # the terminal's Z report says 25,00 € of sales where the server holds 20,00 €
        now = utcnow()
        stored = client.call("z_report", {
            "report_id": str(uuidlib.uuid4()), "day": day.isoformat(),
            "figures": {"sales_count": 3, "sales_cents": 2_500, "cancellations_count": 0,
                        "cancellations_cents": 0, "payouts_count": 0, "payouts_cents": 0,
                        "refunds_count": 0, "refunds_cents": 0},
            "shift": {"id": 1, "opened_at": iso(now - timedelta(hours=1)), "closed_at": iso(now),
                      "float_cents": 5_000, "sales_cash_cents": 2_500, "sales_card_cents": 0,
                      "expected_cents": 7_500, "counted_cents": 7_500}},
            namespace=NAMESPACE, timeout=10)
        assert stored["ok"] and stored["stored"], stored
    finally:
        client.disconnect()

    add_user_cli(server.db, "audrey", "auditor", workdir)
    page.goto(server.url + "/admin/reports")
    page.get_by_label("Nom").fill("audrey")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=f"Rapports du {day}")).to_be_visible()
    expect(page.get_by_role("link", name="Rapports")).to_have_attribute("aria-current", "page")

    row = page.locator(f"[data-role='z-row'][data-terminal='{terminal_id}']")
    expect(row).to_have_class("ecart")
    expect(row.locator("[data-role='z-status']")).to_have_text("écart")
    expect(row.locator("[data-role='z-diff']")).to_contain_text("écart 5,00 €")
    day_row = page.locator(f"[data-role='report-row'][data-key='{terminal_id}']")
    expect(day_row).to_contain_text("20,00 €")

    chart = page.locator(f"[data-role='stakes-chart'][data-race='{race}']")
    expect(chart.get_by_role("img")).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(1)
    expect(chart.locator("figcaption")).to_contain_text("20,00 €, 2 paris")
    table = chart.locator("[data-role='stakes-table'] table")
    expect(table).to_be_hidden()
    chart.get_by_text("Voir les chiffres de R1C1 en tableau").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(30)
    expect(table.locator("tbody tr").filter(has_text="20,00 €")).to_have_count(1)

    assert accessibility_problems(page) == []
    page.screenshot(path=str(screens / "admin-reports.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("[data-role='report-csv']").click()
    assert download.value.suggested_filename == f"guichet-rapport-{day}-terminal.csv"
