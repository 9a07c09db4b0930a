"""`guichet terminal diagnose`: what the technician checks without a browser.

Lists serial ports and USB devices, asks the printer its state, and on request
prints a test page or opens the drawer. The printer is the one saved in the
terminal's configuration, or `--printer URI` to try one before saving it.
While the terminal runs, prefer its diagnostics page: a serial printer or
scanner serves one program at a time.
"""
from __future__ import annotations

from pathlib import Path

from device_drivers.discover import discover
from device_drivers.errors import DeviceError
from device_drivers.printer import open_printer
from guichet.private_files import PRIVATE_DIR, PRIVATE_FILE, SQLITE_COMPANIONS, loose

from ..adapters.database import DB_NAME, LOCK_NAME, Database, TerminalStoreError
from ..adapters.settings import Settings


class DiagnoseError(Exception):
    """One line for the technician (English, the device's French message quoted)."""


def configured(data: str) -> dict:
    """The saved device settings of the terminal in `data`, read-only ({} if none)."""
    database = Database(data, read_only=True)
    if not database.exists:
        return {}
    try:
        return Settings(database).get_many(("printer", "scanner", "drawer"))
    except TerminalStoreError as exc:
        raise DiagnoseError(str(exc)) from None


def diagnose(data: str, printer_uri: str | None = None, test_page: bool = False,
             open_drawer: bool = False) -> dict:
    """Everything found and done, as a JSON-ready dict; `failures` lists what went wrong."""
    settings = configured(data)
    uri = printer_uri or settings.get("printer") or "sim:"
    report = {"found": discover(), "printer": {"uri": uri}, "scanner": {
        "uri": settings.get("scanner") or "wedge"}, "drawer": {
        "enabled": settings.get("drawer", "on") != "off"},
        "permissions": loose_permissions(data), "failures": []}
    try:
        printer = open_printer(uri)
    except DeviceError as exc:
        raise DiagnoseError(f"printer {uri!r} unusable: {exc.code}: {exc.message}") from None
    try:
        report["printer"].update(printer.status().to_dict())
        if test_page:
            report["test_page"] = _attempt(printer.print_test_page, report, "test page")
        if open_drawer:
            report["drawer"]["opened"] = _attempt(printer.open_drawer, report, "drawer")
    finally:
        printer.close()
    return report


def loose_permissions(data: str) -> list[dict]:
    """The data folder and files that other accounts can read (the terminal's key and
    session secret are in terminal.db): each with its mode and the `chmod` that fixes it.
    A running terminal tightens them itself at start; this tells the technician now."""
    folder = Path(data).expanduser()
    db = folder / DB_NAME
    return loose([(folder, PRIVATE_DIR), (db, PRIVATE_FILE)]
                 + [(db.with_name(db.name + suffix), PRIVATE_FILE) for suffix in SQLITE_COMPANIONS]
                 + [(folder / LOCK_NAME, PRIVATE_FILE)])


def _attempt(action, report: dict, what: str) -> bool:
    try:
        action()
    except DeviceError as exc:
        report["failures"].append(f"{what}: {exc.code}: {exc.message}")
        return False
    return True


def lines(report: dict) -> list[str]:
    out = ["Serial ports:"]
    out += [f"  {d['address']}\t{d['description']}\t{d['suggested_uri']}"
            for d in report["found"]["serial"]] or ["  (none)"]
    out.append("USB devices:")
    out += [f"  {d['address']}\t{d['description']}{' (printer)' if d['printer_class'] else ''}"
            f"\t{d['suggested_uri']}" for d in report["found"]["usb"]] or ["  (none)"]
    p = report["printer"]
    out.append(f"Printer {p['uri']}: {p['state']} — {p['message']}")
    if p["uri"].startswith("sim"):
        out.append("  (simulated printer: nothing comes out on paper)")
    out.append(f"Scanner: {report['scanner']['uri']}")
    out.append(f"Drawer on payments and cash sales: {'on' if report['drawer']['enabled'] else 'off'}")
    if "test_page" in report:
        out.append(f"Test page: {'sent' if report['test_page'] else 'NOT printed'}")
    if "opened" in report["drawer"]:
        out.append(f"Drawer kick: {'sent' if report['drawer']['opened'] else 'NOT sent'}")
    for item in report.get("permissions", []):
        out.append(f"WARNING: {item['path']} can be read by other users (mode {item['mode']}, "
                   f"should be {item['expected']}): run `{item['fix']}`")
    return out
