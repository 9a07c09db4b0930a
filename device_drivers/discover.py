"""What is plugged in, for the technician's diagnostics page and CLI.

Read-only and forgiving: a machine with no serial port, no /sys, no pyusb or
a device that refuses to be described gives an empty list or a partial
entry, never an exception. Each entry suggests the URI to paste into the
setup page.
"""
from __future__ import annotations

import glob
import os
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FoundDevice:
    kind: str              # "serial" or "usb"
    address: str           # /dev/ttyUSB0, or 04b8:0e15
    description: str
    suggested_uri: str
    printer_class: bool = False    # a USB printer interface (class 7)

    def to_dict(self) -> dict:
        return asdict(self)


def serial_ports() -> list[FoundDevice]:
    try:
        from serial.tools import list_ports
        ports = list(list_ports.comports())
    except Exception:               # pyserial backends probe the OS in many ways; none may stop us
        return []
    found = []
    for port in sorted(ports, key=lambda p: p.device):
        description = port.description if port.description and port.description != "n/a" else ""
        if port.vid is not None:
            description = f"{description} [{port.vid:04x}:{port.pid or 0:04x}]".strip()
        found.append(FoundDevice("serial", port.device, description or "port série",
                                 f"serial:{port.device}?baudrate=9600"))
    return found


def usb_devices(sysfs: str = "/sys") -> list[FoundDevice]:
    found = _usb_from_sysfs(sysfs)
    return found if found or sysfs != "/sys" else _usb_from_pyusb()


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _usb_from_sysfs(sysfs: str) -> list[FoundDevice]:
    found = []
    for device in sorted(glob.glob(os.path.join(sysfs, "bus/usb/devices/*"))):
        vendor, product = _read(os.path.join(device, "idVendor")), _read(os.path.join(device, "idProduct"))
        if not vendor or not product:
            continue                # interfaces and root hubs' ports have no ids
        name = " ".join(x for x in (_read(os.path.join(device, "manufacturer")),
                                    _read(os.path.join(device, "product"))) if x)
        interfaces = glob.glob(os.path.join(device, os.path.basename(device) + ":*", "bInterfaceClass"))
        is_printer = any(_read(path) == "07" for path in interfaces)
        found.append(FoundDevice("usb", f"{vendor}:{product}", name or "périphérique USB",
                                 f"usb:0x{vendor}:0x{product}", is_printer))
    return found


def _usb_from_pyusb() -> list[FoundDevice]:
    try:
        import usb.core  # type: ignore[import-not-found]
        devices = list(usb.core.find(find_all=True) or [])
    except Exception:               # not installed, no backend, no permission
        return []
    found = []
    for dev in devices:
        try:
            vendor, product = f"{dev.idVendor:04x}", f"{dev.idProduct:04x}"
            is_printer = any(intf.bInterfaceClass == 7 for cfg in dev for intf in cfg)
        except Exception:
            continue
        found.append(FoundDevice("usb", f"{vendor}:{product}", "périphérique USB",
                                 f"usb:0x{vendor}:0x{product}", is_printer))
    return found


def discover(sysfs: str = "/sys") -> dict:
    """Everything at once, as JSON-ready dicts."""
    return {"serial": [d.to_dict() for d in serial_ports()],
            "usb": [d.to_dict() for d in usb_devices(sysfs)]}
