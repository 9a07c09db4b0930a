"""Printer truth in the sale flow, on a real terminal process with the sim printer.

The sim printer lives in the terminal process; the test breaks it through the
diagnostics API, as the demo's technician would, and counts what it printed.
"""
from __future__ import annotations

import json

import pytest

from ..devices_support import (
    diagnostics,
    drawer_kicks,
    prints,
    sell,
    set_fault,
    sim_jobs,
    start_device_terminal,
)


@pytest.fixture(scope="module")
def race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "printing", printer="sim:")
    yield t
    t.proc.stop()


@pytest.fixture(autouse=True)
def healthy_printer(term):
    set_fault(term, "none")
    yield
    set_fault(term, "none")


@pytest.mark.parametrize("fault, state, words", [
    ("none", "ok", "Imprimante prête"),
    ("paper_low", "paper_low", "Papier bientôt épuisé"),
    ("paper_out", "paper_out", "Plus de papier"),
    ("cover_open", "cover_open", "Capot de l'imprimante ouvert"),
    ("offline", "offline", "Imprimante hors ligne"),
    ("no_answer", "unknown", "L'imprimante ne répond pas"),
])
def test_status_shows_the_printer_state_in_french(term, fault, state, words):
    set_fault(term, fault)
    printer = term.status()["printer"]
    assert printer["state"] == state and words in printer["message"]


def test_paper_out_before_the_ticket_holds_the_sale_until_it_prints_once(term, server, race):
    set_fault(term, "paper_out")
    status, bet = sell(term, race, horse=2)
    assert status == 201 and bet["status"] == "accepted"          # the bet exists...
    assert bet["held"] is True and bet["printed"] is False        # ...its ticket does not, and it says so
    assert "Plus de papier" in bet["print_error"]
    assert server.api("GET", f"/api/tickets/{bet['ticket']}")[0] == 200
    assert term.status()["held"] >= 1

    status, retry = term.api("POST", f"/api/bets/{bet['uuid']}/print")
    assert status == 200 and retry["ok"] is False and retry["held"] is True

    set_fault(term, "none")                                        # new roll
    status, done = term.api("POST", f"/api/bets/{bet['uuid']}/print")
    assert status == 200 and done["ok"] is True and done["printed"] is True and not done["held"]
    term.api("POST", f"/api/bets/{bet['uuid']}/print")            # asked again: nothing more

    attempts = prints(term, bet["uuid"])
    assert [a["result"] for a in attempts] == ["failed", "failed", "printed"]
    assert {a["kind"] for a in attempts} == {"original"}
    assert len({a["job_id"] for a in attempts}) == 1               # every retry is the same job
    assert attempts[0]["error_code"] == "paper_out"
    printed = sim_jobs(term, attempts[0]["job_id"])
    assert len(printed) == 1 and printed[0]["barcodes"] == [bet["ticket"]]


def test_paper_running_out_during_the_ticket_holds_the_sale_and_the_retry_reuses_the_job(term, race):
    set_fault(term, "paper_out", during_next_job=True)
    assert term.status()["printer"]["state"] == "ok"               # ready when the job starts
    status, bet = sell(term, race, horse=4)
    assert status == 201 and bet["held"] is True
    assert "Impression interrompue" in bet["print_error"] and "Plus de papier" in bet["print_error"]
    job_id = prints(term, bet["uuid"])[0]["job_id"]
    half = sim_jobs(term, job_id)
    assert len(half) == 1 and not half[0]["complete"] and not half[0]["barcodes"]
    assert term.status()["printer"]["state"] == "paper_out"

    set_fault(term, "none")
    status, done = term.api("POST", f"/api/bets/{bet['uuid']}/print")
    assert done["printed"] is True
    jobs = sim_jobs(term, job_id)
    complete = [j for j in jobs if j["complete"]]
    assert len(jobs) == 2 and len(complete) == 1 and complete[0]["barcodes"] == [bet["ticket"]]
    assert [a["error_code"] for a in prints(term, bet["uuid"])] == ["print_interrupted", None]


