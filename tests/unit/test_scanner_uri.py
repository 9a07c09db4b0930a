"""Scanner URIs, the keyboard wedge and the in-memory `sim:` scanner."""
from __future__ import annotations

import threading
import time

import pytest

from device_drivers import DeviceConfigError, open_scanner
from device_drivers.scanner import SerialScanner, WedgeScanner
from device_drivers.scanner_sim import SimulatedSerialScanner, reset_simulated_scanners, simulated_scanner


@pytest.fixture(autouse=True)
def fresh_simulators():
    reset_simulated_scanners()
    yield
    reset_simulated_scanners()


def test_missing_serial_port_is_a_config_error_in_french():
    with pytest.raises(DeviceConfigError) as err:
        open_scanner("serial:/dev/ttyUSB_NOPE?baudrate=9600&suffix=CR")
    assert err.value.code == "serial_port_not_found"
    assert "introuvable" in err.value.message and "/dev/ttyUSB_NOPE" in err.value.message


@pytest.mark.parametrize("uri, code", [
    ("", "bad_device_uri"),
    ("usb:0x1:0x2", "unknown_device_scheme"),
    ("serial:", "bad_device_uri"),
    ("serial:/dev/ttyUSB0?suffix=ETX", "bad_device_uri"),
    ("serial:/dev/ttyUSB0?baudrate=9601", "bad_device_uri"),
    ("serial:/dev/ttyUSB0?maxlen=2", "bad_device_uri"),
    ("serial:/dev/ttyUSB0?profile=TM-T88V", "unknown_device_parameter"),
    ("wedge?suffix=CR", "bad_device_uri"),
    ("sim:?baudrate=9600", "bad_device_uri"),
])
def test_bad_scanner_uris(uri, code):
    with pytest.raises(DeviceConfigError) as err:
        open_scanner(uri)
    assert err.value.code == code and err.value.message.startswith("Adresse de périphérique invalide")


def test_serial_uri_parameters_reach_the_scanner():
    with SimulatedSerialScanner(suffix="CRLF", baudrate=19200) as sim:
        scanner = open_scanner(sim.uri + "&maxlen=30")
        assert isinstance(scanner, SerialScanner)
        assert (scanner.baudrate, scanner.suffix, scanner.maxlen) == (19200, "CRLF", 30)
        sim.scan("42")
        assert scanner.read(1) == "42"
        scanner.close()


def test_wedge_reads_nothing_on_the_python_side():
    scanner = open_scanner("wedge")
    assert isinstance(scanner, WedgeScanner) and scanner.reads_in_browser
    start = time.monotonic()
    assert scanner.read(0.1) is None and time.monotonic() - start >= 0.09
    scanner.start(lambda code: None)
    scanner.stop()


def test_sim_scanner_returns_what_is_scanned():
    scanner = open_scanner("sim:")
    assert scanner is simulated_scanner() and not scanner.reads_in_browser
    assert scanner.read(0) is None
    scanner.scan(" 000042000000017123456780 ")
    assert scanner.read(1) == "000042000000017123456780"
    assert open_scanner("sim:caisse2") is not scanner


def test_sim_scanner_background_reader():
    scanner = open_scanner("sim:")
    got, done = [], threading.Event()
    scanner.start(lambda code: (got.append(code), done.set()))
    scanner.scan("1234")
    assert done.wait(2)
    scanner.stop()
    assert got == ["1234"]


def test_starting_twice_is_refused():
    scanner = open_scanner("sim:")
    scanner.start(lambda code: None)
    try:
        with pytest.raises(DeviceConfigError):
            scanner.start(lambda code: None)
    finally:
        scanner.stop()
