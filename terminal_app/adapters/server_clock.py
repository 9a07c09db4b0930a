"""The central server's clock as this terminal best knows it (heartbeat answers)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable


class ServerClock:
    """The server's time as this terminal best knows it.

    Anchored to the monotonic clock at each heartbeat, so a jump of the
    terminal's wall clock (a bad battery, a manual change) does not move it.
    Before any heartbeat in this process, it falls back to the wall clock
    corrected by the last offset saved on disk.
    """

    def __init__(self, saved_offset_s: float | None = None,
                 wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._wall, self._monotonic = wall, monotonic
        self._anchor: tuple[float, float] | None = None  # (server epoch s, monotonic s)
        self.saved_offset_s = saved_offset_s

    def observe(self, server_epoch_s: float) -> None:
        self._anchor = (server_epoch_s, self._monotonic())
        self.saved_offset_s = server_epoch_s - self._wall()

    @property
    def synced(self) -> bool:
        return self._anchor is not None

    @property
    def offset_s(self) -> float | None:
        """Server time minus this terminal's wall clock, now."""
        if self._anchor is None:
            return self.saved_offset_s
        return self.now().timestamp() - self._wall()

    def now(self) -> datetime:
        if self._anchor is not None:
            server_s, at = self._anchor
            return datetime.fromtimestamp(server_s + self._monotonic() - at, tz=timezone.utc)
        return datetime.fromtimestamp(self._wall() + (self.saved_offset_s or 0), tz=timezone.utc)