@pytest.mark.parametrize("fault, code, words", [
    ("no_answer", "printer_no_answer", "ne répond pas"),
    ("offline", "printer_offline", "hors ligne"),
    ("cover_open", "cover_open", "Capot"),
])
def test_a_printer_that_cannot_print_holds_the_sale_with_its_reason(term, race, fault, code, words):
    before = len(sim_jobs(term))
    set_fault(term, fault)
    status, bet = sell(term, race, horse=5)
    assert status == 201 and bet["held"] is True and words in bet["print_error"]
    assert prints(term, bet["uuid"])[0]["error_code"] == code
    assert len(sim_jobs(term)) == before                           # nothing at all came out
    status, held = term.api("GET", "/api/held")
    assert bet["uuid"] in [b["uuid"] for b in held["bets"]]


def test_reprint_is_a_marked_duplicata_with_its_own_recorded_job(term, race):
    status, bet = sell(term, race, horse=6)
    assert status == 201 and bet["printed"] is True
    status, again = term.api("POST", f"/api/bets/{bet['uuid']}/print", {"reprint": True})
    assert status == 200 and again["ok"] is True
    original, reprint = prints(term, bet["uuid"])
    assert (original["kind"], reprint["kind"]) == ("original", "reprint")
    assert original["job_id"] != reprint["job_id"] and reprint["result"] == "printed"
    first, = sim_jobs(term, original["job_id"])
    second, = sim_jobs(term, reprint["job_id"])
    assert "DUPLICATA" not in "\n".join(first["lines"])
    assert second["lines"][0].strip() == "DUPLICATA" and second["lines"][-1].strip() == "DUPLICATA"
    assert second["barcodes"] == first["barcodes"] == [bet["ticket"]]


def test_no_duplicata_before_the_original_is_printed(term, race):
    set_fault(term, "paper_out")
    status, bet = sell(term, race, horse=7)
    set_fault(term, "none")
    status, answer = term.api("POST", f"/api/bets/{bet['uuid']}/print", {"reprint": True})
    assert status == 409 and answer["error"] == "not_printed" and "original" in answer["message"]
    assert all(a["kind"] == "original" for a in prints(term, bet["uuid"]))


def test_held_sale_is_voided_through_the_server_and_never_printed(term, server, race):
    set_fault(term, "offline")
    status, bet = sell(term, race, horse=8, stake=300)
    assert bet["held"] is True
    kicks = drawer_kicks(term)
    set_fault(term, "none")
    status, voided = term.api("POST", f"/api/bets/{bet['uuid']}/void")
    assert status == 200 and voided["refund_cents"] == 300, voided
    assert "rendez 3,00 €" in voided["message"]
    assert drawer_kicks(term) == kicks + 1                         # the stake goes back in cash
    status, found = term.api("GET", f"/api/bets/{bet['uuid']}")
    assert found["cancelled"] is True and found["held"] is False
    status, answer = term.api("POST", f"/api/bets/{bet['uuid']}/print")
    assert status == 409 and answer["error"] == "cancelled"
    assert not sim_jobs(term, prints(term, bet["uuid"])[0]["job_id"])
    status, inquiry = term.api("POST", f"/api/tickets/{bet['ticket']}/inquire")
    assert inquiry["status"] == "cancelled"
    status, again = term.api("POST", f"/api/bets/{bet['uuid']}/void")
    assert status == 409 and again["error"] == "already_cancelled"


def test_drawer_opens_on_cash_sales_not_card_and_can_be_switched_off(term, race):
    kicks = drawer_kicks(term)
    assert sell(term, race, horse=9)[0] == 201                     # cash is the default
    assert drawer_kicks(term) == kicks + 1
    assert sell(term, race, horse=9, payment="card")[0] == 201
    assert drawer_kicks(term) == kicks + 1
    status, answer = sell(term, race, horse=9, payment="chèque")
    assert status == 422 and answer["reason"] == "unknown_payment"
    assert term.api("POST", "/api/diagnostics/drawer-setting", {"enabled": False})[0] == 200
    try:
        assert sell(term, race, horse=9)[0] == 201
        assert drawer_kicks(term) == kicks + 1
        assert term.status()["drawer"] == {"enabled": False}
    finally:
        term.api("POST", "/api/diagnostics/drawer-setting", {"enabled": True})


def test_unknown_fault_is_refused_in_french(term):
    status, answer = term.api("POST", "/api/diagnostics/printer-fault", {"fault": "on_fire"})
    assert status == 422 and "Panne simulée inconnue" in answer["message"]
    assert diagnostics(term)["printer"]["state"] == "ok"
