"""Printer URIs and the real transports: file, serial (pseudo-terminal), tcp (loopback), usb (usblp node)."""
from __future__ import annotations

import os
import time

import pytest

from device_drivers import DeviceConfigError, PrinterNoAnswer, PrinterOffline, TicketLayout, open_printer
from device_drivers.transports import FileDevice, SerialDevice, TcpDevice, UsbDevice
from device_drivers.escpos_decode import decode, split_jobs
from device_drivers.fakes import LoopbackPrinter, PtyPrinter
from device_drivers.render import DEFAULT_PROFILE

CODE = "000042000000017123456780"


def layout(code: str = CODE, total: str = "TOTAL 2,00 €") -> TicketLayout:
    return TicketLayout(header=("PMU",), body=("R1C4",), emphasis=(total,), code=code)


def wait_for(predicate, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.mark.parametrize("uri, code", [
    ("", "bad_device_uri"),
    ("lpt:1", "unknown_device_scheme"),
    ("/dev/ttyS0", "unknown_device_scheme"),
    ("serial:", "bad_device_uri"),
    ("serial:/dev/ttyS0?baudrate=1234", "bad_device_uri"),
    ("serial:/dev/ttyS0?baudrate=fast", "bad_device_uri"),
    ("serial:/dev/ttyS0?baudrat=19200", "unknown_device_parameter"),
    ("serial:/dev/ttyS0?flow=magic", "bad_device_uri"),
    ("usb:04b8", "bad_device_uri"),
    ("usb:0xzz:0x0e15", "bad_device_uri"),
    ("tcp:printer.local:9100", "bad_device_uri"),
    ("tcp://printer.local:99999", "bad_device_uri"),
    ("tcp://printer.local:9100?baudrate=9600", "bad_device_uri"),
    ("file:", "bad_device_uri"),
    ("file:/tmp/t.bin?profile=TM-NOPE", "unknown_printer_profile"),
    ("file:/tmp/t.bin?codepage=CP999", "unknown_code_page"),
    ("file:/tmp/t.bin?status=maybe", "bad_device_uri"),
    ("sim:?status=none", "bad_device_uri"),
])
def test_bad_uris_are_config_errors_in_french(uri, code):
    with pytest.raises(DeviceConfigError) as err:
        open_printer(uri)
    assert err.value.code == code
    assert err.value.message.startswith(("Adresse de périphérique invalide", "Modèle d'imprimante",
                                         "Page de codes"))


@pytest.mark.parametrize("uri, device_type", [
    ("serial:/dev/ttyS0?baudrate=19200", SerialDevice),
    ("serial:COM3?baudrate=9600&flow=rtscts", SerialDevice),
    ("usb:0x04b8:0x0e15", UsbDevice),
    ("usb:/dev/usb/lp0", UsbDevice),
    ("tcp://printer.local:9100", TcpDevice),
    ("tcp://printer.local", TcpDevice),
    ("file:/tmp/ticket.bin", FileDevice),
    ("file:///tmp/ticket.bin", FileDevice),
])
def test_good_uris_pick_their_transport_without_touching_it(uri, device_type):
    printer = open_printer(uri)
    assert isinstance(printer.device, device_type) and printer.uri == uri
    assert printer.profile == DEFAULT_PROFILE and printer.simulator is None


def test_uri_details_reach_the_transport():
    serial_dev = open_printer("serial:/dev/ttyS0?baudrate=19200&flow=xonxoff").device
    assert (serial_dev.port, serial_dev.baudrate, serial_dev.flow) == ("/dev/ttyS0", 19200, "xonxoff")
    tcp = open_printer("tcp://printer.local").device
    assert (tcp.host, tcp.port) == ("printer.local", 9100)
    usb = open_printer("usb:0x04b8:0x0e15").device
    assert (usb.vendor, usb.product) == (0x04B8, 0x0E15)
    assert open_printer("file:///tmp/t.bin?profile=TM-T20II").profile == "TM-T20II"


def test_file_printer_appends_each_job(tmp_path):
    path = tmp_path / "tickets.bin"
    path.write_bytes(b"")
    printer = open_printer(f"file:{path}")
    assert printer.status().state == "ok"
    printer.print_ticket(layout(), "j-1")
    first = path.read_bytes()
    printer.print_ticket(layout(code="276427642764276427642764", total="TOTAL 4,00 €"), "j-2")
    printer.print_ticket(layout(), "j-1")             # already printed: not appended
    data = path.read_bytes()
    assert data.startswith(first) and len(data) > len(first)
    jobs = [decode(job) for job in split_jobs(data)]   # code set C "27" "64" is ESC @ in data
    assert [job.barcodes[0].payload for job in jobs] == [CODE, "276427642764276427642764"]
    assert "TOTAL 4,00 €" in jobs[1].lines


def test_file_printer_in_a_missing_folder_is_offline(tmp_path):
    printer = open_printer(f"file:{tmp_path}/absent/tickets.bin")
    status = printer.status()
    assert status.state == "offline" and "inaccessible" in status.message
    with pytest.raises(PrinterOffline):
        printer.print_ticket(layout(), "j-1")


def test_serial_printer_through_a_pseudo_terminal():
    with PtyPrinter() as fake:
        printer = open_printer(fake.uri())
        assert printer.status().state == "ok"
        printer.print_ticket(layout(), "j-1")
        assert wait_for(lambda: b"\x1dV\x00" in fake.received)
        assert decode(bytes(fake.received)).barcodes[0].payload == CODE
        for state in ("paper_low", "paper_out", "cover_open", "offline"):
            fake.state = state
            assert printer.status().state == state
        fake.state = "no_answer"
        assert printer.status().state == "unknown"
        with pytest.raises(PrinterNoAnswer):
            printer.print_ticket(layout(), "j-2")
        printer.close()


def test_missing_serial_port_shows_offline_not_a_crash():
    printer = open_printer("serial:/dev/ttyNOPE42?baudrate=19200")
    status = printer.status()
    assert status.state == "offline" and "/dev/ttyNOPE42" in status.message
    with pytest.raises(PrinterOffline):
        printer.print_ticket(layout(), "j-1")


def test_tcp_printer_one_connection_per_operation():
    with LoopbackPrinter() as fake:
        printer = open_printer(fake.uri())
        assert printer.status().state == "ok"
        printer.print_ticket(layout(), "j-1")
        assert wait_for(lambda: b"\x1dV\x00" in fake.received)
        assert decode(bytes(fake.received)).barcodes[0].payload == CODE
        fake.state = "cover_open"
        assert printer.status().state == "cover_open"
        assert fake.connections == 3


def test_unreachable_tcp_printer_is_offline():
    with LoopbackPrinter() as fake:
        uri = fake.uri()
    status = open_printer(uri).status()                # the port is closed now
    assert status.state == "offline" and "injoignable" in status.message


def test_one_way_printer_with_status_none(tmp_path):
    with PtyPrinter() as fake:
        fake.state = "no_answer"
        printer = open_printer(fake.uri(status="none"))
        assert printer.status().state == "ok" and "non vérifié" in printer.status().message
        printer.print_ticket(layout(), "j-1")
        assert wait_for(lambda: b"\x1dV\x00" in fake.received) and not fake.queries


def test_usb_printer_through_its_device_node():
    with PtyPrinter() as fake:                         # a usblp node is a read/write char device too
        printer = open_printer(f"usb:{fake.path}")
        assert printer.status().state == "ok"
        printer.print_ticket(layout(), "j-1")
        assert wait_for(lambda: b"\x1dV\x00" in fake.received)
        printer.close()


def test_usb_printer_found_by_ids_in_sysfs(tmp_path):
    interface = tmp_path / "devices/1-1/1-1:1.0"
    (interface / "usbmisc/lp3").mkdir(parents=True)
    (tmp_path / "devices/1-1/idVendor").write_text("04b8\n")
    (tmp_path / "devices/1-1/idProduct").write_text("0e15\n")
    (tmp_path / "class/usbmisc").mkdir(parents=True)
    os.symlink(interface / "usbmisc/lp3", tmp_path / "class/usbmisc/lp3")
    os.symlink(interface, interface / "usbmisc/lp3/device")
    assert UsbDevice("usb:", 0x04B8, 0x0E15, sysfs=str(tmp_path))._find() == "/dev/usb/lp3"
    other = UsbDevice("usb:", 0x0416, 0x5011, sysfs=str(tmp_path))
    assert other.status().state == "offline" and "0416:5011" in other.status().message
