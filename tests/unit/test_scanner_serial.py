"""A serial scanner read through a real pseudo-terminal (pyserial on the slave side)."""
from __future__ import annotations

import threading
import time

import pytest

from device_drivers import open_scanner
from device_drivers.scanner_sim import SimulatedSerialScanner

CODE = "000042000000017123456780"


@pytest.fixture
def sim():
    with SimulatedSerialScanner() as scanner:
        yield scanner


@pytest.fixture
def scanner(sim):
    opened = open_scanner(sim.uri)
    yield opened
    opened.close()


def test_reads_one_code(sim, scanner):
    sim.scan(CODE)
    assert scanner.read(timeout=2) == CODE


def test_nothing_scanned_gives_none_after_the_timeout(scanner):
    start = time.monotonic()
    assert scanner.read(timeout=0.2) is None
    assert 0.15 < time.monotonic() - start < 1.0


def test_codes_come_one_at_a_time_in_order(sim, scanner):
    sim.send_raw(b"111\r222\r\n333\n")
    got = [scanner.read(1), scanner.read(1), scanner.read(1), scanner.read(0.1)]
    assert got == ["111", "222", "333", None]


def test_a_code_split_across_reads_is_joined(sim, scanner):
    sim.send_raw(CODE[:10].encode())
    assert scanner.read(0.2) is None
    sim.send_raw(CODE[10:].encode() + b"\r")
    assert scanner.read(1) == CODE


def test_spaces_around_a_code_are_stripped(sim, scanner):
    sim.send_raw(b"  1234 \r")
    assert scanner.read(1) == "1234"


def test_garbage_is_reported_not_returned(sim, scanner):
    sim.send_raw(b"\xff\xfe\x01\x9b12\r")
    sim.scan(CODE)
    assert scanner.read(1) == CODE
    assert [r.code for r in scanner.rejected] == ["scan_unreadable"]
    assert "illisible" in scanner.rejected[0].message and scanner.rejected[0].raw.startswith(b"\xff")


def test_oversized_line_is_reported_and_skipped_whole(sim, scanner):
    sim.send_raw(b"9" * 500)                 # no suffix yet: longer than maxlen already
    assert scanner.read(0.3) is None
    sim.send_raw(b"9" * 100 + b"\r")        # the end of that same line
    sim.scan(CODE)
    assert scanner.read(1) == CODE
    assert [r.code for r in scanner.rejected] == ["scan_too_long"]
    assert "trop long" in scanner.rejected[0].message


def test_maxlen_is_configurable(sim):
    scanner = open_scanner(sim.uri + "&maxlen=8")
    sim.send_raw(b"123456789\r12345678\r")
    assert scanner.read(1) == "12345678"
    assert scanner.rejected[0].code == "scan_too_long"
    scanner.close()


def test_tab_suffix():
    with SimulatedSerialScanner(suffix="TAB") as sim:
        scanner = open_scanner(sim.uri)
        sim.scan("42")
        sim.scan("43")
        assert [scanner.read(1), scanner.read(1)] == ["42", "43"]
        scanner.close()


def test_background_reader_calls_back_for_each_code(sim, scanner):
    got, done = [], threading.Event()

    def on_code(code):
        got.append(code)
        if len(got) == 2:
            done.set()
    scanner.start(on_code)
    sim.scan("1111")
    sim.scan("2222")
    assert done.wait(3)
    scanner.stop()
    assert got == ["1111", "2222"]


def test_a_failing_callback_does_not_stop_the_reader(sim, scanner):
    got, done = [], threading.Event()

    def on_code(code):
        got.append(code)
        if code == "boom":
            raise RuntimeError("handler bug")
        done.set()
    scanner.start(on_code)
    sim.scan("boom")
    sim.scan("1234")
    assert done.wait(3)
    scanner.stop()
    assert got == ["boom", "1234"]


def test_background_reader_reports_rejects_and_an_unplug_once(sim, scanner):
    errors, unplugged = [], threading.Event()

    def on_error(error):
        errors.append(error.code)
        if error.code == "scanner_disconnected":
            unplugged.set()
    scanner.start(lambda code: None, on_error)
    sim.send_raw(b"\x00\x01\x02\r")
    time.sleep(0.3)
    sim.unplug()
    assert unplugged.wait(3)
    time.sleep(1.5)                          # a reconnect attempt or two, silently
    scanner.stop()
    assert errors == ["scan_unreadable", "scanner_disconnected"]
