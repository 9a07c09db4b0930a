"""The central server's settings, read in one place and checked before it starts.

Each setting is `GUICHET_<NAME>` in the environment (Flask's
`from_prefixed_env`: a value that parses as JSON is taken parsed, so
`GUICHET_OFFLINE_MARGIN_S=5400` is a number) or `<NAME>` in the mapping given
to `create_app`, which wins. A value that does not fit stops the start with
one English line naming the variable and what it expects: a setting dropped
in silence (a margin typed `5400s`) would run the shops on a policy nobody
chose.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Config

from guichet.paths import default_server_db

PREFIX = "GUICHET"


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for the operator."""


@dataclass(frozen=True)
class ServerConfig:
    """What the server runs with; the defaults are the documented ones."""

    db: str = field(default_factory=default_server_db)  # SQLite path or database URL
    message_queue: str | None = None  # redis://… shared by several server processes
    message_queue_channel: str = "guichet"  # one per deployment sharing a Redis
    auto_close_interval_s: float = 1.0  # pass of the watch loop; 0 turns it off (tests)
    offline_margin_s: int = 300  # how long after the off an offline bet is still taken
    offline_ceiling_cents: int = 20_000  # largest stake a terminal may sell offline
    enrol_failures: int = 10  # wrong enrolment codes allowed per address…
    enrol_window_s: float = 600.0  # …within this many seconds
    rates: str | None = None  # JSON file overriding the deduction rates
    metrics_token: str | None = None  # bearer token of /metrics; none: no /metrics

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ServerConfig:
        """Check every known key of `values` (Flask config names, without the
        prefix); unknown keys belong to Flask or to other tools and are ignored."""
        checks = {
            "DB": _text,
            "MESSAGE_QUEUE": _queue_url,
            "MESSAGE_QUEUE_CHANNEL": _text,
            "AUTO_CLOSE_INTERVAL_S": lambda name, value: _seconds(name, value, zero_ok=True),
            "OFFLINE_MARGIN_S": lambda name, value: _whole(name, value, 0),
            "OFFLINE_CEILING_CENTS": lambda name, value: _whole(name, value, 0),
            "ENROL_FAILURES": lambda name, value: _whole(name, value, 1),
            "ENROL_WINDOW_S": lambda name, value: _seconds(name, value, zero_ok=False),
            "RATES": _optional_text,
            "METRICS_TOKEN": _token,
        }
        given = {key.lower(): check(f"{PREFIX}_{key}", values[key])
                 for key, check in checks.items() if key in values}
        return cls(**given)


def load(target: Config, overrides: Mapping[str, object] | None = None) -> ServerConfig:
    """Fill `target` (an app's `config`, or a bare `flask.Config` for a check
    made before the app exists) from the environment, then from `overrides`,
    and return the checked settings. Raises `ConfigError`."""
    target.from_prefixed_env(PREFIX)
    target.update(overrides or {})
    return ServerConfig.from_mapping(target)


def _text(name: str, value: object) -> str:
    # JSON parsing turns GUICHET_MESSAGE_QUEUE_CHANNEL=42 into an int: its text is exact
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name}: expected a non-empty text, got {value!r}")
    return value


def _token(name: str, value: object) -> str | None:
    # A scrape credential: long enough not to be guessed, sendable in a header,
    # and never repeated in the error (an all-digit token arrives parsed as an int).
    if value is None or value == "":
        return None
    token = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(token, str) and len(token) >= 16 and token.isascii()
            and token.isprintable() and token == token.strip()):
        raise ConfigError(f"{name}: expected at least 16 printable ASCII characters, "
                          "no spaces around")
    return token


def _optional_text(name: str, value: object) -> str | None:
    return None if value in (None, "") else _text(name, value)


def _queue_url(name: str, value: object) -> str | None:
    url = _optional_text(name, value)
    if url is not None and not url.startswith(("redis://", "rediss://")):
        raise ConfigError(f"{name}: expected a redis:// or rediss:// URL, got {url!r}")
    return url


_WHOLE = re.compile(r"[+-]?\d+")


def _whole(name: str, value: object, minimum: int) -> int:
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return value


def _seconds(name: str, value: object, zero_ok: bool) -> float:
    expected = "a number of seconds >= 0" if zero_ok else "a number of seconds > 0"
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is None or not math.isfinite(number) or number < 0 or (number == 0 and not zero_ok):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return number
