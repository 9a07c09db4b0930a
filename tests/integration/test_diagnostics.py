"""The diagnostics of a running terminal (page and JSON API) and `guichet terminal diagnose`."""
from __future__ import annotations

import json
import urllib.request

import pytest

from device_drivers.escpos_decode import decode, split_jobs

from ..devices_support import (
    diagnostics,
    drawer_kicks,
    scans,
    sim_jobs,
    start_device_terminal,
    wait_until,
)
from ..helpers import run_cli


@pytest.fixture(scope="module")
def term(workdir, server):
    t = start_device_terminal(workdir, server, "diag", args=["--scanner", "sim:"])
    yield t
    t.proc.stop()


def test_diagnostics_lists_ports_usb_and_device_states(term):
    diag = diagnostics(term)
    assert isinstance(diag["found"]["serial"], list) and isinstance(diag["found"]["usb"], list)
    for port in diag["found"]["serial"]:
        assert port["suggested_uri"].startswith("serial:")
    assert diag["printer"]["uri"] == "sim:" and diag["printer"]["state"] == "ok"
    assert diag["scanner"] == {"uri": "sim:", "state": "ok", "message": "Lecteur de codes-barres prêt."}
    assert diag["drawer"] == {"enabled": True}


def test_test_page_is_printed(term):
    status, answer = term.api("POST", "/api/diagnostics/test-page")
    assert status == 200 and answer["ok"] is True
    page = sim_jobs(term)[-1]
    assert page["kind"] == "test_page" and "PAGE DE TEST" in page["lines"][0]


def test_test_page_refused_by_a_printer_without_paper_says_why(term):
    term.api("POST", "/api/diagnostics/printer-fault", {"fault": "paper_out"})
    try:
        status, answer = term.api("POST", "/api/diagnostics/test-page")
        assert status == 409 and answer["error"] == "paper_out" and "Plus de papier" in answer["message"]
    finally:
        term.api("POST", "/api/diagnostics/printer-fault", {"fault": "none"})


def test_drawer_opens_on_demand_even_when_automatic_opening_is_off(term):
    term.api("POST", "/api/diagnostics/drawer-setting", {"enabled": False})
    try:
        kicks = drawer_kicks(term)
        status, answer = term.api("POST", "/api/diagnostics/drawer")
        assert status == 200 and answer["opened"] is True and drawer_kicks(term) == kicks + 1
    finally:
        term.api("POST", "/api/diagnostics/drawer-setting", {"enabled": True})
    status, answer = term.api("POST", "/api/diagnostics/drawer-setting", {"enabled": "yes"})
    assert status == 400 and "Réglage attendu" in answer["message"]


def test_simulated_scans_show_in_the_last_scans(term):
    after = term.api("GET", "/api/scans")[1]["last_id"]
    assert term.api("POST", "/api/diagnostics/scan", {"code": "12345"})[0] == 200
    event = wait_until(lambda: (scans(term, after) or [None])[0], what="a scan")
    assert event["source"] == "sim" and event["ok"] is False and "24 chiffres" in event["message"]
    assert diagnostics(term)["scans"][0]["id"] == event["id"]


def test_diagnostics_page_shows_states_in_french(term):
    with urllib.request.urlopen(term.url + "/diagnostics", timeout=10) as resp:
        html = resp.read().decode()
    for words in ("Ports série", "Imprimante prête", "Lecteur de codes-barres prêt",
                  "Imprimer une page de test", "Ouvrir le tiroir", "Dernières lectures"):
        assert words in html


def test_faults_and_sim_scans_need_the_simulators(terminal):
    status, answer = terminal.api("POST", "/api/diagnostics/printer-fault", {"fault": "paper_out"})
    assert status == 409 and answer["error"] == "not_simulated" and "simulateur" in answer["message"]
    status, answer = terminal.api("POST", "/api/diagnostics/scan", {"code": "1"})
    assert status == 409 and answer["error"] == "not_simulated"
    assert diagnostics(terminal)["simulator"] is None


def test_cli_diagnose_prints_a_test_page_and_kicks_the_drawer(tmp_path):
    out = tmp_path / "diag.bin"
    proc = run_cli("terminal", "diagnose", "--data", str(tmp_path / "none"),
                   "--printer", f"file:{out}", "--test-page", "--open-drawer")
    assert "Serial ports:" in proc.stdout and "USB devices:" in proc.stdout
    assert f"Printer file:{out}: ok — Imprimante prête." in proc.stdout
    assert "Test page: sent" in proc.stdout and "Drawer kick: sent" in proc.stdout
    jobs = [decode(job) for job in split_jobs(out.read_bytes())]
    assert "PAGE DE TEST" in jobs[0].text and sum(j.drawer_kicks for j in jobs) == 1


def test_cli_diagnose_reads_the_terminal_configuration(term):
    proc = run_cli("terminal", "diagnose", "--data", str(term.data), "--json")
    report = json.loads(proc.stdout)
    assert report["printer"]["uri"] == "sim:" and report["scanner"]["uri"] == "sim:"
    assert report["printer"]["state"] == "ok" and report["failures"] == []


def test_cli_diagnose_failures_are_one_line(tmp_path):
    proc = run_cli("terminal", "diagnose", "--printer", f"file:{tmp_path}/no/dir.bin",
                   "--data", str(tmp_path), "--test-page", check=False)
    assert proc.returncode == 1 and "Test page: NOT printed" in proc.stdout
    assert proc.stderr.count("\n") == 1 and "printer_offline" in proc.stderr
    proc = run_cli("terminal", "diagnose", "--printer", "lpt:1", "--data", str(tmp_path), check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: printer 'lpt:1' unusable")
    assert "Traceback" not in proc.stderr
