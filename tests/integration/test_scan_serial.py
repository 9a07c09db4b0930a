"""A serial scanner on a real pseudo-terminal, read by a real terminal process with pyserial.

Bad input on the line (noise, an oversized read, a misread code, the scanner
unplugged, a port that does not exist) gives a state and a French message,
never a crash, and the terminal keeps selling.
"""
from __future__ import annotations

import json

import pytest

from device_drivers.scanner_sim import SimulatedSerialScanner

from ..devices_support import scans, sell, start_device_terminal, wait_until
from ..helpers import run_cli


@pytest.fixture(scope="module")
def race(programme) -> str:
    return f"{json.loads(programme.read_text())['date']}/R1C1"


@pytest.fixture(scope="module")
def scanner(server_store_kind):
    """One scanner per run of the module (it runs once per kind of store, and a
    test unplugs it)."""
    sim = SimulatedSerialScanner(suffix="CR")
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def term(workdir, server, scanner):
    t = start_device_terminal(workdir, server, "serialscan", args=["--scanner", scanner.uri])
    yield t
    t.proc.stop()


@pytest.fixture(scope="module")
def ticket(term, race) -> str:
    status, bet = sell(term, race, horse=3)
    assert status == 201, bet
    return bet["ticket"]


def next_scan(term, after: int) -> dict:
    return wait_until(lambda: (scans(term, after) or [None])[0], timeout=10, what="a scan")


def last_id(term) -> int:
    return term.api("GET", "/api/scans")[1]["last_id"]


def test_scanner_reader_is_running(term, scanner):
    state = term.status()["scanner"]
    assert state["state"] == "ok" and state["uri"] == scanner.uri


def test_a_scan_on_the_serial_line_reaches_the_terminal(term, scanner, ticket):
    after = last_id(term)
    scanner.scan(ticket)
    event = next_scan(term, after)
    assert event["ok"] is True and event["code"] == ticket and event["source"] == "serial"
    assert "Ticket lu" in event["message"]


def test_a_misread_code_is_refused_by_its_check_digit(term, scanner, ticket):
    wrong = ticket[:-1] + str((int(ticket[-1]) + 1) % 10)
    after = last_id(term)
    scanner.scan(wrong)
    event = next_scan(term, after)
    assert event["ok"] is False and event["error"] == "invalid_ticket_code"
    assert "mal lu" in event["message"]
    status, answer = term.api("POST", f"/api/tickets/{wrong}/inquire")
    assert status == 422 and answer["error"] == "invalid_ticket_code"


def test_garbage_on_the_line_is_reported_and_the_next_scan_works(term, scanner, ticket):
    after = last_id(term)
    scanner.send_raw(b"\x00\xff\x13\x1b@noise\xfe\r")
    event = next_scan(term, after)
    assert event["ok"] is False and event["error"] == "scan_unreadable"
    assert "illisible" in event["message"]
    scanner.scan(ticket)
    assert next_scan(term, event["id"])["code"] == ticket


def test_an_oversized_scan_is_refused_and_the_next_scan_works(term, scanner, ticket):
    after = last_id(term)
    scanner.send_raw(b"7" * 5000 + b"\r")
    event = next_scan(term, after)
    assert event["ok"] is False and event["error"] == "scan_too_long"
    assert "trop long" in event["message"]
    scanner.scan(ticket)
    assert next_scan(term, event["id"])["code"] == ticket
    assert term.status()["scanner"]["state"] == "ok"


def test_an_unplugged_scanner_is_said_and_selling_goes_on(term, scanner, race):
    after = last_id(term)
    scanner.unplug()
    event = next_scan(term, after)
    assert event["error"] == "scanner_disconnected" and "débranché" in event["message"]
    state = wait_until(lambda: term.status()["scanner"]["state"] == "disconnected" and term.status(),
                       what="scanner disconnected")
    assert "rebranchez" in state["scanner"]["message"]
    assert sell(term, race, horse=2)[0] == 201


def test_a_port_that_does_not_exist_is_said_and_the_terminal_sells(workdir, server, race):
    term = start_device_terminal(workdir, server, "noport",
                                 args=["--scanner", "serial:/dev/ttyNOPE42?baudrate=9600"])
    try:
        state = term.status()["scanner"]
        assert state["state"] == "error" and "/dev/ttyNOPE42 introuvable" in state["message"]
        assert sell(term, race, horse=1)[0] == 201
        page = term.api("GET", "/api/diagnostics")[1]
        assert page["scanner"]["state"] == "error"
    finally:
        term.proc.stop()


def test_a_mistyped_scanner_address_stops_the_start_with_one_line(workdir):
    proc = run_cli("terminal", "--data", str(workdir / "typo"), "--port", "1",
                   "--scanner", "serial:/dev/ttyUSB0?baudrat=9600", check=False)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and "baudrat" in proc.stderr
    assert "Traceback" not in proc.stderr
