"""Building the terminal's services once, each with what it uses.

`create_app` calls `bootstrap(data_dir)` and keeps the result in
`app.extensions["guichet.terminal"]`; the blueprints take the one service a
route needs from it. Nothing below reaches into another service's parts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .adapters.link import Link
from .adapters.shop_devices import Devices
from .adapters.store import TerminalStore
from .services.print_jobs import TicketPrinter
from .services.sales import Sales
from .services.scans import ScanFeed
from .services.ticket_desk import TicketDesk
from .services.clerks import Clerks
from .services.till import Till


@dataclass
class Services:
    store: TerminalStore     # the data folder: one owner per table
    devices: Devices         # printer, scanner feed, cash drawer
    link: Link               # the sync client, once enrolled
    printer: TicketPrinter   # tickets of sold bets, held sales
    sales: Sales             # selling one bet, or a basket of them
    tickets: TicketDesk      # inquire, pay, cancel
    clerks: Clerks           # clerks, PINs, managers' approvals
    till: Till               # the shift, cash in and out, X and Z reports

    def start_sync(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()
        self.devices.stop()

    @property
    def online(self) -> bool:
        return self.link.online

    def status(self) -> dict:
        """What the status bar and `GET /api/status` show."""
        settings, outbox = self.store.settings, self.store.outbox
        return {
            "terminal_id": settings.get("terminal_id"),
            "outlet": settings.get("outlet"),
            "enrolled": settings.enrolled,
            "online": self.link.online,
            "disabled": self.link.disabled,
            "queue_depth": outbox.queue_depth(),
            **outbox.counts(),
            "printer": self.devices.printer_state(),
            "server_time_offset_s": self.link.clock_offset_s,
            "scanner": self.devices.scanner_state(),
            "drawer": {"enabled": self.devices.drawer_enabled},
            "held": len(outbox.held()),
        }


def bootstrap(data_dir: str | Path, version: str = "") -> Services:
    store = TerminalStore(data_dir)
    devices = Devices(store.settings, ScanFeed())
    link = Link(store.settings, store.outbox, store.programme, devices.printer_state, version)
    printer = TicketPrinter(store.outbox, store.prints, store.programme, store.settings, devices)
    clerks = Clerks(store.database)
    tickets = TicketDesk(link, store.outbox, store.ticket_ops, devices, clerks)
    return Services(
        store=store, devices=devices, link=link, printer=printer,
        sales=Sales(store.settings, store.programme, store.outbox, link, printer, devices,
                    tickets),
        tickets=tickets,
        clerks=clerks, till=Till(store.database, store.settings, devices, link),
    )
