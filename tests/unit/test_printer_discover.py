"""Device discovery for diagnostics: lists what is there, never crashes."""
from __future__ import annotations

import json

from device_drivers.discover import discover, serial_ports, usb_devices


def make_usb(root, name, vendor, product, interface_class, product_name=None):
    device = root / "bus/usb/devices" / name
    (device / f"{name}:1.0").mkdir(parents=True)
    (device / "idVendor").write_text(vendor + "\n")
    (device / "idProduct").write_text(product + "\n")
    (device / f"{name}:1.0/bInterfaceClass").write_text(interface_class + "\n")
    if product_name:
        (device / "product").write_text(product_name + "\n")


def test_usb_devices_from_sysfs(tmp_path):
    make_usb(tmp_path, "1-1", "04b8", "0e15", "07", "TM-T20II")
    make_usb(tmp_path, "1-2", "05e0", "1200", "03")
    (tmp_path / "bus/usb/devices/usb1").mkdir()            # a root hub without ids: skipped
    found = usb_devices(str(tmp_path))
    assert [(d.address, d.printer_class, d.suggested_uri) for d in found] == [
        ("04b8:0e15", True, "usb:0x04b8:0x0e15"), ("05e0:1200", False, "usb:0x05e0:0x1200")]
    assert found[0].description == "TM-T20II"


def test_nothing_found_is_an_empty_list(tmp_path):
    assert usb_devices(str(tmp_path / "no-sysfs")) == []


def test_discover_is_json_ready_on_this_machine():
    result = discover()
    json.dumps(result)
    assert set(result) == {"serial", "usb"}
    assert all(port.suggested_uri.startswith("serial:") for port in serial_ports())
