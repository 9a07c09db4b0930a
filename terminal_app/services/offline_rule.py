"""The offline rule, as the terminal applies it while the link is down.

The server sets the rule (`policy` push) and keeps the last word: a bet joins
its pool only if the server receives it before the pool closes. The terminal
only refuses what the server would certainly refuse or what exceeds the risk
the operator accepts: pools closing within the margin (by the terminal's best
estimate of the server's clock) and stakes above the offline ceiling.
"""
from __future__ import annotations

from datetime import datetime

from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import Race
from betting.protocol import OfflinePolicy


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


def check_offline_sale(policy: OfflinePolicy | None, race: Race, server_now: datetime,
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
