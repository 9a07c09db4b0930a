"""The terminal's link to the central server, as the services see it.

The sync client exists only once the terminal is enrolled (at start, or
right after the setup page); `Link` is what the services hold from the start,
and it answers for the client whether there is one yet or not.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from betting.protocol import OfflinePolicy

from .live import Live
from .outbox import Outbox
from .race_card import Programme
from .settings import Settings
from .sync import ServerUnavailable, SyncClient, queue_z_report, z_report_message


class Link:
    def __init__(self, settings: Settings, outbox: Outbox, programme: Programme,
                 printer_state: Callable[[], dict], version: str = "") -> None:
        self._settings, self._outbox, self._programme = settings, outbox, programme
        self._printer_state = printer_state
        self._version = version
        self.client: SyncClient | None = None
        self.live = Live()  # what the server pushes for the screen (odds, closings, results)

    def start(self) -> None:
        """Start the sync client once the terminal is enrolled (a second call does nothing)."""
        if self._settings.enrolled and self.client is None:
            self.client = SyncClient(self._settings, self._outbox, self._programme,
                                     self._printer_state, self._version, live=self.live)
            self.client.start()

    def stop(self) -> None:
        self.live.close()
        if self.client:
            self.client.stop()

    @property
    def online(self) -> bool:
        return bool(self.client and self.client.online)

    @property
    def disabled(self) -> bool:
        """Disabled by the operator, as last told by the server (kept on disk)."""
        if self.client is not None:
            return self.client.disabled
        return self._settings.get("disabled") == "1"

    @property
    def clock_offset_s(self) -> float | None:
        return self.client.clock_offset_s if self.client else None

    @property
    def policy(self) -> OfflinePolicy | None:
        """The offline rule last received from the server (none before the first link)."""
        return self.client.policy if self.client else None

    def server_now(self) -> datetime:
        """The server's time as this terminal best knows it (this machine's clock
        before the sync client exists)."""
        return self.client.clock.now() if self.client else datetime.now(timezone.utc)

    def send(self, uuid: str, timeout: float) -> dict | None:
        """Hand a new outbox entry to the sync thread and wait up to `timeout` seconds
        for the server's answer; the entry as it then stands."""
        self.client.wake()
        return self.client.wait_for_answer(uuid, timeout)

    def request(self, event: str, payload: dict, timeout: float) -> dict:
        """The server's ack to `event`; raises ServerUnavailable (sync.py)."""
        if self.client is None:
            raise ServerUnavailable("offline")
        return self.client.request(event, payload, timeout)

    def send_z_report(self, report: dict, ledger: dict) -> None:
        """Hand a closed till's Z report (and the day's figures the till compared,
        `ledger`) to the server: at once when online, else once the link is back;
        kept on disk until the server has it."""
        terminal_id = self._settings.get("terminal_id")
        if not self._settings.enrolled or not terminal_id:
            return
        queue_z_report(self._settings, z_report_message(report, ledger, terminal_id))
        if self.client is not None:
            self.client.z_report_queued()
