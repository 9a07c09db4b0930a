"""The offline rule, as the terminal applies it while the link is down.

The server sets the rule (`policy` push) and keeps the last word: a bet joins
its pool only if the server receives it before the pool closes. The terminal
only refuses what the server would certainly refuse or what exceeds the risk
the operator accepts: pools closing within the margin (by the terminal's best
estimate of the server's clock) and stakes above the offline ceiling.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import Race


class OfflineRefused(BettingError):
    code = "offline_refused"
    default_message = "Vente hors ligne impossible."


class NoOfflinePolicy(OfflineRefused):
    code = "offline_no_policy"
    default_message = ("Terminal hors ligne et sans règles de vente hors ligne reçues du "
                       "serveur : la vente reprendra au retour de la connexion.")


class TooCloseToTheOff(OfflineRefused):
    code = "offline_too_close"


class OfflineCeiling(OfflineRefused):
    code = "offline_ceiling"


@dataclass(frozen=True)
class Policy:
    margin_s: int
    ceiling_cents: int

    @classmethod
    def from_wire(cls, data: object) -> "Policy | None":
        if not isinstance(data, dict):
            return None
        margin, ceiling = data.get("offline_margin_s"), data.get("offline_ceiling_cents")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (margin, ceiling)):
            return None
        return cls(margin, ceiling)


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


def check_offline_sale(policy: Policy | None, race: Race, server_now: datetime,
                       unsent_offline_cents: int, total_cents: int) -> None:
    """Raise the French reason this bet may not be sold offline, or return."""
    if policy is None:
        raise NoOfflinePolicy()
    left = (race.post_time - server_now).total_seconds()
    if left <= policy.margin_s:
        minutes = max(1, policy.margin_s // 60)
        raise TooCloseToTheOff(
            f"Terminal hors ligne : pas de vente hors ligne à moins de {minutes} minutes "
            f"du départ de {race.race_id}."
        )
    if unsent_offline_cents + total_cents > policy.ceiling_cents:
        room = max(0, policy.ceiling_cents - unsent_offline_cents)
        raise OfflineCeiling(
            f"Terminal hors ligne : plafond des ventes hors ligne atteint "
            f"({format_euros(policy.ceiling_cents)} ; reste {format_euros(room)})."
        )
