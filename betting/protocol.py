"""Schemas of the messages between terminal and server (namespace /terminal).

Every handler on both sides goes through these functions, so a malformed
message becomes a `ProtocolError` (an error ack), never an exception deep
inside a handler.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from .bets import MAX_AMOUNT_CENTS, BetRequest, make_request
from .errors import BettingError, ProtocolError
from .programme import parse_utc

NAMESPACE = "/terminal"
MAX_BETS_PER_MESSAGE = 500
AUTH_MAX_SKEW_S = 300  # a connect signature older or newer than this is refused


def ack_ok(**fields) -> dict:
    return {"ok": True, **fields}


def ack_error(code: str, message: str) -> dict:
    return {"ok": False, "error": code, "message": message}


def ack_from_error(exc: BettingError) -> dict:
    return ack_error(exc.code, exc.message)


def connect_signature(terminal_id: str, ts: int, key: bytes) -> str:
    return hmac.new(key, f"{terminal_id}:{ts}".encode(), hashlib.sha256).hexdigest()


def check_connect_auth(auth: object, key_for, now_ts: float) -> str:
    """Return the authenticated terminal id or raise ProtocolError.

    `key_for(terminal_id)` returns the terminal's key, or None when the
    terminal is unknown. This checks the signature and its freshness only:
    that a `ts` is used once (replay) and that the terminal is enabled are
    decided by the store (server/services/fleet.py `claim_connection`), shared by every
    server process. A client must therefore never reuse a `ts`.
    """
    if not isinstance(auth, dict):
        raise ProtocolError("missing auth")
    terminal_id, ts, sig = auth.get("terminal_id"), auth.get("ts"), auth.get("sig")
    if not isinstance(terminal_id, str) or not isinstance(sig, str) or len(terminal_id) > 32 \
            or not terminal_id.isprintable():
        raise ProtocolError("malformed auth")
    if isinstance(ts, bool) or not isinstance(ts, int) or abs(now_ts - ts) > AUTH_MAX_SKEW_S:
        raise ProtocolError("stale or missing timestamp")
    key = key_for(terminal_id)
    if key is None:
        raise ProtocolError("unknown or disabled terminal")
    if not hmac.compare_digest(sig, connect_signature(terminal_id, ts, key)):
        raise ProtocolError("bad signature")
    return terminal_id


@dataclass(frozen=True)
class OfflinePolicy:
    """The offline selling rule the server pushes (`policy`): no offline sale within
    `margin_s` of the off, at most `ceiling_cents` of unconfirmed offline stakes."""

    margin_s: int
    ceiling_cents: int

    @classmethod
    def from_wire(cls, data: object) -> "OfflinePolicy | None":
        if not isinstance(data, dict):
            return None
        margin, ceiling = data.get("offline_margin_s"), data.get("offline_ceiling_cents")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (margin, ceiling)):
            return None
        return cls(margin, ceiling)


# A uuid in its canonical form, which `str(uuid.UUID(...))` gives back unchanged.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class WireBet:
    uuid: str
    seq: int
    placed_at: datetime
    request: BetRequest
    total_cents: int
    offline: bool


def parse_wire_bet(data: object) -> WireBet:
    if not isinstance(data, dict):
        raise ProtocolError("a bet must be an object")
    raw_uuid = data.get("uuid")
    if isinstance(raw_uuid, str) and _CANONICAL_UUID.fullmatch(raw_uuid):
        canonical = raw_uuid  # as terminals write it: no need to parse it again
    else:
        try:
            canonical = str(uuidlib.UUID(raw_uuid)) if isinstance(raw_uuid, str) else None
        except ValueError:
            canonical = None
    if canonical is None or len(raw_uuid) > 40:
        raise ProtocolError("bad uuid")
    seq, total = data.get("seq"), data.get("total_cents")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < 10**9:
        raise ProtocolError("bad seq")
    if isinstance(total, bool) or not isinstance(total, int) \
            or not 0 <= total <= MAX_AMOUNT_CENTS:
        raise ProtocolError("Montant total invalide (total_cents).")
    # Booleans are JSON booleans: "false" (a string) must not count as offline.
    offline = data.get("offline", False)
    if not isinstance(offline, bool):
        raise ProtocolError("Champ offline invalide : true ou false attendu.")
    try:
        placed_at = parse_utc(data.get("placed_at") or "")
    except (TypeError, ValueError):
        raise ProtocolError("bad placed_at") from None
    return WireBet(
        uuid=canonical,
        seq=seq,
        placed_at=placed_at,
        request=make_request(data),
        total_cents=total,
        offline=offline,
    )


def parse_place_bets(payload: object) -> list[object]:
    """The list of raw bets; each is parsed on its own so one bad bet rejects only itself."""
    if not isinstance(payload, dict) or not isinstance(payload.get("bets"), list):
        raise ProtocolError("place_bets takes {\"bets\": [...]}")
    bets = payload["bets"]
    if not bets or len(bets) > MAX_BETS_PER_MESSAGE:
        raise ProtocolError(f"between 1 and {MAX_BETS_PER_MESSAGE} bets per message")
    return bets
